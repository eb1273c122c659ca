/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument --
   these tests walk raw JSON from the wire on purpose: the point is to check what the simulator sends, not a typed view of it. */
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/platform/clock.js';
import { startSimulator, type RunningSim } from '../../src/sim/index.js';
import { appsOf, getJson, killRequest, scenarioWith } from './helpers.js';

const t0 = Date.parse('2024-03-04T09:00:00.000Z');

describe('sim: POST /v2/tasks/delete and per-app kills (docs/marathon-api.md §5, §7)', () => {
  let sim: RunningSim;
  let clock: ManualClock;
  let taskIds: string[];
  beforeEach(async () => {
    clock = new ManualClock(t0);
    sim = await startSimulator({
      scenario: scenarioWith((r) => appsOf(r).push({ id: '/busy', instances: 2, deploying: true })),
      clock,
    });
    taskIds = (await getJson(`${sim.marathonUrl}/v2/apps/shop/cart`)).body.app.tasks.map((t: any) => t.id);
  });
  afterEach(async () => sim.close());

  const states = async (): Promise<string[]> => (await getJson(`${sim.marathonUrl}/v2/apps/shop/cart`)).body.app.tasks.map((t: any) => t.state);
  const unknownButWellFormed = 'shop_cart.instance-00000000-0000-4000-8000-000000000000._app.1';

  const cases: { name: string; body: unknown; query?: string; contentType?: string; status: number; message: RegExp }[] = [
    { name: 'an id matching no pattern rejects the whole request', body: ['__LIVE__', 'oops'], status: 400, message: /^Invalid task id 'oops'\. \[/ },
    { name: 'a well-shaped id whose uuid part is not a UUID', body: ['shop_cart.instance-nope._app.1'], status: 422, message: /Invalid UUID string: nope/ },
    { name: 'scale and wipe together', body: ['__LIVE__'], query: '?scale=true&wipe=true', status: 400, message: /^You cannot use scale and wipe at the same time\.$/ },
    { name: 'a body that is not JSON', body: '{"ids": [', status: 400, message: /^Invalid JSON$/ },
    { name: 'ids missing', body: '{"tasks": []}', status: 422, message: /^Invalid JSON$/ },
    { name: 'ids not strings', body: '{"ids": [1, 2]}', status: 422, message: /^Invalid JSON$/ },
    { name: 'no JSON content type', body: ['__LIVE__'], contentType: 'text/plain', status: 415, message: /Unsupported Media Type/ },
  ];
  for (const c of cases) {
    it(`${c.status}: ${c.name}; nothing is killed`, async () => {
      const body = Array.isArray(c.body) ? c.body.map((x) => (x === '__LIVE__' ? taskIds[0] : x)) : c.body;
      const res = await killRequest(sim.marathonUrl, body, c.query ?? '', c.contentType);
      assert.equal(res.status, c.status);
      assert.match(res.body.message, c.message);
      assert.deepEqual(await states(), ['TASK_RUNNING', 'TASK_RUNNING']);
    });
  }

  it('200: unknown well-formed ids are silently ignored; the answer lists only matched tasks', async () => {
    const res = await killRequest(sim.marathonUrl, [unknownButWellFormed, taskIds[1]]);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.tasks.map((t: any) => t.id), [taskIds[1]]);
    const none = await killRequest(sim.marathonUrl, [unknownButWellFormed]);
    assert.deepEqual(none.body, { tasks: [] });
    assert.deepEqual(await states(), ['TASK_RUNNING', 'TASK_KILLING']);
  });

  it('already-terminal tasks are listed but not re-killed', async () => {
    await killRequest(sim.marathonUrl, [taskIds[0]]);
    await clock.advance(100);
    assert.deepEqual(await states(), ['TASK_KILLED', 'TASK_RUNNING']);
    const res = await killRequest(sim.marathonUrl, [taskIds[0]]);
    assert.equal(res.body.tasks[0].state, 'TASK_KILLED');
    await clock.advance(100);
    assert.deepEqual(await states(), ['TASK_STAGING', 'TASK_RUNNING'], 'the relaunch was not disturbed');
  });

  it('scale=true: a deployment lowers instances and the killed task is not replaced', async () => {
    const res = await killRequest(sim.marathonUrl, [taskIds[0]], '?scale=true');
    assert.equal(res.status, 200);
    assert.match(res.body.deploymentId, /^[0-9a-f-]{36}$/);
    assert.equal(res.headers.get('marathon-deployment-id'), res.body.deploymentId);
    let app = (await getJson(`${sim.marathonUrl}/v2/apps/shop/cart`)).body.app;
    assert.equal(app.instances, 1);
    assert.deepEqual(app.deployments, [{ id: res.body.deploymentId }]);
    const deps = (await getJson(`${sim.marathonUrl}/v2/deployments`)).body;
    assert.ok(deps.some((d: any) => d.id === res.body.deploymentId && d.affectedApps.includes('/shop/cart')));
    await clock.advance(2000);
    app = (await getJson(`${sim.marathonUrl}/v2/apps/shop/cart`)).body.app;
    assert.equal(app.tasks.length, 1);
    assert.deepEqual(app.deployments, []);
    assert.equal(app.tasksRunning, 1);
  });

  it('scale=true on an app locked by a deployment → 409 unless force=true', async () => {
    const busy = (await getJson(`${sim.marathonUrl}/v2/apps/busy`)).body.app;
    assert.equal(busy.deployments.length, 1);
    const res = await killRequest(sim.marathonUrl, [busy.tasks[0].id], '?scale=true');
    assert.equal(res.status, 409);
    assert.match(res.body.message, /^App is locked by one or more deployments\. Override with the option '\?force=true'\./);
    assert.deepEqual(res.body.deployments, busy.deployments);
    assert.equal((await getJson(`${sim.marathonUrl}/v2/apps/busy`)).body.app.tasksRunning, 2);
    const forced = await killRequest(sim.marathonUrl, [busy.tasks[0].id], '?scale=true&force=true');
    assert.equal(forced.status, 200);
    assert.equal((await getJson(`${sim.marathonUrl}/v2/apps/busy`)).body.app.instances, 1);
  });

  it('scale=false on a deploying app kills without a lock check', async () => {
    const busy = (await getJson(`${sim.marathonUrl}/v2/apps/busy`)).body.app;
    const res = await killRequest(sim.marathonUrl, [busy.tasks[0].id]);
    assert.equal(res.status, 200);
    assert.equal(res.body.tasks.length, 1);
  });

  it('DELETE /v2/apps/{id}/tasks/{taskId}: pre-kill task, 404 for unknown task and app', async () => {
    const res = await getJson(`${sim.marathonUrl}/v2/apps/shop/cart/tasks/${taskIds[0]}`, { method: 'DELETE' });
    assert.equal(res.status, 200);
    assert.equal(res.body.task.id, taskIds[0]);
    assert.equal(res.body.task.state, 'TASK_RUNNING');
    const missing = await getJson(`${sim.marathonUrl}/v2/apps/shop/cart/tasks/${unknownButWellFormed}`, { method: 'DELETE' });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.message, `Task '${unknownButWellFormed}' does not exist`);
    const noApp = await getJson(`${sim.marathonUrl}/v2/apps/nope/tasks/${taskIds[0]}`, { method: 'DELETE' });
    assert.equal(noApp.status, 404);
    assert.equal(noApp.body.message, "App '/nope' does not exist");
  });

  it('DELETE /v2/apps/{id}/tasks?host= kills the tasks on that host only', async () => {
    const app = (await getJson(`${sim.marathonUrl}/v2/apps/shop/cart`)).body.app;
    const res = await getJson(`${sim.marathonUrl}/v2/apps/shop/cart/tasks?host=${app.tasks[1].host}`, { method: 'DELETE' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.tasks.map((t: any) => t.id), [app.tasks[1].id]);
    assert.deepEqual(await states(), ['TASK_RUNNING', 'TASK_KILLING']);
  });

  it('wipe=true replaces the instance with a new instance id', async () => {
    await killRequest(sim.marathonUrl, [taskIds[0]], '?wipe=true');
    await clock.advance(100);
    await clock.advance(1000);
    const app = (await getJson(`${sim.marathonUrl}/v2/apps/shop/cart`)).body.app;
    const instanceOf = (id: string): string => id.replace(/\._app\.\d+$/, '');
    assert.equal(app.tasks.length, 2);
    assert.ok(!app.tasks.some((t: any) => instanceOf(t.id) === instanceOf(taskIds[0]!)));
    assert.equal(app.tasksRunning, 2);
  });
});
