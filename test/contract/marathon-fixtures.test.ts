import assert from 'node:assert/strict';
import { MarathonError } from '../../src/marathon/errors.js';
import {
  instanceKey,
  parseAppList,
  parseAppResponse,
  parseBody,
  parseInfo,
  parseLeader,
  parseTaskList,
} from '../../src/marathon/parse.js';
import { MarathonClient } from '../../src/marathon/client.js';
import { ServerPool, sendText } from '../helpers/http-server.js';
import { fixture, fixtureText } from './fixtures.js';

const apps = { method: 'GET', endpoint: '/v2/apps' };
const app = { method: 'GET', endpoint: '/v2/apps/x' };
const kill = { method: 'POST', endpoint: '/v2/tasks/delete' };
/** The keys a normalised task may have (types.ts MarathonTask). */
const TASK_KEYS = new Set(['id', 'appId', 'host', 'slaveId', 'state', 'stagedAt', 'startedAt', 'version', 'localVolumes', 'region', 'zone', 'ports']);

describe('contract: the parser accepts real Marathon payloads', () => {
  const listings = [
    'captures-marathon-lb/marathon15_apps.json',
    'captures-marathon-lb/zdd_apps.json',
    'captures-marathon-lb/zdd_app_blue_marathon1.5.json',
    'raml-examples/app_list.json',
    'legacy-rest-api-md/v2-apps-response-1.json',
    'legacy-rest-api-md/v2-apps-response-2-tasks-lastTaskFailure.json',
  ];
  for (const file of listings) {
    it(`GET /v2/apps: ${file}`, () => {
      const parsed = parseAppList(fixture(file), apps);
      assert.ok(parsed.length > 0);
      for (const a of parsed) {
        // Normalised shape: collections always present, counts numeric.
        assert.ok(Array.isArray(a.healthChecks) && Array.isArray(a.tasks) && Array.isArray(a.deployments) && Array.isArray(a.constraints));
        assert.equal(typeof a.labels, 'object');
        for (const t of a.tasks) {
          assert.ok(Array.isArray(t.localVolumes));
          // Only the kept fields: service ports, addresses and health results are validated, not kept.
          if (t.ports !== undefined) assert.ok(t.ports.length > 0 && t.ports.every((p) => Number.isInteger(p)), `${file}: task ports`);
          for (const key of Object.keys(t)) assert.ok(TASK_KEYS.has(key), `${file}: task key ${key}`);
          assert.match(t.state, /^TASK_/);
          assert.equal(t.appId, a.id);
        }
      }
    });
  }

  it('Marathon 1.5: absent healthChecks become [], tasks without healthCheckResults parse', () => {
    const [a] = parseAppList(fixture('captures-marathon-lb/marathon15_apps.json'), apps);
    assert.deepEqual(a!.healthChecks, []);
    assert.equal(a!.tasks[0]!.state, 'TASK_RUNNING');
    assert.deepEqual(a!.constraints, []);
    assert.equal(a!.tasks[0]!.slaveId, 'db7b40e2-791c-445f-b373-183e2a648a86-S1');
    assert.deepEqual(a!.labels, { HAPROXY_GROUP: 'external', HAPROXY_0_VHOST: 'myvhost.com' });
  });

  it('0.15-era listing: old health results (taskId, lastFailure null) are accepted, tasks without state', () => {
    const [green] = parseAppList(fixture('captures-marathon-lb/zdd_apps.json'), apps);
    assert.equal(green!.tasks[0]!.id, 'nginx-green.1883a887-c931-11e5-9836-026ee08d9f6f');
    // No `state` in 0.15-era tasks: started ones are running.
    assert.equal(green!.tasks[0]!.state, 'TASK_RUNNING');
    assert.equal(green!.healthChecks[0]!.protocol, 'HTTP');
  });

  it('MESOS_HTTP health checks and their results (1.5)', () => {
    const [a] = parseAppList(fixture('captures-marathon-lb/zdd_app_blue_marathon1.5.json'), apps);
    assert.equal(a!.healthChecks[0]!.protocol, 'MESOS_HTTP');
    assert.ok(a!.tasks.length > 0);
  });

  it('RAML app_list: deployment in progress, no tasks embedded', () => {
    const [a] = parseAppList(fixture('raml-examples/app_list.json'), apps);
    assert.deepEqual(a!.deployments, [{ id: '9538079c-3898-4e32-aa31-799bf9097f74' }]);
    assert.deepEqual(a!.tasks, []);
    assert.deepEqual(a!.constraints, [['hostname', 'UNIQUE', '']]);
  });

  it('legacy listing: missing labels → {}, partial upgradeStrategy, staging task with startedAt null, lastTaskFailure', () => {
    const [a1] = parseAppList(fixture('legacy-rest-api-md/v2-apps-response-1.json'), apps);
    assert.deepEqual(a1!.labels, {});
    assert.deepEqual(a1!.upgradeStrategy, { minimumHealthCapacity: 1, maximumOverCapacity: 1 });
    const [a2] = parseAppList(fixture('legacy-rest-api-md/v2-apps-response-2-tasks-lastTaskFailure.json'), apps);
    const t = a2!.tasks[0]!;
    assert.equal(t.state, 'TASK_STAGING');
    assert.equal(t.startedAt, undefined);
    assert.equal(t.slaveId, undefined);
    assert.equal(a2!.lastTaskFailure?.taskId, 'ubuntu.4b20f4a9-503f-11e4-bd18-56847afe9799');
    assert.equal(a2!.lastTaskFailure?.state, 'TASK_FAILED');
    // Host-path volumes are not persistent: the app is not stateful.
    assert.deepEqual(a2!.volumes, []);
  });

  it('GET /v2/apps/{id}: legacy toggle app', () => {
    const a = parseAppResponse(fixture('legacy-rest-api-md/v2-apps-toggle-embed-apps.tasks.json'), app);
    assert.equal(a.id, '/toggle');
    assert.equal(a.tasks.length, 2);
    assert.ok(a.tasks.every((t) => t.state === 'TASK_RUNNING'));
    assert.deepEqual(
      a.tasks.map((t) => t.id),
      ['toggle.802df2ae-3ad4-11e4-a400-56847afe9799', 'toggle.7c99814d-3ad4-11e4-a400-56847afe9799'],
    );
  });

  it('task lists: RAML tasks.json as a kill answer, app_tasks.json, old healthCheckResults', () => {
    const killed = parseTaskList(fixture('raml-examples/tasks.json'), kill);
    assert.deepEqual(
      killed.map((t) => [t.id, t.state, t.region, t.zone]),
      [
        ['frontend-foosball.083be411-5d1f-11e5-88f7-56b91e7a505b', 'TASK_RUNNING', 'primary', 'a'],
        ['tools_docker_registry.002b4d28-46b9-11e5-b731-525400cce7ed', 'TASK_RUNNING', 'primary', 'a'],
      ],
    );
    const appTasks = parseTaskList(fixture('raml-examples/app_tasks.json'), { method: 'GET', endpoint: '/v2/apps/minecraft/survival-world/tasks' });
    assert.equal(appTasks[0]!.state, 'TASK_STAGING');
    const old = parseTaskList(fixture('legacy-rest-api-md/v2-tasks-with-healthCheckResults.json'), { method: 'GET', endpoint: '/v2/tasks' });
    assert.equal(old[0]!.id, 'bridged-webapp.eb76c51f-4b4a-11e4-ae49-56847afe9799');
    assert.equal(old[0]!.state, 'TASK_RUNNING');
    assert.deepEqual(parseTaskList(fixture('legacy-rest-api-md/v2-apps-appId-tasks-delete-response.json'), kill), []);
  });

  it('per-app task list without appId (0.x) takes the app id from the caller', () => {
    const tasks = parseTaskList(fixture('legacy-rest-api-md/v2-apps-appId-tasks.json'), { method: 'GET', endpoint: '/v2/apps/my-app/tasks' }, '/my-app');
    assert.deepEqual(
      tasks.map((t) => [t.id, t.appId, t.state]),
      [
        ['my-app_1-1396592790353', '/my-app', 'TASK_RUNNING'],
        ['my-app_0-1396592784349', '/my-app', 'TASK_RUNNING'],
      ],
    );
    assert.throws(() => parseTaskList(fixture('legacy-rest-api-md/v2-apps-appId-tasks.json'), kill), /\$\.tasks\[0\]\.appId/);
  });

  it('GET /v2/info and /v2/leader', () => {
    const info = parseInfo(fixture('raml-examples/info.json'), { method: 'GET', endpoint: '/v2/info' });
    assert.deepEqual(info, {
      name: 'marathon',
      version: '1.5.0-SNAPSHOT',
      elected: true,
      leader: 'localhost:8080',
      frameworkId: '96d7da70-b731-4cfb-96a7-0ee877af615d-0000',
      mesosLeaderUiUrl: 'http://localhost:5050/',
    });
    assert.equal(parseLeader(fixture('raml-inline/leader-get-200.json'), { method: 'GET', endpoint: '/v2/leader' }), 'marathon.globalcorp.com:8080');
  });

  it('instance keys across id formats', () => {
    const cases: [string, string][] = [
      ['shop_cart.instance-0b6b0e0c-6d41-11ee-9a3d-0242ac110002._app.3', 'shop_cart.instance-0b6b0e0c-6d41-11ee-9a3d-0242ac110002'],
      ['shop_cart.instance-0b6b0e0c-6d41-11ee-9a3d-0242ac110002', 'shop_cart.instance-0b6b0e0c-6d41-11ee-9a3d-0242ac110002'],
      ['shop_cart.marathon-0b6b0e0c-6d41-11ee-9a3d-0242ac110002', 'shop_cart.marathon-0b6b0e0c-6d41-11ee-9a3d-0242ac110002'],
      ['frontend-foosball.083be411-5d1f-11e5-88f7-56b91e7a505b', 'frontend-foosball.083be411-5d1f-11e5-88f7-56b91e7a505b'],
      ['my-app_1-1396592790353', 'my-app_1-1396592790353'],
    ];
    for (const [id, expected] of cases) assert.equal(instanceKey(id), expected, id);
  });
});

