import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { register as globalRegistry } from 'prom-client';
import { DaemonState } from '../../src/daemon/state.js';
import { startControlServer, type ControlServer } from '../../src/daemon/http-server.js';
import { MAX_RECOVERY_APP_LABELS, MonkeyMetrics, OTHER_APP_LABEL } from '../../src/daemon/metrics.js';
import { memoryLogger } from '../../src/log.js';
import { ManualClock } from '../../src/platform/clock.js';
import { PROMTOOL_MISSING, havePromtool, promtoolCheckMetrics } from '../deploy/promtool.js';
import {
  aBusyClusterKill,
  aCycleThatFailed,
  aDryRun,
  aFridayAfternoon,
  aKillThatRecovered,
  aSkippedCycle,
  aWeakness,
  parsePrometheus,
  recoveredIn,
  sampleValue,
  victim,
} from './helpers.js';
import { skipForMissingTool } from '../helpers/tools.js';

async function scrape(metrics: MonkeyMetrics) {
  return parsePrometheus((await metrics.expose()).body);
}

describe('MonkeyMetrics', () => {
  const started: MonkeyMetrics[] = [];
  afterEach(() => started.splice(0).forEach((m) => m.stop()));
  it('exposes every named metric in Prometheus text format, with the default process metrics unprefixed', async () => {
    const metrics = new MonkeyMetrics({ version: '1.2.3' });
    started.push(metrics);
    const { samples, types } = await scrape(metrics);
    for (const [name, type] of [
      ['marathon_monkey_cycles_total', 'counter'],
      ['marathon_monkey_cycle_errors_total', 'counter'],
      ['marathon_monkey_kills_total', 'counter'],
      ['marathon_monkey_dry_run_kills_total', 'counter'],
      ['marathon_monkey_skips_total', 'counter'],
      ['marathon_monkey_time_to_recover_seconds', 'histogram'],
      ['marathon_monkey_weaknesses_total', 'counter'],
      ['marathon_monkey_marathon_request_errors_total', 'counter'],
      ['marathon_monkey_marathon_request_duration_seconds', 'histogram'],
      ['marathon_monkey_paused', 'gauge'],
      ['marathon_monkey_halted', 'gauge'],
      ['marathon_monkey_quarantined_apps', 'gauge'],
      ['marathon_monkey_last_cycle_timestamp_seconds', 'gauge'],
      ['marathon_monkey_build_info', 'gauge'],
      // The names Node.js dashboards query.
      ['process_cpu_seconds_total', 'counter'],
      ['process_resident_memory_bytes', 'gauge'],
      ['process_start_time_seconds', 'gauge'],
      ['nodejs_heap_size_used_bytes', 'gauge'],
      ['nodejs_eventloop_lag_seconds', 'gauge'],
      ['nodejs_eventloop_lag_p99_seconds', 'gauge'],
      ['nodejs_gc_duration_seconds', 'histogram'],
      ['nodejs_active_handles', 'gauge'],
    ]) {
      assert.equal(types.get(name!), type, name);
    }
    assert.equal(sampleValue(samples, 'marathon_monkey_build_info', { version: '1.2.3' }), 1);
    assert.equal(sampleValue(samples, 'marathon_monkey_paused'), 0);
    for (const name of types.keys()) assert.match(name, /^(marathon_monkey_|process_|nodejs_)/);
    for (const name of types.keys()) assert.ok(!/^marathon_monkey_(process|nodejs)_/.test(name), `${name}: default metrics carry no prefix`);
    // Gauges named like counters: promtool rejects them, and nodejs_active_handles{type} holds the same counts.
    assert.equal(types.get('nodejs_active_handles_total'), undefined);
  });

  it('measures event-loop lag beyond the sampling interval: ~0 when idle, the stall when blocked', async () => {
    const metrics = new MonkeyMetrics();
    started.push(metrics);
    await scrape(metrics); // starts a fresh measurement window
    await new Promise((r) => setTimeout(r, 150));
    const idle = (await scrape(metrics)).samples;
    // An idle loop used to read the sampling interval itself (0.1 s) as its lag.
    for (const stat of ['min', 'mean', 'p50']) {
      const v = sampleValue(idle, `nodejs_eventloop_lag_${stat}_seconds`)!;
      assert.ok(v >= 0 && v < 0.015, `idle ${stat} ${v}`);
    }

    const stallMs = 120;
    const until = performance.now() + stallMs;
    while (performance.now() < until) {
      // blocks the event loop, as a long synchronous parse would
    }
    await new Promise((r) => setTimeout(r, 30));
    const { samples } = await scrape(metrics);
    const max = sampleValue(samples, 'nodejs_eventloop_lag_max_seconds')!;
    assert.ok(max >= (stallMs - 25) / 1000 && max < 1, `a ${stallMs} ms stall read as max ${max}`);
    assert.ok(sampleValue(samples, 'nodejs_eventloop_lag_p50_seconds')! < max);
  });

  it('never touches the global default registry', () => {
    const before = globalRegistry.getMetricsAsArray().length;
    started.push(new MonkeyMetrics());
    assert.equal(globalRegistry.getMetricsAsArray().length, before);
  });

  it('counts a kill that recovered: outcome, kill, recovery histogram and skips by reason', async () => {
    const metrics = new MonkeyMetrics({ defaultMetrics: false });
    metrics.recordCycle(aKillThatRecovered);
    const { samples } = await scrape(metrics);
    assert.equal(sampleValue(samples, 'marathon_monkey_cycles_total', { outcome: 'killed' }), 1);
    assert.equal(sampleValue(samples, 'marathon_monkey_kills_total', { app: '/shop/cart', strategy: 'task', outcome: 'recovered' }), 1);
    assert.equal(sampleValue(samples, 'marathon_monkey_time_to_recover_seconds_count', { app: '/shop/cart' }), 1);
    assert.equal(sampleValue(samples, 'marathon_monkey_time_to_recover_seconds_sum', { app: '/shop/cart' }), 42);
    assert.equal(sampleValue(samples, 'marathon_monkey_time_to_recover_seconds_bucket', { app: '/shop/cart', le: '30' }), 0);
    assert.equal(sampleValue(samples, 'marathon_monkey_time_to_recover_seconds_bucket', { app: '/shop/cart', le: '60' }), 1);
    assert.equal(sampleValue(samples, 'marathon_monkey_skips_total', { scope: 'app', reason: 'persistent-volumes' }), 1);
    assert.equal(sampleValue(samples, 'marathon_monkey_skips_total', { scope: 'app', reason: 'deploying' }), 1);
    assert.equal(sampleValue(samples, 'marathon_monkey_last_cycle_timestamp_seconds'), Date.parse(aKillThatRecovered.time) / 1000);
  });

  it('counts a weakness, a dry run and a skipped cycle', async () => {
    const metrics = new MonkeyMetrics({ defaultMetrics: false });
    for (const r of [aWeakness, aDryRun, aSkippedCycle]) metrics.recordCycle(r);
    const { samples } = await scrape(metrics);
    assert.equal(sampleValue(samples, 'marathon_monkey_weaknesses_total', { app: '/shop/payments', reason: 'not-recovered' }), 1);
    assert.equal(sampleValue(samples, 'marathon_monkey_kills_total', { app: '/shop/payments', outcome: 'not-recovered' }), 1);
    assert.equal(sampleValue(samples, 'marathon_monkey_dry_run_kills_total', { app: '/shop/cart', strategy: 'task' }), 1);
    // A dry run kills nothing, so it adds no kill and no recovery time.
    assert.equal(sampleValue(samples, 'marathon_monkey_kills_total', { app: '/shop/cart' }), undefined);
    assert.equal(sampleValue(samples, 'marathon_monkey_skips_total', { scope: 'cycle', reason: 'outside-office-hours' }), 1);
    assert.equal(sampleValue(samples, 'marathon_monkey_cycles_total', { outcome: 'skipped' }), 1);
  });

  it('labels a task Marathon no longer knew as unmatched, and never uses task ids as labels', async () => {
    const metrics = new MonkeyMetrics({ defaultMetrics: false });
    metrics.recordCycle({ ...aKillThatRecovered, killResponse: { matched: [], unmatched: ['shop_cart.6f3a-1'] }, after: {} });
    const text = (await metrics.expose()).body;
    const { samples } = parsePrometheus(text);
    assert.equal(sampleValue(samples, 'marathon_monkey_kills_total', { app: '/shop/cart', outcome: 'unmatched' }), 1);
    assert.ok(!text.includes('6f3a'), 'a task id leaked into a label');
  });

  it('counts an error cycle by code without counting kills it never sent', async () => {
    const metrics = new MonkeyMetrics({ defaultMetrics: false });
    metrics.recordCycle(aCycleThatFailed({ victims: [victim('/a', 't')] }));
    const { samples } = await scrape(metrics);
    assert.equal(sampleValue(samples, 'marathon_monkey_cycle_errors_total', { code: 'E_MARATHON_UNAVAILABLE' }), 1);
    assert.equal(sampleValue(samples, 'marathon_monkey_kills_total', { app: '/a' }), undefined);
  });

  it('counts a kill whose outcome is unknown (sent, no usable answer) as a kill, and a rejected one not', async () => {
    const metrics = new MonkeyMetrics({ defaultMetrics: false });
    const uncertain = aCycleThatFailed({ victims: [victim('/a', 't')], code: 'E_KILL_UNCERTAIN', stage: 'kill' });
    uncertain.killStatus = 'uncertain';
    const rejected = aCycleThatFailed({ victims: [victim('/b', 'u')], code: 'E_KILL_REJECTED', stage: 'kill' });
    rejected.killStatus = 'rejected';
    metrics.recordCycle(uncertain);
    metrics.recordCycle(rejected);
    const { samples } = await scrape(metrics);
    assert.equal(sampleValue(samples, 'marathon_monkey_kills_total', { app: '/a', outcome: 'unverified' }), 1);
    assert.equal(sampleValue(samples, 'marathon_monkey_kills_total', { app: '/b' }), undefined);
  });

  it('reads a real record: the complete skip tally, aborted watches, and no kill for an error before the request', async () => {
    const metrics = new MonkeyMetrics({ defaultMetrics: false });
    for (const r of [aBusyClusterKill(), aSkippedCycle, aCycleThatFailed({ victims: [victim('/shop/cart', 'shop_cart.2')] })]) metrics.recordCycle(r);
    const { samples } = await scrape(metrics);
    // Not-opted-in apps are counted by the record, not listed in it.
    assert.equal(sampleValue(samples, 'marathon_monkey_skips_total', { scope: 'app', reason: 'not-opted-in' }), 37);
    assert.equal(sampleValue(samples, 'marathon_monkey_skips_total', { scope: 'app', reason: 'deploying' }), 1);
    assert.equal(sampleValue(samples, 'marathon_monkey_skips_total', { scope: 'cycle', reason: 'outside-office-hours' }), 1);
    assert.equal(sampleValue(samples, 'marathon_monkey_kills_total', { app: '/shop/cart', outcome: 'recovered' }), 1);
    assert.equal(sampleValue(samples, 'marathon_monkey_kills_total', { app: '/shop/api', outcome: 'aborted' }), 1);
    assert.equal(sampleValue(samples, 'marathon_monkey_time_to_recover_seconds_count', { app: '/shop/cart' }), 1);
    assert.equal(sampleValue(samples, 'marathon_monkey_time_to_recover_seconds_count', { app: '/shop/api' }), undefined);
    // The error cycle's kill response is null: its victim was never killed.
    assert.equal(sampleValue(samples, 'marathon_monkey_kills_total', { app: '/shop/cart', outcome: 'unverified' }), undefined);
    assert.equal(sampleValue(samples, 'marathon_monkey_cycle_errors_total', { code: 'E_MARATHON_UNAVAILABLE' }), 1);
  });

  it(`labels recovery times by app for the first ${MAX_RECOVERY_APP_LABELS} apps only, later ones as app="${OTHER_APP_LABEL}"`, async () => {
    const metrics = new MonkeyMetrics({ defaultMetrics: false });
    const apps = Array.from({ length: MAX_RECOVERY_APP_LABELS + 5 }, (_, i) => `/team/app-${i}`);
    for (const appId of [...apps, apps[0]!, apps.at(-1)!]) {
      metrics.recordCycle({ ...aKillThatRecovered, victims: [victim(appId, 't')], after: { [appId]: recoveredIn(1000) } });
    }
    const { samples } = await scrape(metrics);
    const counts = samples.filter((s) => s.name === 'marathon_monkey_time_to_recover_seconds_count');
    assert.equal(counts.length, MAX_RECOVERY_APP_LABELS + 1, 'series are bounded');
    assert.equal(sampleValue(samples, 'marathon_monkey_time_to_recover_seconds_count', { app: apps[0]! }), 2);
    assert.equal(sampleValue(samples, 'marathon_monkey_time_to_recover_seconds_count', { app: OTHER_APP_LABEL }), 6);
    assert.equal(sampleValue(samples, 'marathon_monkey_time_to_recover_seconds_count', { app: apps.at(-1)! }), undefined);
  });

  it('records Marathon request latency and errors by endpoint template', async () => {
    const metrics = new MonkeyMetrics({ defaultMetrics: false });
    metrics.recordMarathonRequest({ endpoint: 'GET /v2/apps', status: 200, durationMs: 120 });
    metrics.recordMarathonRequest({ endpoint: 'GET /v2/apps', durationMs: 5000, error: 'E_TIMEOUT' });
    metrics.recordMarathonRequest({ endpoint: 'POST /v2/tasks/delete?scale=false', status: 503, durationMs: 30 });
    metrics.recordMarathonRequest({ endpoint: 'GET /v2/apps/{id}', durationMs: 10, error: { code: 'E_APP_NOT_FOUND' } });
    const { samples } = await scrape(metrics);
    assert.equal(sampleValue(samples, 'marathon_monkey_marathon_request_duration_seconds_count', { endpoint: 'GET /v2/apps' }), 2);
    assert.equal(sampleValue(samples, 'marathon_monkey_marathon_request_errors_total', { endpoint: 'GET /v2/apps', code: 'E_TIMEOUT' }), 1);
    assert.equal(sampleValue(samples, 'marathon_monkey_marathon_request_errors_total', { endpoint: 'POST /v2/tasks/delete', code: 'HTTP_503' }), 1);
    assert.equal(sampleValue(samples, 'marathon_monkey_marathon_request_errors_total', { endpoint: 'GET /v2/apps/{id}', code: 'E_APP_NOT_FOUND' }), 1);
  });

  it('sets the paused and halted gauges', async () => {
    const metrics = new MonkeyMetrics({ defaultMetrics: false });
    metrics.setPaused(true);
    metrics.setHalted(true);
    const { samples } = await scrape(metrics);
    assert.equal(sampleValue(samples, 'marathon_monkey_paused'), 1);
    assert.equal(sampleValue(samples, 'marathon_monkey_halted'), 1);
  });
});

