/**
 * The report as one self-contained HTML file: inline CSS and SVG, no script, no external resource,
 * so it can be attached to a post-mortem and opened anywhere, offline, years later. Everything
 * from the journal is escaped (app ids, task ids, hosts and details are user data).
 */
import type { PlacementRiskSection, Report } from './compute.js';
import { fixWords, formatMs, formatTime, OUTCOME_WORDS, reasonColumns, riskTables, summaryRows } from './format.js';
import { barChart, escapeXml as esc, scatterChart, stackedBarChart } from './svg.js';

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#222}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}
.meta{color:#666}table{border-collapse:collapse;margin:.6em 0}th,td{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4}td{overflow-wrap:anywhere}td.num{text-align:right;font-variant-numeric:tabular-nums}td.num,td.time{white-space:nowrap;overflow-wrap:normal}
.scroll{overflow-x:auto}
.open{color:#b00020;font-weight:600}.fixed{color:#087f23}.note{color:#666;font-style:italic}
.chart{display:block;margin:.6em 0;max-width:100%;height:auto}.chart text{fill:#333;font-family:inherit}
.recovered{color:#087f23}.not-recovered{color:#b00020;font-weight:600}
@media print{h2{break-after:avoid}table{break-inside:auto}tr{break-inside:avoid}}
`;

const time = (iso: string | null): { html: string; cls: string } => ({ html: esc(formatTime(iso)), cls: 'time' });

function table(headers: readonly string[], rows: readonly (readonly (string | { html: string; num?: boolean; cls?: string })[])[]): string {
  const cell = (c: string | { html: string; num?: boolean; cls?: string }): string => {
    if (typeof c === 'string') return `<td>${esc(c)}</td>`;
    const cls = [c.num ? 'num' : '', c.cls ?? ''].filter((x) => x !== '').join(' ');
    return `<td${cls ? ` class="${cls}"` : ''}>${c.html}</td>`;
  };
  return `<div class="scroll"><table><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('')}</tbody></table></div>`;
}

const num = (n: number | string): { html: string; num: true } => ({ html: esc(String(n)), num: true });

function riskSection(section: PlacementRiskSection | undefined): string {
  if (section === undefined) return '';
  const { notes, tables, verdict } = riskTables(section);
  return (
    `<section id="risk"><h2>Placement risk (now)</h2><p class="meta">Assessed ${esc(formatTime(section.assessedAt))} from the live cluster, not from the journal.</p>` +
    notes.map((n) => `<p class="note">${esc(n)}</p>`).join('') +
    tables.map((t) => `<h3>${esc(t.title)}</h3>${table(t.headers, t.rows)}`).join('') +
    `<p><strong>${esc(verdict)}</strong></p></section>`
  );
}

export function renderHtml(r: Report): string {
  const title = `Chaos report — ${r.journal}`;
  const ttrPoints = r.timeline
    .filter((k) => k.outcome === 'recovered' && k.ttrMs !== null)
    .map((k) => ({ t: Date.parse(k.time), y: (k.ttrMs ?? 0) / 1000, label: `${formatTime(k.time)} ${k.appId}: ${formatMs(k.ttrMs)}` }));
  const charts = [
    ttrPoints.length > 0 ? `<figure><figcaption>Time to recover (seconds) per kill</figcaption>${scatterChart('Time to recover over time', ttrPoints, 'seconds')}</figure>` : '',
    r.killsPerDay.length > 0 ? `<figure><figcaption>Tasks killed per day (UTC)</figcaption>${barChart('Tasks killed per day', r.killsPerDay.map((d) => ({ label: d.day.slice(5), value: d.kills })), 'tasks')}</figure>` : '',
    r.skipReasonsPerDay.length > 0
      ? `<figure><figcaption>Why apps and tasks were skipped, per day (UTC)</figcaption>${stackedBarChart('Skip reasons per day', r.skipReasonsPerDay.map((d) => ({ label: d.day.slice(5), values: d.counts })), 'skips')}</figure>`
      : '',
  ].join('');

  const apps =
    r.apps.length === 0
      ? '<p class="note">No task was killed in this period.</p>'
      : table(
          ['App', 'Tasks killed', 'Recovered', 'Did not recover', 'TTR p50', 'TTR p95', 'TTR max', 'Weaknesses', 'Last kill'],
          r.apps.map((a) => [
            a.appId,
            num(a.kills),
            num(a.recovered),
            num(a.notRecovered),
            num(formatMs(a.ttr.p50Ms)),
            num(formatMs(a.ttr.p95Ms)),
            num(formatMs(a.ttr.maxMs)),
            { html: esc(a.weaknesses === 0 ? '0' : `${a.weaknesses} (${a.openWeaknesses} open)`), num: true, ...(a.openWeaknesses > 0 ? { cls: 'open' } : {}) },
            time(a.lastKill),
          ]),
        );

  const weaknesses =
    r.weaknesses.length === 0
      ? '<p class="note">No weakness found in this period.</p>'
      : table(
          ['Found', 'App', 'Reason', 'Detail', 'Status'],
          r.weaknesses.map((w) => [time(w.time), w.appId, w.reason, w.detail, { html: esc(fixWords(w)), cls: w.status === 'open' ? 'open' : 'fixed' }]),
        );

  const perDay = (days: Report['skipReasonsPerDay'], empty: string): string => {
    if (days.length === 0) return `<p class="note">${esc(empty)}</p>`;
    const cols = reasonColumns(days);
    return table(['Day (UTC)', ...cols], days.map((d) => [d.day, ...cols.map((c) => num(d.counts[c] ?? 0))]));
  };

  const timeline =
    r.timeline.length === 0
      ? '<p class="note">No kill in this period.</p>'
      : table(
          ['Cycle time', 'App', 'Task', 'Host', 'Rack', 'Outcome', 'TTR'],
          r.timeline.map((k) => [
            time(k.time),
            k.appId,
            k.taskId,
            k.host ?? '',
            k.rack ?? '',
            { html: esc(OUTCOME_WORDS[k.outcome]), cls: k.outcome === 'recovered' ? 'recovered' : k.outcome === 'not-recovered' ? 'not-recovered' : '' },
            num(formatMs(k.ttrMs)),
          ]),
        );

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>Chaos report</h1>
<p class="meta">Journal ${esc(r.journal)} · generated ${esc(formatTime(r.generatedAt))} · marathon-monkey report</p>
<section id="summary"><h2>Summary</h2>${table(['', 'Value'], summaryRows(r))}</section>
${charts === '' ? '' : `<section id="charts"><h2>Charts</h2>${charts}</section>`}
<section id="apps"><h2>Per app</h2>${apps}</section>
<section id="weaknesses"><h2>Weaknesses</h2>${weaknesses}</section>
<section id="skips"><h2>Skip reasons per day</h2>
<p class="note">Apps and tasks left alone, by reason (apps that never opted in are not counted).</p>
${perDay(r.skipReasonsPerDay, 'No app or task was skipped in this period.')}
<h3>Cycles skipped by a gate</h3>
${perDay(r.gateReasonsPerDay, 'No cycle was skipped by a gate in this period.')}</section>
<section id="timeline"><h2>Kill timeline</h2>${timeline}</section>
${riskSection(r.placementRisk)}
</body>
</html>
`;
}
