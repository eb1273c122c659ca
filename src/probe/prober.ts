import type { MarathonApp } from '../domain/marathon.js';
import type { DeclaredProbes, ProbeRound, ProbeWatch, ProbeWatchOptions, ServiceProber } from '../domain/ports.js';
import type { ProbeObservation, ProbeVerdict } from '../domain/record.js';
import type { Clock } from '../platform/clock.js';
import type { HostAllowList } from '../platform/host-allow.js';
import { parseProbeLabels, type ProbeCheck, type ProbeDefaults, type ProbeSpec } from './labels.js';
import { checkAllowed, probe as probeOnce, ProbeNotAllowedError, type ProbeOptions, type ProbeResult } from './probe.js';
import { probeFigures, runSampler, type Sample } from './sampler.js';
import { probeTargets, type ProbeTarget } from './targets.js';

export interface ServiceProbesOptions {
  /** The labels' defaults (probe.intervalMs, timeoutMs, tolerance). */
  defaults: ProbeDefaults;
  /** probe.allow: hosts a probe may reach besides the task's own. */
  allow: HostAllowList;
  clock: Clock;
  /** The probe itself (tests may count calls); default `probe`. */
  probe?: (target: ProbeTarget, options: ProbeOptions) => Promise<ProbeResult>;
}

type Parsed = { kind: 'none' } | { kind: 'probes'; spec: ProbeSpec; checks: string[] } | { kind: 'bad-label'; label: string; detail: string };

/** Failure kinds kept per observation: the most frequent; the rest are counted in `failures` only. */
const MAX_FAILURE_KINDS = 5;
/**
 * Rounds still sampled after the first passing round once the app is back: one passing round can
 * be luck (a balancer still routing to the dead task answers every other request), and stopping
 * there would leave the errors that follow out of the figures. A bounded number, not "until N pass
 * in a row": a service that keeps failing a third of its requests would then be sampled until its
 * recovery deadline (minutes) for a verdict its error rate already gives.
 */
export const FOLLOW_UP_ROUNDS = 2;

/**
 * The domain's ServiceProber on the probe engine: the labels (parsed once per labels object), one
 * round of probes before a kill, and a sampler bracketing the kill. Every probe is a plain GET or
 * TCP connect without credentials, checked against the allow-list before connecting.
 */
export class ServiceProbes implements ServiceProber {
  private readonly parsed = new WeakMap<Record<string, string>, Parsed>();
  private readonly probe: (target: ProbeTarget, options: ProbeOptions) => Promise<ProbeResult>;

  constructor(private readonly o: ServiceProbesOptions) {
    this.probe = o.probe ?? probeOnce;
  }

  declared(app: MarathonApp): DeclaredProbes {
    const p = this.parse(app);
    return p.kind === 'probes' ? { kind: 'probes', checks: p.checks } : p;
  }

  async check(app: MarathonApp, signal?: AbortSignal): Promise<ProbeVerdict> {
    const p = this.parse(app);
    if (p.kind === 'none') return { ok: true, samples: 0, failures: 0, detail: 'no probes declared' };
    if (p.kind === 'bad-label') return { ok: false, samples: 0, failures: 0, detail: p.detail };
    const { clock, allow } = this.o;
    const { targets, unprobed } = probeTargets(p.spec, app.tasks);
    try {
      checkAllowed(targets, allow);
    } catch (err) {
      if (err instanceof ProbeNotAllowedError) return { ok: false, samples: 0, failures: 0, detail: `${err.message}: not probed (MONKEY_PROBE_ALLOW)` };
      throw err;
    }
    if (targets.length === 0) return { ok: false, samples: 0, failures: unprobed.length, detail: `nothing to probe: no running task to reach${unprobed[0] ? ` (${unprobed[0].taskId} ${unprobed[0].reason})` : ''}` };
    let results: ProbeResult[];
    try {
      results = await Promise.all(targets.map((t) => this.probe(t, { timeoutMs: p.spec.timeoutMs, allow, clock, ...(signal === undefined ? {} : { signal }) })));
    } catch (err) {
      // The contract is a verdict, never a throw: a probe that could not run is a failed one.
      return { ok: false, samples: 0, failures: 0, detail: `probes could not run: ${(err as Error).message}` };
    }
    const failed = results.flatMap((r, i) => (r.ok ? [] : [`${targets[i]!.name}: ${failureKind(r, p.spec.timeoutMs)}`]));
    for (const u of unprobed) failed.push(`${u.taskId}: ${u.reason}`);
    const samples = results.length;
    const failures = failed.length;
    if (failures === 0) return { ok: true, samples, failures, detail: `${samples}/${samples} probes passed (${p.checks.join('; ')})` };
    const more = failures > 1 ? ` (${failures} of ${samples + unprobed.length} failed)` : '';
    return { ok: false, samples, failures, detail: `${failed[0]!}${more}` };
  }

