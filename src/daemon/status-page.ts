import type { RiskReport } from '../domain/risk.js';
import type { CycleSummary, ProbeBeforeSummary, ProbeSummary, QuarantineInfo, StateSnapshot } from './state.js';

/**
 * The status page at GET /: what /status says, for a person with a browser (or a phone at the
 * on-call desk). One server-rendered HTML document with inline CSS and an inline SVG chart; no
 * script, no build step, nothing fetched from anywhere (the server's Content-Security-Policy
 * forbids it). App ids, labels, reasons and details are user data: everything goes through esc().
 * Pure: the view holds every value, including the instant the page was made.
 */

/** The placement-risk report (src/domain/risk.ts), as assessRisk returns it and /status carries it. */
export type RiskView = RiskReport;

export interface StatusView {
  /** ISO instant the page was made (the daemon's Clock). */
  generatedAt: string;
  /** IANA zone every time on the page is shown in (the schedule's). */
  timezone: string;
  /** `single instance`, or the role among instances on ZooKeeper with the leader and the session. */
  role: string;
  version: string | undefined;
  dryRun: boolean | undefined;
  strategy: string | undefined;
  /** The schedule in words (cron, office hours, holidays). */
  schedule: string | undefined;
  /** ISO instants. */
  nextCycles: readonly string[];
  state: StateSnapshot;
  risk: { report: RiskView; assessedAt: string | undefined } | undefined;
  /** The masked effective configuration (never the raw one). */
  config: Record<string, unknown> | undefined;
  refreshSeconds: number;
}

/** The page reloads itself this often (meta refresh: no script needed). */
export const STATUS_PAGE_REFRESH_SECONDS = 30;

/** At most this many rows per risk table: a big cluster's full list is `marathon-monkey risk`'s job. */
const MAX_RISK_ROWS = 40;

/**
 * Builds the view from what /status serves: the daemon's status() extras (untyped beyond
 * StatusExtras, so every field is checked) and the state snapshot.
 */
export function statusViewFrom(extras: Readonly<Record<string, unknown>>, state: StateSnapshot, now: Date): StatusView {
  const config = isRecord(extras.config) ? extras.config : undefined;
  const scheduleConfig = config !== undefined && isRecord(config.schedule) ? config.schedule : undefined;
  const zone = str(extras.timezone) ?? str(scheduleConfig?.timezone) ?? 'UTC';
  return {
    generatedAt: now.toISOString(),
    timezone: validZone(zone) ? zone : 'UTC',
    role: roleText(extras),
    version: str(extras.version),
    dryRun: typeof extras.dryRun === 'boolean' ? extras.dryRun : undefined,
    strategy: str(extras.strategy),
    schedule: str(extras.schedule),
    nextCycles: Array.isArray(extras.nextCycles) ? extras.nextCycles.filter((c): c is string => typeof c === 'string') : [],
    state,
    // The state keeps the latest assessment (DaemonState.setRisk); a status callback may still bring one.
    risk: riskFrom(state.risk ?? extras.risk),
    config,
    refreshSeconds: STATUS_PAGE_REFRESH_SECONDS,
  };
}

/** `leader of 3 instances (ZooKeeper zk://…/monkey, session connected)`; `single instance` without ZooKeeper. */
function roleText(extras: Readonly<Record<string, unknown>>): string {
  const role = str(extras.role);
  const zk = isRecord(extras.zk) ? extras.zk : undefined;
  if (role === undefined || role === 'single' || zk === undefined) return 'single instance';
  const members = typeof zk.members === 'number' ? ` of ${zk.members} instance${zk.members === 1 ? '' : 's'}` : '';
  const leader = role !== 'leader' && str(zk.leader) !== undefined ? `; the leader is ${str(zk.leader) ?? ''}` : '';
  const where = [str(zk.url) === undefined ? undefined : `ZooKeeper ${str(zk.url) ?? ''}`, str(zk.session) === undefined ? undefined : `session ${str(zk.session) ?? ''}`].filter((x) => x !== undefined);
  return `${role}${members}${leader}${where.length > 0 ? ` (${where.join(', ')})` : ''}`;
}

