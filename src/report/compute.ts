/**
 * The journal as a report: what was killed, how fast it came back, what broke and whether it was
 * fixed, and why cycles and apps were left alone. Pure: records in (one at a time, in journal
 * order), one plain-JSON Report out, so `report --format json` is exactly what the HTML and
 * Markdown renderers draw from.
 *
 * Memory grows with the kills, the apps and the days covered, never with the journal's length: a
 * journal of a year of skipped cycles folds into a few counters per day.
 *
 * Days are UTC calendar days (the journal's instants are UTC ISO strings).
 */
import { killMayHaveHappened, type CycleRecord, type Victim } from '../domain/record.js';
import type { RiskReport } from '../domain/risk.js';
import type { JournalRecord } from '../journal/journal.js';
import type { KillAnswerRecord, KillIntentRecord, ResumeRecord } from '../journal/state.js';

/** What became of one killed task. */
export type KillOutcome = 'recovered' | 'not-recovered' | 'aborted' | 'app-gone' | 'unmatched' | 'unverified';

export interface TimelineRow {
  /** The cycle's start (or the intent's time when no cycle record followed it). */
  time: string;
  cycleId: string;
  appId: string;
  taskId: string;
  host: string | null;
  rack: string | null;
  outcome: KillOutcome;
  /** Time to recover of the task's app in that cycle, when it recovered. */
  ttrMs: number | null;
}

export interface TtrStats {
  /** Recoveries measured. */
  count: number;
  p50Ms: number | null;
  p95Ms: number | null;
  maxMs: number | null;
}

export interface AppSummary {
  appId: string;
  /** Tasks killed (Marathon knew them, or the answer is unknown). */
  kills: number;
  /** Cycles in which the app was watched and recovered / did not. */
  recovered: number;
  notRecovered: number;
  ttr: TtrStats;
  weaknesses: number;
  /** Weaknesses not fixed by the end of the journal. */
  openWeaknesses: number;
  lastKill: string | null;
}

export type WeaknessFix =
  | { how: 'quarantine-lifted'; at: string; cycleId: string }
  | { how: 'unquarantined-by-operator'; at: string }
  | { how: 'recovered-after-kill'; at: string; cycleId: string };

export interface WeaknessRow {
  time: string;
  cycleId: string;
  appId: string;
  reason: string;
  detail: string;
  /** `fixed`: a later lift or a later kill it recovered from; `app-gone`: deleted since; `open`: neither. */
  status: 'fixed' | 'app-gone' | 'open';
  fix: WeaknessFix | null;
}

export interface DayCounts {
  /** UTC day, YYYY-MM-DD. */
  day: string;
  counts: Record<string, number>;
}

export interface Report {
  journal: string;
  generatedAt: string;
  since: string | null;
  /** First and last instant of the records the report covers. */
  period: { from: string | null; to: string | null };
  totals: {
    records: number;
    cycles: number;
    liveCycles: number;
    dryRunCycles: number;
    /** Cycles a gate said no to (office hours, holiday, pause, halt, …). */
    skippedCycles: number;
    errorCycles: number;
    tasksKilled: number;
    recoveries: number;
    weaknesses: number;
    openWeaknesses: number;
    /** Journal lines that were torn or malformed (skipped by the reader). */
    ignoredLines: number;
  };
  ttr: TtrStats;
  apps: AppSummary[];
  weaknesses: WeaknessRow[];
  /** Tasks killed per UTC day. */
  killsPerDay: { day: string; kills: number }[];
  /** Why apps and tasks were not victims, per day (apps that never opted in are left out: see README). */
  skipReasonsPerDay: DayCounts[];
  /** Why whole cycles were skipped, per day (the gate's reason). */
  gateReasonsPerDay: DayCounts[];
  /** Every killed task, oldest first. */
  timeline: TimelineRow[];
  /** Placement risk now, when a Marathon is configured (filled in by the command, not from the journal). */
  placementRisk?: PlacementRiskSection;
}

