/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument --
   these tests walk raw JSON from the wire on purpose: the point is to check what the simulator sends, not a typed view of it. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ManualClock } from '../../src/platform/clock.js';
import { marathonFixturesDir } from '../contract/fixtures.js';
import { startSimulator, type RunningSim } from '../../src/sim/index.js';
import { appsOf, getJson, killRequest, openSse, scenarioWith } from './helpers.js';
import { shapeDiff, type ShapeOptions } from './shape.js';

const FIXTURES = marathonFixturesDir();
const fixture = (rel: string): any => JSON.parse(readFileSync(`${FIXTURES}/${rel}`, 'utf8'));

/** Keys real payloads carry that the simulator leaves out or adds; everything else must match. */
const APP_OPTIONAL = [
  // app definition fields present in some Marathon versions / fixtures only
  'container', 'cmd', 'labels', 'args', 'user', 'env', 'uris', 'ports', 'dependencies', 'acceptedResourceRoles', 'fetch', 'storeUrls',
  'constraints', 'healthChecks', 'readinessChecks', 'secrets', 'portDefinitions', 'role', 'taskKillGracePeriodSeconds',
  'killSelection', 'unreachableStrategy', 'networks', 'gpus', 'lastTaskFailure', 'tasks', 'executor',
  // task fields that differ between 1.5 and 1.8+
  'servicePorts', 'healthCheckResults', 'localVolumes', 'region', 'zone', 'ipAddresses',
  // health-check fields with defaults
  'delaySeconds', 'path', 'ignoreHttp1xx', 'portIndex',
];
const APP_SHAPE: ShapeOptions = { optional: APP_OPTIONAL, maps: ['labels', 'env', 'attributes'] };
const t0 = Date.parse('2024-03-04T09:00:00.000Z');

