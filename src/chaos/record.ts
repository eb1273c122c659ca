import { cycleSeed } from '../platform/random.js';
import { REASONS, type Reason, type Skip } from '../domain/reasons.js';
import type { ChaosSettings } from './settings.js';
import type { CycleRecord, KillRequest, Victim } from '../domain/record.js';

export function killRequestFor(ids: readonly string[]): KillRequest {
  return { method: 'POST', path: '/v2/tasks/delete?scale=false', body: { ids: [...ids] } };
}

function compactIso(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** A readable, unique-enough cycle id: scheduled instant plus start instant in base 36. */
export function makeCycleId(scheduledAt: Date, startedAtMs: number): string {
  return `c-${compactIso(scheduledAt)}-${startedAtMs.toString(36)}`;
}

/** The fields every record starts with. */
export function baseRecord(
  settings: Pick<ChaosSettings, 'seed' | 'strategy' | 'dryRun'>,
  scheduledAt: Date,
  nowMs: number,
  options: { cycleId?: string; plan?: boolean } = {},
): CycleRecord {
  return {
    type: 'cycle',
    cycleId: options.cycleId ?? makeCycleId(scheduledAt, nowMs),
    time: new Date(nowMs).toISOString(),
    scheduledAt: scheduledAt.toISOString(),
    seed: settings.seed,
    cycleSeed: cycleSeed(settings.seed, scheduledAt),
    strategy: settings.strategy,
    dryRun: settings.dryRun,
    plan: options.plan ?? false,
    outcome: 'nothing-to-do',
    counts: { apps: 0, eligible: 0, candidates: 0, victims: 0, killed: 0, unmatched: 0, skippedByReason: {} },
    skipped: [],
    target: null,
    victims: [],
    killRequest: null,
    killResponse: null,
    killedAt: null,
    before: {},
    after: {},
    weaknesses: [],
    quarantineLifted: [],
    durationsMs: { list: 0, plan: 0, recheck: 0, kill: 0, watch: 0, total: 0 },
  };
}

/**
 * The record of a cycle a gate said no to before anything was listed (outside office hours,
 * holiday, paused, halted, …). The daemon journals it so "why did nothing happen" has an answer.
 */
export function skippedCycleRecord(
  reason: string,
  detail: string,
  opts: {
    settings: Pick<ChaosSettings, 'seed' | 'strategy' | 'dryRun'>;
    scheduledAt: Date;
    now: number;
    cycleId?: string;
  },
): CycleRecord {
  const rec = baseRecord(opts.settings, opts.scheduledAt, opts.now, opts.cycleId === undefined ? {} : { cycleId: opts.cycleId });
  rec.outcome = 'skipped';
  rec.gate = { reason, detail };
  return rec;
}

/** Skips counted by reason, in first-seen order, added to `into`. */
export function tallySkips(skips: readonly Skip[], into: Partial<Record<Reason, number>> = {}): Partial<Record<Reason, number>> {
  for (const s of skips) into[s.reason] = (into[s.reason] ?? 0) + 1;
  return into;
}

/** Counts every skip by reason and lists all but the not-opted-in ones (see CycleRecord.skipped). */
export function recordSkips(record: CycleRecord, skips: readonly Skip[]): void {
  tallySkips(skips, record.counts.skippedByReason);
  for (const s of skips) if (s.reason !== REASONS.notOptedIn) record.skipped.push(s);
}

/** What became of one victim's kill, as a bounded label value. */
export function killOutcome(record: CycleRecord, victim: Pick<Victim, 'appId' | 'taskId'>): 'unmatched' | 'unverified' | 'recovered' | 'aborted' | 'app-gone' | 'not-recovered' {
  if (record.killResponse?.unmatched.includes(victim.taskId) === true) return 'unmatched';
  if (record.killStatus === 'uncertain') return 'unverified';
  const after = record.after[victim.appId];
  if (after === undefined) return 'unverified';
  if (after.recovered) return 'recovered';
  if (after.aborted === true) return 'aborted';
  if (after.gone === true) return 'app-gone';
  return 'not-recovered';
}

/** A few human lines for `marathon-monkey once` and logs. */
export function summarizeCycle(record: CycleRecord): string {
  const lines: string[] = [];
  const mode = record.plan ? 'plan' : record.dryRun ? 'dry-run' : 'live';
  lines.push(
    `cycle ${record.cycleId} (${mode}, strategy ${record.strategy}, scheduled ${record.scheduledAt}): ${record.outcome}` +
      (record.halted ? ' — chaos HALTED until resumed' : ''),
  );
  if (record.outcome === 'skipped' && record.gate) {
    lines.push(`  gate: ${record.gate.reason} — ${record.gate.detail}`);
    return lines.join('\n');
  }
  const c = record.counts;
  lines.push(`  apps ${c.apps}, eligible ${c.eligible}, candidate tasks ${c.candidates}, victims ${c.victims}`);
  const reasons = Object.entries(c.skippedByReason)
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
    .map(([r, n]) => `${r} ${n}`);
  if (reasons.length > 0) lines.push(`  skipped: ${reasons.join(', ')}`);
  if (record.target) lines.push(`  target ${record.target.kind} ${record.target.value}`);
  const verb = record.killResponse ? 'killed' : 'would kill';
  for (const v of record.victims) {
    const unmatched = record.killResponse?.unmatched.includes(v.taskId) ? ' (unknown to Marathon)' : '';
    lines.push(`  ${verb} ${v.taskId} of ${v.appId} on ${v.host}${v.rack ? ` (rack ${v.rack})` : v.zone ? ` (zone ${v.zone})` : ''}${unmatched}`);
  }
  if (!record.killResponse && record.killRequest && record.victims.length > 0) {
    lines.push(`  request: ${record.killRequest.method} ${record.killRequest.path} ${JSON.stringify(record.killRequest.body)}`);
  }
  for (const [appId, a] of Object.entries(record.after)) {
    if (a.recovered) lines.push(`  ${appId} recovered in ${((a.timeToRecoverMs ?? 0) / 1000).toFixed(1)}s`);
    else if (a.aborted) lines.push(`  ${appId}: watch aborted by shutdown`);
    else if (a.gone) lines.push(`  ${appId}: app deleted while watching`);
  }
  for (const w of record.weaknesses) lines.push(`  WEAKNESS ${w.appId}: ${w.reason} — ${w.detail}`);
  for (const q of record.quarantineLifted) lines.push(`  quarantine lifted for ${q.appId} (${q.why})`);
  if (record.error) lines.push(`  error ${record.error.code} during ${record.error.stage}: ${record.error.message}`);
  return lines.join('\n');
}
