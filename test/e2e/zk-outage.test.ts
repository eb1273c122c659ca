import assert from 'node:assert/strict';
import { app } from './scenarios.js';
import { sleep, until, zkE2e, type Json } from './zk-fleet.js';

/**
 * ZooKeeper itself goes away (issue 12): suspended with SIGSTOP (it holds its sockets and answers
 * nothing, the nastiest way to fail), then killed, then started again on the same port and data.
 */
describe('ZooKeeper suspended, then killed, then back (real processes)', function () {
  this.timeout(120_000);
  const t = zkE2e('monkey-zk-outage-');

  it('no kill is sent once ZooKeeper stops answering; when it is back, exactly one leader again, and it kills again', async () => {
    const sim = await t.sim(Array.from({ length: 10 }, (_, i) => app(`/outage/app-${i}`)));
    const fleet = t.fleet(sim, { MONKEY_MIN_KILL_INTERVAL: '0' });
    await fleet.start();
    await fleet.start();
    await fleet.leader(10_000);
    await until(() => (sim.killRequests.length >= 2 ? true : undefined), 15_000, 'the leader killing');

    const suspendedAt = Date.now();
    t.zk.suspend();
    // Well past the 1.5 s session timeout: the leader's session is suspended, then lost.
    await sleep(3_500);
    for (const m of fleet.monkeys) {
      const s: Json = (await fleet.status(m))!;
      assert.notEqual(s.zk.session, 'connected', `${m.name}: ${JSON.stringify(s.zk)}`);
      assert.equal(s.role, 'disconnected');
      const ready = await fetch(`${m.url}/ready`);
      assert.equal(ready.status, 503);
      assert.equal(((await ready.json()) as { reason: string }).reason, 'zk-disconnected');
      assert.match(await (await fetch(`${m.url}/metrics`)).text(), /^marathon_monkey_zk_session_up 0$/m);
    }
    t.zk.kill();
    await sleep(1_500);
    // A kill whose fencing transaction ZooKeeper had already answered may still have been on its
    // way to Marathon at the instant of the suspension: a few milliseconds over loopback. Anything
    // later would have been sent without ZooKeeper's say-so.
    const late = sim.killRequests.filter((k) => k.at > suspendedAt + 50);
    assert.deepEqual(late, [], 'no kill request after ZooKeeper stopped answering');

    await t.zk.restart();
    const leader = await fleet.leader(20_000);
    assert.ok(leader);
    const before = sim.killRequests.length;
    await until(() => (sim.killRequests.length > before ? true : undefined), 15_000, 'kills again once ZooKeeper is back');
    // Still exactly one leader.
    const roles = await fleet.roles();
    assert.deepEqual(roles.filter((r) => r === 'leader').length, 1, JSON.stringify(roles));
  });
});
