/**
 * The cycle record: one JSON line of the journal, and what `once`, `/status` and the metrics read.
 * Plain JSON throughout (instants are ISO strings, maps are objects). The chaos core builds it
 * (src/chaos/record.ts); the journal, the daemon and the reports read it.
 */
import type { Reason, Skip } from './reasons.js';

export type Strategy = 'task' | 'fraction' | 'host' | 'rack';

export const STRATEGIES: readonly Strategy[] = ['task', 'fraction', 'host', 'rack'];

export interface Victim {
  appId: string;
  taskId: string;
  host: string;
  agentId: string | null;
  /** The agent's rack attribute (chaos.rackAttribute); for the rack strategy, the zone it fell back to. */
  rack: string | null;
  /** Fault-domain zone of the agent or task, when known. */
  zone: string | null;
}

/** What the strategy aimed at: one app, one agent, or one rack value. */
export interface Target {
  kind: 'app' | 'agent' | 'rack';
  value: string;
}

/** The app as the counts describe it; goes into the record before and after a kill. */
export interface HealthSnapshot {
  instances: number;
  tasksRunning: number;
  tasksHealthy: number;
  tasksUnhealthy: number;
}

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
  /**
   * What timed the reads: `events` (each read followed an event about the app on Marathon's event
   * stream), `polling` (every recoveryPollMs: no stream, or it was refused), `events+polling` (the
   * stream was down for part of the watch). Absent in records written before it existed.
   */
  recoveredVia?: RecoveredVia;
  /** The service probes during the experiment (apps with monkey.probe.* labels only). */
  probe?: ProbeObservation;
  /**
   * Apps with probes only: from the kill answer to the first read that showed the app recovered by
   * Marathon's counts. Then `recovered` and `timeToRecoverMs` also need the probes to pass again
   * (timeToRecoverMs is then the probe's serviceRecoveredMs); absent when Marathon never reported it.
   */
  marathonRecoveredMs?: number;
}

/**
 * What the service probes of one app saw from just before the kill until the app was back (or its
 * recovery timeout ended): the steady state as users see it (issue 11).
 */
export interface ProbeObservation {
  /** The checks as the labels declare them, e.g. `http /health (port-index 0)`, `tcp echo.svc:7`. */
  checks: string[];
  intervalMs: number;
  /** The app's error budget (monkey.probe.max-error-rate). */
  maxErrorRate: number;
  samples: number;
  failures: number;
  /** failures / samples (0 without samples). */
  errorRate: number;
  /** Longest run of consecutive failures of one target, in ms. */
  outageMs: number;
  /** Latency of the successful probes; null when none succeeded. */
  latencyMs: { p50: number; p95: number; max: number } | null;
  /**
   * A whole round passed after Marathon reported the app recovered, within the recovery timeout
   * (sampling goes on for two more rounds after it: src/probe/prober.ts FOLLOW_UP_ROUNDS).
   */
  passedAgain: boolean;
  /** From the kill answer to the first fully passing round after Marathon's recovery; null when none. */
  serviceRecoveredMs: number | null;
  /** The most frequent failure reasons (a few words each, e.g. `HTTP 502`, `connection refused`) with counts. */
  failureKinds: Record<string, number>;
}

/** The before-kill probe verdict of one app (dry-run and real cycles; never `plan`). */
export interface ProbeVerdict {
  ok: boolean;
  /** Probes run and failed, and what failed first (`http://10.0.0.1:31000/health: HTTP 500`). */
  samples: number;
  failures: number;
  detail: string;
}

export type RecoveredVia = 'events' | 'polling' | 'events+polling';

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
  /** Before-kill probe verdicts per probed app (absent when no eligible app declares probes, and in `plan`). */
  probesBefore?: Record<string, ProbeVerdict>;
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

/** A cycle that only decided: dry-run, `plan`, or a dry-run outcome. */
export function isDryRun(record: CycleRecord): boolean {
  return record.dryRun || record.plan || record.outcome === 'dry-run';
}

/**
 * Whether the cycle's kill request may have killed: Marathon answered it, or it got no usable
 * answer after it was sent (`uncertain`: counted, the safe side). Rejected and withdrawn kills did
 * not. For journals written before `killStatus` existed: a kill response or an outcome that implies
 * one, and never a kill Marathon rejected. The one rule behind the kill counters, notifications,
 * the report and the export.
 */
export function killMayHaveHappened(record: CycleRecord): boolean {
  if (isDryRun(record)) return false;
  if (record.killStatus !== undefined) return record.killStatus === 'answered' || record.killStatus === 'uncertain';
  if (record.error?.code === 'E_KILL_REJECTED') return false;
  return (record.killResponse !== null && record.killResponse !== undefined) || record.outcome === 'killed' || record.outcome === 'weakness';
}
