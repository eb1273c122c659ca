import type { Clock } from '../platform/clock.js';
import { isDryRun, killMayHaveHappened } from '../domain/record.js';
import type { CycleRecord } from '../domain/record.js';
import type { RiskReport } from '../domain/risk.js';

/**
 * The single place that holds what the operator side reports: live and ready (kept apart, the
 * lightship model), who paused the monkey and why, the halt a weakness caused, quarantined apps,
 * and a bounded history of cycles. The daemon and the HTTP server both write here; /status,
 * /ready and the gauges in /metrics read from here, so they never disagree.
 */

export interface PauseInfo {
  /** ISO instant. */
  readonly since: string;
  readonly reason: string;
  readonly by: string;
}

export interface HaltInfo {
  /** ISO instant. */
  readonly since: string;
  readonly appId: string;
  readonly reason: string;
  readonly detail?: string;
  readonly cycleId?: string;
}

export interface QuarantineInfo {
  /** ISO instant. */
  readonly since: string;
  readonly reason: string;
  readonly detail?: string;
  readonly cycleId?: string;
}

/** A quarantine the journal or the shared state remembers, as /status shows it. */
export function rememberedQuarantine(q: { since: string; detail: string; cycleId: string }): QuarantineInfo {
  return { since: q.since, reason: 'weakness', detail: q.detail, cycleId: q.cycleId };
}

/** The apps of a remembered halt: the record keeps the halting cycle, and that cycle quarantined them. */
export function haltedApps(halted: { cycleId?: string }, quarantined: Iterable<[string, { cycleId: string }]>): string[] {
  if (halted.cycleId === undefined) return [];
  return [...quarantined].filter(([, q]) => q.cycleId === halted.cycleId).map(([appId]) => appId);
}

export type ActVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'paused' | 'halted' | 'shutting-down'; readonly detail: string };

/** Why /ready says no. `starting` until the daemon calls setReady(). */
export interface Readiness {
  readonly ready: boolean;
  readonly reason: string;
  readonly detail: string;
}

/** What /status shows per cycle: enough to see why, small enough to keep 20 of them. */
export interface CycleSummary {
  readonly cycleId: string;
  readonly time: string;
  readonly scheduledAt: string;
  readonly outcome: CycleRecord['outcome'];
  readonly strategy: CycleRecord['strategy'];
  /** Dry run or plan: nothing was killed. */
  readonly dryRun: boolean;
  readonly counts: Omit<CycleRecord['counts'], 'skippedByReason'>;
  readonly victims: readonly { appId: string; taskId: string; host: string; rack: string | undefined }[];
  /** Skips counted by reason (the full list with details is in the journal). */
  readonly skippedByReason: Readonly<Record<string, number>>;
  readonly recovery: readonly { appId: string; recovered: boolean; timeToRecoverMs: number | undefined }[];
  readonly weaknesses: readonly { appId: string; reason: string; detail: string }[];
  /** The service probes during the kill, per watched app that declares them (issue 11); empty without. */
  readonly probes: readonly ProbeSummary[];
  /** The before-kill probe verdicts, per probed app (dry runs too); empty without. */
  readonly probesBefore: readonly ProbeBeforeSummary[];
  readonly error: { code: string; message: string } | undefined;
  readonly halted: boolean;
  /** Why a whole cycle was skipped (the gate). */
  readonly reason: string | undefined;
  readonly detail: string | undefined;
}

/** What the service probes of one app saw during a kill: the steady state as users saw it. */
export interface ProbeSummary {
  readonly appId: string;
  /** The checks as the labels declare them (`http /health (port-index 0)`). */
  readonly checks: readonly string[];
  readonly samples: number;
  readonly failures: number;
  readonly errorRate: number;
  /** The app's error budget (monkey.probe.max-error-rate). */
  readonly maxErrorRate: number;
  readonly withinBudget: boolean;
  /** Longest run of consecutive failures of one target. */
  readonly outageMs: number;
  /** Of the successful probes; undefined when none succeeded. */
  readonly latencyP95Ms: number | undefined;
  /** A whole round passed after Marathon reported the app recovered, within its recovery timeout. */
  readonly passedAgain: boolean;
  /** From the kill answer to that round; undefined when none. */
  readonly serviceRecoveredMs: number | undefined;
  /** The most frequent failure reasons with counts (`HTTP 502`: 11). */
  readonly failureKinds: Readonly<Record<string, number>>;
}

