import assert from 'node:assert/strict';
import type { MarathonApp, MarathonTask } from '../../src/domain/marathon.js';
import type { ProbeRound } from '../../src/domain/ports.js';
import { ManualClock } from '../../src/platform/clock.js';
import { parseHostAllowList, type HostAllowList } from '../../src/platform/host-allow.js';
import type { ProbeOptions, ProbeResult } from '../../src/probe/probe.js';
import { backSince, failureKind, FOLLOW_UP_ROUNDS, ServiceProbes } from '../../src/probe/prober.js';
import type { ProbeTarget } from '../../src/probe/targets.js';
import { app, task } from '../chaos/fixtures.js';

/**
 * ServiceProbes, the domain's ServiceProber on the probe engine, with a scripted probe function on
 * a ManualClock (the real sockets are test/probe/probe.test.ts and the cycles test/chaos/probes.test.ts).
 */

function allowList(entries: string[] = []): HostAllowList {
  const parsed = parseHostAllowList(entries);
  assert.ok(parsed.ok);
  return parsed.list;
}

const defaults = { intervalMs: 500, timeoutMs: 2000, tolerance: [[200, 399]] as [number, number][] };

/** Each target answers as `answer(name)` says; calls are recorded. */
function scripted(answer: (name: string) => Partial<ProbeResult> = () => ({ ok: true })) {
  const calls: string[] = [];
  const probe = (target: ProbeTarget, o: ProbeOptions): Promise<ProbeResult> => {
    calls.push(target.name);
    if (o.signal?.aborted) return Promise.resolve({ ok: false, latencyMs: 0, aborted: true, error: 'aborted' });
    return Promise.resolve({ ok: true, latencyMs: 3, ...answer(target.name) });
  };
  return { calls, probe };
}

function withPorts(id: string, n: number, labels: Record<string, string>): MarathonApp {
  const tasks: MarathonTask[] = Array.from({ length: n }, (_, i) => task(id, i, { host: '127.0.0.1', ports: [31000 + i] }));
  return app(id, { instances: n, tasks, labels });
}

