import assert from 'node:assert/strict';
import { HaLink, REASON_SHARED_UNREADABLE, REASON_SHARED_UNWRITABLE, REASON_ZK_DISCONNECTED, adoptMemory } from '../../src/daemon/ha.js';
import { MonkeyMetrics } from '../../src/daemon/metrics.js';
import { DaemonState } from '../../src/daemon/state.js';
import { renderStatusPage, statusViewFrom } from '../../src/daemon/status-page.js';
import type { CycleRecord } from '../../src/domain/record.js';
import { emptyJournalState } from '../../src/journal/state.js';
import { memoryLogger } from '../../src/log.js';
import { ManualClock } from '../../src/platform/clock.js';
import { applyCycleToShared, emptyShared, type SharedState, type ZkCoordinator, type ZkRole } from '../../src/zk/index.js';
import { FakeCoordinator } from './fake-coordinator.js';
import { aFridayAfternoon, answeredKill, notRecovered, parsePrometheus, sampleValue, victim } from './helpers.js';

function setup(o: { role?: ZkRole } = {}) {
  const clock = new ManualClock(aFridayAfternoon.getTime());
  const coordinator = new FakeCoordinator();
  coordinator.roleNow = o.role ?? 'leader';
  const state = new DaemonState({ clock });
  state.setReady();
  const metrics = new MonkeyMetrics({ defaultMetrics: false });
  let healthy = 0;
  const link = new HaLink({
    coordinator: coordinator as unknown as ZkCoordinator,
    maskedUrl: 'zk://alice:***@zk-1:2181/monkey',
    sessionTimeoutMs: 1500,
    identity: 'me',
    state,
    metrics,
    logger: memoryLogger().logger,
    onHealthy: () => {
      healthy++;
      state.setReady();
    },
  });
  return { clock, coordinator, state, metrics, link, healthy: () => healthy };
}

async function gauge(metrics: MonkeyMetrics, name: string): Promise<number | undefined> {
  return sampleValue(parsePrometheus((await metrics.expose()).body).samples, name);
}

function weaknessRecord(): CycleRecord {
  return answeredKill({ cycleId: 'c-weak', at: aFridayAfternoon, victims: [victim('/shop/cart', 'cart.1')], after: { '/shop/cart': notRecovered() } });
}