describe('contract: malformed answers become E_MARATHON_BAD_RESPONSE naming endpoint and path', () => {
  const cases: { name: string; body: unknown; path: RegExp }[] = [
    { name: 'no apps key', body: {}, path: /GET \/v2\/apps: .*\$\.apps: expected an array, got nothing/ },
    { name: 'apps is an object', body: { apps: {} }, path: /\$\.apps: expected an array, got an object/ },
    { name: 'app without id', body: { apps: [{ instances: 1, tasksStaged: 0, tasksRunning: 0, tasksHealthy: 0, tasksUnhealthy: 0 }] }, path: /\$\.apps\[0\]\.id: expected a string/ },
    {
      name: 'instances is a string',
      body: { apps: [{ id: '/a', instances: '2', tasksStaged: 0, tasksRunning: 0, tasksHealthy: 0, tasksUnhealthy: 0 }] },
      path: /\$\.apps\[0\]\.instances: expected a number, got string "2"/,
    },
    {
      name: 'missing count',
      body: { apps: [{ id: '/a', instances: 2, tasksStaged: 0, tasksHealthy: 0, tasksUnhealthy: 0 }] },
      path: /\$\.apps\[0\]\.tasksRunning/,
    },
    {
      name: 'label value not a string',
      body: { apps: [{ id: '/a', instances: 1, labels: { 'monkey.enabled': true }, tasksStaged: 0, tasksRunning: 0, tasksHealthy: 0, tasksUnhealthy: 0 }] },
      path: /\$\.apps\[0\]\.labels\["monkey\.enabled"\]: expected a string, got boolean true/,
    },
    {
      name: 'unknown task state',
      body: { apps: [{ id: '/a', instances: 1, tasksStaged: 0, tasksRunning: 0, tasksHealthy: 0, tasksUnhealthy: 0, tasks: [{ id: 't', appId: '/a', host: 'h', state: 'TASK_BOGUS' }] }] },
      path: /\$\.apps\[0\]\.tasks\[0\]\.state: expected a Mesos task state .*TASK_BOGUS/,
    },
    {
      name: 'health result alive missing',
      body: { apps: [{ id: '/a', instances: 1, tasksStaged: 0, tasksRunning: 0, tasksHealthy: 0, tasksUnhealthy: 0, tasks: [{ id: 't', appId: '/a', host: 'h', state: 'TASK_RUNNING', healthCheckResults: [{}] }] }] },
      path: /\$\.apps\[0\]\.tasks\[0\]\.healthCheckResults\[0\]\.alive/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.throws(
        () => parseAppList(c.body, apps),
        (e: unknown) => {
          assert.ok(e instanceof MarathonError);
          assert.equal(e.code, 'E_MARATHON_BAD_RESPONSE');
          assert.equal(e.endpoint, '/v2/apps');
          assert.match(e.message, c.path);
          return true;
        },
      );
    });
  }

  const bodies: [string, string, string | undefined, RegExp][] = [
    ['HTML error page', '<html><body><h2>HTTP ERROR 502</h2></body></html>', 'text/html', /HTML page instead of JSON/],
    ['truncated JSON', fixtureText('raml-examples/app_list.json').slice(0, 300), 'application/json', /invalid or truncated JSON \(it ends unexpectedly/],
    ['empty body', '', 'application/json', /empty body/],
    ['garbage', '{"apps": x}', 'application/json', /invalid or truncated JSON/],
  ];
  for (const [name, text, ct, re] of bodies) {
    it(name, () => {
      assert.throws(
        () => parseBody(text, ct, { method: 'GET', endpoint: '/v2/apps', status: 200 }),
        (e: unknown) => e instanceof MarathonError && e.code === 'E_MARATHON_BAD_RESPONSE' && /^GET \/v2\/apps: /.test(e.message) && re.test(e.message),
      );
    });
  }

  it('a JSON parse error never quotes the body', () => {
    assert.throws(
      () => parseBody('{"secret": "hunter2" oops', 'application/json', { method: 'GET', endpoint: '/v2/apps', status: 200 }),
      (e: unknown) => e instanceof MarathonError && !e.message.includes('hunter2'),
    );
  });
});

describe('contract: fixtures served over real HTTP', () => {
  const pool = new ServerPool();
  afterEach(() => pool.closeAll());

  it('listApps returns the normalised zdd_apps.json listing', async () => {
    const text = fixtureText('captures-marathon-lb/zdd_apps.json');
    const server = await pool.start((_req, res) => sendText(res, 200, text, 'application/json'));
    const client = new MarathonClient({ urls: [server.url], timeoutMs: 1000, retries: 0 });
    const listed = await client.listApps();
    assert.deepEqual(listed.map((a) => [a.id, a.tasks.length, a.tasksHealthy]), [
      ['/nginx-green', 3, 3],
      ['/nginx-blue', 1, 1],
    ]);
  });
});