/** The cluster's placement risk when the report was made, or why it could not be assessed. */
export type PlacementRiskSection = { assessedAt: string; risk: RiskReport } | { assessedAt: string; unavailable: string };

/** The reason every app that never opted in carries each cycle: noise in a per-day chart. */
const NOT_OPTED_IN = 'not-opted-in';

export interface ComputeOptions {
  journal: string;
  generatedAt: string;
  /** Records before this instant are left out. */
  since?: Date | undefined;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const day = (iso: string): string => new Date(iso).toISOString().slice(0, 10);

/** Nearest-rank percentile of sorted values (the value a fraction p of the samples are at or below). */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? null;
}

export function ttrStats(values: readonly number[]): TtrStats {
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, p50Ms: percentile(sorted, 0.5), p95Ms: percentile(sorted, 0.95), maxMs: sorted.length === 0 ? null : sorted[sorted.length - 1]! };
}

interface AppAcc {
  kills: number;
  recovered: number;
  notRecovered: number;
  ttrs: number[];
  lastKill: string | null;
}

interface PendingIntent {
  time: string;
  victims: KillIntentRecord['victims'];
  answer: KillAnswerRecord | null;
}

/**
 * Folds the journal's records into a report. Feed it with `add` in journal order, then `finish`.
 * Kept as a class so the command can stream the file through it without holding the records.
 */
export class ReportBuilder {
  private readonly since: number | null;
  private first: string | null = null;
  private last: string | null = null;
  private readonly totals: Report['totals'] = {
    records: 0,
    cycles: 0,
    liveCycles: 0,
    dryRunCycles: 0,
    skippedCycles: 0,
    errorCycles: 0,
    tasksKilled: 0,
    recoveries: 0,
    weaknesses: 0,
    openWeaknesses: 0,
    ignoredLines: 0,
  };
  private readonly apps = new Map<string, AppAcc>();
  private readonly weaknesses: WeaknessRow[] = [];
  /** Unfixed weaknesses by app, so a later lift or recovery can close them. */
  private readonly open = new Map<string, WeaknessRow[]>();
  private readonly killsPerDay = new Map<string, number>();
  private readonly skips = new Map<string, Map<string, number>>();
  private readonly gates = new Map<string, Map<string, number>>();
  private readonly timeline: TimelineRow[] = [];
  /** Intents whose cycle record has not been read yet (a crash can leave them without one). */
  private readonly intents = new Map<string, PendingIntent>();

  constructor(private readonly options: ComputeOptions) {
    this.since = options.since ? options.since.getTime() : null;
  }

  /** Counts a journal line the reader skipped (torn write, malformed record). */
  ignoredLine(): void {
    this.totals.ignoredLines++;
  }

  add(record: JournalRecord): void {
    const time = str(record.time);
    if (time === null || Number.isNaN(Date.parse(time))) return;
    if (this.since !== null && Date.parse(time) < this.since) return;
    this.totals.records++;
    this.first ??= time;
    this.last = time;
    switch (record.type) {
      case 'cycle':
        this.cycle(record as unknown as CycleRecord);
        break;
      case 'kill-intent': {
        const r = record as unknown as KillIntentRecord;
        this.intents.set(r.cycleId, { time: r.time, victims: r.victims, answer: null });
        break;
      }
      case 'kill-answer': {
        const r = record as unknown as KillAnswerRecord;
        const pending = this.intents.get(r.cycleId);
        if (pending) pending.answer = r;
        break;
      }
      case 'resume': {
        const un = (record as unknown as Partial<ResumeRecord>).unquarantine;
        if (Array.isArray(un)) for (const appId of un) if (typeof appId === 'string') this.close(appId, 'fixed', { how: 'unquarantined-by-operator', at: time });
        break;
      }
      default:
        break;
    }
  }

