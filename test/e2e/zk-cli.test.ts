import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { cleanEnv, runCli, simEnv } from '../helpers/cli.js';
import { app } from './scenarios.js';
import { until, zkE2e } from './zk-fleet.js';

/** The commands with MONKEY_ZK set: validate, once, resume, and a daemon that cannot reach ZooKeeper. */
describe('the commands with MONKEY_ZK (real ZooKeeper, real binary)', function () {
  this.timeout(60_000);
  const t = zkE2e('monkey-zk-cli-');

  it('validate names the ZooKeeper target with the password masked, and refuses a bad URL naming MONKEY_ZK', async () => {
    const ok = await runCli(['validate'], cleanEnv({ MONKEY_JOURNAL: join(t.dir, 'j.jsonl'), MONKEY_ZK: 'zk://alice:s3cret@zk-1:2181,zk-2/monkey', MONKEY_ZK_SESSION_TIMEOUT_MS: '4000' }));
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /ZooKeeper zk:\/\/alice:\*\*\*@zk-1:2181,zk-2\/monkey \(servers zk-1:2181,zk-2:2181, node \/monkey, digest auth as alice, session timeout 4000 ms\)/);
    assert.doesNotMatch(ok.stdout + ok.stderr, /s3cret/);
    for (const url of ['zk://alice:s3cret@zk-1:2181', 'zk://alice:s3cret@zk-1:2181/zookeeper/x']) {
      const bad = await runCli(['validate'], cleanEnv({ MONKEY_JOURNAL: join(t.dir, 'j.jsonl'), MONKEY_ZK: url }));
      assert.equal(bad.code, 1, bad.stdout);
      assert.match(bad.stderr, /MONKEY_ZK/);
      assert.doesNotMatch(bad.stdout + bad.stderr, /s3cret/);
    }
  });

  it('once refuses to run outside the election, and kills nothing', async () => {
    const sim = await t.sim([app('/zk/once')]);
    const r = await runCli(['once'], simEnv(sim, join(t.dir, 'j.jsonl'), { MONKEY_DRY_RUN: 'false', MONKEY_ZK: `zk://${t.zk.connect}/once` }));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /E_ZK_ONCE/);
    assert.match(r.stderr, /fix: .*plan/);
    assert.equal(sim.killRequests.length, 0);
    assert.equal(sim.requestLog.length, 0);
  });

  it('resume clears a halt and a pause in the shared state: every daemon resumes', async () => {
    const sim = await t.sim([app('/zk/weak', { weakness: 'never-healthy' })]);
    const fleet = t.fleet(sim, { MONKEY_RECOVERY_TIMEOUT: '1' });
    const a = await fleet.start();
    const b = await fleet.start();
    await until(async () => ((await fleet.status(b))?.halted ? true : undefined), 15_000, 'the halt everywhere');
    assert.equal((await fleet.control(a, '/pause', { by: 'alice' })).status, 200);
    const r = await runCli(['resume'], cleanEnv({ MONKEY_JOURNAL: join(t.dir, 'cli.jsonl'), MONKEY_ZK: fleet.zkUrl }));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /resumed: cleared the halt of .* \(weakness found in \/zk\/weak\) and the pause of .* in the shared state in zk:\/\/127\.0\.0\.1:\d+\/monkey-/);
    for (const m of [a, b]) {
      await until(async () => {
        const s = await fleet.status(m);
        return s?.halted === null && s.paused === null ? true : undefined;
      }, 5_000, `${m.name} resumed`);
    }
    const again = await runCli(['resume'], cleanEnv({ MONKEY_JOURNAL: join(t.dir, 'cli.jsonl'), MONKEY_ZK: fleet.zkUrl }));
    assert.match(again.stdout, /had no halt or pause; nothing changed/);
  });

  it('run: ZooKeeper unreachable at start is fatal, with the reason and a fix, and nothing is killed', async () => {
    const sim = await t.sim([app('/zk/nozk')]);
    // A port that accepts connections and never answers, like a hung server.
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const r = await runCli(['run'], simEnv(sim, join(t.dir, 'j.jsonl'), { MONKEY_PORT: '0', MONKEY_HOST: '127.0.0.1', MONKEY_ZK: `zk://127.0.0.1:${port}/nozk`, MONKEY_ZK_SESSION_TIMEOUT_MS: '1000' }), 40_000);
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, /E_ZK_CONNECT/);
      assert.match(r.stderr, /fix: /);
      assert.equal(sim.killRequests.length, 0);
    } finally {
      silent.close();
    }
  });
});
