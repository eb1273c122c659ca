import assert from 'node:assert/strict';
import type zookeeper from 'node-zookeeper-client';
import { ZkCoordinator, type ZkChange } from '../../src/zk/index.js';
import { partition, quiet, rawClient, rawOp, SESSION_MS, waitFor, zkSuite } from './support.js';

describe('ZkCoordinator: leader election on a real ZooKeeper', function () {
  this.timeout(15_000);
  const ctx = zkSuite('election');

  it('three instances: exactly one leader, the others stand by; members() names the leader', async () => {
    const [a, b, c] = [await ctx.fleet.start('a:1 pid 1'), await ctx.fleet.start('b:1 pid 2'), await ctx.fleet.start('c:1 pid 3')];
    await waitFor(() => ctx.fleet.leaders().length === 1 && b.role() === 'standby' && c.role() === 'standby', 2000, 'one leader');
    assert.equal(a.role(), 'leader');
    assert.equal(a.sessionState(), 'connected');
    assert.deepEqual(await c.members(), { self: 'c:1 pid 3', leader: 'a:1 pid 1', count: 3 });
  });

  it('a client of the shared state only (elect: false, as `resume` uses it) never leads, is not counted, and can still write the state', async () => {
    const r = await ctx.fleet.start('resume pid 9', { elect: false });
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(r.isLeader(), false, 'alone in the election it still never leads');
    assert.equal(r.electionNode(), undefined);
    const a = await ctx.fleet.start('a');
    await waitFor(() => a.isLeader(), 2000, 'the daemon leads');
    assert.equal((await a.members()).count, 1, 'the resume client is not an instance');
    await r.updateShared((s) => ({ ...s, paused: { since: '2026-11-25T10:00:00.000Z', reason: 'test' } }));
    await waitFor(async () => (await a.readShared()).state.paused?.reason === 'test', 2000, 'the daemon sees the write');
    assert.equal(r.isLeader(), false);
  });

  it('closing the leader hands the lead to the next instance, and its node is gone at once', async () => {
    const [a, b, c] = [await ctx.fleet.start('a'), await ctx.fleet.start('b'), await ctx.fleet.start('c')];
    await waitFor(() => a.isLeader(), 2000, 'a leads');
    const changes: ZkChange[] = [];
    b.onChange((e) => changes.push(e));
    const t = Date.now();
    await a.close();
    await waitFor(() => b.isLeader(), 2000, 'b leads');
    const ms = Date.now() - t;
    assert.ok(ms < 1000, `a clean handover takes one watch event, not a session timeout (${ms} ms)`);
    assert.equal(c.role(), 'standby');
    assert.deepEqual(changes, [{ role: 'leader', session: 'connected' }]);
    assert.equal(a.sessionState(), 'closed');
    assert.equal(a.role(), 'disconnected');
    assert.equal((await b.members()).count, 2);
  });

  it('each standby watches its predecessor only (no herd): a standby leaving does not move the leader', async () => {
    const [a, b, c] = [await ctx.fleet.start('a'), await ctx.fleet.start('b'), await ctx.fleet.start('c')];
    await waitFor(() => a.isLeader() && c.role() === 'standby', 2000, 'a leads');
    const watched = (x: ZkCoordinator) => [...(x as unknown as { watched: Set<string> }).watched].sort();
    const node = (x: ZkCoordinator) => x.electionNode()!;
    assert.deepEqual(watched(c), [node(b), node(c), `${ctx.root}/state`].sort(), 'c watches b (and its own node and the state), never a');
    assert.deepEqual(watched(b), [node(a), node(b), `${ctx.root}/state`].sort());
    await b.close();
    await waitFor(() => watched(c).includes(node(a)), 2000, 'c to watch a once b is gone');
    assert.ok(a.isLeader());
    assert.equal(c.role(), 'standby');
    await a.close();
    await waitFor(() => c.isLeader(), 2000, 'c leads');
  });

  it('a leader cut off stops leading at once; past the session timeout it is expired, and rejoins as a standby', async () => {
    const a = await ctx.fleet.start('a');
    const b = await ctx.fleet.start('b');
    await waitFor(() => a.isLeader(), 2000, 'a leads');
    const firstNode = a.electionNode();
    const seen: ZkChange[] = [];
    a.onChange((e) => seen.push(e));
    const cut = partition(a);
    try {
      await waitFor(() => a.sessionState() === 'suspended', 500, 'a to see its connection drop');
      assert.equal(a.isLeader(), false, 'fail closed: suspended is not leading, although the node may still exist');
      assert.equal(a.role(), 'disconnected');
      await waitFor(() => b.isLeader(), SESSION_MS + 2000, 'b to lead once a’s session expired');
    } finally {
      cut.heal();
    }
    // 'standby' from the moment the new session is up; in the election once its node is made.
    await waitFor(() => a.role() === 'standby' && a.electionNode() !== undefined, 3000, 'a to rejoin as a standby');
    assert.notEqual(a.electionNode(), firstNode);
    assert.deepEqual(
      seen.map((e) => `${e.role}/${e.session}`),
      ['disconnected/suspended', 'disconnected/lost', 'standby/connected'],
    );
    assert.equal((await b.members()).count, 2);
  });

  it('a leader whose connection drops and comes back within the session keeps the lead', async () => {
    const a = await ctx.fleet.start('a');
    await ctx.fleet.start('b');
    await waitFor(() => a.isLeader(), 2000, 'a leads');
    const node = a.electionNode();
    const cut = partition(a);
    await waitFor(() => a.sessionState() === 'suspended', 500, 'a suspended');
    assert.equal(a.isLeader(), false);
    cut.heal();
    await waitFor(() => a.isLeader(), 2000, 'a to lead again with the same session');
    assert.equal(a.electionNode(), node);
  });

  it('an election node deleted behind the leader’s back deposes it; it rejoins at the end of the line', async () => {
    const a = await ctx.fleet.start('a');
    const b = await ctx.fleet.start('b');
    await waitFor(() => a.isLeader(), 2000, 'a leads');
    const op = await rawClient(ctx.zk.connect);
    try {
      await rawOp<void>((cb) => op.remove(a.electionNode()!, cb as (e: Error | zookeeper.Exception | null) => void));
    } finally {
      op.close();
    }
    await waitFor(() => b.isLeader() && a.role() === 'standby', 2000, 'b leads, a stands by');
  });

  it('start() rejects with E_ZK_CONNECT when no server answers within connectTimeoutMs', async () => {
    const t = Date.now();
    await assert.rejects(
      ZkCoordinator.start({ url: 'zk://127.0.0.1:1/m', sessionTimeoutMs: SESSION_MS, identity: 'x', logger: quiet, connectTimeoutMs: 400 }),
      (err: Error & { code?: string; hint?: string }) => err.code === 'E_ZK_CONNECT' && /127\.0\.0\.1:1/.test(err.message) && /MONKEY_ZK/.test(err.hint ?? ''),
    );
    assert.ok(Date.now() - t < 2000);
  });
});