/** Accepts a RiskReport, or `{report, assessedAt}` around one; anything else is "not assessed". */
function riskFrom(value: unknown): StatusView['risk'] {
  if (!isRecord(value)) return undefined;
  if (isRiskReport(value)) return { report: value, assessedAt: str(value.assessedAt) };
  if (isRiskReport(value.report)) return { report: value.report, assessedAt: str(value.assessedAt) };
  return undefined;
}

function isRiskReport(v: unknown): v is RiskView & Record<string, unknown> {
  return (
    isRecord(v) &&
    typeof v.risky === 'boolean' &&
    typeof v.apps === 'number' &&
    typeof v.tasks === 'number' &&
    ['host', 'rack', 'zone', 'singleInstance', 'noHealthChecks'].every((k) => Array.isArray(v[k]))
  );
}

// ------------------------------------------------------------------------------------------- render

export function renderStatusPage(view: StatusView): string {
  const t = new TimeFormat(view.timezone, Date.parse(view.generatedAt));
  const overall = overallState(view, t);
  const title = `marathon-monkey: ${overall.label}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${view.refreshSeconds}">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>marathon-monkey</h1>
<p class="state state-${overall.kind}" id="state"><span class="dot"></span>${esc(overall.label)}</p>
${overall.why.map((w) => `<p class="why">${esc(w)}</p>`).join('\n')}
</header>
${stateSection(view, t)}
${nextCyclesSection(view, t)}
${lastCyclesSection(view, t)}
${recoveryChartSection(view, t)}
${serviceProbesSection(view, t)}
${weaknessSection(view, t)}
${riskSection(view, t)}
${configSection(view)}
<footer>
<p>Made ${esc(t.full(view.generatedAt))}; reloads every ${view.refreshSeconds} s. Times in ${esc(view.timezone)}. The same data as JSON: <a href="/status">/status</a> · <a href="/metrics">/metrics</a></p>
</footer>
</main>
</body>
</html>
`;
}

type StateKind = 'running' | 'paused' | 'halted' | 'stopping' | 'not-ready';

/** One word for the whole daemon, and why: the first thing an operator looks for. */
function overallState(view: StatusView, t: TimeFormat): { kind: StateKind; label: string; why: string[] } {
  const s = view.state;
  if (s.shuttingDown) return { kind: 'stopping', label: 'shutting down', why: [s.readiness.detail] };
  const why: string[] = [];
  if (s.halted !== null) {
    why.push(`Halted since ${t.full(s.halted.since)} by a weakness in ${s.halted.appId} (${s.halted.reason})${s.halted.detail ? `: ${s.halted.detail}` : ''}.`);
    why.push('POST /resume clears the halt once the app is fixed.');
  }
  if (s.paused !== null) why.push(`Paused since ${t.full(s.paused.since)} by ${s.paused.by}: ${s.paused.reason}. POST /resume to continue.`);
  if (!s.readiness.ready) why.push(`Not ready (${s.readiness.reason}): ${s.readiness.detail}`);
  if (s.halted !== null) return { kind: 'halted', label: 'halted', why };
  if (s.paused !== null) return { kind: 'paused', label: 'paused', why };
  if (!s.readiness.ready) return { kind: 'not-ready', label: 'running, not ready', why };
  // A standby is healthy and waits: the leader runs the cycles.
  if (view.role.startsWith('standby')) return { kind: 'running', label: 'standby', why: [`Standby: ${view.role}. The leader runs the cycles; this instance takes over if the leader goes.`] };
  return { kind: 'running', label: view.dryRun === true ? 'running (dry run)' : 'running', why };
}

function stateSection(view: StatusView, t: TimeFormat): string {
  const s = view.state;
  const c = s.counters;
  const rows: [string, string][] = [
    ['Role', view.role],
    ['Mode', view.dryRun === undefined ? 'unknown' : view.dryRun ? 'dry run: victims are chosen and recorded, nothing is killed' : 'live: kills are sent'],
    ['Strategy', view.strategy ?? 'unknown'],
    ['Schedule', view.schedule ?? 'unknown'],
    ['Time zone', view.timezone],
    ['Ready', s.readiness.ready ? 'yes' : `no: ${s.readiness.reason}${s.readiness.detail ? ` (${s.readiness.detail})` : ''}`],
    ['Up since', `${t.full(s.startedAt)} (${duration(s.uptimeSeconds * 1000)})`],
    ['Cycles', `${c.cycles}${outcomeCounts(c.cyclesByOutcome)}`],
    ['Tasks killed', `${c.kills}${c.dryRunKills > 0 ? ` (and ${c.dryRunKills} in dry runs)` : ''}`],
    ['Weaknesses found', String(c.weaknesses)],
    ['Version', view.version ?? 'unknown'],
  ];
  return `<section id="daemon">
<h2>State</h2>
<dl class="facts">
${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('\n')}
</dl>
</section>`;
}

