import assert from 'node:assert/strict';
import { uniqueRoot, zkUrl, zookeeperOrSkip, type ZooKeeperServer } from '../helpers/zookeeper.js';
import { Fleet, intentFor, quiet, RecordingLedger, SESSION_MS, waitFor } from './support.js';

describe('ZkCoordinator: ZooKeeper itself stops (SIGSTOP, SIGKILL, restart)', function () {
  this.timeout(30_000);
  let zk: ZooKeeperServer | undefined;
  let fleet: Fleet;

  before(async function () {
    zk = await zookeeperOrSkip(this);
  });
  after(async () => zk?.stop());
  beforeEach(() => {
    fleet = new Fleet({ url: zkUrl(zk!, uniqueRoot('outage')), sessionTimeoutMs: SESSION_MS, logger: quiet });
  });
  afterEach(async () => {
    zk?.resume();
    await fleet.closeAll();
  });

  it('a server that stops answering (SIGSTOP): no leader within 2/3 of the session timeout, the fenced intent fails within its timeout; one leader again after SIGCONT', async () => {
    const a = await fleet.start('a');
    const b = await fleet.start('b');
    await waitFor(() => a.isLeader(), 2000, 'a leads');
    const local = new RecordingLedger();
    const ledger = a.fencedLedger(local, { minKillIntervalMs: 0 });
    zk!.suspend();
    const t = Date.now();
    // Asked at once: the transaction is sent and never answered.
    await assert.rejects(ledger.recordIntent(intentFor(['/a'])), (e: Error & { code?: string }) => e.code === 'E_ZK_FENCED');
    const failedAfter = Date.now() - t;
    assert.ok(failedAfter < SESSION_MS + 500, `fencing gave up after ${failedAfter} ms (timeout ${SESSION_MS})`);
    await waitFor(() => !a.isLeader() && a.sessionState() === 'suspended' && !b.isLeader(), SESSION_MS, 'nobody to lead');
    const silentAfter = Date.now() - t;
    await assert.rejects(ledger.recordIntent(intentFor(['/b'])), (e: Error & { code?: string }) => e.code === 'E_ZK_FENCED');
    await new Promise((r) => setTimeout(r, SESSION_MS));
    assert.equal(a.isLeader() || b.isLeader(), false, 'still nobody leads while ZooKeeper is stopped');
    zk!.resume();
    await waitFor(() => fleet.leaders().length === 1 && a.electionNode() !== undefined && b.electionNode() !== undefined, 8000, 'one leader again');
    assert.equal(local.intents.length, 0);
    // The transaction sent before the stop may land when the server resumes: it is withdrawn.
    const leader = fleet.leaders()[0]!;
    await waitFor(async () => Object.keys((await leader.readShared()).state.pending).length === 0, 3000, 'no pending intent left');
    assert.deepEqual((await leader.readShared()).state.lastKillAt, {});
    process.stderr.write(`\n      (fencing failed after ${failedAfter} ms; no leader after ${silentAfter} ms)\n`);
  });

  it('a server killed and restarted on the same data: the state survives, one leader again', async () => {
    const a = await fleet.start('a');
    const b = await fleet.start('b');
    await waitFor(() => a.isLeader(), 2000, 'a leads');
    await a.updateShared((s) => ({ ...s, quarantined: { '/weak': { cycleId: 'c1', since: 's', detail: 'not recovered' } } }));
    zk!.kill();
    await waitFor(() => a.sessionState() === 'suspended' && b.sessionState() === 'suspended', 2000, 'both suspended');
    assert.equal(a.isLeader(), false);
    await zk!.restart();
    await waitFor(() => fleet.leaders().length === 1, 8000, 'one leader again');
    const { state } = await fleet.leaders()[0]!.readShared();
    assert.deepEqual(Object.keys(state.quarantined), ['/weak']);
  });
});
