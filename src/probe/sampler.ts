import type { Clock } from '../platform/clock.js';
import type { HostAllowList } from '../platform/host-allow.js';
import { checkAllowed, probe as probeOnce, type ProbeOptions, type ProbeResult } from './probe.js';
import type { ProbeTarget } from './targets.js';

/** One probe of one target in one round. */
export interface Sample {
  /** When its round started (clock ms). */
  at: number;
  /** The target's name (URL or host:port). */
  target: string;
  ok: boolean;
  latencyMs: number;
  status?: number;
  error?: string;
}

/** The figures issue 11 asks of a probed kill. */
export interface ProbeFigures {
  samples: number;
  failures: number;
  /** failures / samples (0 without samples). */
  errorRate: number;
  /**
   * Longest run of consecutive failures of one target, in ms: from the round of its first failure
   * to the round of the next success, or to the end of its last failure when none followed.
   */
  outageMs: number;
  /** Latency of the successful probes (nearest-rank percentiles); undefined when none succeeded. */
  latencyMs: { p50: number; p95: number; max: number } | undefined;
}

export interface ProbeRun {
  samples: Sample[];
  figures: ProbeFigures;
}

export interface SamplerOptions {
  /** The targets, or a function asked before every round (per-task targets change as tasks are replaced). */
  targets: readonly ProbeTarget[] | (() => readonly ProbeTarget[]);
  intervalMs: number;
  /**
   * When the second round starts after the first, in ms (0 < firstGapMs ≤ intervalMs; default
   * intervalMs); the later rounds follow every intervalMs after it. Samplers started together
   * (one per app of a kill) are given different gaps so their probes do not all open at one
   * instant every interval; the first round still starts at once.
   */
  firstGapMs?: number;
  timeoutMs: number;
  allow: HostAllowList;
  clock: Clock;
  /** Called after each round with its samples (live figures, tests). */
  onRound?: (samples: readonly Sample[]) => void;
  /** The probe itself (tests may count calls); default `probe`. */
  probe?: (target: ProbeTarget, options: ProbeOptions) => Promise<ProbeResult>;
}

/**
 * Probes every target once per interval (rounds start at t0, t0 + firstGap, t0 + firstGap +
 * interval, …; a round that overruns is followed at once by the next, never by a burst) until
 * `signal` aborts, then answers
 * the samples and their figures. Probes in flight when it stops are abandoned and not counted.
 * Every wait is the clock's, ended by the signal: nothing is left running once it resolves. Rejects
 * with ProbeNotAllowedError, before connecting, when a round has a target outside the allow-list.
 */
export async function runSampler(options: SamplerOptions, signal: AbortSignal): Promise<ProbeRun> {
  const { clock, intervalMs, timeoutMs, allow } = options;
  const probe = options.probe ?? probeOnce;
  const targetsNow = typeof options.targets === 'function' ? options.targets : (): readonly ProbeTarget[] => options.targets as readonly ProbeTarget[];
  const samples: Sample[] = [];
  let next = clock.now();
  let gap = firstGap(options.firstGapMs, intervalMs);
  while (!signal.aborted) {
    const targets = targetsNow();
    checkAllowed(targets, allow);
    const at = clock.now();
    const results = await Promise.all(targets.map((t) => probe(t, { timeoutMs, allow, clock, signal })));
    if (signal.aborted) break;
    const round: Sample[] = [];
    results.forEach((r, i) => {
      if (r.aborted) return;
      const s: Sample = { at, target: targets[i]!.name, ok: r.ok, latencyMs: r.latencyMs };
      if (r.status !== undefined) s.status = r.status;
      if (r.error !== undefined) s.error = r.error;
      round.push(s);
    });
    samples.push(...round);
    options.onRound?.(round);
    next = Math.max(next + gap, clock.now());
    gap = intervalMs;
    try {
      await clock.sleep(next - clock.now(), signal);
    } catch {
      break;
    }
  }
  return { samples, figures: probeFigures(samples) };
}

/** The gap before the second round: within (0, interval], so no gap ever exceeds the interval. */
function firstGap(firstGapMs: number | undefined, intervalMs: number): number {
  if (firstGapMs === undefined || !Number.isFinite(firstGapMs)) return intervalMs;
  return Math.min(intervalMs, Math.max(1, firstGapMs));
}

/** A sampler started now and stopped by `stop()`, for a caller that brackets a kill with it. */
export interface RunningSampler {
  /** Stops probing and answers what was seen; later calls answer the same run. */
  stop(): Promise<ProbeRun>;
}

export function startSampler(options: SamplerOptions): RunningSampler {
  const controller = new AbortController();
  const run = runSampler(options, controller.signal);
  // A run that rejects (a disallowed target) is reported by stop(); never an unhandled rejection.
  run.catch(() => undefined);
  return {
    stop: () => {
      controller.abort(new Error('sampler stopped'));
      return run;
    },
  };
}

/** The figures of a list of samples (in round order). */
export function probeFigures(samples: readonly Sample[]): ProbeFigures {
  const failures = samples.filter((s) => !s.ok).length;
  const latencies = samples
    .filter((s) => s.ok)
    .map((s) => s.latencyMs)
    .sort((a, b) => a - b);
  return {
    samples: samples.length,
    failures,
    errorRate: samples.length === 0 ? 0 : failures / samples.length,
    outageMs: longestOutage(samples),
    latencyMs: latencies.length === 0 ? undefined : { p50: rank(latencies, 0.5), p95: rank(latencies, 0.95), max: latencies.at(-1)! },
  };
}

/** Whether a run stayed within the app's error budget (`monkey.probe.max-error-rate`). */
export function withinBudget(figures: ProbeFigures, maxErrorRate: number): boolean {
  return figures.errorRate <= maxErrorRate;
}

function rank(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

function longestOutage(samples: readonly Sample[]): number {
  const open = new Map<string, Sample>();
  const last = new Map<string, Sample>();
  let longest = 0;
  for (const s of samples) {
    const start = open.get(s.target);
    if (s.ok) {
      if (start !== undefined) longest = Math.max(longest, s.at - start.at);
      open.delete(s.target);
    } else if (start === undefined) {
      open.set(s.target, s);
    }
    last.set(s.target, s);
  }
  for (const [target, start] of open) {
    const end = last.get(target)!;
    longest = Math.max(longest, end.at + end.latencyMs - start.at);
  }
  return longest;
}
