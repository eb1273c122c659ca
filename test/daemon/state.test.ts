import assert from 'node:assert/strict';
import { ManualClock } from '../../src/platform/clock.js';
import { DaemonState } from '../../src/daemon/state.js';
import { skippedCycleRecord } from '../../src/chaos/record.js';
import { aBusyClusterKill, aCycleThatFailed, aDryRun, aFridayAfternoon, aKillThatRecovered, aSkippedCycle, aWeakness, victim } from './helpers.js';

describe('DaemonState', () => {
  let clock: ManualClock;
  let state: DaemonState;
  beforeEach(() => {
    clock = new ManualClock(aFridayAfternoon);
    state = new DaemonState({ clock });
  });

  describe('live and ready', () => {
    it('starts live but not ready, with the reason "starting"', () => {
      assert.deepEqual(state.isLive(), { live: true, reason: '' });
      assert.equal(state.getReadiness().ready, false);
      assert.equal(state.getReadiness().reason, 'starting');
    });

    it('becomes ready, can lose readiness with a reason, and regain it', () => {
      state.setReady();
      assert.equal(state.getReadiness().ready, true);
      state.setNotReady('marathon-unreachable', 'no leader answered');
      assert.deepEqual(state.getReadiness(), { ready: false, reason: 'marathon-unreachable', detail: 'no leader answered' });
      state.setReady();
      assert.equal(state.getReadiness().ready, true);
    });

    it('drops readiness at once on shutdown, for good, and keeps live up', () => {
      state.setReady();
      state.beginShutdown();
      assert.equal(state.getReadiness().ready, false);
      assert.equal(state.getReadiness().reason, 'shutting-down');
      state.setReady();
      state.setNotReady('marathon-unreachable');
      assert.equal(state.getReadiness().reason, 'shutting-down');
      assert.equal(state.isLive().live, true);
    });
  });

  describe('canAct', () => {
    // Each row: how the state is set up, and what canAct must say.
    const rows: [string, (s: DaemonState) => void, 'ok' | 'paused' | 'halted' | 'shutting-down'][] = [
      ['a fresh daemon may act', () => undefined, 'ok'],
      ['a paused daemon may not', (s) => s.pause({ by: 'alice', reason: 'game day elsewhere' }), 'paused'],
      ['a halted daemon may not', (s) => s.halt({ appId: '/shop/payments', reason: 'not-recovered' }), 'halted'],
      ['a halt is reported over a pause: it needs the app fixed first', (s) => (s.pause({ by: 'a' }), s.halt({ appId: '/x', reason: 'not-recovered' })), 'halted'],
      ['shutdown wins over everything', (s) => (s.pause({ by: 'a' }), s.halt({ appId: '/x', reason: 'not-recovered' }), s.beginShutdown()), 'shutting-down'],
      ['resume clears pause and halt', (s) => (s.pause({ by: 'a' }), s.halt({ appId: '/x', reason: 'not-recovered' }), s.resume()), 'ok'],
    ];
    for (const [name, setUp, expected] of rows) {
      it(name, () => {
        setUp(state);
        const verdict = state.canAct();
        if (expected === 'ok') assert.deepEqual(verdict, { ok: true });
        else {
          assert.equal(verdict.ok, false);
          assert.equal(!verdict.ok && verdict.reason, expected);
          assert.ok(!verdict.ok && verdict.detail.length > 0);
        }
      });
    }

    it('says who paused, when and why', () => {
      state.pause({ by: 'alice', reason: 'release freeze' });
      const v = state.canAct();
      assert.ok(!v.ok);
      assert.match(v.detail, /alice/);
      assert.match(v.detail, /release freeze/);
      assert.match(v.detail, /2024-03-15T13:30:00.000Z/);
    });
  });

  describe('pause, resume, halt', () => {
    it('pause is idempotent: the first pause keeps its time, author and reason', async () => {
      const first = state.pause({ by: 'alice', reason: 'freeze' });
      await clock.advance(60_000);
      const second = state.pause({ by: 'bob', reason: 'other' });
      assert.equal(first.changed, true);
      assert.equal(second.changed, false);
      assert.deepEqual(second.paused, { since: '2024-03-15T13:30:00.000Z', reason: 'freeze', by: 'alice' });
    });

    it('records "no reason given" rather than an empty reason', () => {
      assert.equal(state.pause({ by: 'alice', reason: '  ' }).paused.reason, 'no reason given');
    });

    it('resume reports the halt it cleared, and is idempotent', () => {
      state.halt({ appId: '/shop/payments', reason: 'not-recovered', cycleId: 'c-2' });
      const r = state.resume();
      assert.equal(r.changed, true);
      assert.equal(r.clearedHalt?.appId, '/shop/payments');
      assert.equal(state.halted, undefined);
      assert.deepEqual(state.resume(), { changed: false, wasPaused: undefined, clearedHalt: undefined });
    });

    it('keeps the first halt when a second weakness arrives', () => {
      state.halt({ appId: '/a', reason: 'not-recovered' });
      state.halt({ appId: '/b', reason: 'not-recovered' });
      assert.equal(state.halted?.appId, '/a');
    });
  });

  describe('quarantine', () => {
    it('adds, lists and releases apps', () => {
      state.quarantineApp('/shop/payments', { reason: 'not-recovered', cycleId: 'c-2' });
      assert.deepEqual(state.snapshot().quarantined, {
        '/shop/payments': { since: '2024-03-15T13:30:00.000Z', reason: 'not-recovered', cycleId: 'c-2' },
      });
      assert.equal(state.releaseApp('/shop/payments'), true);
      assert.equal(state.quarantined().size, 0);
    });
  });

  describe('cycle history', () => {
    it('summarises cycles newest first, with skip reasons counted and recovery times kept', () => {
      state.recordCycle(aKillThatRecovered);
      state.recordCycle(aWeakness);
      const [newest, older] = state.lastCycles();
      assert.equal(newest?.cycleId, 'c-2');
      assert.equal(newest?.weaknesses[0]?.reason, 'not-recovered');
      assert.equal(older?.cycleId, 'c-1');
      assert.deepEqual(older?.skippedByReason, { 'persistent-volumes': 1, deploying: 1 });
      assert.deepEqual(older?.recovery, [{ appId: '/shop/cart', recovered: true, timeToRecoverMs: 42_000 }]);
    });

    it('stays bounded over 1,500 cycles and keeps the latest 20', () => {
      for (let i = 0; i < 1500; i++) state.recordCycle({ ...aKillThatRecovered, cycleId: `c-${i}` });
      const last = state.lastCycles();
      assert.equal(last.length, 20);
      assert.equal(last[0]?.cycleId, 'c-1499');
      assert.equal(last[19]?.cycleId, 'c-1480');
      assert.equal(state.getCounters().cycles, 1500);
    });

    it('counts kills, dry-run kills, weaknesses and outcomes', () => {
      for (const r of [aKillThatRecovered, aWeakness, aDryRun, aSkippedCycle]) state.recordCycle(r);
      assert.deepEqual(state.getCounters(), {
        cycles: 4,
        cyclesByOutcome: { killed: 1, weakness: 1, 'dry-run': 1, skipped: 1 },
        kills: 2,
        dryRunKills: 1,
        weaknesses: 1,
      });
    });

    it('summarises a real record: the complete skip tally (not-opted-in included) and aborted watches', () => {
      const s = state.recordCycle(aBusyClusterKill());
      assert.deepEqual(s.skippedByReason, { 'not-opted-in': 37, deploying: 1 });
      assert.deepEqual(s.recovery, [
        { appId: '/shop/cart', recovered: true, timeToRecoverMs: 12_000 },
        { appId: '/shop/api', recovered: false, timeToRecoverMs: undefined },
      ]);
      assert.deepEqual(s.counts, { apps: 40, eligible: 2, candidates: 4, victims: 2, killed: 2, unmatched: 0 });
      assert.equal(state.getCounters().kills, 2);
    });

    it('shows why a gated cycle was skipped, from its gate', () => {
      const s = state.recordCycle(
        skippedCycleRecord('paused', 'paused by alice', { settings: { seed: 's', strategy: 'task', dryRun: false }, scheduledAt: aFridayAfternoon, now: aFridayAfternoon.getTime() }),
      );
      assert.equal(s.outcome, 'skipped');
      assert.equal(s.reason, 'paused');
      assert.equal(s.detail, 'paused by alice');
      assert.deepEqual(s.victims, []);
    });

    it('counts no kill for a cycle that failed before its kill request left', () => {
      const s = state.recordCycle(aCycleThatFailed({ victims: [victim('/a', 't')] }));
      assert.deepEqual(s.error, { code: 'E_MARATHON_UNAVAILABLE', message: 'no leader' });
      assert.equal(state.getCounters().kills, 0);
    });

    it('keeps at most 50 victims per summary', () => {
      const many = Array.from({ length: 80 }, (_, i) => victim('/big', `big.${i}`));
      const s = state.recordCycle(aCycleThatFailed({ victims: many }));
      assert.equal(s.victims.length, 50);
    });
  });

  it('reports uptime from the injected clock', async () => {
    await clock.advance(90_000);
    const snap = state.snapshot();
    assert.equal(snap.uptimeSeconds, 90);
    assert.equal(snap.startedAt, '2024-03-15T13:30:00.000Z');
  });
});
