import assert from 'node:assert/strict';
import type zookeeper from 'node-zookeeper-client';
import type { KillLedger } from '../../src/domain/ports.js';
import type { ZkCoordinator } from '../../src/zk/index.js';
import { intentFor, partition, rawClient, rawOp, RecordingLedger, SESSION_MS, waitFor, zkSuite } from './support.js';

const MIN_KILL_MS = 60_000;

describe('ZkCoordinator: shared state and the fenced kill ledger on a real ZooKeeper', function () {
  this.timeout(20_000);
  const ctx = zkSuite('fencing');

  async function leaderWithLedger(): Promise<{ c: ZkCoordinator; local: RecordingLedger; ledger: KillLedger }> {
    const c = await ctx.fleet.start('leader');
    await waitFor(() => c.isLeader(), 2000, 'the leader');
    const local = new RecordingLedger();
    return { c, local, ledger: c.fencedLedger(local, { minKillIntervalMs: MIN_KILL_MS }) };
  }

  it('the leader’s intent goes to the shared state and the kill log in one transaction, then to the local journal; the answer settles it', async () => {
    const { c, local, ledger } = await leaderWithLedger();
    const standby = await ctx.fleet.start('standby');
    const i = intentFor(['/shop/cart', '/shop/api']);
    await ledger.recordIntent(i);
    assert.deepEqual(local.intents, [i]);
    const { state } = await standby.readShared();
    const at = Date.parse(i.time);
    assert.deepEqual(state.lastKillAt, { '/shop/cart': at, '/shop/api': at });
    assert.deepEqual(state.pending, { [i.cycleId]: { at, prev: { '/shop/cart': null, '/shop/api': null } } });
    assert.equal(state.updatedBy, 'leader');
    const log = await standby.killLog();
    assert.deepEqual(
      log.map(({ path: _p, ...e }) => e),
      [{ cycleId: i.cycleId, time: i.time, appIds: ['/shop/cart', '/shop/api'], taskIds: i.taskIds, by: 'leader' }],
    );

    await ledger.recordAnswer({ cycleId: i.cycleId, time: new Date().toISOString(), outcome: 'answered', killedAppIds: ['/shop/api'], matched: [i.taskIds[1]!], unmatched: [i.taskIds[0]!] });
    assert.equal(local.answers.length, 1);
    const after = (await standby.readShared()).state;
    assert.deepEqual(after.pending, {});
    assert.deepEqual(after.lastKillAt, { '/shop/api': at }, 'the app Marathon did not know gets its kill back');
    const [entry] = await standby.killLog();
    assert.equal(entry?.outcome, 'answered');
    assert.deepEqual(entry?.killedAppIds, ['/shop/api']);
    assert.ok(c.isLeader());
  });

  it('the shared state vetoes as the journal does (paused, min time between kills), whichever instance wrote it; nothing reaches the local journal', async () => {
    const { local, ledger } = await leaderWithLedger();
    const other = await ctx.fleet.start('other');
    await other.updateShared((s) => ({ ...s, paused: { since: '2024-03-05T10:00:00.000Z', reason: 'release', by: 'other' } }));
    await assert.rejects(ledger.recordIntent(intentFor(['/a'])), (e: Error & { code?: string }) => e.code === 'E_KILL_VETOED' && /shared state says chaos is paused since .*: release/.test(e.message));
    await other.updateShared((s) => ({ ...s, paused: null }));
    await ledger.recordIntent(intentFor(['/a']));
    await assert.rejects(ledger.recordIntent(intentFor(['/a'])), (e: Error & { code?: string }) => e.code === 'E_KILL_VETOED' && /within the minimum time/.test(e.message));
    assert.equal(local.intents.length, 1);
    assert.equal((await other.killLog()).length, 1);
  });

  it('a standby’s fenced ledger refuses (E_ZK_FENCED) without touching ZooKeeper or the local journal', async () => {
    await leaderWithLedger();
    const s = await ctx.fleet.start('standby');
    const local = new RecordingLedger();
    await assert.rejects(s.fencedLedger(local, { minKillIntervalMs: 0 }).recordIntent(intentFor(['/a'])), (e: Error & { code?: string }) => e.code === 'E_ZK_FENCED' && /not the leader/.test(e.message));
    assert.equal(local.intents.length, 0);
    assert.deepEqual((await s.readShared()).state.pending, {});
  });

  it('a leader whose election node is deleted behind its back never gets a kill through (20 tries), and the kill log stays empty', async () => {
    const { c, local, ledger } = await leaderWithLedger();
    const op = await rawClient(ctx.zk.connect);
    let byTransaction = 0;
    try {
      for (let n = 0; n < 20; n++) {
        await waitFor(() => c.isLeader() && c.electionNode() !== undefined, 2000, 'the leader to rejoin');
        const node = c.electionNode()!;
        // Deleted, and the intent asked for at once: the node's watch has not told the leader yet.
        const removed = rawOp<void>((cb) => op.remove(node, cb as (e: Error | zookeeper.Exception | null) => void));
        await removed;
        await assert.rejects(ledger.recordIntent(intentFor([`/app-${n}`])), (e: Error & { code?: string }) => {
          assert.equal(e.code, 'E_ZK_FENCED', e.message);
          if (/is gone: deposed/.test(e.message)) byTransaction++;
          return true;
        });
      }
    } finally {
      op.close();
    }
    assert.equal(local.intents.length, 0, 'the local journal (and so the kill request) was never reached');
    assert.deepEqual((await c.killLog()).length, 0);
    const { state } = await c.readShared();
    assert.deepEqual(state.lastKillAt, {});
    assert.deepEqual(state.pending, {});
    // How many the multi's check caught (the others: the node's watch came first). Both fence.
    process.stderr.write(`\n      (fenced by the transaction's check: ${byTransaction}/20, by the deletion watch: ${20 - byTransaction}/20)\n`);
  });

  it('a leader cut off past its session timeout is refused at once and again after it comes back, until it leads again', async () => {
    const { c, local, ledger } = await leaderWithLedger();
    const b = await ctx.fleet.start('b');
    const cut = partition(c);
    try {
      // Asked before the library has even noticed the drop: the step fails, no kill.
      await assert.rejects(ledger.recordIntent(intentFor(['/a0'])), (e: Error & { code?: string }) => e.code === 'E_ZK_FENCED');
      await waitFor(() => c.sessionState() === 'suspended', 500, 'c suspended');
      const t = Date.now();
      await assert.rejects(ledger.recordIntent(intentFor(['/a'])), (e: Error & { code?: string }) => e.code === 'E_ZK_FENCED');
      assert.ok(Date.now() - t < 100, 'suspended: refused without asking ZooKeeper');
      await waitFor(() => b.isLeader(), SESSION_MS + 2000, 'b to take over');
    } finally {
      cut.heal();
    }
    // Right after the heal the old session is found expired: still no kill.
    await assert.rejects(ledger.recordIntent(intentFor(['/b'])), (e: Error & { code?: string }) => e.code === 'E_ZK_FENCED');
    await waitFor(() => c.role() === 'standby' && c.electionNode() !== undefined, 3000, 'c back as a standby');
    await assert.rejects(ledger.recordIntent(intentFor(['/c'])), (e: Error & { code?: string }) => e.code === 'E_ZK_FENCED');
    assert.equal(local.intents.length, 0);
    await b.close();
    await waitFor(() => c.isLeader(), 2000, 'c to lead again');
    await ledger.recordIntent(intentFor(['/d']));
    assert.equal(local.intents.length, 1, 'a leader again: kills again');
  });

  it('a local journal that refuses the intent: nothing killed, and the shared intent is withdrawn', async () => {
    const { c, local, ledger } = await leaderWithLedger();
    local.failIntent = Object.assign(new Error('disk full'), { code: 'ENOSPC' });
    const i = intentFor(['/a']);
    await assert.rejects(ledger.recordIntent(i), /disk full/);
    await waitFor(async () => Object.keys((await c.readShared()).state.pending).length === 0, 2000, 'the pending intent withdrawn');
    assert.deepEqual((await c.readShared()).state.lastKillAt, {});
    const [entry] = await c.killLog();
    assert.equal(entry?.outcome, 'withdrawn');
  });

  it('two instances updating at once lose no update (2 × 50 read–modify–writes, plus pauses and quarantines)', async () => {
    const a = await ctx.fleet.start('a');
    const b = await ctx.fleet.start('b');
    const bump = (c: ZkCoordinator, n: number) =>
      (async () => {
        for (let k = 0; k < n; k++) {
          await c.updateShared((s) => ({ ...s, lastKillAt: { ...s.lastKillAt, '/counter': (s.lastKillAt['/counter'] ?? 0) + 1 } }));
        }
      })();
    const quarantine = (c: ZkCoordinator, app: string) => c.updateShared((s) => ({ ...s, quarantined: { ...s.quarantined, [app]: { cycleId: 'c', since: 'now', detail: `by ${c.root()}` } } }));
    await Promise.all([
      bump(a, 50),
      bump(b, 50),
      quarantine(a, '/qa'),
      quarantine(b, '/qb'),
      a.updateShared((s) => ({ ...s, paused: { since: 's', reason: 'first', by: 'a' } })),
      b.updateShared((s) => (s.paused ? undefined : { ...s, paused: { since: 's', reason: 'second', by: 'b' } })),
    ]);
    const { state, version } = await a.readShared();
    assert.equal(state.lastKillAt['/counter'], 100);
    assert.deepEqual(Object.keys(state.quarantined).sort(), ['/qa', '/qb']);
    assert.notEqual(state.paused, null);
    assert.ok(version >= 103);
  });

  it('onShared tells every instance of a change made by another, and the state outlives its writer', async () => {
    const a = await ctx.fleet.start('a');
    const b = await ctx.fleet.start('b');
    const seen: (string | undefined)[] = [];
    b.onShared((s) => seen.push(s.paused?.reason));
    await a.updateShared((s) => ({ ...s, paused: { since: 's', reason: 'maintenance', by: 'a' } }));
    await waitFor(() => seen.includes('maintenance'), 2000, 'b to hear of the pause');
    await a.updateShared((s) => ({ ...s, halted: { since: 's', reason: 'weakness found in /x', cycleId: 'c1' } }));
    await waitFor(() => b.lastShared()?.state.halted?.cycleId === 'c1', 2000, 'b to hear of the halt');
    await a.close();
    await b.close();
    const c = await ctx.fleet.start('c');
    const { state } = await c.readShared();
    assert.equal(state.paused?.reason, 'maintenance');
    assert.equal(state.halted?.reason, 'weakness found in /x');
  });

  it('the kill log stays bounded: entries beyond the last killLogKeep are pruned', async () => {
    const c = await ctx.fleet.start('pruner', { killLogKeep: 10 });
    await waitFor(() => c.isLeader(), 2000, 'the leader');
    const ledger = c.fencedLedger(new RecordingLedger(), { minKillIntervalMs: 0 });
    for (let n = 0; n < 35; n++) {
      const i = intentFor([`/app-${n}`]);
      await ledger.recordIntent(i);
      await ledger.recordAnswer({ cycleId: i.cycleId, time: i.time, outcome: 'answered', killedAppIds: [`/app-${n}`] });
    }
    await waitFor(async () => (await c.killLog()).length <= 11, 2000, 'the kill log pruned');
    const log = await c.killLog();
    assert.equal(log.at(-1)?.appIds[0], '/app-34', 'the newest entries stay');
    assert.ok(log.every((e) => e.outcome === 'answered'));
  });

  it('a corrupt state node fails closed: readShared and the fenced ledger throw E_ZK_STATE, nothing is killed', async () => {
    const { c, local, ledger } = await leaderWithLedger();
    const op = await rawClient(ctx.zk.connect);
    try {
      await rawOp((cb) => op.setData(`${ctx.root}/state`, Buffer.from('{"lastKillAt": oops'), -1, cb as (e: Error | zookeeper.Exception | null, s: zookeeper.Stat) => void));
    } finally {
      op.close();
    }
    await assert.rejects(c.readShared(), (e: Error & { code?: string }) => e.code === 'E_ZK_STATE');
    await assert.rejects(ledger.recordIntent(intentFor(['/a'])), (e: Error & { code?: string }) => e.code === 'E_ZK_STATE');
    await assert.rejects(c.updateShared((s) => s), (e: Error & { code?: string }) => e.code === 'E_ZK_STATE');
    assert.equal(local.intents.length, 0);
  });
});