async function until(test: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (test()) return;
    await new Promise<void>((r) => setImmediate(r));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('ServiceProbes: labels', () => {
  const prober = new ServiceProbes({ defaults, allow: allowList(), clock: new ManualClock(0) });

  it('declared: none, the checks as written, or a bad label naming it', () => {
    assert.deepEqual(prober.declared(app('/a')), { kind: 'none' });
    assert.deepEqual(prober.declared(app('/a', { labels: { 'monkey.probe.http': '/health', 'monkey.probe.tolerance': '200-299,503' } })), {
      kind: 'probes',
      checks: ['http /health (port-index 0) tolerating 200-299,503'],
    });
    assert.deepEqual(prober.declared(app('/a', { labels: { 'monkey.probe.tcp': 'echo.svc:7', 'monkey.probe.tcp.send': 'ping', 'monkey.probe.tcp.expect': 'ping' } })), {
      kind: 'probes',
      checks: ['tcp echo.svc:7 send "ping" expect "ping"'],
    });
    const bad = prober.declared(app('/a', { labels: { 'monkey.probe.http': '/health', 'monkey.probe.interval-ms': '0' } }));
    assert.equal(bad.kind, 'bad-label');
    assert.match(bad.kind === 'bad-label' ? bad.detail : '', /^label monkey\.probe\.interval-ms="0" must be a whole number of milliseconds/);
  });

  it('failure kinds in a few words', () => {
    assert.equal(failureKind({ status: 502, error: 'status 502' }, 2000), 'HTTP 502');
    assert.equal(failureKind({ error: 'ECONNREFUSED' }, 2000), 'connection refused');
    assert.equal(failureKind({ error: 'ECONNRESET' }, 2000), 'connection reset');
    assert.equal(failureKind({ error: 'no verdict within 2000 ms' }, 2000), 'timeout (2000 ms)');
    assert.equal(failureKind({ error: 'closed without an answer' }, 2000), 'closed without an answer');
  });
});

describe('ServiceProbes: one round before the kill (check)', () => {
  it('every running task once; the verdict names the first failure and how many failed', async () => {
    const { calls, probe } = scripted((name) => (name.includes(':31001') || name.includes(':31002') ? { ok: false, status: 500, error: 'status 500' } : {}));
    const prober = new ServiceProbes({ defaults, allow: allowList(), clock: new ManualClock(0), probe });
    const a = withPorts('/a', 3, { 'monkey.probe.http': '/health' });
    const v = await prober.check(a);
    assert.deepEqual(calls, ['http://127.0.0.1:31000/health', 'http://127.0.0.1:31001/health', 'http://127.0.0.1:31002/health']);
    assert.deepEqual(v, { ok: false, samples: 3, failures: 2, detail: 'http://127.0.0.1:31001/health: HTTP 500 (2 of 3 failed)' });
  });

  it('passes with every probe passing', async () => {
    const prober = new ServiceProbes({ defaults, allow: allowList(), clock: new ManualClock(0), probe: scripted().probe });
    assert.deepEqual(await prober.check(withPorts('/a', 2, { 'monkey.probe.tcp': 'port-index:0' })), { ok: true, samples: 2, failures: 0, detail: '2/2 probes passed (tcp port-index 0)' });
  });

  it('a running task without the probed port fails the round; no task to reach fails it too', async () => {
    const prober = new ServiceProbes({ defaults, allow: allowList(), clock: new ManualClock(0), probe: scripted().probe });
    const a = withPorts('/a', 2, { 'monkey.probe.http': '/health', 'monkey.probe.http.port-index': '1' });
    const v = await prober.check(a);
    assert.equal(v.ok, false);
    assert.match(v.detail, /^nothing to probe: no running task to reach \(.+ has no port at index 1\)$/);
    const mixed = withPorts('/m', 2, { 'monkey.probe.http': '/health' });
    mixed.tasks[1] = { ...mixed.tasks[1]!, ports: [] };
    const m = await prober.check(mixed);
    assert.equal(m.ok, false);
    assert.match(m.detail, /has no port at index 0/);
  });

  it('a target outside the allow-list is refused before any probe', async () => {
    const { calls, probe } = scripted();
    const prober = new ServiceProbes({ defaults, allow: allowList(['10.0.0.0/8']), clock: new ManualClock(0), probe });
    const v = await prober.check(app('/a', { labels: { 'monkey.probe.http': 'http://db.example.com:8080/health' } }));
    assert.deepEqual(v, { ok: false, samples: 0, failures: 0, detail: 'probe target outside probe.allow: http://db.example.com:8080/health: not probed (MONKEY_PROBE_ALLOW)' });
    assert.deepEqual(calls, []);
  });
});

describe('backSince: when the service is back after a kill', () => {
  const r = (at: number, pass: boolean) => ({ at, endedAt: at + 5, pass });
  const table: [string, ReturnType<typeof r>[], number, number, boolean, number | undefined][] = [
    ['the first passing round, once two more rounds were sampled after it', [r(0, false), r(100, true), r(200, false), r(300, true)], 0, 1000, false, 105],
    ['not known until two more rounds are sampled (a lucky round between failures shows in the figures)', [r(0, false), r(100, true), r(200, false)], 0, 1000, false, undefined],
    ['at the deadline the first passing round counts at once', [r(0, false), r(100, true)], 0, 1000, true, 105],
    ['no passing round: not back, even at the deadline', [r(0, false), r(100, false), r(200, false)], 0, 1000, true, undefined],
    ['rounds before `since` do not count', [r(0, true), r(100, false), r(200, false), r(300, false)], 50, 1000, true, undefined],
    ['rounds after `until` do not count', [r(0, false), r(100, false), r(200, true)], 0, 150, true, undefined],
  ];
  for (const [what, rounds, since, until, final, expected] of table) {
    it(what, () => assert.equal(backSince(rounds, since, until, final), expected));
  }
});

describe('ServiceProbes: sampling during the kill (watch)', () => {
  it('rounds every interval on the clock, per-task targets asked each round; passedSince; stop with the figures', async () => {
    const clock = new ManualClock(1_000_000);
    let failing = new Set<string>(['http://127.0.0.1:31001/health']);
    const { calls, probe } = scripted((name) => (failing.has(name) ? { ok: false, status: 503, error: 'status 503' } : {}));
    const prober = new ServiceProbes({ defaults: { ...defaults, intervalMs: 100 }, allow: allowList(), clock, probe });
    const a = withPorts('/a', 3, { 'monkey.probe.http': '/health', 'monkey.probe.max-error-rate': '0.5' });
    let inService: readonly MarathonTask[] = a.tasks.slice(1);
    const rounds: ProbeRound[] = [];
    const w = prober.watch(a, { inService: () => inService, onRound: (r) => rounds.push(r) })!;
    assert.ok(w);
    await until(() => rounds.length === 1, 'round 1');
    assert.deepEqual(rounds[0], { ok: 1, total: 2, endedAt: 1_000_000 });
    const passed = w.passedSince(1_000_100, 1_000_500);
    inService = a.tasks;
    await clock.advance(100);
    await until(() => rounds.length === 2, 'round 2');
    failing = new Set();
    let settled: number | null | undefined;
    void passed.then((v) => (settled = v));
    await clock.advance(100);
    await clock.advance(100);
    assert.equal(settled, undefined, `the passing round is followed by ${FOLLOW_UP_ROUNDS} more before the answer`);
    await clock.advance(100);
    assert.equal(await passed, 1_000_200, 'the first round from `since` in which all passed');
    const none = w.passedSince(1_000_300, 1_000_250);
    await clock.advance(50);
    assert.equal(await none, null, 'none by `until`');
    assert.equal(await w.passedSince(1_000_300, 1_000_250), null, 'nor once `until` has passed');
    const seen = await w.stop();
    assert.equal(clock.pending, 0, 'nothing left waiting');
    assert.deepEqual(seen, {
      checks: ['http /health (port-index 0) tolerating 200-399'],
      intervalMs: 100,
      maxErrorRate: 0.5,
      samples: 14,
      failures: 2,
      errorRate: 2 / 14,
      outageMs: 200,
      latencyMs: { p50: 3, p95: 3, max: 3 },
      failureKinds: { 'HTTP 503': 2 },
    });
    const n = calls.length;
    await clock.advance(1000);
    assert.equal(calls.length, n, 'no probe after stop');
    assert.deepEqual(await w.stop(), seen, 'a second stop answers the same');
  });

  it('passedSince ends at `until` on the clock; the signal (shutdown) ends the sampling and any wait', async () => {
    const clock = new ManualClock(0);
    const { calls, probe } = scripted(() => ({ ok: false, error: 'ECONNREFUSED' }));
    const prober = new ServiceProbes({ defaults: { ...defaults, intervalMs: 100 }, allow: allowList(), clock, probe });
    const a = withPorts('/a', 1, { 'monkey.probe.tcp': 'port-index:0' });
    const shutdown = new AbortController();
    const w = prober.watch(a, { inService: () => a.tasks, signal: shutdown.signal })!;
    const byDeadline = w.passedSince(0, 250);
    await clock.advance(300);
    assert.equal(await byDeadline, null);
    const waiting = w.passedSince(0, 10_000);
    shutdown.abort(new Error('SIGTERM'));
    assert.equal(await waiting, null);
    const n = calls.length;
    await clock.advance(1000);
    assert.equal(calls.length, n, 'no probe after the signal');
    const seen = await w.stop();
    assert.equal(seen.failures, seen.samples);
    assert.deepEqual(seen.failureKinds, { 'connection refused': seen.samples });
    assert.equal(seen.latencyMs, null);
  });

  it('phases: apps watched together start their first round at once, then spread over the interval, each one round per interval', async () => {
    const clock = new ManualClock(0);
    // App i's one task listens on port 31000 + i: round starts by app.
    const starts = new Map<number, number[]>();
    const probe = (target: ProbeTarget): Promise<ProbeResult> => {
      starts.set(target.port, [...(starts.get(target.port) ?? []), clock.now()]);
      return Promise.resolve({ ok: true, latencyMs: 1 });
    };
    const prober = new ServiceProbes({ defaults: { ...defaults, intervalMs: 100 }, allow: allowList(), clock, probe });
    const n = 4;
    const watches = Array.from({ length: n }, (_, i) => {
      const tasks = [task(`/app${i}`, 0, { host: '127.0.0.1', ports: [31000 + i] })];
      const a = app(`/app${i}`, { instances: 1, tasks, labels: { 'monkey.probe.http': '/health' } });
      return prober.watch(a, { inService: () => tasks, phase: (i + 1) / n })!;
    });
    await until(() => clock.pending === n, 'every first round');
    for (let t = 0; t < 500; t += 5) await clock.advance(5);
    await Promise.all(watches.map((w) => w.stop()));
    assert.equal(clock.pending, 0);
    const byApp = [...starts.entries()].sort(([a], [b]) => a - b).map(([, at]) => at);
    assert.equal(byApp.length, n);
    assert.deepEqual(
      byApp.map((at) => at[0]),
      [0, 0, 0, 0],
      'every first round at once (before the kill)',
    );
    assert.deepEqual(byApp, [
      [0, 25, 125, 225, 325, 425],
      [0, 50, 150, 250, 350, 450],
      [0, 75, 175, 275, 375, 475],
      [0, 100, 200, 300, 400, 500],
    ]);
    const later = byApp.map((at) => at[1]! % 100);
    assert.equal(new Set(later).size, n, 'the later rounds of different apps start at different instants');
    for (const at of byApp) for (let k = 1; k < at.length; k++) assert.ok(at[k]! - at[k - 1]! <= 100, 'never more than an interval between two rounds');
  });

  it('an app without probes has no watch', () => {
    const prober = new ServiceProbes({ defaults, allow: allowList(), clock: new ManualClock(0) });
    assert.equal(prober.watch(app('/a'), { inService: () => [] }), undefined);
  });
});
