import assert from 'node:assert/strict';
import { MonkeyMetrics, PROBE_OUTAGE_BUCKETS_SECONDS } from '../../src/daemon/metrics.js';
import { PROMTOOL_MISSING, havePromtool, promtoolCheckMetrics } from '../deploy/promtool.js';
import { aDryRun, aKillThatRecovered, parsePrometheus, sampleValue } from './helpers.js';
import { aProbedKill, observation, verdict } from './probe-records.js';
import { skipForMissingTool } from '../helpers/tools.js';

async function scrape(metrics: MonkeyMetrics) {
  return parsePrometheus((await metrics.expose()).body);
}

describe('MonkeyMetrics: service probes (issue 11)', () => {
  it('declares the outage histogram without an app label and the results counter by app and outcome', async () => {
    const metrics = new MonkeyMetrics({ defaultMetrics: false });
    const { types } = await scrape(metrics);
    assert.equal(types.get('marathon_monkey_probe_outage_seconds'), 'histogram');
    assert.equal(types.get('marathon_monkey_probe_results_total'), 'counter');
    metrics.recordCycle(aProbedKill());
    const { samples } = await scrape(metrics);
    for (const s of samples.filter((x) => x.name.startsWith('marathon_monkey_probe_outage_seconds'))) {
      assert.deepEqual(Object.keys(s.labels).filter((k) => k !== 'le'), [], `${s.name} carries no label but le`);
    }
    const buckets = samples.filter((s) => s.name === 'marathon_monkey_probe_outage_seconds_bucket').map((s) => s.labels.le);
    assert.deepEqual(buckets, [...PROBE_OUTAGE_BUCKETS_SECONDS.map(String), '+Inf']);
  });

  it('observes one outage per probed app per kill and counts ok and failed probes, before and during the kill', async () => {
    const metrics = new MonkeyMetrics({ defaultMetrics: false });
    metrics.recordCycle(aProbedKill());
    const { samples } = await scrape(metrics);
    const v = (name: string, labels: Record<string, string> = {}) => sampleValue(samples, name, labels);
    assert.equal(v('marathon_monkey_probe_outage_seconds_count'), 2);
    assert.equal(v('marathon_monkey_probe_outage_seconds_sum'), 10.5);
    assert.equal(v('marathon_monkey_probe_outage_seconds_bucket', { le: '0.5' }), 1, '/shop/cart: one failed probe');
    assert.equal(v('marathon_monkey_probe_outage_seconds_bucket', { le: '5' }), 1);
    assert.equal(v('marathon_monkey_probe_outage_seconds_bucket', { le: '10' }), 2, '/shop/session: 10 s of lb-lag');
    // /shop/cart: 3 before (all ok) + 24 during (1 failed).
    assert.equal(v('marathon_monkey_probe_results_total', { app: '/shop/cart', outcome: 'ok' }), 26);
    assert.equal(v('marathon_monkey_probe_results_total', { app: '/shop/cart', outcome: 'failed' }), 1);
    // /shop/session: 1 before + 30 during (12 failed).
    assert.equal(v('marathon_monkey_probe_results_total', { app: '/shop/session', outcome: 'ok' }), 19);
    assert.equal(v('marathon_monkey_probe_results_total', { app: '/shop/session', outcome: 'failed' }), 12);
    // /shop/search failed before the kill: counted, never killed, no outage observed.
    assert.equal(v('marathon_monkey_probe_results_total', { app: '/shop/search', outcome: 'ok' }), 2);
    assert.equal(v('marathon_monkey_probe_results_total', { app: '/shop/search', outcome: 'failed' }), 1);
    assert.equal(v('marathon_monkey_weaknesses_total', { app: '/shop/session', reason: 'service-degraded' }), 1);
  });

  it('a dry run counts its before-probes only; a cycle without probes adds no series; no samples, no outage', async () => {
    const metrics = new MonkeyMetrics({ defaultMetrics: false });
    metrics.recordCycle({ ...aDryRun, probesBefore: { '/shop/cart': verdict({ samples: 2 }) } });
    metrics.recordCycle(aKillThatRecovered);
    const aborted = aProbedKill();
    aborted.probesBefore = {};
    aborted.after = { '/shop/cart': { ...aborted.after['/shop/cart']!, aborted: true, probe: observation({ samples: 0, latencyMs: null }) } };
    metrics.recordCycle(aborted);
    const { samples } = await scrape(metrics);
    assert.equal(sampleValue(samples, 'marathon_monkey_probe_results_total', { app: '/shop/cart', outcome: 'ok' }), 2);
    assert.equal(sampleValue(samples, 'marathon_monkey_probe_results_total', { app: '/shop/cart', outcome: 'failed' }), undefined);
    assert.equal(sampleValue(samples, 'marathon_monkey_probe_outage_seconds_count'), 0);
  });

  it('`promtool check metrics` accepts the probe metrics', async function () {
    if (!havePromtool()) {
      skipForMissingTool(this, PROMTOOL_MISSING);
    }
    const metrics = new MonkeyMetrics({ defaultMetrics: false });
    metrics.recordCycle(aProbedKill());
    const text = (await metrics.expose()).body;
    assert.match(text, /^marathon_monkey_probe_results_total\{/m);
    const verdictOf = promtoolCheckMetrics(text);
    assert.equal(verdictOf.status, 0, `promtool check metrics:\n${verdictOf.output}`);
  });
});
