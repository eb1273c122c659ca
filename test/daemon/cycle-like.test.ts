import assert from 'node:assert/strict';
import { baseRecord, skippedCycleRecord, type CycleRecord } from '../../src/chaos/record.js';
import type { CycleLike } from '../../src/daemon/cycle-like.js';
import { DaemonState } from '../../src/daemon/state.js';
import { MonkeyMetrics } from '../../src/daemon/metrics.js';
import { ManualClock } from '../../src/platform/clock.js';
import { aFridayAfternoon, parsePrometheus, sampleValue } from './helpers.js';

const settings = { seed: 'office-chaos', strategy: 'task' as const, dryRun: false };

/** A real CycleRecord from src/chaos: one kill of /shop/cart that recovered in 12 s, one that shutdown cut short. */
function aRealKill(): CycleRecord {
  const rec = baseRecord(settings, aFridayAfternoon, aFridayAfternoon.getTime());
  rec.outcome = 'killed';
  rec.counts = { apps: 40, eligible: 2, candidates: 5, victims: 2, killed: 2, unmatched: 0, skippedByReason: { 'not-opted-in': 37, deploying: 1 } };
  rec.skipped = [{ appId: '/shop/search', reason: 'deploying', detail: 'deployment in progress' }];
  rec.victims = [
    { appId: '/shop/cart', taskId: 'shop_cart.1', host: 'agent-1', agentId: null, rack: null, zone: null },
    { appId: '/shop/api', taskId: 'shop_api.1', host: 'agent-2', agentId: 'a2', rack: 'r2', zone: null },
  ];
  rec.killResponse = { matched: ['shop_cart.1', 'shop_api.1'], unmatched: [] };
  rec.after = {
    '/shop/cart': { recovered: true, timeToRecoverMs: 12_000, health: null, timeoutMs: 300_000, polls: 3 },
    '/shop/api': { recovered: false, timeToRecoverMs: null, health: null, timeoutMs: 300_000, polls: 1, aborted: true },
  };
  return rec;
}

describe('CycleLike and the real CycleRecord', () => {
  it('accepts a CycleRecord without mapping (checked by the compiler)', () => {
    const record: CycleLike = aRealKill();
    assert.equal(record.outcome, 'killed');
  });

  it('metrics read a real record: counts.skippedByReason, null kill response fields, aborted watches', async () => {
    const metrics = new MonkeyMetrics({ defaultMetrics: false });
    metrics.recordCycle(aRealKill());
    const gated = skippedCycleRecord('outside-office-hours', 'Mon-Fri 09:00-17:00 Europe/Berlin', { settings, scheduledAt: aFridayAfternoon, now: aFridayAfternoon.getTime() });
    metrics.recordCycle(gated);
    const errored = baseRecord(settings, aFridayAfternoon, aFridayAfternoon.getTime());
    errored.outcome = 'error';
    errored.victims = [{ appId: '/shop/cart', taskId: 'shop_cart.2', host: 'h', agentId: null, rack: null, zone: null }];
    errored.error = { code: 'E_MARATHON_UNAVAILABLE', message: 'no leader', stage: 'kill' };
    metrics.recordCycle(errored);

    const { samples } = parsePrometheus((await metrics.expose()).body);
    assert.equal(sampleValue(samples, 'marathon_monkey_skips_total', { scope: 'app', reason: 'not-opted-in' }), 37);
    assert.equal(sampleValue(samples, 'marathon_monkey_skips_total', { scope: 'app', reason: 'deploying' }), 1);
    assert.equal(sampleValue(samples, 'marathon_monkey_skips_total', { scope: 'cycle', reason: 'outside-office-hours' }), 1);
    assert.equal(sampleValue(samples, 'marathon_monkey_kills_total', { app: '/shop/cart', outcome: 'recovered' }), 1);
    assert.equal(sampleValue(samples, 'marathon_monkey_kills_total', { app: '/shop/api', outcome: 'aborted' }), 1);
    assert.equal(sampleValue(samples, 'marathon_monkey_time_to_recover_seconds_count', { app: '/shop/cart' }), 1);
    assert.equal(sampleValue(samples, 'marathon_monkey_time_to_recover_seconds_count', { app: '/shop/api' }), undefined);
    // The error cycle had killResponse null: its victim was never killed.
    assert.equal(sampleValue(samples, 'marathon_monkey_kills_total', { app: '/shop/cart', outcome: 'unverified' }), undefined);
    assert.equal(sampleValue(samples, 'marathon_monkey_cycle_errors_total', { code: 'E_MARATHON_UNAVAILABLE' }), 1);
  });

  it('state summarises a real record and a gated cycle with its reason', () => {
    const state = new DaemonState({ clock: new ManualClock(aFridayAfternoon) });
    state.recordCycle(aRealKill());
    state.recordCycle(skippedCycleRecord('paused', 'paused by alice', { settings, scheduledAt: aFridayAfternoon, now: aFridayAfternoon.getTime() }));
    const [gated, kill] = state.lastCycles();
    assert.equal(gated?.reason, 'paused');
    assert.equal(gated?.detail, 'paused by alice');
    assert.deepEqual(kill?.skippedByReason, { 'not-opted-in': 37, deploying: 1 });
    assert.deepEqual(kill?.recovery, [
      { appId: '/shop/cart', recovered: true, timeToRecoverMs: 12_000 },
      { appId: '/shop/api', recovered: false, timeToRecoverMs: undefined },
    ]);
    assert.equal(state.getCounters().kills, 2);
  });
});