describe('GET /metrics through promtool', () => {
  let server: ControlServer | undefined;
  let metrics: MonkeyMetrics | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
    metrics?.stop();
    metrics = undefined;
  });

  it('`promtool check metrics` accepts the whole exposition, default metrics and every cycle metric included', async function () {
    if (!havePromtool()) {
      skipForMissingTool(this, PROMTOOL_MISSING);
    }
    const clock = new ManualClock(aFridayAfternoon);
    metrics = new MonkeyMetrics({ version: '0.1.0' });
    for (const r of [aKillThatRecovered, aWeakness, aDryRun, aSkippedCycle]) metrics.recordCycle(r);
    metrics.recordCycle(aCycleThatFailed());
    metrics.recordMarathonRequest({ endpoint: 'GET /v2/apps', status: 200, durationMs: 120 });
    metrics.recordMarathonRequest({ endpoint: 'GET /v2/apps', durationMs: 5000, error: 'E_TIMEOUT' });
    // An instance on ZooKeeper: its role and session gauges too.
    metrics.setRole('standby');
    metrics.setZkSessionUp(true);
    server = await startControlServer({
      host: '127.0.0.1',
      port: 0,
      state: new DaemonState({ clock }),
      metrics,
      controlToken: '',
      logger: memoryLogger().logger,
      clock,
      status: () => ({ version: '0.1.0', dryRun: true, seed: 's', nextCycles: [], config: {} }),
    });
    const text = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(text, /^process_cpu_seconds_total /m);
    assert.match(text, /^marathon_monkey_kills_total\{/m);
    assert.match(text, /^marathon_monkey_leader 0$/m);
    assert.match(text, /^marathon_monkey_zk_session_up 1$/m);
    const verdict = promtoolCheckMetrics(text);
    assert.equal(verdict.status, 0, `promtool check metrics:\n${verdict.output}`);
  });
});
