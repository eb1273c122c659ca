/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument --
   these tests walk raw JSON from the wire on purpose: the point is to check what the simulator sends, not a typed view of it. */
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/platform/clock.js';
import { startSimulator, type RunningSim } from '../../src/sim/index.js';
import { appsOf, getJson, killRequest, scenarioWith } from './helpers.js';

const aMondayMorning = Date.parse('2024-03-04T09:00:00.000Z');

describe('sim: kill → relaunch lifecycle (ManualClock)', () => {
  let sim: RunningSim;
  let clock: ManualClock;
  afterEach(async () => sim.close());

  async function cart(): Promise<any> {
    return (await getJson(`${sim.marathonUrl}/v2/apps/shop/cart`)).body.app;
  }
  const counts = (app: any): number[] => [app.tasksStaged, app.tasksRunning, app.tasksHealthy, app.tasksUnhealthy];

  it('walks KILLING → KILLED → STAGING → STARTING → RUNNING → healthy with exact counts at each step', async () => {
    clock = new ManualClock(aMondayMorning);
    sim = await startSimulator({ scenario: scenarioWith(), clock });
    let app = await cart();
    assert.deepEqual(counts(app), [0, 2, 2, 0]);
    const victim = app.tasks[0];
    const instanceId = victim.id.replace(/\._app\.\d+$/, '');
    assert.match(victim.id, /^shop_cart\.instance-[0-9a-f-]{36}\._app\.1$/);

    const kill = await killRequest(sim.marathonUrl, [victim.id]);
    assert.equal(kill.status, 200);
    assert.equal(kill.body.tasks[0].state, 'TASK_RUNNING', 'the answer is the pre-kill snapshot');

    app = await cart();
    assert.equal(app.tasks[0].state, 'TASK_KILLING');
    assert.deepEqual(counts(app), [0, 1, 2, 0], 'KILLING is not running; its last health result still counts');

    await clock.advance(100);
    app = await cart();
    const killed = app.tasks[0];
    assert.equal(killed.state, 'TASK_KILLED');
    assert.equal(killed.id, victim.id);
    assert.equal(killed.stagedAt, undefined);
    assert.equal(killed.startedAt, undefined);
    assert.equal(killed.version, undefined);
    assert.deepEqual(killed.ports, []);
    assert.deepEqual(counts(app), [0, 1, 1, 0], 'a terminal task waiting for relaunch is excluded from counts');
    const queue = (await getJson(`${sim.marathonUrl}/v2/queue`)).body.queue;
    assert.equal(queue.length, 1);
    assert.equal(queue[0].app.id, '/shop/cart');
    assert.equal(queue[0].count, 1);

    await clock.advance(100);
    app = await cart();
    const staged = app.tasks[0];
    assert.equal(staged.state, 'TASK_STAGING');
    assert.equal(staged.id, `${instanceId}._app.2`, 'same instance id, next incarnation');
    assert.equal(staged.stagedAt, new Date(aMondayMorning + 200).toISOString());
    assert.equal(staged.startedAt, undefined);
    assert.deepEqual(counts(app), [1, 1, 1, 0]);
    assert.deepEqual((await getJson(`${sim.marathonUrl}/v2/queue`)).body.queue, []);

    await clock.advance(100);
    app = await cart();
    assert.equal(app.tasks[0].state, 'TASK_STARTING');
    assert.deepEqual(counts(app), [0, 1, 1, 0], 'STARTING is neither staged nor running');

    await clock.advance(100);
    app = await cart();
    assert.equal(app.tasks[0].state, 'TASK_RUNNING');
    assert.equal(app.tasks[0].startedAt, new Date(aMondayMorning + 400).toISOString());
    assert.deepEqual(app.tasks[0].healthCheckResults, [], 'no result before the first check');
    assert.deepEqual(counts(app), [0, 2, 1, 0]);

    await clock.advance(100);
    app = await cart();
    assert.equal(app.tasks[0].healthCheckResults[0].alive, true);
    assert.equal(app.tasks[0].healthCheckResults[0].instanceId, instanceId);
    assert.deepEqual(counts(app), [0, 2, 2, 0]);
  });

  it('skips TASK_KILLING when task_killing is off and keeps healthy=unhealthy=0 for apps without health checks', async () => {
    clock = new ManualClock(aMondayMorning);
    sim = await startSimulator({ scenario: scenarioWith((r) => ((r as any).marathon = { taskKilling: false })), clock });
    const plain = (await getJson(`${sim.marathonUrl}/v2/apps/plain`)).body.app;
    assert.equal(plain.healthChecks, undefined, 'empty healthChecks are omitted (1.5+)');
    assert.deepEqual(counts(plain), [0, 1, 0, 0]);
    await killRequest(sim.marathonUrl, [plain.tasks[0].id]);
    let now = (await getJson(`${sim.marathonUrl}/v2/apps/plain`)).body.app;
    assert.equal(now.tasks[0].state, 'TASK_RUNNING', 'without task_killing the task runs until TASK_KILLED');
    await clock.advance(100);
    now = (await getJson(`${sim.marathonUrl}/v2/apps/plain`)).body.app;
    assert.equal(now.tasks[0].state, 'TASK_KILLED');
    await clock.advance(1000);
    now = (await getJson(`${sim.marathonUrl}/v2/apps/plain`)).body.app;
    assert.equal(now.tasks[0].state, 'TASK_RUNNING');
    assert.deepEqual(counts(now), [0, 1, 0, 0]);
    const info = (await getJson(`${sim.marathonUrl}/v2/info`)).body;
    assert.deepEqual(info.marathon_config.features, []);
  });

  it('an old incarnation id kills the current task; a second kill of a killing task does nothing', async () => {
    clock = new ManualClock(aMondayMorning);
    sim = await startSimulator({ scenario: scenarioWith(), clock });
    const first = (await cart()).tasks[0].id as string;
    await killRequest(sim.marathonUrl, [first]);
    const again = await killRequest(sim.marathonUrl, [first]);
    assert.equal(again.body.tasks[0].state, 'TASK_KILLING');
    await clock.advance(500);
    const current = (await cart()).tasks[0];
    assert.equal(current.id, first.replace(/\.1$/, '.2'));
    const third = await killRequest(sim.marathonUrl, [first]);
    assert.equal(third.body.tasks[0].id, current.id, 'the response lists the current task of the instance');
    assert.equal((await cart()).tasks[0].state, 'TASK_KILLING');
  });

  it('respects GROUP_BY and pinned racks when relaunching', async () => {
    clock = new ManualClock(aMondayMorning);
    const scenario = scenarioWith((r) => {
      appsOf(r).push({ id: '/pinned', instances: 2, pinnedToRack: 'r2' });
    });
    sim = await startSimulator({ scenario, clock });
    const slaves = (await getJson(`${sim.mesosUrl}/master/slaves`)).body.slaves as any[];
    const rackOf = (agentId: string): string => slaves.find((s) => s.id === agentId).attributes.rack;
    const pinned = (await getJson(`${sim.marathonUrl}/v2/apps/pinned`)).body.app;
    assert.deepEqual(pinned.tasks.map((t: any) => rackOf(t.slaveId)), ['r2', 'r2']);
    for (let i = 0; i < 5; i++) {
      const app = await cart();
      assert.notEqual(rackOf(app.tasks[0].slaveId), rackOf(app.tasks[1].slaveId), 'GROUP_BY rack spreads the two tasks');
      await killRequest(sim.marathonUrl, [app.tasks[i % 2].id]);
      await clock.advance(1000);
    }
    await killRequest(sim.marathonUrl, pinned.tasks.map((t: any) => t.id));
    await clock.advance(1000);
    const after = (await getJson(`${sim.marathonUrl}/v2/apps/pinned`)).body.app;
    assert.deepEqual(after.tasks.map((t: any) => rackOf(t.slaveId)), ['r2', 'r2']);
  });
});