  finish(): Report {
    // Intents no cycle record followed: the process stopped between the kill and the record.
    for (const [cycleId, intent] of this.intents) this.intentOnly(cycleId, intent);
    this.intents.clear();
    this.timeline.sort((a, b) => a.time.localeCompare(b.time));
    const allTtrs: number[] = [];
    const apps: AppSummary[] = [...this.apps.entries()]
      .map(([appId, a]) => {
        allTtrs.push(...a.ttrs);
        const weak = this.weaknesses.filter((w) => w.appId === appId);
        return {
          appId,
          kills: a.kills,
          recovered: a.recovered,
          notRecovered: a.notRecovered,
          ttr: ttrStats(a.ttrs),
          weaknesses: weak.length,
          openWeaknesses: weak.filter((w) => w.status === 'open').length,
          lastKill: a.lastKill,
        };
      })
      .sort((a, b) => b.kills - a.kills || a.appId.localeCompare(b.appId));
    this.totals.openWeaknesses = this.weaknesses.filter((w) => w.status === 'open').length;
    const perDay = (m: Map<string, Map<string, number>>): DayCounts[] =>
      [...m.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([d, counts]) => ({ day: d, counts: Object.fromEntries(counts) }));
    return {
      journal: this.options.journal,
      generatedAt: this.options.generatedAt,
      since: this.options.since ? this.options.since.toISOString() : null,
      period: { from: this.first, to: this.last },
      totals: { ...this.totals },
      ttr: ttrStats(allTtrs),
      apps,
      weaknesses: this.weaknesses,
      killsPerDay: [...this.killsPerDay.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([d, kills]) => ({ day: d, kills })),
      skipReasonsPerDay: perDay(this.skips),
      gateReasonsPerDay: perDay(this.gates),
      timeline: this.timeline,
    };
  }

  private app(appId: string): AppAcc {
    let a = this.apps.get(appId);
    if (!a) {
      a = { kills: 0, recovered: 0, notRecovered: 0, ttrs: [], lastKill: null };
      this.apps.set(appId, a);
    }
    return a;
  }

  private cycle(r: CycleRecord): void {
    this.intents.delete(r.cycleId);
    this.totals.cycles++;
    const d = day(r.time);
    if (r.outcome === 'skipped') {
      this.totals.skippedCycles++;
      bump(this.gates, d, str(r.gate?.reason) ?? 'unknown');
      return;
    }
    if (r.outcome === 'error') this.totals.errorCycles++;
    const dry = r.dryRun === true || r.plan === true || r.outcome === 'dry-run';
    if (dry) this.totals.dryRunCycles++;
    else this.totals.liveCycles++;
    const byReason = isObject(r.counts) && isObject(r.counts.skippedByReason) ? r.counts.skippedByReason : {};
    for (const [reason, n] of Object.entries(byReason)) {
      if (reason !== NOT_OPTED_IN && typeof n === 'number' && n > 0) bump(this.skips, d, reason, n);
    }
    // Quarantine lifts first: a cycle that lifts a quarantine and kills the app again is a fix.
    for (const q of Array.isArray(r.quarantineLifted) ? r.quarantineLifted : []) {
      if (q.why === 'gone') this.close(q.appId, 'app-gone', null);
      else this.close(q.appId, 'fixed', { how: 'quarantine-lifted', at: r.time, cycleId: r.cycleId });
    }
    if (!dry && killMayHaveHappened(r)) this.kills(r);
    for (const w of Array.isArray(r.weaknesses) ? r.weaknesses : []) {
      const row: WeaknessRow = { time: r.killedAt ?? r.time, cycleId: r.cycleId, appId: w.appId, reason: String(w.reason), detail: String(w.detail ?? ''), status: 'open', fix: null };
      this.weaknesses.push(row);
      this.totals.weaknesses++;
      const list = this.open.get(w.appId) ?? [];
      list.push(row);
      this.open.set(w.appId, list);
    }
  }

