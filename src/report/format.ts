/** Words and numbers both renderers print the same way. */
import type { KillOutcome, PlacementRiskSection, Report, WeaknessRow } from './compute.js';
import { lossRow } from '../domain/risk.js';

/** A duration as people read it: 850 ms, 4.2 s, 3 min 5 s. */
export function formatMs(ms: number | null): string {
  if (ms === null) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** An ISO instant as `YYYY-MM-DD HH:MM:SSZ` (shorter, still unambiguous). */
export function formatTime(iso: string | null): string {
  if (iso === null) return '–';
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : new Date(t).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

export const OUTCOME_WORDS: Record<KillOutcome, string> = {
  recovered: 'recovered',
  'not-recovered': 'did not recover',
  aborted: 'watch cut short by shutdown',
  'app-gone': 'app deleted while watched',
  unmatched: 'task unknown to Marathon',
  unverified: 'not verified (no recovery watch recorded)',
};

export function fixWords(w: WeaknessRow): string {
  if (w.status === 'open') return 'open';
  if (w.status === 'app-gone') return 'app deleted since';
  switch (w.fix?.how) {
    case 'quarantine-lifted':
      return `fixed: seen in steady state again ${formatTime(w.fix.at)}`;
    case 'unquarantined-by-operator':
      return `lifted by an operator ${formatTime(w.fix.at)} (resume --unquarantine)`;
    case 'recovered-after-kill':
      return `fixed: recovered from a later kill ${formatTime(w.fix.at)}`;
    default:
      return 'fixed';
  }
}

/** The headline numbers, in the order both renderers print them. */
export function summaryRows(r: Report): [string, string][] {
  const t = r.totals;
  return [
    ['Period', `${formatTime(r.period.from)} – ${formatTime(r.period.to)}${r.since ? ` (since ${formatTime(r.since)})` : ''}`],
    ['Cycles', `${t.cycles} (${t.liveCycles} live, ${t.dryRunCycles} dry run, ${t.skippedCycles} skipped by a gate, ${t.errorCycles} with an error)`],
    ['Tasks killed', String(t.tasksKilled)],
    ['Recoveries', String(t.recoveries)],
    ['Time to recover', r.ttr.count === 0 ? 'no recovery measured' : `p50 ${formatMs(r.ttr.p50Ms)}, p95 ${formatMs(r.ttr.p95Ms)}, max ${formatMs(r.ttr.maxMs)} (${r.ttr.count} recoveries)`],
    ['Weaknesses', `${t.weaknesses} (${t.openWeaknesses} still open)`],
    ...(t.ignoredLines > 0 ? [['Ignored journal lines', `${t.ignoredLines} (torn or malformed)`] as [string, string]] : []),
  ];
}

/** Reasons that appear in a per-day table, sorted by total, largest first. */
export function reasonColumns(days: Report['skipReasonsPerDay']): string[] {
  const totals = new Map<string, number>();
  for (const d of days) for (const [k, n] of Object.entries(d.counts)) totals.set(k, (totals.get(k) ?? 0) + n);
  return [...totals.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k]) => k);
}

/** One table of the placement-risk section. */
export interface RiskTable {
  title: string;
  headers: string[];
  rows: string[][];
}

/** The placement-risk section as notes, tables and a verdict (the same words as `marathon-monkey risk`). */
export function riskTables(section: PlacementRiskSection): { notes: string[]; tables: RiskTable[]; verdict: string } {
  if ('unavailable' in section) return { notes: [], tables: [], verdict: `not assessed: ${section.unavailable}` };
  const r = section.risk;
  const notes: string[] = [];
  const p = r.placement;
  if (!p.agentsKnown) notes.push(`${p.agentsNote ?? 'Mesos agents unknown'}; hosts from the tasks, racks and zones from the tasks' zones only`);
  if (p.withoutRack > 0 || p.withoutZone > 0) notes.push(`${p.withoutRack} of ${r.tasks} tasks have no known rack, ${p.withoutZone} no known zone: left out of those assessments`);
  const tables: RiskTable[] = [];
  for (const [kind, losses] of [['host', r.host], ['rack', r.rack], ['zone', r.zone]] as const) {
    if (losses.length === 0) continue;
    tables.push({
      title: `If one ${kind} fails`,
      headers: ['App', 'Chaos target', kind[0]!.toUpperCase() + kind.slice(1), 'Lost', 'Healthy left / floor', 'Risk'],
      rows: losses.map(lossRow),
    });
  }
  for (const [title, list] of [['Single instance', r.singleInstance], ['No health checks', r.noHealthChecks]] as const) {
    if (list.length > 0) tables.push({ title, headers: ['App', 'Chaos target', 'Instances'], rows: list.map((f) => [f.appId, f.chaosTarget ? 'yes' : 'no', String(f.instances)]) });
  }
  const verdict = r.risky ? `at risk (${r.apps} apps, ${r.tasks} tasks assessed)` : `no placement risk: ${r.apps} apps, ${r.tasks} tasks survive the loss of any one host, rack or zone above their healthy floor`;
  return { notes, tables, verdict };
}