describe('sim: responses have the shapes of real Marathon / Mesos payloads', () => {
  let sim: RunningSim;
  let clock: ManualClock;
  beforeEach(async () => {
    clock = new ManualClock(t0);
    sim = await startSimulator({
      scenario: scenarioWith((r) => appsOf(r).push({ id: '/busy', instances: 1, deploying: true, recentFailure: true })),
      clock,
      sseHeartbeatMs: 50,
    });
  });
  afterEach(async () => sim.close());

  it('GET /v2/apps?embed=apps.tasks ~ marathon15_apps.json, zdd_app_blue_marathon1.5.json and app_list.json', async () => {
    const { body, headers } = await getJson(`${sim.marathonUrl}/v2/apps?embed=apps.tasks`);
    assert.match(headers.get('content-type') ?? '', /^application\/json/);
    for (const f of ['captures-marathon-lb/marathon15_apps.json', 'captures-marathon-lb/zdd_app_blue_marathon1.5.json', 'raml-examples/app_list.json']) {
      assert.deepEqual(shapeDiff(body, fixture(f), APP_SHAPE), [], f);
    }
    const withHc = body.apps.find((a: any) => a.id === '/shop/cart');
    assert.deepEqual(shapeDiff(withHc.tasks[0].healthCheckResults[0], fixture('captures-marathon-lb/zdd_app_blue_marathon1.5.json').apps[0].tasks[0].healthCheckResults[0]), []);
  });

  it('lastTaskFailure ~ the legacy docs example', async () => {
    const app = (await getJson(`${sim.marathonUrl}/v2/apps/busy`)).body.app;
    const legacy = fixture('legacy-rest-api-md/v2-apps-response-2-tasks-lastTaskFailure.json');
    const ref = (legacy.apps ?? [legacy.app])[0].lastTaskFailure;
    assert.deepEqual(shapeDiff(app.lastTaskFailure, ref, { optional: ['slaveId'] }), []);
  });

  it('GET /v2/apps/{id}, /v2/apps/{id}/tasks and POST /v2/tasks/delete ~ raml examples', async () => {
    const single = (await getJson(`${sim.marathonUrl}/v2/apps/shop/cart`)).body;
    assert.deepEqual(Object.keys(single), ['app']);
    assert.deepEqual(shapeDiff({ apps: [single.app] }, fixture('captures-marathon-lb/zdd_app_blue_marathon1.5.json'), APP_SHAPE), []);
    const tasks = (await getJson(`${sim.marathonUrl}/v2/apps/shop/cart/tasks`)).body;
    assert.deepEqual(shapeDiff(tasks, fixture('raml-examples/app_tasks.json'), APP_SHAPE), []);
    const killed = (await killRequest(sim.marathonUrl, [tasks.tasks[0].id])).body;
    assert.deepEqual(shapeDiff(killed, fixture('raml-examples/tasks.json'), APP_SHAPE), []);
    const one = (await getJson(`${sim.marathonUrl}/v2/apps/shop/cart/tasks/${tasks.tasks[1].id}`, { method: 'DELETE' })).body;
    assert.deepEqual(shapeDiff(one, fixture('raml-examples/app_task.json'), APP_SHAPE), []);
    const scaled = (await killRequest(sim.marathonUrl, [tasks.tasks[1].id], '?scale=true&force=true')).body;
    assert.deepEqual(shapeDiff(scaled, fixture('raml-examples/deployments_result.json')), []);
  });

  it('GET /v2/deployments ~ deployments.json; GET /v2/queue ~ queue.json; GET /v2/info ~ info.json; /v2/leader', async () => {
    const deps = (await getJson(`${sim.marathonUrl}/v2/deployments`)).body;
    assert.equal(deps.length, 1);
    // The fixture's readinessCheckResults entry is one example of a non-empty list; ours is empty.
    assert.deepEqual(shapeDiff(deps, fixture('raml-examples/deployments.json')), []);
    const plain = (await getJson(`${sim.marathonUrl}/v2/apps/plain`)).body.app;
    await killRequest(sim.marathonUrl, [plain.tasks[0].id]);
    await clock.advance(100);
    const queue = (await getJson(`${sim.marathonUrl}/v2/queue`)).body;
    assert.equal(queue.queue.length, 1);
    assert.deepEqual(shapeDiff(queue, fixture('raml-examples/queue.json'), { ...APP_SHAPE, optional: [...APP_OPTIONAL, 'lastUnusedOfferAt', 'lastUsedOfferAt', 'rejectSummaryLastOffers', 'versionInfo', 'lastUnusedOffers'] }), []);
    const info = (await getJson(`${sim.marathonUrl}/v2/info`)).body;
    const infoFixture = fixture('raml-examples/info.json');
    assert.deepEqual(shapeDiff(info, infoFixture, { optional: Object.keys(infoFixture.marathon_config) }), []);
    assert.equal(info.marathon_config.mesos_leader_ui_url, `${sim.mesosUrl}/`);
    const leader = (await getJson(`${sim.marathonUrl}/v2/leader`)).body;
    assert.deepEqual(shapeDiff(leader, fixture('raml-inline/leader-get-200.json')), []);
    assert.equal(`http://${leader.leader}`, sim.marathonUrl);
  });

  it('error bodies ~ raml-inline', async () => {
    const notFound = await getJson(`${sim.marathonUrl}/v2/apps/not/there`);
    assert.equal(notFound.status, 404);
    assert.deepEqual(shapeDiff(notFound.body, fixture('raml-inline/app-get-404.json')), []);
    assert.equal(notFound.body.message, "App '/not/there' does not exist");
    const bad = await killRequest(sim.marathonUrl, ['oops']);
    assert.deepEqual(shapeDiff(bad.body, fixture('raml-inline/tasks-delete-400-invalid-task-id.json')), []);
    const invalid = await killRequest(sim.marathonUrl, '{"ids": 3}');
    assert.deepEqual(shapeDiff(invalid.body, fixture('raml-inline/object-not-valid-422.json')), []);
    const busy = (await getJson(`${sim.marathonUrl}/v2/apps/busy`)).body.app;
    const locked = await killRequest(sim.marathonUrl, [busy.tasks[0].id], '?scale=true');
    assert.deepEqual(shapeDiff(locked.body, fixture('raml-inline/deployable-409-locked-by-deployment.json')), []);
    const noDep = await getJson(`${sim.marathonUrl}/v2/deployments/unknown_deployment`, { method: 'DELETE' });
    assert.deepEqual(noDep.body, fixture('raml-inline/deployment-delete-404.json'));
  });

  it('GET /master/slaves ~ the Mesos agent fixtures, with attribute types as Mesos renders them', async () => {
    const { body } = await getJson(`${sim.mesosUrl}/master/slaves`);
    const state = fixture('mesos/master-state_mesos-1.2.0_dcos-ui.json');
    const agentOptional = ['domain', 'deactivated', 'capabilities', 'reserved_resources_full', 'unreserved_resources_full', 'used_resources_full', 'offered_resources_full', 'port'];
    assert.deepEqual(shapeDiff(body.slaves, state.slaves, { optional: agentOptional, maps: ['attributes', 'reserved_resources'] }), []);
    assert.deepEqual(shapeDiff(body.slaves, fixture('mesos/agents-with-attributes-and-domain_dcos-ui.json'), { optional: [...agentOptional, 'pid', 'registered_time', 'resources', 'used_resources', 'offered_resources', 'reserved_resources', 'unreserved_resources', 'active', 'version'], maps: ['attributes'] }), []);
    assert.deepEqual(body.slaves[0].attributes, { rack: 'r1', level: 10, slots: '[0-3]', tags: '{gpu,fast}' });
    assert.deepEqual(body.slaves[0].domain, { fault_domain: { region: { name: 'eu-1' }, zone: { name: 'eu-1a' } } });
    assert.match(body.slaves[0].id, /^[0-9a-f-]{36}-S0$/);
    const onMarathonPort = (await getJson(`${sim.marathonUrl}/master/slaves`)).body;
    assert.deepEqual(onMarathonPort, body);

    const st = (await getJson(`${sim.mesosUrl}/master/state`)).body;
    const fw = st.frameworks.find((f: any) => f.name === 'marathon');
    const marathonTask = fw.tasks[0];
    assert.deepEqual(shapeDiff(marathonTask, state.frameworks[0].tasks[0], { optional: ['labels', 'discovery', 'container', 'executor_id'], maps: ['resources'] }).filter((d) => !d.includes('statuses')), []);
    const apps = (await getJson(`${sim.marathonUrl}/v2/apps?embed=apps.tasks`)).body.apps;
    const allTasks = apps.flatMap((a: any) => a.tasks);
    for (const t of fw.tasks) {
      const m = allTasks.find((x: any) => x.id === t.id);
      assert.ok(m, 'Mesos task id == Marathon task id');
      assert.equal(m.slaveId, t.slave_id);
    }
  });

  it('SSE payloads ~ event-bus-doc and events.txt', async () => {
    const sse = await openSse(`${sim.marathonUrl}/v2/events`);
    await sse.waitFor((f) => f.event === 'event_stream_attached');
    assert.deepEqual(shapeDiff(sse.frames[0]!.data, fixture('events/raml-events-txt/event_stream_attached.json')), []);
    const cart = (await getJson(`${sim.marathonUrl}/v2/apps/shop/cart`)).body.app;
    await killRequest(sim.marathonUrl, [cart.tasks[0].id]);
    for (const step of [100, 100, 100, 100, 100]) {
      await clock.advance(step);
      sim.cluster.advance();
    }
    await sse.waitFor((f) => f.event === 'health_status_changed_event');
    sse.close();
    const ref: Record<string, any> = {
      status_update_event: fixture('events/raml-events-txt/status_update_event-TASK_RUNNING.json'),
      instance_changed_event: fixture('events/event-bus-doc/instance_changed_event.json'),
      health_status_changed_event: fixture('events/event-bus-doc/health_status_changed_event.json'),
      instance_health_changed_event: fixture('events/event-bus-doc/instance_health_changed_event.json'),
    };
    const seen = new Set<string>();
    for (const f of sse.frames.slice(1)) {
      assert.ok(ref[f.event], `unexpected event ${f.event}`);
      seen.add(f.event);
      assert.deepEqual(shapeDiff(f.data, ref[f.event], { optional: ['ipAddresses'] }), [], f.event);
    }
    assert.deepEqual([...seen].sort(), Object.keys(ref).sort());
  });
});

describe('sim: hand-written task JSON', () => {
  it('equals JSON.stringify(renderTask) for running, killed and resident tasks', async () => {
    const { renderTask, taskJson } = await import('../../src/sim/render.js');
    const clock = new ManualClock(t0);
    const sim = await startSimulator({ scenario: scenarioWith((r) => appsOf(r).push({ id: '/db', instances: 1, persistentVolumes: true, recentFailure: true })), clock });
    try {
      const insts = [...sim.cluster.apps.values()].flatMap((a) => a.instances);
      sim.cluster.kill([insts[0]!]);
      await clock.advance(100);
      sim.cluster.advance();
      for (const inst of insts) assert.equal(taskJson(inst), JSON.stringify(renderTask(inst)));
      const listed = (await getJson(`${sim.marathonUrl}/v2/apps?embed=apps.tasks`)).body.apps;
      for (const app of listed) {
        const single = (await getJson(`${sim.marathonUrl}/v2/apps${app.id}`)).body.app;
        assert.deepEqual(single, app);
        assert.deepEqual(Object.keys(app).slice(-2), app.lastTaskFailure ? ['tasks', 'lastTaskFailure'] : ['deployments', 'tasks']);
      }
    } finally {
      await sim.close();
    }
  });
});