function outcomeCounts(byOutcome: Readonly<Record<string, number>>): string {
  const parts = Object.entries(byOutcome)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${n} ${k}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

function nextCyclesSection(view: StatusView, t: TimeFormat): string {
  const s = view.state;
  const note =
    s.halted !== null ? 'Halted: these slots are skipped until POST /resume.' : s.paused !== null ? 'Paused: these slots are skipped until POST /resume.' : '';
  const body =
    view.nextCycles.length === 0
      ? '<p class="empty">No cycle is scheduled.</p>'
      : `<ol class="next">${view.nextCycles.map((c) => `<li><time datetime="${esc(c)}">${esc(t.full(c))}</time> <span class="muted">${esc(t.relative(c))}</span></li>`).join('')}</ol>`;
  return `<section id="next-cycles">
<h2>Next cycles</h2>
${note === '' ? '' : `<p class="note">${esc(note)}</p>`}
${body}
<p class="muted">Office hours and holidays are judged when each slot comes; a slot outside them is skipped.</p>
</section>`;
}

function lastCyclesSection(view: StatusView, t: TimeFormat): string {
  const cycles = view.state.lastCycles;
  if (cycles.length === 0) {
    return `<section id="last-cycles">
<h2>Last cycles</h2>
<p class="empty">No cycle has run since the daemon started.</p>
</section>`;
  }
  const rows = cycles.map((c) => cycleRow(c, t)).join('\n');
  return `<section id="last-cycles">
<h2>Last cycles</h2>
<table class="cards">
<thead><tr><th>When</th><th>Outcome</th><th>Victims</th><th>Time to recover</th><th>Notes</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</section>`;
}

function cycleRow(c: CycleSummary, t: TimeFormat): string {
  const victims =
    c.victims.length === 0
      ? '<span class="muted">none</span>'
      : `<ul class="plain">${c.victims
          .map((v) => `<li><span class="app">${esc(v.appId)}</span> <span class="muted">${esc(v.taskId)} on ${esc(v.host)}${v.rack === undefined ? '' : `, rack ${esc(v.rack)}`}</span></li>`)
          .join('')}</ul>${c.counts.victims > c.victims.length ? `<span class="muted">and ${c.counts.victims - c.victims.length} more (see the journal)</span>` : ''}`;
  // One app watched: the victims column already names it.
  const appPrefix = (appId: string): string => (c.recovery.length > 1 ? `<span class="app">${esc(appId)}</span> ` : '');
  const recovery =
    c.recovery.length === 0
      ? `<span class="muted">${c.dryRun ? 'dry run' : '—'}</span>`
      : `<ul class="plain">${c.recovery
          .map((r) =>
            r.recovered && r.timeToRecoverMs !== undefined
              ? `<li>${appPrefix(r.appId)}${esc(duration(r.timeToRecoverMs))}</li>`
              : `<li class="bad">${appPrefix(r.appId)}not recovered</li>`,
          )
          .join('')}</ul>`;
  const notes: string[] = [];
  for (const w of c.weaknesses) notes.push(`<li class="bad">weakness in <span class="app">${esc(w.appId)}</span>: ${esc(w.reason)}${w.detail ? ` (${esc(w.detail)})` : ''}</li>`);
  if (c.halted) notes.push('<li class="bad">chaos halted</li>');
  if (c.reason !== undefined) notes.push(`<li>${esc(c.reason)}${c.detail ? `: ${esc(c.detail)}` : ''}</li>`);
  if (c.error !== undefined) notes.push(`<li class="bad">${esc(c.error.code)}: ${esc(c.error.message)}</li>`);
  const skipped = Object.values(c.skippedByReason).reduce((a, b) => a + b, 0);
  if (c.outcome !== 'skipped' && c.counts.apps > 0) notes.push(`<li class="muted">${c.counts.apps} apps, ${c.counts.eligible} eligible, ${skipped} skipped</li>`);
  return `<tr class="cycle outcome-${esc(c.outcome)}" data-cycle-id="${esc(c.cycleId)}">
<td data-label="When"><div><time datetime="${esc(c.time)}">${esc(t.medium(c.time))}</time><br><span class="muted">${esc(c.strategy)}${c.dryRun ? ', dry run' : ''}</span></div></td>
<td data-label="Outcome"><div><span class="badge badge-${esc(c.outcome)}">${esc(c.outcome)}</span></div></td>
<td data-label="Victims"><div>${victims}</div></td>
<td data-label="Time to recover"><div>${recovery}</div></td>
<td data-label="Notes">${notes.length === 0 ? '' : `<div><ul class="plain">${notes.join('')}</ul></div>`}</td>
</tr>`;
}

interface ChartPoint {
  at: number;
  appId: string;
  ms: number | undefined;
  cycleId: string;
}

const CHART = { width: 640, height: 220, left: 48, right: 14, top: 22, bottom: 34 };

/** Time to recover of every killed app in the kept cycles, oldest first; one not recovered sits on the top line, red. */
function recoveryChartSection(view: StatusView, t: TimeFormat): string {
  const points: ChartPoint[] = [];
  for (const c of [...view.state.lastCycles].reverse()) {
    const at = Date.parse(c.time);
    if (!Number.isFinite(at)) continue;
    for (const r of c.recovery) points.push({ at, appId: r.appId, ms: r.recovered ? r.timeToRecoverMs : undefined, cycleId: c.cycleId });
  }
  const head = `<section id="recovery">
<h2>Time to recover</h2>`;
  if (points.length === 0) return `${head}\n<p class="empty">No kill has been watched yet: the chart fills in as cycles kill and watch their victims.</p>\n</section>`;

  const { width: W, height: H, left: L, right: R, top: T, bottom: B } = CHART;
  const measured = points.flatMap((p) => (p.ms === undefined ? [] : [p.ms]));
  const yMax = niceCeil(Math.max(1000, ...measured));
  const t0 = Math.min(...points.map((p) => p.at));
  const t1 = Math.max(...points.map((p) => p.at));
  const x = (at: number): number => (t1 === t0 ? L + (W - L - R) / 2 : L + ((at - t0) / (t1 - t0)) * (W - L - R));
  const y = (ms: number): number => T + (1 - ms / yMax) * (H - T - B);
  const fmt = (n: number): string => n.toFixed(1);

  const grid = [0, 0.5, 1]
    .map((f) => {
      const yy = fmt(y(yMax * f));
      return `<line class="grid" x1="${L}" y1="${yy}" x2="${W - R}" y2="${yy}"/><text class="tick" x="${L - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${esc(duration(yMax * f, true))}</text>`;
    })
    .join('');
  const xLabels =
    t1 === t0
      ? `<text class="tick" x="${fmt(x(t0))}" y="${H - 10}" text-anchor="middle">${esc(t.short(t0))}</text>`
      : `<text class="tick" x="${L}" y="${H - 10}" text-anchor="start">${esc(t.short(t0))}</text><text class="tick" x="${W - R}" y="${H - 10}" text-anchor="end">${esc(t.short(t1))}</text>`;
  const line = points.filter((p) => p.ms !== undefined).map((p) => `${fmt(x(p.at))},${fmt(y(p.ms ?? 0))}`);
  const marks = points
    .map((p) => {
      const label = `${p.appId} at ${t.full(new Date(p.at).toISOString())}: ${p.ms === undefined ? 'not recovered' : duration(p.ms)}`;
      return p.ms === undefined
        ? `<g class="ttr-miss"><path d="M${fmt(x(p.at) - 4)},${fmt(T - 4)}l8,8m0,-8l-8,8"/><title>${esc(label)}</title></g>`
        : `<circle class="ttr-point" cx="${fmt(x(p.at))}" cy="${fmt(y(p.ms))}" r="4"><title>${esc(label)}</title></circle>`;
    })
    .join('');
  const missed = points.length - measured.length;
  return `${head}
<figure>
<svg id="ttr-chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="ttr-title" preserveAspectRatio="xMidYMid meet">
<title id="ttr-title">Time to recover of each killed app over the last ${view.state.lastCycles.length} cycles</title>
${grid}
<line class="axis" x1="${L}" y1="${T}" x2="${L}" y2="${H - B}"/><line class="axis" x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}"/>
${line.length > 1 ? `<polyline class="ttr-line" points="${line.join(' ')}"/>` : ''}
${marks}
${xLabels}
</svg>
<figcaption>${measured.length} measured recover${measured.length === 1 ? 'y' : 'ies'}${measured.length > 0 ? `, median ${esc(duration(median(measured)))}, slowest ${esc(duration(Math.max(...measured)))}` : ''}${missed > 0 ? `; <span class="bad">${missed} not recovered</span> (red crosses on the top line)` : ''}.</figcaption>
</figure>
</section>`;
}

/**
 * The steady state as users saw it in the newest cycle that probed a service (issue 11): per killed
 * app its probe figures against its error budget, and the verdicts of the probes before the kill.
 */
function serviceProbesSection(view: StatusView, t: TimeFormat): string {
  const head = `<section id="service-probes">
<h2>Service probes</h2>`;
  const c = view.state.lastCycles.find((x) => x.probes.length > 0 || x.probesBefore.length > 0);
  if (c === undefined) {
    return `${head}
<p class="empty">No probed service in the last cycles: apps declare probes with <code>monkey.probe.*</code> labels, probed before every kill and during it until the app is back.</p>
</section>`;
  }
  const during =
    c.probes.length === 0
      ? ''
      : `<table class="cards">
<thead><tr><th>App</th><th>Failed probes</th><th>Longest outage</th><th>Latency p95</th><th>Passed again</th></tr></thead>
<tbody>
${c.probes.map((p) => probeRow(p)).join('\n')}
</tbody>
</table>`;
  const before =
    c.probesBefore.length === 0
      ? ''
      : `<h3>Before the kill</h3>
<ul class="plain probes-before">${c.probesBefore.map((b) => probeBeforeItem(b)).join('')}</ul>`;
  return `${head}
<p class="muted">Cycle ${esc(c.cycleId)}, <time datetime="${esc(c.time)}">${esc(t.medium(c.time))}</time>${c.dryRun ? ' (dry run: probed before the kill only)' : ''}: what clients of the affected apps saw, from just before the kill until each app was back or its recovery timeout ended.</p>
${during}
${before}
</section>`;
}

function probeRow(p: ProbeSummary): string {
  const kinds = Object.entries(p.failureKinds)
    .sort(([, a], [, b]) => b - a)
    .map(([k, n]) => `${k} ×${n}`)
    .join(', ');
  const checks = p.checks.length === 0 ? '' : `<br><span class="muted">${esc(p.checks.join('; '))}</span>`;
  const errors = `${p.failures} of ${p.samples} (${esc(percent(p.errorRate))}), budget ${esc(percent(p.maxErrorRate))}${kinds === '' ? '' : `<br><span class="muted">${esc(kinds)}</span>`}`;
  const again = p.passedAgain
    ? `yes${p.serviceRecoveredMs === undefined ? '' : `, ${esc(duration(p.serviceRecoveredMs))} after the kill`}`
    : 'no: never passed again within the recovery timeout';
  return `<tr class="probed ${p.withinBudget && p.passedAgain ? 'probe-ok' : 'probe-degraded'}" data-app="${esc(p.appId)}">
<td data-label="App"><div><span class="app">${esc(p.appId)}</span>${checks}</div></td>
<td data-label="Failed probes" class="${p.withinBudget ? '' : 'bad'}"><div>${errors}</div></td>
<td data-label="Longest outage"><div>${p.outageMs > 0 ? esc(duration(p.outageMs)) : 'none'}</div></td>
<td data-label="Latency p95"><div>${p.latencyP95Ms === undefined ? '<span class="muted">no probe passed</span>' : esc(duration(p.latencyP95Ms))}</div></td>
<td data-label="Passed again" class="${p.passedAgain ? '' : 'bad'}"><div>${again}</div></td>
</tr>`;
}

function probeBeforeItem(b: ProbeBeforeSummary): string {
  return b.ok
    ? `<li><span class="app">${esc(b.appId)}</span> passed <span class="muted">(${esc(b.detail)})</span></li>`
    : `<li class="bad"><span class="app">${esc(b.appId)}</span> failed, so it was not a candidate (probe-failed): ${esc(b.detail)}</li>`;
}

/** `0%`, `40%`, `4.2%`, `0.5%`. */
function percent(rate: number): string {
  const pc = rate * 100;
  return `${Number.isInteger(pc) ? pc : pc.toFixed(1)}%`;
}

function weaknessSection(view: StatusView, t: TimeFormat): string {
  const s = view.state;
  const quarantined = Object.entries(s.quarantined).sort(([a], [b]) => a.localeCompare(b));
  const halt =
    s.halted === null
      ? ''
      : `<p class="bad">Chaos is halted by the weakness in <span class="app">${esc(s.halted.appId)}</span> (${esc(s.halted.reason)}) since ${esc(t.full(s.halted.since))}.</p>`;
  const table =
    quarantined.length === 0
      ? '<p class="empty">No open weakness; no app is quarantined.</p>'
      : `<table class="cards">
<thead><tr><th>App</th><th>Why</th><th>Since</th><th>Cycle</th></tr></thead>
<tbody>
${quarantined.map(([appId, q]) => quarantineRow(appId, q, t)).join('\n')}
</tbody>
</table>
<p class="muted">A quarantined app is never chosen; it leaves quarantine once it is seen healthy again.</p>`;
  return `<section id="weaknesses">
<h2>Open weaknesses and quarantines</h2>
${halt}
${table}
</section>`;
}

function quarantineRow(appId: string, q: QuarantineInfo, t: TimeFormat): string {
  return `<tr class="quarantined">
<td data-label="App"><div><span class="app">${esc(appId)}</span></div></td>
<td data-label="Why"><div>${esc(q.reason)}${q.detail ? `: ${esc(q.detail)}` : ''}</div></td>
<td data-label="Since"><div>${esc(t.full(q.since))}</div></td>
<td data-label="Cycle"><div>${esc(q.cycleId ?? '—')}</div></td>
</tr>`;
}

function riskSection(view: StatusView, t: TimeFormat): string {
  const head = `<section id="risk">
<h2>Placement risk</h2>`;
  if (view.risk === undefined) return `${head}\n<p class="empty">Not assessed yet. <code>marathon-monkey risk</code> assesses it now from the command line.</p>\n</section>`;
  const { report: r, assessedAt } = view.risk;
  const losses = [...r.host.map((l) => ['host', l] as const), ...r.rack.map((l) => ['rack', l] as const), ...r.zone.map((l) => ['zone', l] as const)];
  const shown = losses.slice(0, MAX_RISK_ROWS);
  const summary = `${r.risky ? '<span class="bad">At risk.</span>' : 'No placement risk found.'} ${r.apps} apps, ${r.tasks} tasks assessed${assessedAt === undefined ? '' : ` ${esc(t.full(assessedAt))}`}.`;
  const lossTable =
    losses.length === 0
      ? ''
      : `<h3>What one failure would take</h3>
<table class="cards">
<thead><tr><th>If one … fails</th><th>App</th><th>Where</th><th>Lost</th><th>Healthy left</th></tr></thead>
<tbody>
${shown
  .map(
    ([kind, l]) => `<tr class="risk-${esc(l.severity)}">
<td data-label="If one … fails"><div>${esc(kind)}${l.domainsAtRisk > 1 ? ` <span class="muted">(${l.domainsAtRisk} of them)</span>` : ''}</div></td>
<td data-label="App"><div><span class="app">${esc(l.appId)}</span>${l.chaosTarget ? '' : ' <span class="muted">(not a chaos target)</span>'}</div></td>
<td data-label="Where"><div>${esc(l.domain)}</div></td>
<td data-label="Lost" class="${l.severity === 'all' ? 'bad' : ''}"><div>${l.lost} of ${l.total}${l.severity === 'all' ? ' (all)' : ''}</div></td>
<td data-label="Healthy left"><div>${l.healthyLeft}${l.floor === null ? '' : ` (floor ${l.floor})`}</div></td>
</tr>`,
  )
  .join('\n')}
</tbody>
</table>${losses.length > shown.length ? `<p class="muted">and ${losses.length - shown.length} more: <code>marathon-monkey risk</code> lists them all.</p>` : ''}`;
  const flagList = (titleText: string, flags: RiskView['singleInstance']): string =>
    flags.length === 0
      ? ''
      : `<h3>${esc(titleText)}</h3><ul class="plain flags">${flags
          .slice(0, MAX_RISK_ROWS)
          .map((f) => `<li><span class="app">${esc(f.appId)}</span>${f.chaosTarget ? '' : ' <span class="muted">(not a chaos target)</span>'}</li>`)
          .join('')}</ul>${flags.length > MAX_RISK_ROWS ? `<p class="muted">and ${flags.length - MAX_RISK_ROWS} more</p>` : ''}`;
  const p = r.placement;
  const placement =
    p === undefined
      ? ''
      : `<p class="muted">${p.agentsKnown ? 'Racks and zones from the Mesos agents.' : `Agents unknown${p.agentsNote ? ` (${esc(p.agentsNote)})` : ''}: racks and zones could not be judged.`}${p.withoutRack > 0 ? ` ${p.withoutRack} tasks without a known rack.` : ''}${p.withoutZone > 0 ? ` ${p.withoutZone} tasks without a known zone.` : ''}</p>`;
  return `${head}
<p>${summary}</p>
${lossTable}
${flagList('Single instance', r.singleInstance)}
${flagList('No health check', r.noHealthChecks)}
${placement}
</section>`;
}

function configSection(view: StatusView): string {
  if (view.config === undefined || Object.keys(view.config).length === 0) return '';
  return `<section id="config">
<details>
<summary>Effective configuration (secrets masked)</summary>
<pre>${esc(JSON.stringify(view.config, null, 2))}</pre>
</details>
</section>`;
}

// ------------------------------------------------------------------------------------------ helpers

/** HTML-escapes text for element content and double- or single-quoted attribute values. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Times in the configured zone, and relative to the page's own instant. */
class TimeFormat {
  private readonly fullFmt: Intl.DateTimeFormat;
  private readonly mediumFmt: Intl.DateTimeFormat;
  private readonly shortFmt: Intl.DateTimeFormat;

  constructor(
    zone: string,
    private readonly nowMs: number,
  ) {
    this.fullFmt = new Intl.DateTimeFormat('en-GB', { timeZone: zone, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' });
    this.mediumFmt = new Intl.DateTimeFormat('en-GB', { timeZone: zone, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    this.shortFmt = new Intl.DateTimeFormat('en-GB', { timeZone: zone, day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
  }

  full(iso: string): string {
    const ms = Date.parse(iso);
    return Number.isFinite(ms) ? this.fullFmt.format(ms) : iso;
  }

  /** Without the year and the zone (the page says the zone once): for table rows. */
  medium(iso: string): string {
    const ms = Date.parse(iso);
    return Number.isFinite(ms) ? this.mediumFmt.format(ms) : iso;
  }

  short(ms: number): string {
    return this.shortFmt.format(ms);
  }

  relative(iso: string): string {
    const ms = Date.parse(iso);
    if (!Number.isFinite(ms)) return '';
    const d = ms - this.nowMs;
    if (Math.abs(d) < 1000) return 'now';
    return d > 0 ? `in ${duration(d)}` : `${duration(-d)} ago`;
  }
}

/** `850 ms`, `12.3 s`, `4 min 5 s`, `2 h 10 min`, `3 d 4 h`; `coarse` (axis ticks): `0`, `5 s`, `2.5 s`, `2 min`. */
export function duration(ms: number, coarse = false): string {
  if (coarse && ms === 0) return '0';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (coarse && s < 60) return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
  if (s < 60) return s >= 10 ? `${Math.round(s)} s` : `${s.toFixed(1)} s`;
  const total = Math.round(s);
  const [d, h, m, sec] = [Math.floor(total / 86_400), Math.floor((total % 86_400) / 3600), Math.floor((total % 3600) / 60), total % 60];
  if (d > 0) return `${d} d${h > 0 ? ` ${h} h` : ''}`;
  if (h > 0) return `${h} h${m > 0 ? ` ${m} min` : ''}`;
  return `${m} min${sec > 0 && !coarse ? ` ${sec} s` : ''}`;
}

/** The next of 1, 2, 5 × 10^n at or above `ms`: axis tops people can read. */
function niceCeil(ms: number): number {
  const mag = 10 ** Math.floor(Math.log10(ms));
  for (const f of [1, 2, 5, 10]) if (f * mag >= ms) return f * mag;
  return 10 * mag;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function validZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

const CSS = `
:root{--fg:#1d2330;--muted:#5b6474;--bg:#f6f7f9;--card:#fff;--line:#dfe3ea;--ok:#1a7f37;--warn:#9a6700;--bad:#c62828;--accent:#2f5fb3}
@media (prefers-color-scheme:dark){:root{--fg:#e6e9ef;--muted:#9aa3b2;--bg:#12151b;--card:#1b2029;--line:#2e3542;--ok:#3fb950;--warn:#d29922;--bad:#f85149;--accent:#6ea8fe}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:980px;margin:0 auto;padding:12px}
header,section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px;margin:0 0 12px}
h1{font-size:1.35rem;margin:0 0 6px}
h2{font-size:1.1rem;margin:0 0 8px}
h3{font-size:.95rem;margin:12px 0 6px}
p{margin:6px 0}
a{color:var(--accent)}
.state{display:inline-flex;align-items:center;gap:8px;font-size:1.2rem;font-weight:700;margin:4px 0}
.dot{width:14px;height:14px;border-radius:50%;background:currentColor;display:inline-block}
.state-running{color:var(--ok)}.state-paused,.state-not-ready{color:var(--warn)}.state-halted{color:var(--bad)}.state-stopping{color:var(--muted)}
.why{margin:2px 0;overflow-wrap:anywhere}
td time{white-space:nowrap}
.muted,.empty{color:var(--muted)}
.bad{color:var(--bad)}
.note{color:var(--warn);font-weight:600}
.app{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em;overflow-wrap:anywhere}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}
.facts{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:4px 14px;margin:0}
.facts dt{color:var(--muted)}.facts dd{margin:0;overflow-wrap:anywhere}
.next{margin:0;padding-left:22px}
ul.plain{list-style:none;margin:0;padding:0}
ul.plain li{overflow-wrap:anywhere}
table{width:100%;border-collapse:collapse;table-layout:auto}
th,td{text-align:left;vertical-align:top;padding:6px 8px;border-top:1px solid var(--line);overflow-wrap:anywhere}
th{font-size:.85rem;color:var(--muted);font-weight:600;border-top:0}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:.82rem;font-weight:600;background:var(--line);white-space:nowrap}
.badge-killed{background:#dafbe1;color:#116329}.badge-weakness,.badge-error{background:#ffebe9;color:#a40e26}.badge-dry-run{background:#ddf4ff;color:#0a3069}.badge-skipped,.badge-nothing-to-do{background:#eaeef2;color:#424a53}
figure{margin:0}
svg{display:block;width:100%;height:auto;max-height:320px}
svg .grid{stroke:var(--line);stroke-width:1}
svg .axis{stroke:var(--muted);stroke-width:1}
svg .tick{fill:var(--muted);font-size:13px}
svg .ttr-line{fill:none;stroke:var(--accent);stroke-width:2;opacity:.6}
svg .ttr-point{fill:var(--accent);stroke:var(--card);stroke-width:1.5}
svg .ttr-miss path{stroke:var(--bad);stroke-width:2.5;fill:none}
figcaption{color:var(--muted);font-size:.9rem;margin-top:4px}
details summary{cursor:pointer;font-weight:600}
pre{overflow-x:auto;font-size:.82rem;background:var(--bg);padding:8px;border-radius:6px;max-width:100%}
footer{color:var(--muted);font-size:.85rem;padding:0 4px 12px}
@media (max-width:640px){
main{padding:8px}
header,section{padding:10px}
table.cards thead{display:none}
table.cards,table.cards tbody,table.cards tr,table.cards td{display:block;width:100%}
table.cards tr{border-top:1px solid var(--line);padding:6px 0}
table.cards td{border:0;padding:2px 0;display:grid;grid-template-columns:7.5em minmax(0,1fr);gap:8px}
table.cards td::before{content:attr(data-label);color:var(--muted);font-size:.85rem}
table.cards td:empty{display:none}
.facts{grid-template-columns:minmax(0,1fr)}
.facts dt{margin-top:4px}
}
`;