/** The probes of one app just before the kill: an app whose probes failed was not a candidate (probe-failed). */
export interface ProbeBeforeSummary {
  readonly appId: string;
  readonly ok: boolean;
  readonly samples: number;
  readonly failures: number;
  readonly detail: string;
}

export interface StateCounters {
  cycles: number;
  cyclesByOutcome: Record<string, number>;
  kills: number;
  dryRunKills: number;
  weaknesses: number;
}

export interface StateSnapshot {
  readonly startedAt: string;
  readonly uptimeSeconds: number;
  readonly live: boolean;
  readonly readiness: Readiness;
  readonly shuttingDown: boolean;
  readonly paused: PauseInfo | null;
  readonly halted: HaltInfo | null;
  readonly canAct: ActVerdict;
  readonly quarantined: Readonly<Record<string, QuarantineInfo>>;
  readonly counters: StateCounters;
  /** Newest first. */
  readonly lastCycles: readonly CycleSummary[];
  /** Placement risk from the latest cycle's listing; null until a cycle has listed the apps. */
  readonly risk: RiskSnapshot | null;
}

/** The latest placement-risk assessment, with when it was made. */
export type RiskSnapshot = RiskReport & { readonly assessedAt: string };

export interface DaemonStateOptions {
  clock: Clock;
  /** How many cycle summaries /status keeps (default 20). */
  historySize?: number;
}

/** A summary holds at most this many victims so one huge host or rack kill cannot bloat /status. */
const MAX_VICTIMS_PER_SUMMARY = 50;

/** Nor this many probed apps (a rack kill can touch a hundred); failures first, the rest is in the journal. */
const MAX_PROBED_APPS_PER_SUMMARY = 50;

export class DaemonState {
  private readonly clock: Clock;
  private readonly startedAtMs: number;
  private live = true;
  private liveReason = '';
  private readiness: Readiness = { ready: false, reason: 'starting', detail: 'the daemon has not finished starting' };
  private shuttingDown = false;
  private pausedInfo: PauseInfo | undefined;
  private haltedInfo: HaltInfo | undefined;
  private readonly quarantine = new Map<string, QuarantineInfo>();
  private readonly history: CycleSummary[];
  private readonly historySize: number;
  private historyNext = 0;
  private historyCount = 0;
  private riskReport: RiskSnapshot | null = null;
  private readonly counters: StateCounters = { cycles: 0, cyclesByOutcome: {}, kills: 0, dryRunKills: 0, weaknesses: 0 };

  constructor(options: DaemonStateOptions) {
    this.clock = options.clock;
    this.startedAtMs = options.clock.now();
    this.historySize = Math.max(1, Math.floor(options.historySize ?? 20));
    this.history = new Array<CycleSummary>(this.historySize);
  }

  // --- live and ready -------------------------------------------------------------------------

  /** Liveness stays up through shutdown; only a wedged daemon (the daemon decides) drops it. */
  isLive(): { live: boolean; reason: string } {
    return { live: this.live, reason: this.liveReason };
  }

  /** For a fault the process cannot recover from: Marathon's health check then restarts it. */
  markNotLive(reason: string): void {
    this.live = false;
    this.liveReason = reason;
  }

  getReadiness(): Readiness {
    return this.readiness;
  }

  /** Started and connected. Ignored once shutdown began: readiness never comes back. */
  setReady(): void {
    if (this.shuttingDown) return;
    this.readiness = { ready: true, reason: 'ready', detail: 'started and connected to Marathon' };
  }

  /** E.g. `marathon-unreachable`; ignored once shutdown began so its reason is not overwritten. */
  setNotReady(reason: string, detail = ''): void {
    if (this.shuttingDown) return;
    this.readiness = { ready: false, reason, detail };
  }