describe('HaLink: the daemon on ZooKeeper (fake coordinator)', () => {
  const links: HaLink[] = [];
  afterEach(async () => {
    for (const l of links.splice(0)) await l.close();
  });
  const started = async (o: { role?: ZkRole; shared?: SharedState } = {}) => {
    const s = setup(o);
    if (o.shared) s.coordinator.state = o.shared;
    links.push(s.link);
    await s.link.start(emptyJournalState());
    return s;
  };

  it('takes pause, halt and quarantines from the shared state at start and whenever it changes', async () => {
    const shared = applyCycleToShared(emptyShared(), weaknessRecord());
    const { state, coordinator, metrics } = await started({ shared, role: 'standby' });
    assert.equal(state.halted?.appId, '/shop/cart');
    assert.equal(state.halted?.cycleId, 'c-weak');
    assert.equal(state.canAct().ok, false);
    assert.ok(state.quarantined().has('/shop/cart'));
    assert.equal(await gauge(metrics, 'marathon_monkey_halted'), 1);

    // Another instance resumes, then pauses.
    coordinator.write({ ...coordinator.state, halted: null });
    assert.equal(state.halted, undefined);
    assert.equal(state.canAct().ok, true);
    coordinator.write({ ...coordinator.state, paused: { since: '2024-03-15T13:31:00.000Z', reason: 'game day', by: 'alice' } });
    assert.deepEqual(state.paused, { since: '2024-03-15T13:31:00.000Z', reason: 'game day', by: 'alice' });
    assert.equal(state.canAct().ok, false);
    assert.equal(await gauge(metrics, 'marathon_monkey_paused'), 1);
  });

  it('adoptMemory: the guards read the shared last kills, quarantines, halt and pause; the journal’s own bookkeeping stays', () => {
    const memory = emptyJournalState();
    memory.lastKillAt.set('/old', 1);
    memory.records = 7;
    const shared = { ...applyCycleToShared(emptyShared(), weaknessRecord()), lastKillAt: { '/shop/cart': 42 }, paused: { since: 'x' } };
    adoptMemory(memory, shared);
    assert.deepEqual([...memory.lastKillAt], [['/shop/cart', 42]]);
    assert.ok(memory.quarantined.has('/shop/cart'));
    assert.equal(memory.halted?.cycleId, 'c-weak');
    assert.deepEqual(memory.paused, { since: 'x' });
    assert.equal(memory.records, 7);
  });

  it('mayKill only as a connected leader; losing the leadership aborts the leader signal (the watch in flight); the gauges follow', async () => {
    const { link, coordinator, metrics, state } = await started();
    assert.equal(link.mayKill(), true);
    assert.equal(await gauge(metrics, 'marathon_monkey_leader'), 1);
    assert.equal(await gauge(metrics, 'marathon_monkey_zk_session_up'), 1);
    const signal = link.leaderSignal();
    assert.equal(signal.aborted, false);

    coordinator.set('disconnected', 'suspended');
    assert.equal(link.mayKill(), false);
    assert.equal(signal.aborted, true);
    assert.match(String((signal.reason as Error).message), /no longer the ZooKeeper leader/);
    assert.equal(state.getReadiness().reason, REASON_ZK_DISCONNECTED);
    assert.equal(await gauge(metrics, 'marathon_monkey_leader'), 0);
    assert.equal(await gauge(metrics, 'marathon_monkey_zk_session_up'), 0);

    // Back as a standby: ready (a healthy standby), still no kill.
    coordinator.set('standby', 'connected');
    assert.equal(state.getReadiness().ready, true);
    assert.equal(link.mayKill(), false);
    // Leader again: a fresh signal for the new term.
    coordinator.set('leader', 'connected');
    assert.equal(link.mayKill(), true);
    assert.equal(link.leaderSignal().aborted, false);
    assert.equal(link.status().role, 'leader');
  });

  it('a cycle whose effect cannot be shared: not ready, no kill, the slot skipped; written at the next slot, then ready again', async () => {
    const s = await started();
    s.coordinator.failWrites = Object.assign(new Error('ZooKeeper connection lost'), { code: 'E_ZK_UNAVAILABLE' });
    await s.link.afterCycle(weaknessRecord());
    assert.equal(s.state.getReadiness().reason, REASON_SHARED_UNWRITABLE);
    assert.equal(s.link.mayKill(), false);
    const memory = emptyJournalState();
    const before = await s.link.beforeCycle(memory);
    assert.deepEqual(before.ok ? 'ok' : before.reason, REASON_SHARED_UNWRITABLE);

    s.coordinator.failWrites = undefined;
    const again = await s.link.beforeCycle(memory);
    assert.equal(again.ok, true);
    assert.equal(s.healthy(), 1);
    assert.equal(s.link.mayKill(), true);
    // The weakness reached the shared state, and the cycle's memory.
    assert.ok(s.coordinator.state.quarantined['/shop/cart']);
    assert.equal(s.coordinator.state.halted?.cycleId, 'c-weak');
    assert.ok(memory.quarantined.has('/shop/cart'));
  });

  it('a shared state that cannot be read skips the leader’s slot', async () => {
    const s = await started();
    s.coordinator.failReads = new Error('the shared state in ZooKeeper cannot be read: is not JSON');
    const r = await s.link.beforeCycle(emptyJournalState());
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.reason, REASON_SHARED_UNREADABLE);
  });

  it('pause: the first pause stays when two land at once (compare-and-set, nothing lost); resume clears pause and halt for all', async () => {
    const s = await started({ shared: applyCycleToShared(emptyShared(), weaknessRecord()) });
    // Another instance's pause lands between this one's read and write.
    s.coordinator.interleave = () => s.coordinator.write({ ...s.coordinator.state, paused: { since: '2024-03-15T13:30:00.500Z', reason: 'first', by: 'carol' } });
    const changed = await s.link.pause({ at: '2024-03-15T13:30:01.000Z', reason: 'second', by: 'dave' });
    assert.equal(changed, false);
    assert.equal(s.coordinator.state.paused?.by, 'carol');
    assert.equal(s.state.paused?.by, 'carol');
    assert.equal(await s.link.resume(), true);
    assert.equal(s.coordinator.state.paused, null);
    assert.equal(s.coordinator.state.halted, null);
    assert.ok(s.coordinator.state.quarantined['/shop/cart'], 'a resume lifts no quarantine');
    assert.equal(s.state.canAct().ok, true);
    assert.equal(await s.link.resume(), false);
  });

  it('/status and the page: role, masked URL, leader, members and the shared state', async () => {
    const s = await started({ role: 'standby', shared: { ...emptyShared(), lastKillAt: { '/shop/cart': aFridayAfternoon.getTime() }, updatedBy: 'other' } });
    await new Promise((r) => setImmediate(r));
    const status = s.link.status();
    assert.equal(status.role, 'standby');
    assert.deepEqual(status.zk, { url: 'zk://alice:***@zk-1:2181/monkey', session: 'connected', self: 'me', leader: 'other', members: 2, sessionTimeoutMs: 1500 });
    assert.deepEqual(status.shared?.lastKillAt, { '/shop/cart': aFridayAfternoon.toISOString() });
    assert.equal(status.shared?.updatedBy, 'other');
    const extras = JSON.parse(JSON.stringify(status)) as Record<string, unknown>;
    const html = renderStatusPage(statusViewFrom(extras, s.state.snapshot(), aFridayAfternoon));
    assert.match(html, /<dt>Role<\/dt><dd>standby of 2 instances; the leader is other \(ZooKeeper zk:\/\/alice:\*\*\*@zk-1:2181\/monkey, session connected\)<\/dd>/);
    assert.match(html, /id="state"><span class="dot"><\/span>standby</);
    // Without ZooKeeper: a single instance.
    assert.match(renderStatusPage(statusViewFrom({ role: 'single' }, s.state.snapshot(), aFridayAfternoon)), /<dt>Role<\/dt><dd>single instance<\/dd>/);
  });

  it('a single instance counts as the leader in marathon_monkey_leader and has no session gauge', async () => {
    const metrics = new MonkeyMetrics({ defaultMetrics: false });
    assert.equal(await gauge(metrics, 'marathon_monkey_leader'), 1);
    assert.equal(await gauge(metrics, 'marathon_monkey_zk_session_up'), undefined);
    metrics.setRole('standby');
    assert.equal(await gauge(metrics, 'marathon_monkey_leader'), 0);
  });
});