  private kills(r: CycleRecord): void {
    const after = isObject(r.after) ? r.after : {};
    const unmatched = new Set(r.killResponse?.unmatched ?? []);
    const seenApps = new Set<string>();
    // The reader checks victims only when present: a hand-edited or older record may lack them.
    for (const v of Array.isArray(r.victims) ? r.victims : []) {
      const a = after[v.appId];
      const outcome = victimOutcome(r, v, unmatched);
      this.row({ time: r.time, cycleId: r.cycleId, appId: v.appId, taskId: v.taskId, host: v.host ?? null, rack: v.rack ?? v.zone ?? null, outcome, ttrMs: outcome === 'recovered' ? (a?.timeToRecoverMs ?? null) : null });
      if (outcome === 'unmatched' || seenApps.has(v.appId)) continue;
      seenApps.add(v.appId);
      // Recovery is watched per app, once per cycle, however many of its tasks were killed.
      const acc = this.app(v.appId);
      if (a === undefined || a.aborted === true || a.gone === true || r.killStatus === 'uncertain') continue;
      if (a.recovered) {
        acc.recovered++;
        this.totals.recoveries++;
        if (typeof a.timeToRecoverMs === 'number') acc.ttrs.push(a.timeToRecoverMs);
        this.close(v.appId, 'fixed', { how: 'recovered-after-kill', at: r.time, cycleId: r.cycleId });
      } else acc.notRecovered++;
    }
  }

  private intentOnly(cycleId: string, intent: PendingIntent): void {
    const outcome = intent.answer?.outcome;
    if (outcome === 'rejected' || outcome === 'withdrawn') return;
    const knew = outcome === 'answered' ? new Set(intent.answer?.killedAppIds ?? []) : null;
    for (const v of intent.victims) {
      const unmatched = knew !== null && !knew.has(v.appId);
      this.row({ time: intent.time, cycleId, appId: v.appId, taskId: v.taskId, host: v.host ?? null, rack: v.rack ?? null, outcome: unmatched ? 'unmatched' : 'unverified', ttrMs: null });
    }
  }

  private row(row: TimelineRow): void {
    this.timeline.push(row);
    if (row.outcome === 'unmatched') return;
    this.totals.tasksKilled++;
    const acc = this.app(row.appId);
    acc.kills++;
    if (acc.lastKill === null || acc.lastKill < row.time) acc.lastKill = row.time;
    const d = day(row.time);
    this.killsPerDay.set(d, (this.killsPerDay.get(d) ?? 0) + 1);
  }

  private close(appId: string, status: 'fixed' | 'app-gone', fix: WeaknessFix | null): void {
    const list = this.open.get(appId);
    if (!list) return;
    this.open.delete(appId);
    for (const w of list) {
      w.status = status;
      w.fix = fix;
    }
  }
}

function bump(m: Map<string, Map<string, number>>, d: string, key: string, n = 1): void {
  let counts = m.get(d);
  if (!counts) {
    counts = new Map();
    m.set(d, counts);
  }
  counts.set(key, (counts.get(key) ?? 0) + n);
}

function victimOutcome(r: CycleRecord, v: Victim, unmatched: ReadonlySet<string>): KillOutcome {
  if (unmatched.has(v.taskId)) return 'unmatched';
  if (r.killStatus === 'uncertain') return 'unverified';
  const a = isObject(r.after) ? r.after[v.appId] : undefined;
  if (a === undefined) return 'unverified';
  if (a.recovered) return 'recovered';
  if (a.aborted === true) return 'aborted';
  if (a.gone === true) return 'app-gone';
  return 'not-recovered';
}

/** The report of a whole list of records (tests and small journals; the command streams). */
export function computeReport(records: Iterable<JournalRecord>, options: ComputeOptions): Report {
  const b = new ReportBuilder(options);
  for (const r of records) b.add(r);
  return b.finish();
}