  /** Drops readiness at once (first phase of shutdown); live stays up until the process exits. */
  beginShutdown(detail = 'the daemon is shutting down'): void {
    this.shuttingDown = true;
    this.readiness = { ready: false, reason: 'shutting-down', detail };
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  // --- pause and halt -------------------------------------------------------------------------

  get paused(): PauseInfo | undefined {
    return this.pausedInfo;
  }

  get halted(): HaltInfo | undefined {
    return this.haltedInfo;
  }

  /** Idempotent: pausing a paused daemon keeps the first pause's time, reason and author. */
  pause(input: { reason?: string; by: string }): { changed: boolean; paused: PauseInfo } {
    if (this.pausedInfo !== undefined) return { changed: false, paused: this.pausedInfo };
    this.pausedInfo = { since: this.iso(), reason: nonEmpty(input.reason, 'no reason given'), by: input.by };
    return { changed: true, paused: this.pausedInfo };
  }

  /** Clears a pause and a weakness halt alike: both need the same human decision to go on. */
  resume(): { changed: boolean; wasPaused: PauseInfo | undefined; clearedHalt: HaltInfo | undefined } {
    const wasPaused = this.pausedInfo;
    const clearedHalt = this.haltedInfo;
    this.pausedInfo = undefined;
    this.haltedInfo = undefined;
    return { changed: wasPaused !== undefined || clearedHalt !== undefined, wasPaused, clearedHalt };
  }

  /** Set by the daemon when a cycle finds a weakness and chaos.haltOnWeakness is on. The first halt wins. */
  halt(input: { appId: string; reason: string; detail?: string; cycleId?: string; since?: string }): HaltInfo {
    if (this.haltedInfo !== undefined) return this.haltedInfo;
    this.haltedInfo = {
      since: input.since ?? this.iso(),
      appId: input.appId,
      reason: input.reason,
      ...(input.detail === undefined ? {} : { detail: input.detail }),
      ...(input.cycleId === undefined ? {} : { cycleId: input.cycleId }),
    };
    return this.haltedInfo;
  }

  /**
   * Whether a cycle may act now; a pure query. Shutdown wins over a halt, a halt over a pause,
   * because that is the order in which an operator must act to get chaos going again.
   */
  canAct(): ActVerdict {
    if (this.shuttingDown) return { ok: false, reason: 'shutting-down', detail: 'the daemon is shutting down; no new cycles start' };
    if (this.haltedInfo !== undefined) {
      const h = this.haltedInfo;
      return {
        ok: false,
        reason: 'halted',
        detail: `halted since ${h.since}: weakness in ${h.appId} (${h.reason}); POST /resume clears it once the app is fixed`,
      };
    }
    if (this.pausedInfo !== undefined) {
      const p = this.pausedInfo;
      return { ok: false, reason: 'paused', detail: `paused since ${p.since} by ${p.by}: ${p.reason}; POST /resume to continue` };
    }
    return { ok: true };
  }

  /**
   * Pause, halt and quarantines as the state shared by several instances says (ZooKeeper): a pause
   * or resume on another instance, or a halt its cycle caused, holds here too.
   */
  adoptShared(shared: { paused: PauseInfo | undefined; halted: HaltInfo | undefined; quarantined: Iterable<[string, QuarantineInfo]> }): void {
    this.pausedInfo = shared.paused;
    this.haltedInfo = shared.halted;
    this.setQuarantined(shared.quarantined);
  }

  // --- quarantine -----------------------------------------------------------------------------

  quarantineApp(appId: string, info: { reason: string; detail?: string; cycleId?: string; since?: string }): void {
    this.quarantine.set(appId, {
      since: info.since ?? this.iso(),
      reason: info.reason,
      ...(info.detail === undefined ? {} : { detail: info.detail }),
      ...(info.cycleId === undefined ? {} : { cycleId: info.cycleId }),
    });
  }

  releaseApp(appId: string): boolean {
    return this.quarantine.delete(appId);
  }

  /** Replaces the whole set, e.g. with what the journal remembers at start-up. */
  setQuarantined(entries: Iterable<[string, QuarantineInfo]>): void {
    this.quarantine.clear();
    for (const [appId, info] of entries) this.quarantine.set(appId, info);
  }

  quarantined(): ReadonlyMap<string, QuarantineInfo> {
    return this.quarantine;
  }

  // --- cycles ---------------------------------------------------------------------------------

  /** Keeps a summary of the cycle (ring buffer, constant memory) and bumps the counters. */
  recordCycle(record: CycleRecord): CycleSummary {
    const summary = summarise(record);
    this.history[this.historyNext] = summary;
    this.historyNext = (this.historyNext + 1) % this.historySize;
    this.historyCount = Math.min(this.historyCount + 1, this.historySize);

    const c = this.counters;
    c.cycles += 1;
    c.cyclesByOutcome[summary.outcome] = (c.cyclesByOutcome[summary.outcome] ?? 0) + 1;
    const victims = record.victims.length;
    if (isDryRun(record)) c.dryRunKills += victims;
    else if (record.killResponse !== null) c.kills += record.killResponse.matched.length;
    else if (killMayHaveHappened(record)) c.kills += victims;
    c.weaknesses += record.weaknesses.length;
    return summary;
  }

  /** Newest first. */
  lastCycles(): CycleSummary[] {
    const out: CycleSummary[] = [];
    for (let i = 1; i <= this.historyCount; i++) {
      const s = this.history[(this.historyNext - i + this.historySize) % this.historySize];
      if (s !== undefined) out.push(s);
    }
    return out;
  }

  getCounters(): StateCounters {
    return { ...this.counters, cyclesByOutcome: { ...this.counters.cyclesByOutcome } };
  }

  // --- placement risk -----------------------------------------------------------------------

  /** Keeps the latest assessment (each replaces the last), stamped with the time it was made. */
  setRisk(report: RiskReport): void {
    this.riskReport = { ...report, assessedAt: this.iso() };
  }

  getRisk(): RiskSnapshot | null {
    return this.riskReport;
  }

  // --- reporting ------------------------------------------------------------------------------

  uptimeSeconds(): number {
    return Math.max(0, Math.round((this.clock.now() - this.startedAtMs) / 1000));
  }

  snapshot(): StateSnapshot {
    return {
      startedAt: new Date(this.startedAtMs).toISOString(),
      uptimeSeconds: this.uptimeSeconds(),
      live: this.live,
      readiness: this.readiness,
      shuttingDown: this.shuttingDown,
      paused: this.pausedInfo ?? null,
      halted: this.haltedInfo ?? null,
      canAct: this.canAct(),
      quarantined: Object.fromEntries(this.quarantine),
      counters: this.getCounters(),
      lastCycles: this.lastCycles(),
      risk: this.riskReport,
    };
  }

  private iso(): string {
    return new Date(this.clock.now()).toISOString();
  }
}

function nonEmpty(value: string | undefined, fallback: string): string {
  return value === undefined || value.trim() === '' ? fallback : value;
}

function summarise(r: CycleRecord): CycleSummary {
  const c = r.counts;
  return {
    cycleId: r.cycleId,
    time: r.time,
    scheduledAt: r.scheduledAt,
    outcome: r.outcome,
    strategy: r.strategy,
    dryRun: isDryRun(r),
    counts: { apps: c.apps, eligible: c.eligible, candidates: c.candidates, victims: c.victims, killed: c.killed, unmatched: c.unmatched },
    victims: r.victims.slice(0, MAX_VICTIMS_PER_SUMMARY).map((v) => ({ appId: v.appId, taskId: v.taskId, host: v.host, rack: v.rack ?? undefined })),
    skippedByReason: { ...c.skippedByReason },
    recovery: Object.entries(r.after).map(([appId, a]) => ({ appId, recovered: a.recovered, timeToRecoverMs: a.timeToRecoverMs ?? undefined })),
    weaknesses: r.weaknesses.map((w) => ({ appId: w.appId, reason: w.reason, detail: w.detail })),
    probes: probeSummaries(r),
    probesBefore: probeBeforeSummaries(r),
    error: r.error === undefined ? undefined : { code: r.error.code, message: r.error.message },
    halted: r.halted === true,
    reason: r.gate?.reason,
    detail: r.gate?.detail,
  };
}

function probeSummaries(r: CycleRecord): ProbeSummary[] {
  const out: ProbeSummary[] = [];
  for (const [appId, a] of Object.entries(r.after)) {
    const p = a.probe;
    if (p === undefined) continue;
    out.push({
      appId,
      checks: p.checks.slice(0, 5),
      samples: p.samples,
      failures: p.failures,
      errorRate: p.errorRate,
      maxErrorRate: p.maxErrorRate,
      withinBudget: p.errorRate <= p.maxErrorRate,
      outageMs: p.outageMs,
      latencyP95Ms: p.latencyMs?.p95,
      passedAgain: p.passedAgain,
      serviceRecoveredMs: p.serviceRecoveredMs ?? undefined,
      failureKinds: { ...p.failureKinds },
    });
  }
  // What went wrong first: a cut list keeps the degraded services.
  const bad = (s: ProbeSummary): boolean => !s.withinBudget || !s.passedAgain;
  return out.sort((x, y) => Number(bad(y)) - Number(bad(x))).slice(0, MAX_PROBED_APPS_PER_SUMMARY);
}

function probeBeforeSummaries(r: CycleRecord): ProbeBeforeSummary[] {
  return Object.entries(r.probesBefore ?? {})
    .map(([appId, v]) => ({ appId, ok: v.ok, samples: v.samples, failures: v.failures, detail: v.detail }))
    .sort((x, y) => Number(x.ok) - Number(y.ok))
    .slice(0, MAX_PROBED_APPS_PER_SUMMARY);
}
