import assert from 'node:assert/strict';
import { ManualClock, systemClock } from '../../src/platform/clock.js';
import { parseHostAllowList, type HostAllowList } from '../../src/platform/host-allow.js';
import { ProbeNotAllowedError, type ProbeResult } from '../../src/probe/probe.js';
import { probeFigures, runSampler, startSampler, withinBudget, type Sample } from '../../src/probe/sampler.js';
import type { HttpTarget } from '../../src/probe/targets.js';
import { hang, sendText, ServerPool } from '../helpers/http-server.js';

function allowList(entries: string[]): HostAllowList {
  const parsed = parseHostAllowList(entries);
  assert.ok(parsed.ok);
  return parsed.list;
}

function http(url: string): HttpTarget {
  const u = new URL(url);
  return { protocol: 'http', url, host: u.hostname, port: Number(u.port), tolerance: [[200, 399]], name: url };
}

/** Waits (real time, briefly) until `test` holds. */
async function until(test: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (test()) return;
    await new Promise<void>((r) => (i < 100 ? setImmediate(r) : setTimeout(r, 1)));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('sampler: rounds on the injected clock against a real server', () => {
  const pool = new ServerPool();
  afterEach(() => pool.closeAll());

  it('a service that fails for three rounds: error rate, outage length, then a clean stop', async () => {
    let failing = false;
    const s = await pool.start((_req, res) => sendText(res, failing ? 500 : 200, 'x'));
    const clock = new ManualClock(new Date('2026-11-25T10:00:00Z'));
    const t0 = clock.now();
    const rounds: (readonly Sample[])[] = [];
    const controller = new AbortController();
    const running = runSampler({ targets: [http(`${s.url}/h`)], intervalMs: 500, timeoutMs: 2000, allow: allowList([]), clock, onRound: (r) => rounds.push(r) }, controller.signal);
    const plan = [false, false, true, true, true, false, false];
    for (let i = 0; i < plan.length; i++) {
      await until(() => rounds.length === i + 1, `round ${i + 1}`);
      failing = plan[i + 1] ?? false;
      if (i < plan.length - 1) await clock.advance(500);
    }
    controller.abort();
    const run = await running;
    assert.equal(clock.pending, 0, 'no sleep left behind');
    assert.deepEqual(
      run.samples.map((x) => [x.at - t0, x.ok, x.status]),
      plan.map((fail, i) => [i * 500, !fail, fail ? 500 : 200]),
    );
    assert.equal(run.figures.samples, 7);
    assert.equal(run.figures.failures, 3);
    assert.equal(run.figures.errorRate, 3 / 7);
    assert.equal(run.figures.outageMs, 1500);
    assert.equal(withinBudget(run.figures, 0.5), true);
    assert.equal(withinBudget(run.figures, 0.1), false);
    assert.equal(s.requests.length, 7);
  });

  it('stopping while a probe is in flight: nothing runs on, the unfinished probe is not a sample', async () => {
    const s = await pool.start(hang);
    const clock = new ManualClock(0);
    const controller = new AbortController();
    const running = runSampler({ targets: [http(s.url)], intervalMs: 500, timeoutMs: 2000, allow: allowList([]), clock }, controller.signal);
    await until(() => s.requests.length === 1, 'the request');
    controller.abort();
    const run = await running;
    assert.deepEqual(run.samples, []);
    assert.equal(clock.pending, 0);
  });

  it('a target outside the allow-list rejects the run before any connection', async () => {
    const s = await pool.start((_req, res) => sendText(res, 200, 'x'));
    const controller = new AbortController();
    await assert.rejects(runSampler({ targets: [http(s.url)], intervalMs: 10, timeoutMs: 100, allow: allowList(['10.0.0.0/8']), clock: new ManualClock(0) }, controller.signal), ProbeNotAllowedError);
    assert.equal(s.requests.length, 0);
  });

  it('targets may be a function asked every round (tasks are replaced during a kill)', async () => {
    const s = await pool.start((req, res) => sendText(res, req.path === '/new' ? 200 : 503, 'x'));
    const clock = new ManualClock(0);
    const rounds: (readonly Sample[])[] = [];
    let path = '/old';
    const controller = new AbortController();
    const running = runSampler({ targets: () => [http(`${s.url}${path}`)], intervalMs: 100, timeoutMs: 1000, allow: allowList([]), clock, onRound: (r) => rounds.push(r) }, controller.signal);
    await until(() => rounds.length === 1, 'round 1');
    path = '/new';
    await clock.advance(100);
    await until(() => rounds.length === 2, 'round 2');
    controller.abort();
    const run = await running;
    assert.deepEqual(run.samples.map((x) => [x.target.endsWith('/new'), x.ok]), [[false, false], [true, true]]);
  });

  it('firstGapMs: the first round at once, the second that much later, then one every interval; clamped to (0, interval]', async () => {
    for (const [gap, want] of [
      [30, [0, 30, 130, 230, 330]],
      [undefined, [0, 100, 200, 300, 400]],
      [250, [0, 100, 200, 300, 400]],
      [0, [0, 1, 101, 201, 301]],
    ] as const) {
      const clock = new ManualClock(0);
      const starts: number[] = [];
      const probe = (): Promise<ProbeResult> => (starts.push(clock.now()), Promise.resolve({ ok: true, latencyMs: 1 }));
      const controller = new AbortController();
      const running = runSampler({ targets: [http('http://127.0.0.1:1/h')], intervalMs: 100, ...(gap === undefined ? {} : { firstGapMs: gap }), timeoutMs: 50, allow: allowList([]), clock, probe }, controller.signal);
      await until(() => clock.pending === 1, 'the first round');
      for (let t = 0; t < 400; t += 10) await clock.advance(10);
      controller.abort();
      await running;
      assert.deepEqual(starts, want, `firstGapMs ${gap}`);
      assert.equal(clock.pending, 0);
    }
  });

  it('startSampler on the system clock: stop() answers the run and leaves no timer behind', async () => {
    const s = await pool.start((_req, res) => sendText(res, 200, 'x'));
    const sampler = startSampler({ targets: [http(s.url)], intervalMs: 15, timeoutMs: 500, allow: allowList(['127.0.0.1']), clock: systemClock });
    await until(() => s.requests.length >= 3, 'three probes');
    const run = await sampler.stop();
    assert.ok(run.figures.samples >= 2 && run.figures.failures === 0, JSON.stringify(run.figures));
    assert.equal(await sampler.stop(), run);
  });
});

describe('probeFigures (pure)', () => {
  const s = (at: number, ok: boolean, latencyMs: number, target = 'a'): Sample => ({ at, target, ok, latencyMs });

  it('no samples: zero rates, no latency', () => {
    assert.deepEqual(probeFigures([]), { samples: 0, failures: 0, errorRate: 0, outageMs: 0, latencyMs: undefined });
  });

  it('latency percentiles of the successful probes (nearest rank)', () => {
    const samples = Array.from({ length: 20 }, (_, i) => s(i * 10, true, i + 1)).concat([s(999, false, 5000)]);
    assert.deepEqual(probeFigures(samples).latencyMs, { p50: 10, p95: 19, max: 20 });
  });

  it('outage: the longest run of one target, to the next success or to the end of the last failure', () => {
    const samples = [s(0, true, 1), s(0, false, 1, 'b'), s(500, false, 1), s(500, true, 1, 'b'), s(1000, false, 1), s(1500, true, 1), s(2000, false, 30), s(2500, false, 40)];
    const f = probeFigures(samples);
    assert.equal(f.failures, 5);
    // a: failing 500 → 1500 (1000 ms), then 2000 → 2540 (540 ms, never recovered); b: 0 → 500.
    assert.equal(f.outageMs, 1000);
    assert.equal(probeFigures([s(0, false, 0), s(500, false, 0), s(1000, false, 2000)]).outageMs, 3000);
  });
});
