/**
 * The report as GitHub-flavoured Markdown: the same sections as the HTML report, as tables, for
 * an issue or a wiki page. No charts (GitHub strips inline SVG): the HTML report has them.
 */
import type { Report } from './compute.js';
import { fixWords, formatMs, formatTime, OUTCOME_WORDS, reasonColumns, riskTables, summaryRows } from './format.js';

/**
 * One table cell. Pipes would end the cell, a newline the row; `<` and `&` would let an app id
 * become HTML on GitHub; `*`, `_`, `` ` ``, `[` and `]` would turn it into emphasis, code or links.
 */
export function mdCell(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([|*_`[\]])/g, '\\$1')
    .replace(/\r?\n|\r/g, ' ');
}

function table(headers: readonly string[], rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number> = new Set()): string {
  const line = (cells: readonly string[]): string => `| ${cells.map(mdCell).join(' | ')} |`;
  const rule = `|${headers.map((_, i) => (rightAligned.has(i) ? ' ---: ' : ' --- ')).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

export function renderMarkdown(r: Report): string {
  const out: string[] = [];
  out.push('# Chaos report', '');
  out.push(`Journal ${mdCell(r.journal)}, generated ${formatTime(r.generatedAt)} by \`marathon-monkey report\`.`, '');
  out.push('## Summary', '', table(['', 'Value'], summaryRows(r)), '');
  out.push('_Charts (time to recover over time, kills per day, skip reasons per day) are in the HTML report: `marathon-monkey report --out report.html`._', '');

  out.push('## Per app', '');
  if (r.apps.length === 0) out.push('No task was killed in this period.');
  else {
    out.push(
      table(
        ['App', 'Tasks killed', 'Recovered', 'Did not recover', 'TTR p50', 'TTR p95', 'TTR max', 'Weaknesses', 'Last kill'],
        r.apps.map((a) => [
          a.appId,
          String(a.kills),
          String(a.recovered),
          String(a.notRecovered),
          formatMs(a.ttr.p50Ms),
          formatMs(a.ttr.p95Ms),
          formatMs(a.ttr.maxMs),
          a.weaknesses === 0 ? '0' : `${a.weaknesses} (${a.openWeaknesses} open)`,
          formatTime(a.lastKill),
        ]),
        new Set([1, 2, 3, 4, 5, 6, 7]),
      ),
    );
  }
  out.push('');

  out.push('## Weaknesses', '');
  if (r.weaknesses.length === 0) out.push('No weakness found in this period.');
  else out.push(table(['Found', 'App', 'Reason', 'Detail', 'Status'], r.weaknesses.map((w) => [formatTime(w.time), w.appId, w.reason, w.detail, fixWords(w)])));
  out.push('');

  const perDay = (days: Report['skipReasonsPerDay'], empty: string): string => {
    if (days.length === 0) return empty;
    const cols = reasonColumns(days);
    return table(['Day (UTC)', ...cols], days.map((d) => [d.day, ...cols.map((c) => String(d.counts[c] ?? 0))]), new Set(cols.map((_, i) => i + 1)));
  };
  out.push('## Skip reasons per day', '', 'Apps and tasks left alone, by reason (apps that never opted in are not counted).', '');
  out.push(perDay(r.skipReasonsPerDay, 'No app or task was skipped in this period.'), '');
  out.push('### Cycles skipped by a gate', '', perDay(r.gateReasonsPerDay, 'No cycle was skipped by a gate in this period.'), '');

  out.push('## Kill timeline', '');
  if (r.timeline.length === 0) out.push('No kill in this period.');
  else {
    out.push(
      table(
        ['Cycle time', 'App', 'Task', 'Host', 'Rack', 'Outcome', 'TTR'],
        r.timeline.map((k) => [formatTime(k.time), k.appId, k.taskId, k.host ?? '', k.rack ?? '', OUTCOME_WORDS[k.outcome], formatMs(k.ttrMs)]),
        new Set([6]),
      ),
    );
  }
  out.push('');
  if (r.placementRisk !== undefined) {
    const { notes, tables, verdict } = riskTables(r.placementRisk);
    out.push('## Placement risk (now)', '', `Assessed ${formatTime(r.placementRisk.assessedAt)} from the live cluster, not from the journal.`, '');
    for (const n of notes) out.push(`_${mdCell(n)}_`, '');
    for (const t of tables) out.push(`### ${mdCell(t.title)}`, '', table(t.headers, t.rows), '');
    out.push(`**${mdCell(verdict)}**`, '');
  }
  return `${out.join('\n')}\n`;
}