  watch(app: MarathonApp, options: ProbeWatchOptions): ProbeWatch | undefined {
    const p = this.parse(app);
    if (p.kind !== 'probes') return undefined;
    return new SamplingWatch(p.spec, p.checks, this.o.allow, this.o.clock, this.probe, options);
  }

  private parse(app: MarathonApp): Parsed {
    const cached = this.parsed.get(app.labels);
    if (cached) return cached;
    const r = parseProbeLabels(app.labels, this.o.defaults);
    const parsed: Parsed = !r.ok ? { kind: 'bad-label', label: r.label, detail: r.detail } : r.spec === undefined ? { kind: 'none' } : { kind: 'probes', spec: r.spec, checks: r.spec.checks.map(describeCheck) };
    this.parsed.set(app.labels, parsed);
    return parsed;
  }
}

/** One sampler bracketing a kill, with what the cycle asks of it. */
class SamplingWatch implements ProbeWatch {
  private readonly samples: Sample[] = [];
  /** Rounds in which every probe passed: start and end instants. */
  /** Every round with a verdict, in order: whether all its targets passed. */
  private readonly rounds: { at: number; endedAt: number; pass: boolean }[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly controller = new AbortController();
  private readonly run: Promise<void>;
  private ended = false;
  private refused: string | undefined;
  private stopped: Promise<Omit<ProbeObservation, 'passedAgain' | 'serviceRecoveredMs'>> | undefined;

  constructor(
    private readonly spec: ProbeSpec,
    private readonly checks: readonly string[],
    allow: HostAllowList,
    private readonly clock: Clock,
    probe: (target: ProbeTarget, options: ProbeOptions) => Promise<ProbeResult>,
    private readonly options: ProbeWatchOptions,
  ) {
    let unprobed = 0;
    const onRound = (round: readonly Sample[]): void => {
      const endedAt = clock.now();
      this.samples.push(...round);
      const ok = round.filter((s) => s.ok).length;
      if (round.length > 0) this.rounds.push({ at: round[0]!.at, endedAt, pass: ok === round.length && unprobed === 0 });
      this.wake();
      const told: ProbeRound = { ok, total: round.length + unprobed, endedAt };
      try {
        options.onRound?.(told);
      } catch {
        // A listener's bug (a progress line) is not the experiment's.
      }
    };
    const signal = options.signal;
    if (signal?.aborted) this.controller.abort();
    else signal?.addEventListener('abort', this.onAbort, { once: true });
    this.run = runSampler(
      {
        targets: () => {
          const t = probeTargets(spec, options.inService());
          unprobed = t.unprobed.length;
          return t.targets;
        },
        intervalMs: spec.intervalMs,
        ...(options.phase === undefined ? {} : { firstGapMs: options.phase * spec.intervalMs }),
        timeoutMs: spec.timeoutMs,
        allow,
        clock,
        probe,
        onRound,
      },
      this.controller.signal,
    ).then(
      () => undefined,
      (err: unknown) => {
        this.refused = err instanceof ProbeNotAllowedError ? err.message : `sampling failed: ${(err as Error).message}`;
      },
    );
    void this.run.finally(() => {
      this.ended = true;
      signal?.removeEventListener('abort', this.onAbort);
      this.wake();
    });
  }

  private readonly onAbort = (): void => this.controller.abort(new Error('probes stopped by shutdown'));

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  passedSince(since: number, until: number, signal?: AbortSignal): Promise<number | null> {
    const found = (): number | undefined => backSince(this.rounds, since, until, false);
    const atDeadline = (): number | null => backSince(this.rounds, since, until, true) ?? null;
    const now = found();
    if (now !== undefined) return Promise.resolve(now);
    if (this.ended || this.controller.signal.aborted || signal?.aborted === true) return Promise.resolve(atDeadline());
    if (until <= this.clock.now()) return Promise.resolve(atDeadline());
    return new Promise((resolve) => {
      const cut = new AbortController();
      let settled = false;
      const done = (v: number | null): void => {
        if (settled) return;
        settled = true;
        cut.abort();
        this.waiters.delete(check);
        signal?.removeEventListener('abort', onAbort);
        resolve(v);
      };
      const check = (): void => {
        const f = found();
        if (f !== undefined) done(f);
        else if (this.ended || this.controller.signal.aborted) done(atDeadline());
      };
      const onAbort = (): void => done(atDeadline());
      this.waiters.add(check);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.clock.sleep(Math.max(0, until - this.clock.now()), cut.signal).then(
        () => done(found() ?? atDeadline()),
        () => undefined,
      );
    });
  }

  stop(): Promise<Omit<ProbeObservation, 'passedAgain' | 'serviceRecoveredMs'>> {
    this.stopped ??= (async () => {
      this.controller.abort(new Error('probes stopped'));
      await this.run;
      const f = probeFigures(this.samples);
      const kinds = failureKinds(this.samples, this.spec.timeoutMs);
      if (this.refused !== undefined) kinds[this.refused.slice(0, 200)] = 1;
      return {
        checks: [...this.checks],
        intervalMs: this.spec.intervalMs,
        maxErrorRate: this.spec.maxErrorRate,
        samples: f.samples,
        failures: f.failures,
        errorRate: f.errorRate,
        outageMs: f.outageMs,
        latencyMs: f.latencyMs ?? null,
        failureKinds: kinds,
      };
    })();
    return this.stopped;
  }
}

/** A check as the labels declare it, for records and `explain`: `http /health (port-index 0)`, `tcp echo.svc:7 send "ping" expect "ping"`. */
export function describeCheck(check: ProbeCheck): string {
  if (check.protocol === 'http') {
    const where = check.target.kind === 'url' ? check.target.url : `${check.target.path} (port-index ${check.target.portIndex})`;
    return `http ${where} tolerating ${check.tolerance.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',')}`;
  }
  const t = check.target;
  const where = t.kind === 'tasks' ? `port-index ${t.portIndex}` : `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
  return `tcp ${where}${check.send === undefined ? '' : ` send ${JSON.stringify(check.send)}`}${check.expect === undefined ? '' : ` expect ${JSON.stringify(check.expect)}`}`;
}

/** A failed probe in a few words: `HTTP 502`, `connection refused`, `timeout (200 ms)`. */
export function failureKind(r: Pick<ProbeResult, 'status' | 'error'>, timeoutMs: number): string {
  const e = r.error ?? 'failed';
  if (r.status !== undefined && /^status \d+$/.test(e)) return `HTTP ${r.status}`;
  if (e === 'ECONNREFUSED') return 'connection refused';
  if (e === 'ECONNRESET' || e === 'EPIPE') return 'connection reset';
  if (e.startsWith('no verdict within')) return `timeout (${timeoutMs} ms)`;
  return e;
}

/** The most frequent failure kinds with their counts, most frequent first. */
function failureKinds(samples: readonly Sample[], timeoutMs: number): Record<string, number> {
  const counts = new Map<string, number>();
  for (const s of samples) {
    if (s.ok) continue;
    const kind = failureKind(s, timeoutMs);
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  const out: Record<string, number> = {};
  for (const [kind, n] of [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, MAX_FAILURE_KINDS)) out[kind] = n;
  return out;
}

/**
 * When the service came back between `since` and `until` (round starts): the end of the first
 * round that passed, once FOLLOW_UP_ROUNDS more rounds have been sampled after it — or at once at
 * the deadline (`final`). Undefined while that is not known yet, or when no round passed.
 */
export function backSince(rounds: readonly { at: number; endedAt: number; pass: boolean }[], since: number, until: number, final: boolean): number | undefined {
  const i = rounds.findIndex((r) => r.at >= since && r.at <= until && r.pass);
  if (i < 0) return undefined;
  return final || rounds.length - 1 - i >= FOLLOW_UP_ROUNDS ? rounds[i]!.endedAt : undefined;
}
