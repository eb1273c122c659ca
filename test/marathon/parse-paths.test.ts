import assert from 'node:assert/strict';
import { MarathonError } from '../../src/marathon/errors.js';
import { parseAppList, parseAppResponse, parseInfo, parseTaskList } from '../../src/marathon/parse.js';

// The parser builds JSON paths only when a check fails (a stack of keys and indexes, not a string
// per field); these pin the exact path of failures deep inside an answer.

const ctx = { method: 'GET', endpoint: '/v2/apps' };

function task(i: number): Record<string, unknown> {
  return {
    id: `a.instance-00000000-0000-0000-0000-00000000000${i}._app.1`,
    appId: '/a',
    host: '10.0.0.1',
    state: 'TASK_RUNNING',
    startedAt: '2024-01-01T00:00:00.000Z',
    ports: [31000, 31001],
    servicePorts: [10000],
    ipAddresses: [{ ipAddress: '10.0.0.1', protocol: 'IPv4' }],
    healthCheckResults: [{ alive: true, consecutiveFailures: 0, lastSuccess: '2024-01-01T00:00:10.000Z', lastFailure: null }],
  };
}

function app(): Record<string, unknown> {
  return {
    id: '/a',
    instances: 2,
    labels: { team: 'x', 'odd key': 'y' },
    healthChecks: [{ protocol: 'HTTP', path: '/h' }, { protocol: 'COMMAND', command: { value: 'true' } }],
    constraints: [['hostname', 'UNIQUE'], ['rack', 'GROUP_BY', '2']],
    container: { volumes: [{ hostPath: '/tmp' }, { containerPath: 'data', persistent: { size: 10 } }] },
    upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 },
    tasksStaged: 0,
    tasksRunning: 2,
    tasksHealthy: 2,
    tasksUnhealthy: 0,
    deployments: [{ id: 'd1' }],
    tasks: [task(1), task(2)],
    lastTaskFailure: { appId: '/a', taskId: 't', state: 'TASK_FAILED', timestamp: '2024-01-01T00:00:00.000Z' },
  };
}

type Mutate = (a: Record<string, any>) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

const cases: [string, Mutate, string][] = [
  ['constraint element', (a) => (a.constraints[1][2] = 2), '$.apps[1].constraints[1][2]: expected a string, got number 2'],
  ['constraint not an array', (a) => (a.constraints[0] = 'x'), '$.apps[1].constraints[0]: expected an array, got string "x"'],
  ['label with an odd key', (a) => (a.labels['odd key'] = 1), '$.apps[1].labels["odd key"]: expected a string, got number 1'],
  ['health check command', (a) => (a.healthChecks[1].command = { value: null }), '$.apps[1].healthChecks[1].command.value: expected a string, got null'],
  ['health check number', (a) => (a.healthChecks[0].timeoutSeconds = 'x'), '$.apps[1].healthChecks[0].timeoutSeconds: expected a number, got string "x"'],
  ['persistent volume size', (a) => (a.container.volumes[1].persistent.size = 'big'), '$.apps[1].container.volumes[1].persistent.size: expected a number, got string "big"'],
  ['volume not an object', (a) => (a.container.volumes[0] = 3), '$.apps[1].container.volumes[0]: expected an object, got number 3'],
  ['upgrade strategy', (a) => (a.upgradeStrategy.maximumOverCapacity = true), '$.apps[1].upgradeStrategy.maximumOverCapacity: expected a number, got boolean true'],
  ['deployment id', (a) => (a.deployments[0].id = ''), '$.apps[1].deployments[0].id: expected a non-empty string, got ""'],
  ['task port', (a) => (a.tasks[1].ports[1] = '31001'), '$.apps[1].tasks[1].ports[1]: expected a number, got string "31001"'],
  ['task state', (a) => (a.tasks[1].state = 'RUNNING'), '$.apps[1].tasks[1].state: expected a Mesos task state (TASK_RUNNING, TASK_STAGING, …), got string "RUNNING"'],
  ['task ip protocol', (a) => (a.tasks[0].ipAddresses[0].protocol = 4), '$.apps[1].tasks[0].ipAddresses[0].protocol: expected a string, got number 4'],
  ['health result time', (a) => (a.tasks[1].healthCheckResults[0].lastSuccess = 0), '$.apps[1].tasks[1].healthCheckResults[0].lastSuccess: expected a string, got number 0'],
  ['health result alive', (a) => delete a.tasks[0].healthCheckResults[0].alive, '$.apps[1].tasks[0].healthCheckResults[0].alive: expected true or false, got nothing (field missing)'],
  ['last task failure', (a) => (a.lastTaskFailure.timestamp = null), '$.apps[1].lastTaskFailure.timestamp: expected a string, got null'],
  ['count after tasks', (a) => (a.tasksUnhealthy = -1), '$.apps[1].tasksUnhealthy: expected a non-negative integer, got number -1'],
];

