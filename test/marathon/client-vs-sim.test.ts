import assert from 'node:assert/strict';
import { MarathonClient } from '../../src/marathon/client.js';
import { MarathonError, type MarathonErrorCode } from '../../src/marathon/errors.js';
import { instanceKey } from '../../src/marathon/parse.js';
import { MesosClient, resolveMesosUrl } from '../../src/mesos/client.js';
import { joinTasksToAgents } from '../../src/mesos/join.js';
import { startSimulator, type RunningSim, type Scenario } from '../../src/sim/index.js';
import { appsOf, scenarioWith } from '../sim/helpers.js';
import { refusedUrl } from '../helpers/http-server.js';

/** The simulator tests' small cluster (3 agents in 3 racks, /shop/cart with health checks, /plain), in HA, with fast timings. */
function scenario(): Scenario {
  return scenarioWith((raw) => {
    raw.seed = 'client-vs-sim';
    raw.marathon = { instances: 3 };
    raw.mesos = { standbyMasters: 1 };
    raw.timings = { killGraceMs: 50, relaunchDelayMs: 50, stagingMs: 50, startingMs: 50, healthyAfterMs: 50 };
    for (const app of appsOf(raw)) delete app.constraints;
  });
}

async function rejectsWith(p: Promise<unknown>, code: MarathonErrorCode): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof MarathonError && e.code === code);
}

const UNKNOWN = 'shop_cart.instance-00000000-0000-4000-8000-000000000000._app.1';

describe('MarathonClient + MesosClient against the simulator', () => {
  let sim: RunningSim;
  beforeEach(async () => {
    sim = await startSimulator({ scenario: scenario(), noLeaderHoldMs: 30 });
  });
  afterEach(async () => sim.close());

  const client = (urls = sim.marathonUrls, extra: Partial<ConstructorParameters<typeof MarathonClient>[0]> = {}): MarathonClient =>
    new MarathonClient({ urls, timeoutMs: 1000, retries: 0, backoff: { baseMs: 1, maxMs: 5 }, ...extra });

  const deletes = (): number[] => sim.requestLog.filter((r) => r.path === '/v2/tasks/delete').map((r) => r.instance);

  it('listApps, label selector and getApp', async () => {
    const c = client();
    const apps = await c.listApps();
    assert.deepEqual(apps.map((a) => a.id).sort(), ['/plain', '/shop/cart']);
    const plain = apps.find((a) => a.id === '/plain')!;
    assert.deepEqual(plain.healthChecks, [], 'absent healthChecks normalised');
    const selected = await c.listApps({ labelSelector: 'monkey.enabled==true' });
    assert.deepEqual(selected.map((a) => a.id), ['/shop/cart']);
    const cart = await c.getApp('/shop/cart');
    assert.equal(cart.instances, 2);
    assert.equal(cart.tasks.length, 2);
    await rejectsWith(c.getApp('/shop/gone'), 'E_APP_NOT_FOUND');
  });

  it('killTasks: one request, unknown ids unmatched, the instance is relaunched with the next incarnation', async () => {
    const c = client();
    const cart = await c.getApp('/shop/cart');
    const victim = cart.tasks[0]!.id;
    const result = await c.killTasks([victim, UNKNOWN]);
    assert.deepEqual(result.killed.map((t) => t.id), [victim]);
    assert.deepEqual(result.unmatched, [UNKNOWN]);
    assert.deepEqual(deletes(), [0]);
    let replacement: string | undefined;
    for (let i = 0; i < 40 && replacement === undefined; i++) {
      await new Promise((r) => setTimeout(r, 25));
      const now = await c.getApp('/shop/cart');
      replacement = now.tasks.find((t) => instanceKey(t.id) === instanceKey(victim) && t.id !== victim && t.state === 'TASK_RUNNING')?.id;
    }
    assert.ok(replacement, 'the killed instance came back');
    assert.equal(deletes().length, 1);
  });

  it('fails over from a dead URL and follows X-Marathon-Leader to the new leader', async () => {
    const dead = await refusedUrl();
    sim.setLeader(2);
    const c = client([dead, ...sim.marathonUrls]);
    await c.listApps();
    const before = sim.requestLog.length;
    await c.listApps();
    const second = sim.requestLog.slice(before).filter((r) => r.path === '/v2/apps');
    assert.deepEqual(second.map((r) => r.instance), [2], 'went straight to the leader');
    const cart = await c.getApp('/shop/cart');
    await c.killTasks([cart.tasks[0]!.id]);
    assert.deepEqual(deletes(), [2]);
  });

  it('election in progress: reads and kills fail with E_MARATHON_NO_LEADER, no kill reaches Marathon', async () => {
    const c = client();
    const cart = await c.getApp('/shop/cart');
    sim.setLeader(null);
    await rejectsWith(c.listApps(), 'E_MARATHON_NO_LEADER');
    await rejectsWith(c.killTasks([cart.tasks[0]!.id]), 'E_MARATHON_NO_LEADER');
    assert.deepEqual(deletes(), []);
    sim.setLeader(1);
    assert.equal((await c.listApps()).length, 2);
  });

  it('faults: malformed JSON → E_MARATHON_BAD_RESPONSE; a dropped kill → E_KILL_UNCERTAIN, sent once', async () => {
    const c = client();
    const cart = await c.getApp('/shop/cart');
    sim.setFaults({ malformedJson: true, routes: ['/v2/apps'] });
    await rejectsWith(c.listApps(), 'E_MARATHON_BAD_RESPONSE');
    sim.setFaults({ malformedJson: false, dropConnections: true, routes: ['/v2/tasks/delete'] });
    await rejectsWith(c.killTasks([cart.tasks[0]!.id]), 'E_KILL_UNCERTAIN');
    assert.equal(deletes().length, 1);
  });

  it('Mesos: agents with attributes and fault domain, URL from /v2/info, 307 from a standby master, join by slaveId', async () => {
    const marathon = client();
    const mesosUrl = await resolveMesosUrl(marathon);
    assert.equal(mesosUrl, sim.mesosUrl);
    const agents = await new MesosClient({ url: sim.mesosStandbyUrls[0]!, timeoutMs: 1000, retries: 0 }).listAgents();
    assert.equal(agents.length, 3);
    const first = agents.find((a) => a.hostname === '10.0.0.1')!;
    assert.deepEqual(first.attributes, { rack: 'r1', level: 10, slots: '[0-3]', tags: '{gpu,fast}' });
    assert.equal(first.region, 'eu-1');
    assert.equal(first.zone, 'eu-1a');
    const tasks = (await marathon.listApps()).flatMap((a) => a.tasks);
    const joined = joinTasksToAgents(tasks, agents);
    assert.ok(joined.length > 0 && joined.every((j) => j.agent !== undefined && j.agent.hostname === j.task.host));
  });
});
