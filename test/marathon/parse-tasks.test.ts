import assert from 'node:assert/strict';
import { ReceivedBody } from '../../src/http/transport.js';
import { AppListReader, parseAppList, parseAppListBytes, parseBody } from '../../src/marathon/parse.js';
import type { MarathonApp } from '../../src/marathon/types.js';
import { app, ctx, outcome } from './listing-helpers.js';

// The byte paths (parseAppListBytes, AppListReader) and the text path (parseAppList) share one
// task normaliser, which validates every field Marathon documents and keeps a compact copy of the
// ones marathon-monkey reads. Whatever a task looks like, all paths must give the same tasks (same
// keys, same values) and the same error messages.

const full = {
  id: 'a.t1',
  appId: '/a',
  host: 'h1',
  slaveId: 'S1',
  state: 'TASK_RUNNING',
  stagedAt: '2024-01-01T00:00:00.000Z',
  startedAt: '2024-01-01T00:00:01.000Z',
  version: 'v1',
  ports: [31000],
  servicePorts: [10000],
  ipAddresses: [{ ipAddress: 'h1', protocol: 'IPv4' }],
  healthCheckResults: [{ alive: true, consecutiveFailures: 0, firstSuccess: 'x', lastSuccess: 'y', lastFailure: null, lastFailureCause: null, instanceId: 'a.t1' }],
  localVolumes: [],
  role: '*',
  region: 'r',
  zone: 'z',
};

/** Tasks as different Marathon versions (and odd ones) list them. */
const tasks: [string, Record<string, unknown>][] = [
  ['every field', full],
  ['minimal, pre-0.8 (no state, started)', { id: 'a.t2', host: 'h', startedAt: 's' }],
  ['minimal, pre-0.8 (no state, not started)', { id: 'a.t3', host: 'h' }],
  ['null optionals and collections', { ...full, slaveId: null, stagedAt: null, startedAt: null, version: null, region: null, zone: null, role: null, ports: null, servicePorts: null, ipAddresses: null, healthCheckResults: null, localVolumes: null, state: null }],
  ['unknown keys', { ...full, extra: 1, mesosStatus: { a: 1 }, ['__proto__']: { polluted: true } }],
  ['unknown keys in an ip address and a health result', { ...full, ipAddresses: [{ ipAddress: '10.0.0.1', protocol: 'IPv4', extra: 1 }], healthCheckResults: [{ alive: false, extra: 2 }] }],
  ['an old health result (taskId only)', { ...full, healthCheckResults: [{ alive: true, consecutiveFailures: 1, taskId: 'a.t1' }] }],
  ['a health result with null ids and no counter', { ...full, healthCheckResults: [{ alive: true, taskId: null, instanceId: null }] }],
  ['a health result with both ids', { ...full, healthCheckResults: [{ alive: true, taskId: 'old', instanceId: 'new' }] }],
  ['a health result with a null instanceId and a taskId', { ...full, healthCheckResults: [{ alive: true, taskId: 'old', instanceId: null }] }],
  ['another app id', { ...full, appId: '/other' }],
  ['keys in another order', Object.fromEntries(Object.entries(full).reverse())],
];

/** Bad values for each field: the first error in the task must be the one the copying parse reports. */
const mutants: [string, Record<string, unknown>][] = [];
for (const field of Object.keys(full)) {
  for (const bad of [7, 'x', '', true, [], {}, null]) mutants.push([`${field} = ${JSON.stringify(bad)}`, { ...full, [field]: bad }]);
}
for (const bad of [7, null, [], { ipAddress: 1, protocol: 'IPv4' }, { ipAddress: 'h' }]) mutants.push([`an ip address ${JSON.stringify(bad)}`, { ...full, ipAddresses: [bad] }]);
for (const bad of [7, null, {}, { alive: 1 }, { alive: true, consecutiveFailures: 'x' }, { alive: true, lastFailure: 3 }, { alive: true, taskId: 3 }, { alive: true, instanceId: 3 }]) {
  mutants.push([`a health result ${JSON.stringify(bad)}`, { ...full, healthCheckResults: [bad] }]);
}
mutants.push(['two bad fields (the first read wins)', { ...full, host: 1, role: 2, stagedAt: 3 }]);
mutants.push(['ports with a string', { ...full, ports: [1, 'x'] }]);

function viaReader(text: string, batchBytes?: number): { value?: unknown; error?: string } {
  const b = Buffer.from(text);
  const body = new ReceivedBody();
  const reader = new AppListReader({ method: 'GET', endpoint: '/v2/apps' }, batchBytes);
  for (let i = 0; i < b.length; i += 50) {
    const piece = b.subarray(i, i + 50);
    body.append(piece);
    reader.write(piece, body);
  }
  return outcome(() => reader.finish(body, 'application/json', ctx));
}

