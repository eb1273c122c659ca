import { cycleSeed } from '../platform/random.js';
import { REASONS, type Reason, type Skip } from './reasons.js';
import type { ChaosSettings, Strategy } from './settings.js';
import type { HealthSnapshot } from './steady-state.js';
import type { Target, Victim } from './select.js';

export type CycleOutcome = 'killed' | 'dry-run' | 'nothing-to-do' | 'weakness' | 'error' | 'skipped';

export interface KillRequest {
  method: 'POST';
  path: '/v2/tasks/delete?scale=false';
  body: { ids: string[] };
}

export interface AfterKill {
  recovered: boolean;
  /** From the kill answer to the first read that showed the app recovered; null when it did not. */
  timeToRecoverMs: number | null;
  /** Last observed counts (null when no read succeeded). */
  health: HealthSnapshot | null;
  /** Deadline the app had, ms after the kill answer. */
  timeoutMs: number;
  /** Recovery reads made for this app. */
  polls: number;
  /** The watch was cut short by shutdown: neither recovered nor a weakness. */
  aborted?: boolean;
  /** The app was deleted while we watched: not a weakness. */
  gone?: boolean;
  /** Killed task ids still listed at the last read (the old incarnation has not gone yet). */
  killedStillListed?: string[];
  /** Why the last successful read did not count as recovered. */
  lastProblem?: string;
}

export interface Weakness {
  appId: string;
  reason: Reason;
  detail: string;
}

export interface QuarantineLift {
  appId: string;
  /** `steady` = seen in steady state again; `gone` = the app no longer exists. */
  why: 'steady' | 'gone';
}

/**
 * One cycle, as journalled (one JSON line) and as `once`, `/status` and metrics see it.
 * Everything is plain JSON: instants are ISO strings, maps are objects.
 */
export interface CycleRecord {
  type: 'cycle';
  cycleId: string;
  /** When the cycle started (the Clock's now). */
  time: string;
  /** The cron instant the cycle was scheduled for; with `seed` it determines every pick. */
  scheduledAt: string;
  seed: string;
  /** The derived per-cycle seed (seed ␟ scheduledAt), to replay the decision. */
  cycleSeed: string;
  strategy: Strategy;
  dryRun: boolean;
  /** `plan` mode: decided, never killed, never watched. */
  plan: boolean;
  outcome: CycleOutcome;
  counts: {
    apps: number;
    eligible: number;
    /** Candidate tasks across eligible apps. */
    candidates: number;
    victims: number;
    killed: number;
    unmatched: number;
    /** Every skip counted by reason, including the not-opted-in apps left out of `skipped`. */
    skippedByReason: Partial<Record<Reason, number>>;
  };
  /**
   * Why apps and tasks were not victims. Apps skipped only because they are not opted in are
   * counted in `counts.skippedByReason` but not listed: on a big cluster they are almost every app,
   * and listing them every cycle would bloat the journal without saying anything new.
   */
  skipped: Skip[];
  target: Target | null;
  victims: Victim[];
  killRequest: KillRequest | null;
  killResponse: { matched: string[]; unmatched: string[] } | null;
  /** When the kill answer arrived (ISO); lastKillAt of the victims' apps. */
  killedAt: string | null;
  /** Per affected app, counts at listing time. */
  before: Record<string, HealthSnapshot>;
  /** Per watched app, the recovery observation. */
  after: Record<string, AfterKill>;
  weaknesses: Weakness[];
  /** Quarantined apps this cycle saw healthy again (or deleted), so they are eligible again. */
  quarantineLifted: QuarantineLift[];
  error?: { code: string; message: string; stage: 'list' | 'agents' | 'recheck' | 'journal' | 'kill' };
  /**
   * What became of the kill request, when one was about to be sent: `answered` (Marathon answered
   * 200), `uncertain` (it may have reached Marathon: counts as a kill), `rejected` (Marathon said
   * no, or it never left: nothing killed), `withdrawn` (called off after the intent was written).
   */
  killStatus?: 'answered' | 'uncertain' | 'rejected' | 'withdrawn';
  halted?: boolean;
  /** Gate reason for `skipped` cycles. */
  gate?: { reason: string; detail: string };
  durationsMs: { list: number; plan: number; recheck: number; kill: number; watch: number; total: number };
}

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

/** True when the cycle only pretended to kill (dry run or plan). */
export function isDryRun(record: CycleRecord): boolean {
  return record.dryRun || record.plan || record.outcome === 'dry-run';
}

/**
 * Whether Marathon answered a kill request: a kill response, or an outcome that implies one. A kill
 * that failed without an answer counts as not sent here (its victims were planned, not known killed).
 */
export function killWasSent(record: CycleRecord): boolean {
  if (isDryRun(record)) return false;
  // A request with no usable answer may have killed: it counts, as it does for the min interval.
  if (record.killStatus === 'uncertain') return true;
  return record.killResponse !== null || record.outcome === 'killed' || record.outcome === 'weakness';
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
