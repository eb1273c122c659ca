import assert from 'node:assert/strict';
import { register as globalRegistry } from 'prom-client';
import { MonkeyMetrics } from '../../src/daemon/metrics.js';
import { aDryRun, aKillThatRecovered, aSkippedCycle, aWeakness, parsePrometheus, sampleValue } from './helpers.js';

async function scrape(metrics: MonkeyMetrics) {
  return parsePrometheus((await metrics.expose()).body);
}

describe('MonkeyMetrics', () => {
  it('exposes every named metric in Prometheus text format, with default process metrics under the prefix', async () => {
    const metrics = new MonkeyMetrics({ version: '1.2.3' });
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
      ['marathon_monkey_process_cpu_seconds_total', 'counter'],
    ]) {
      assert.equal(types.get(name!), type, name);
    }
    assert.equal(sampleValue(samples, 'marathon_monkey_build_info', { version: '1.2.3' }), 1);
    assert.equal(sampleValue(samples, 'marathon_monkey_paused'), 0);
    for (const name of types.keys()) assert.ok(name.startsWith('marathon_monkey_'), name);
  });

  it('never touches the global default registry', () => {
    const before = globalRegistry.getMetricsAsArray().length;
    new MonkeyMetrics();
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
    assert.equal(sampleValue(samples, 'marathon_monkey_last_cycle_timestamp_seconds'), Date.parse(aKillThatRecovered.time!) / 1000);
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
    metrics.recordCycle({ outcome: 'error', strategy: 'task', victims: [{ appId: '/a', taskId: 't' }], error: { code: 'E_MARATHON_UNAVAILABLE', message: 'no leader' } });
    const { samples } = await scrape(metrics);
    assert.equal(sampleValue(samples, 'marathon_monkey_cycle_errors_total', { code: 'E_MARATHON_UNAVAILABLE' }), 1);
    assert.equal(sampleValue(samples, 'marathon_monkey_kills_total', { app: '/a' }), undefined);
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