function viaReaderApps(text: string): MarathonApp[] {
  const got = viaReader(text, 1);
  assert.equal(got.error, undefined);
  return got.value as MarathonApp[];
}

function samePerPath(list: Record<string, unknown>[]): void {
  const text = JSON.stringify({ apps: [app('/z'), app('/a', { tasks: list }), app('/b', { tasks: list })] });
  const want = outcome(() => parseAppList(parseBody(text, 'application/json', ctx), ctx));
  assert.deepStrictEqual(outcome(() => parseAppListBytes(Buffer.from(text), 'application/json', ctx)), want);
  for (const batchBytes of [1, undefined]) assert.deepStrictEqual(viaReader(text, batchBytes), want);
}

describe('marathon parse: tasks, validated and kept compact', () => {
  for (const [name, task] of tasks) {
    it(`${name}: same task on every path`, () => samePerPath([task, { ...full, id: 'a.t9' }]));
  }

  it('all of them in one app', () => samePerPath(tasks.map(([, t]) => t)));

  it('every bad field: the same error message on every path', () => {
    let errors = 0;
    for (const [name, task] of mutants) {
      const text = JSON.stringify({ apps: [app('/a', { tasks: [full, task] })] });
      const want = outcome(() => parseAppList(parseBody(text, 'application/json', ctx), ctx));
      assert.deepStrictEqual(outcome(() => parseAppListBytes(Buffer.from(text), 'application/json', ctx)), want, name);
      assert.deepStrictEqual(viaReader(text, 1), want, name);
      if (want.error !== undefined) errors++;
    }
    assert.ok(errors > mutants.length / 2, `${errors} of ${mutants.length} mutants fail`);
  });

  it('only the kept fields, with their defaults; ports, addresses, health results and unknown keys are not kept', () => {
    const text = JSON.stringify({ apps: [app('/a', { tasks: [{ ...full, extra: 1, healthCheckResults: [{ alive: true, taskId: 'a.t1', extra: 2 }] }, { id: 'a.t2', host: 'h' }] })] });
    const [a] = parseAppListBytes(Buffer.from(text), 'application/json', ctx);
    assert.ok(a !== undefined);
    const { ports: _ports, servicePorts: _servicePorts, ipAddresses: _ipAddresses, healthCheckResults: _results, role: _role, ...kept } = full;
    assert.deepStrictEqual(a.tasks[0], kept);
    assert.deepStrictEqual(a.tasks[1], { id: 'a.t2', appId: '/a', host: 'h', state: 'TASK_STAGING', localVolumes: [] });
  });

  it('local volumes are kept; tasks without any share one frozen empty array', () => {
    const volume = { containerPath: 'data', persistenceId: 'p1' };
    const text = JSON.stringify({ apps: [app('/db', { tasks: [{ ...full, localVolumes: [volume] }, { ...full, id: 'a.t2' }, { ...full, id: 'a.t3' }] })] });
    const [a] = parseAppListBytes(Buffer.from(text), 'application/json', ctx);
    assert.deepStrictEqual(a?.tasks.map((t) => t.localVolumes), [[volume], [], []]);
    assert.equal(a?.tasks[1]?.localVolumes, a?.tasks[2]?.localVolumes);
    assert.ok(Object.isFrozen(a?.tasks[1]?.localVolumes));
  });

  it('equal strings of a listing are kept once (hosts, agent ids, versions, zones)', () => {
    const text = JSON.stringify({ apps: [app('/a', { tasks: [full, { ...full, id: 'a.t2' }] }), app('/b', { tasks: [{ ...full, id: 'b.t1', appId: '/b' }] })] });
    for (const apps of [parseAppListBytes(Buffer.from(text), 'application/json', ctx), viaReaderApps(text)]) {
      const [t1, t2, t3] = apps.flatMap((x) => x.tasks);
      // Strings from separate JSON.parse calls are separate strings; the normaliser makes them one.
      for (const key of ['host', 'slaveId', 'version', 'region', 'zone'] as const) {
        assert.equal(t1?.[key], t2?.[key]);
        assert.equal(t2?.[key], t3?.[key]);
      }
    }
  });

  it('parseAppList leaves the value it was given as it was', () => {
    const body = { apps: [app('/a', { tasks: [{ id: 'a.t2', host: 'h', extra: 1, healthCheckResults: [{ alive: true, taskId: 'x' }] }] })] };
    const before = structuredClone(body);
    parseAppList(body, ctx);
    assert.deepStrictEqual(body, before);
  });
});
