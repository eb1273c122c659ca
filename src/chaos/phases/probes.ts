import type { Logger } from 'pino';
import type { MarathonApp, MarathonTask } from '../../domain/marathon.js';
import type { ProbeWatch, ServiceProber } from '../../domain/ports.js';
import { REASONS, type Skip } from '../../domain/reasons.js';
import type { AfterKill, ProbeObservation, ProbeVerdict, Victim } from '../../domain/record.js';
import type { Candidate } from '../guards.js';
import { safeError } from '../recovery.js';
import type { CycleContext } from './context.js';
import { LOG } from './log.js';

/**
 * The service probes in the cycle (issue 11): a round before the kill decides who may be a
 * candidate, and a sampler per affected app brackets the kill until the app is back.
 */

/** Before-kill probe rounds in flight at once: a cluster of many probed apps must not open thousands of sockets together. */
export const MAX_APPS_PROBED_AT_ONCE = 32;

export interface ProbedCandidates {
  kept: Candidate[];
  /** probe-failed skips, naming what failed. */
  skips: Skip[];
  /** Per probed app (sorted by id); empty when no candidate declares probes. */
  verdicts: Record<string, ProbeVerdict>;
}

/**
 * One round of the probes of every candidate that declares some (after every other guard: the
 * cheap checks first), a few apps at a time. An app whose round fails is skipped `probe-failed`:
 * its users already see errors, so a kill would teach nothing and hurt them more.
 */
export async function probeCandidates(prober: ServiceProber | undefined, candidates: readonly Candidate[], signal: AbortSignal | undefined, log: Logger): Promise<ProbedCandidates> {
  const probed = prober === undefined ? [] : candidates.filter((c) => prober.declared(c.app).kind === 'probes');
  if (prober === undefined || probed.length === 0) return { kept: [...candidates], skips: [], verdicts: {} };
  const verdicts = new Map<string, ProbeVerdict>();
  await eachLimited(probed, MAX_APPS_PROBED_AT_ONCE, async (c) => {
    verdicts.set(c.app.id, await verdictOf(prober, c.app, signal));
  });
  const kept: Candidate[] = [];
  const skips: Skip[] = [];
  const record: Record<string, ProbeVerdict> = {};
  for (const c of candidates) {
    const v = verdicts.get(c.app.id);
    if (v !== undefined) record[c.app.id] = v;
    if (v === undefined || v.ok) {
      kept.push(c);
      continue;
    }
    skips.push({ appId: c.app.id, reason: REASONS.probeFailed, detail: v.detail });
    log.warn({ appId: c.app.id, detail: v.detail }, LOG.probeFailed);
  }
  return { kept, skips, verdicts: record };
}

/** One round of an app's probes; a prober that fails is a failed verdict (fail closed), never a throw. */
export async function verdictOf(prober: ServiceProber, app: MarathonApp, signal: AbortSignal | undefined): Promise<ProbeVerdict> {
  try {
    return await prober.check(app, signal);
  } catch (err) {
    return { ok: false, samples: 0, failures: 0, detail: `probes could not run: ${safeError(err).message}` };
  }
}

async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

interface AppProbing {
  watch: ProbeWatch;
  /** The killed task ids (the victims, then whatever ids Marathon's answer named). */
  killed: Set<string>;
  /** Tasks running before the kill: known to be in service. */
  before: ReadonlySet<string>;
  latest: MarathonApp;
  /** The latest read showed the app recovered by Marathon's counts. */
  recovered: boolean;
}

/**
 * The samplers of one kill, one per affected app that declares probes. Per-task probes go to the
 * app's running tasks as last read, without the killed ones (their failure is the experiment
 * itself) and, until Marathon reports the app back, without replacements: Marathon keeps no
 * per-task health here, and a task still starting is not in service yet, so probing it would blame
 * a healthy app for its warm-up. Once Marathon calls the app recovered every running task is in
 * service, and a replacement that fails then (slow-warmup, echo-broken) is the finding.
 */
export class ProbeWatches {
  private readonly byApp = new Map<string, AppProbing>();
  private answeredAt: number | undefined;

  constructor(
    private readonly prober: ServiceProber,
    private readonly ctx: CycleContext,
  ) {}

  /** Starts sampling each victim app that declares probes: called right before the kill request leaves. */
  start(victims: readonly Victim[], fresh: ReadonlyMap<string, MarathonApp>): void {
    const probed = [...new Set(victims.map((v) => v.appId))].filter((appId) => {
      const app = fresh.get(appId);
      return app !== undefined && !this.byApp.has(appId) && this.prober.declared(app).kind === 'probes';
    });
    // Every sampler's first round starts now, before the kill; the later rounds of the i-th of n
    // apps fall (i + 1) / n of the way into the interval, so n apps' probes do not all open together.
    probed.forEach((appId, i) => {
      const app = fresh.get(appId)!;
      const killed = new Set(victims.filter((v) => v.appId === appId).map((v) => v.taskId));
      const before = new Set(app.tasks.filter((t) => t.state === 'TASK_RUNNING').map((t) => t.id));
      const entry: Partial<AppProbing> & { killed: Set<string> } = { killed, before, latest: app, recovered: false };
      const watch = this.prober.watch(app, {
        inService: () => inService(entry as AppProbing),
        signal: this.ctx.signal,
        phase: (i + 1) / probed.length,
        onRound: (round) => {
          const at = this.answeredAt;
          try {
            this.ctx.onProbeRound?.({ appId, ok: round.ok, total: round.total, sinceKillMs: at === undefined ? 0 : Math.max(0, round.endedAt - at) });
          } catch {
            // A listener's bug (a progress line) is not the cycle's.
          }
        },
      });
      if (watch === undefined) return;
      entry.watch = watch;
      this.byApp.set(appId, entry as AppProbing);
    });
  }