describe('marathon parse: JSON paths of failures deep inside a listing', () => {
  it('the unmodified listing parses', () => {
    const apps = parseAppList({ apps: [app(), app()] }, ctx);
    assert.equal(apps.length, 2);
    assert.deepEqual(apps[1]?.constraints, [['hostname', 'UNIQUE'], ['rack', 'GROUP_BY', '2']]);
    assert.deepEqual(apps[1]?.volumes, [{ containerPath: 'data', persistent: { size: 10 } }]);
    assert.deepEqual(apps[1]?.tasks[1]?.localVolumes, []);
    assert.deepEqual(apps[1]?.labels, { team: 'x', 'odd key': 'y' });
  });

  it('keeps the task host ports (what a per-task probe connects to), and no ports key when there are none', () => {
    const withPorts = parseAppList({ apps: [app()] }, ctx);
    assert.deepEqual(withPorts[0]?.tasks[1]?.ports, [31000, 31001]);
    const none = app();
    const [t1, t2] = none.tasks as Record<string, unknown>[];
    t1!.ports = [];
    delete t2!.ports;
    const parsed = parseAppList({ apps: [none] }, ctx);
    for (const t of parsed[0]!.tasks) assert.equal('ports' in t, false);
  });

  it('one-port tasks share one frozen array per port (a 50,000-task listing keeps ~1,000 arrays, not 50,000)', () => {
    const a = app();
    for (const t of a.tasks as Record<string, unknown>[]) t.ports = [31007];
    const [t1, t2] = parseAppList({ apps: [a] }, ctx)[0]!.tasks;
    assert.deepEqual(t1?.ports, [31007]);
    assert.equal(t1?.ports, t2?.ports);
    assert.ok(Object.isFrozen(t1?.ports));
  });

  for (const [name, mutate, message] of cases) {
    it(name, () => {
      const bad = app();
      mutate(bad);
      assert.throws(
        () => parseAppList({ apps: [app(), bad] }, ctx),
        (e: unknown) => e instanceof MarathonError && e.code === 'E_MARATHON_BAD_RESPONSE' && e.message === `GET /v2/apps: unexpected answer from Marathon: ${message}`,
      );
    });
  }

  it('single app, task list and info answers name their own roots', () => {
    assert.throws(() => parseAppResponse({ app: { ...app(), instances: 'x' } }, ctx), /: \$\.app\.instances: expected a number/);
    assert.throws(() => parseAppResponse({}, ctx), /: \$\.app: expected an object, got nothing/);
    assert.throws(() => parseTaskList({ tasks: [task(1), { ...task(2), id: 7 }] }, ctx), /: \$\.tasks\[1\]\.id: expected a string, got number 7/);
    assert.throws(
      () => parseInfo({ name: 'marathon', version: '1.10', elected: true, leader: 'h:8080', marathon_config: { mesos_leader_ui_url: 5 } }, ctx),
      /: \$\.marathon_config\.mesos_leader_ui_url: expected a string, got number 5/,
    );
  });
});