  /** Marathon answered the kill: time is measured from here, and the tasks it named are killed ones too. */
  answered(at: number, killedByApp: ReadonlyMap<string, ReadonlySet<string>>): void {
    this.answeredAt = at;
    for (const [appId, ids] of killedByApp) {
      const p = this.byApp.get(appId);
      if (p) for (const id of ids) p.killed.add(id);
    }
  }

  /** For the recovery watch of `appId`: each read moves the per-task targets. */
  reader(appId: string): ((app: MarathonApp, recovered: boolean) => void) | undefined {
    const p = this.byApp.get(appId);
    if (p === undefined) return undefined;
    return (app, recovered) => {
      p.latest = app;
      p.recovered = recovered;
    };
  }

  /**
   * After the recovery watch of `appId`: when Marathon reported the app back, keeps sampling until the
   * probes pass again (a whole round, followed by two more sampled rounds: ServiceProbes.passedSince; or
   * the recovery deadline, or shutdown); then stops the sampler and puts the
   * probe figures into `after`. The app is recovered only when Marathon says so and its probes pass
   * again; `timeToRecoverMs` is then the service's.
   */
  async settle(appId: string, after: AfterKill, answeredAt: number, signal: AbortSignal | undefined): Promise<void> {
    const p = this.byApp.get(appId);
    if (p === undefined) return;
    let passedAt: number | null = null;
    const marathonMs = after.recovered ? after.timeToRecoverMs : null;
    if (marathonMs !== null) {
      after.marathonRecoveredMs = marathonMs;
      passedAt = await p.watch.passedSince(answeredAt + marathonMs, answeredAt + after.timeoutMs, signal);
    }
    const seen = await stopQuietly(p.watch);
    const serviceRecoveredMs = passedAt === null ? null : Math.max(0, passedAt - answeredAt);
    const probe: ProbeObservation = {
      checks: seen.checks,
      intervalMs: seen.intervalMs,
      maxErrorRate: seen.maxErrorRate,
      samples: seen.samples,
      failures: seen.failures,
      errorRate: seen.errorRate,
      outageMs: seen.outageMs,
      latencyMs: seen.latencyMs,
      passedAgain: passedAt !== null,
      serviceRecoveredMs,
      failureKinds: seen.failureKinds,
    };
    after.probe = probe;
    if (marathonMs === null) return;
    if (serviceRecoveredMs !== null) {
      after.timeToRecoverMs = Math.max(marathonMs, serviceRecoveredMs);
      return;
    }
    after.recovered = false;
    after.timeToRecoverMs = null;
    if (signal?.aborted === true) after.aborted = true;
    else after.lastProblem = `service probes never passed again (${probeFiguresText(probe)})`;
  }

  /** Stops every sampler still running (a kill that failed, a watch that ended early): nothing keeps probing after the cycle. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.byApp.values()].map((p) => stopQuietly(p.watch)));
  }
}

function inService(p: AppProbing): readonly MarathonTask[] {
  const running = p.latest.tasks.filter((t) => t.state === 'TASK_RUNNING' && !p.killed.has(t.id));
  return p.recovered ? running : running.filter((t) => p.before.has(t.id));
}

type Seen = Awaited<ReturnType<ProbeWatch['stop']>>;

async function stopQuietly(watch: ProbeWatch): Promise<Seen> {
  try {
    return await watch.stop();
  } catch (err) {
    return { checks: [], intervalMs: 0, maxErrorRate: 0, samples: 0, failures: 0, errorRate: 0, outageMs: 0, latencyMs: null, failureKinds: { [`sampling failed: ${safeError(err).message}`.slice(0, 200)]: 1 } };
  }
}

/** `service errors 9/31 (29%), longest outage 4.0 s; HTTP 502 ×9` */
export function probeFiguresText(p: ProbeObservation): string {
  const kinds = Object.entries(p.failureKinds)
    .map(([k, n]) => `${k} ×${n}`)
    .join(', ');
  return `service errors ${p.failures}/${p.samples} (${percent(p.errorRate)}), longest outage ${(p.outageMs / 1000).toFixed(1)} s${kinds === '' ? '' : `; ${kinds}`}`;
}

/** `29%`, `0.3%`, `5%`. */
export function percent(rate: number): string {
  const pct = rate * 100;
  const shown = pct !== 0 && pct < 1 ? pct.toFixed(1) : Math.round(pct).toString();
  return `${shown}%`;
}

/**
 * service-degraded: Marathon reported the app back, but its probes never passed again within the
 * recovery timeout, or failed more often than its budget during the experiment. Undefined otherwise.
 */
export function serviceDegraded(a: AfterKill): string | undefined {
  const p = a.probe;
  if (p === undefined || a.marathonRecoveredMs === undefined || a.aborted === true || a.gone === true) return undefined;
  if (!p.passedAgain) return `Marathon reported recovery after ${(a.marathonRecoveredMs / 1000).toFixed(1)} s, but the service probes never passed again within ${a.timeoutMs / 1000} s of the kill: ${probeFiguresText(p)}`;
  if (p.errorRate > p.maxErrorRate) {
    return `service errors ${p.failures}/${p.samples} (${percent(p.errorRate)}) > budget ${percent(p.maxErrorRate)}, longest outage ${(p.outageMs / 1000).toFixed(1)} s${Object.keys(p.failureKinds).length === 0 ? '' : ` (${Object.entries(p.failureKinds).map(([k, n]) => `${k} ×${n}`).join(', ')})`}`;
  }
  return undefined;
}
