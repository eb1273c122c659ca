/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return --
   these tests walk raw JSON from the wire on purpose. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScenarioError } from '../../src/errors.js';
import { ManualClock } from '../../src/platform/clock.js';
import { runSimCommand, DEFAULT_SCENARIO_FILE } from '../../src/sim/command.js';
import { generateSyntheticScenario, loadScenario, parseScenario, startSimulator, type RunningSim } from '../../src/sim/index.js';
import { appsOf, baseRaw, getJson, killRequest, scenarioWith } from './helpers.js';

const t0 = Date.parse('2024-03-04T09:00:00.000Z');

function problemsOf(mutate: (raw: any) => void): string[] {
  const raw = baseRaw();
  mutate(raw);
  try {
    parseScenario(raw, 'x.json');
  } catch (err) {
    assert.ok(err instanceof ScenarioError);
    assert.equal(err.code, 'E_SCENARIO');
    return [...err.problems];
  }
  assert.fail('expected a ScenarioError');
}

describe('sim: scenario validation', () => {
  const rows: { name: string; mutate: (raw: any) => void; expect: RegExp }[] = [
    { name: 'unknown key names its path', mutate: (r) => (r.apps[0].lables = {}), expect: /^apps\[0\]\.lables: unknown key \(allowed keys: id, instances/ },
    { name: 'unknown top-level key', mutate: (r) => (r.fault = {}), expect: /^fault: unknown key/ },
    { name: 'missing instances', mutate: (r) => delete r.apps[1].instances, expect: /^apps\[1\]\.instances: missing; add a whole number/ },
    { name: 'ill-typed instances', mutate: (r) => (r.apps[0].instances = '3'), expect: /^apps\[0\]\.instances: expected a whole number >= 0, got "3"/ },
    { name: 'bad app id', mutate: (r) => (r.apps[0].id = 'shop'), expect: /^apps\[0\]\.id: "shop" is not a Marathon app id/ },
    { name: 'unknown weakness', mutate: (r) => (r.apps[0].weakness = 'flaky'), expect: /^apps\[0\]\.weakness: unknown weakness "flaky"; use one of "none"/ },
    { name: 'pinned to a rack no agent has', mutate: (r) => (r.apps[0].pinnedToRack = 'r9'), expect: /^apps\[0\]\.pinnedToRack: no agent has attribute rack="r9"; use one of r1, r2, r3/ },
    { name: 'label values are strings', mutate: (r) => (r.apps[0].labels.enabled = true), expect: /^apps\[0\]\.labels\.enabled: expected a string value/ },
    { name: 'attribute of a wrong type', mutate: (r) => (r.agents[0].attributes.gpu = true), expect: /^agents\[0\]\.attributes\.gpu: expected a string/ },
    { name: 'unknown constraint operator', mutate: (r) => (r.apps[0].constraints = [['rack', 'SPREAD']]), expect: /^apps\[0\]\.constraints\[0\]\[1\]: unknown operator "SPREAD"/ },
    { name: 'error rate out of range', mutate: (r) => (r.faults = { errorRate: 1.5 }), expect: /^faults\.errorRate: expected a number between 0 and 1, got 1\.5/ },
    { name: 'leader index out of range', mutate: (r) => (r.marathon = { instances: 2, leader: 2 }), expect: /^marathon\.leader: index 2 is out of range; use 0\.\.1 or null/ },
    { name: 'duplicate hostnames', mutate: (r) => (r.agents[1].hostname = '10.0.0.1'), expect: /^agents\[1\]\.hostname: duplicate hostname/ },
    { name: 'negative timing', mutate: (r) => (r.timings.killGraceMs = -1), expect: /^timings\.killGraceMs: expected a whole number >= 0, got -1/ },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const problems = problemsOf(row.mutate);
      assert.ok(problems.some((p) => row.expect.test(p)), problems.join('\n'));
    });
  }

  it('reports every problem at once', () => {
    const problems = problemsOf((r) => {
      r.apps[0].lables = {};
      r.apps[1].instances = -1;
      r.timings.stagingMs = 'fast';
    });
    assert.equal(problems.length, 3, problems.join('\n'));
  });

  it('loadScenario: unreadable file and bad JSON are ScenarioErrors; the demo scenario is valid', () => {
    assert.throws(() => loadScenario('/nonexistent/scenario.json'), (e: unknown) => e instanceof ScenarioError && /cannot read the file \(ENOENT\)/.test(e.message));
    const dir = mkdtempSync(join(tmpdir(), 'sim-'));
    writeFileSync(join(dir, 'bad.json'), '{"apps": [');
    assert.throws(() => loadScenario(join(dir, 'bad.json')), /not valid JSON/);
    const demo = loadScenario(DEFAULT_SCENARIO_FILE);
    assert.ok(demo.apps.length >= 6 && demo.apps.length <= 8);
    const racks = new Set(demo.agents.map((a) => a.attributes.rack));
    assert.deepEqual([...racks].sort(), ['r1', 'r2', 'r3']);
    assert.ok(demo.apps.some((a) => a.weakness.kind !== 'none' && a.labels['monkey.enabled'] === 'true'));
    assert.ok(demo.apps.some((a) => a.instances === 1 && a.labels['monkey.enabled'] === 'true'));
    assert.ok(demo.apps.some((a) => a.labels['monkey.enabled'] === undefined));
    assert.equal(demo.apps.find((a) => a.id === '/ops/marathon-monkey')?.labels['monkey.enabled'], 'false');
    for (const f of ['ha.json', 'flaky.json', 'guards.json', 'dcos-auth.json']) loadScenario(new URL(`../../config/scenarios/${f}`, import.meta.url).pathname);
  });
});

describe('sim: weaknesses and guard flags', () => {
  let sim: RunningSim;
  let clock: ManualClock;
  afterEach(async () => sim.close());

  async function start(extra: Record<string, unknown>): Promise<any> {
    clock = new ManualClock(t0);
    sim = await startSimulator({ scenario: scenarioWith((r) => appsOf(r).push({ id: '/weak', instances: 2, healthChecks: [{ protocol: 'MESOS_HTTP' }], ...extra })), clock });
    return (await getJson(`${sim.marathonUrl}/v2/apps/weak`)).body.app;
  }
  const weak = async (): Promise<any> => (await getJson(`${sim.marathonUrl}/v2/apps/weak`)).body.app;

  it('never-relaunches: the killed instance stays TASK_KILLED and queued forever', async () => {
    const app = await start({ weakness: 'never-relaunches' });
    await killRequest(sim.marathonUrl, [app.tasks[0].id]);
    await clock.advance(60_000);
    const after = await weak();
    assert.equal(after.tasks[0].state, 'TASK_KILLED');
    assert.equal(after.tasksRunning, 1);
    const queue = (await getJson(`${sim.marathonUrl}/v2/queue`)).body.queue;
    assert.deepEqual(queue.map((q: any) => [q.app.id, q.count]), [['/weak', 1]]);
  });

  it('never-healthy: relaunches but the health result stays alive:false', async () => {
    const app = await start({ weakness: 'never-healthy' });
    await killRequest(sim.marathonUrl, [app.tasks[0].id]);
    await clock.advance(60_000);
    const after = await weak();
    assert.equal(after.tasks[0].state, 'TASK_RUNNING');
    assert.equal(after.tasks[0].healthCheckResults[0].alive, false);
    assert.deepEqual([after.tasksRunning, after.tasksHealthy, after.tasksUnhealthy], [2, 1, 1]);
  });

  it('slow-recovery: the relaunch waits extraMs longer', async () => {
    const app = await start({ weakness: { kind: 'slow-recovery', extraMs: 5000 } });
    await killRequest(sim.marathonUrl, [app.tasks[0].id]);
    await clock.advance(4000);
    assert.equal((await weak()).tasks[0].state, 'TASK_KILLED');
    await clock.advance(1500);
    assert.equal((await weak()).tasks[0].state, 'TASK_RUNNING');
  });

  it('unhealthy, deploying and recentFailure flags show up where the guards look', async () => {
    const app = await start({ unhealthy: true, deploying: true, recentFailure: true });
    assert.deepEqual([app.tasksRunning, app.tasksHealthy, app.tasksUnhealthy], [2, 1, 1]);
    assert.equal(app.deployments.length, 1);
    const deps = (await getJson(`${sim.marathonUrl}/v2/deployments`)).body;
    assert.deepEqual(deps.map((d: any) => d.id), [app.deployments[0].id]);
    assert.equal(app.lastTaskFailure.state, 'TASK_FAILED');
    assert.equal(app.lastTaskFailure.timestamp, new Date(t0 - 60_000).toISOString());
    assert.equal(app.lastTaskFailure.appId, '/weak');
  });

  it('persistent volumes: a resident task comes back on its own agent', async () => {
    const app = await start({ persistentVolumes: true });
    assert.equal(app.container.volumes[0].persistent.size, 1024);
    await killRequest(sim.marathonUrl, [app.tasks[0].id]);
    await clock.advance(10_000);
    const after = await weak();
    assert.equal(after.tasks[0].slaveId, app.tasks[0].slaveId);
    assert.equal(after.tasks[0].state, 'TASK_RUNNING');
  });
});

describe('sim: /v2/apps filters', () => {
  let sim: RunningSim;
  before(async () => {
    sim = await startSimulator({ scenario: scenarioWith((r) => appsOf(r).push({ id: '/other/web', instances: 1, cmd: 'nginx', labels: { tier: 'web', 'a,b': 'x' } })) });
  });
  after(async () => sim.close());
  const ids = async (q: string): Promise<string[]> => {
    const res = await getJson(`${sim.marathonUrl}/v2/apps?${q}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.apps.map((a: any) => a.id).sort();
  };
  const rows: [string, string[]][] = [
    ['label=tier==web', ['/other/web', '/shop/cart']],
    ['label=tier!=web', ['/plain']],
    ['label=tier in (db, web)', ['/other/web', '/plain', '/shop/cart']],
    ['label=tier notin (web)', ['/plain']],
    ['label=monkey.enabled', ['/shop/cart']],
    ['label=monkey.enabled==true,tier==web', ['/shop/cart']],
    ['label=a\\,b==x', ['/other/web']],
    ['id=SHOP', ['/shop/cart']],
    ['cmd=NGINX', ['/other/web']],
    ['id=shop&label=tier==db', []],
  ];
  for (const [q, expected] of rows) {
    it(q, async () => assert.deepEqual(await ids(q.replace(/ /g, '%20').replace(/\\/g, '%5C')), expected));
  }
  it('a selector that does not parse → 422', async () => {
    for (const bad of ['tier===web', 'tier in web', 'tier in (web', ',', 'tier==']) {
      const res = await getJson(`${sim.marathonUrl}/v2/apps?label=${encodeURIComponent(bad)}`);
      assert.equal(res.status, 422, bad);
      assert.match(res.body.message, /label selector/);
    }
  });
  it('tasks only with embed=apps.tasks; counts and deployments always', async () => {
    const plain = (await getJson(`${sim.marathonUrl}/v2/apps`)).body.apps[0];
    assert.equal(plain.tasks, undefined);
    assert.equal(typeof plain.tasksRunning, 'number');
    assert.deepEqual(plain.deployments, []);
    const group = (await getJson(`${sim.marathonUrl}/v2/apps/shop/*`)).body;
    assert.deepEqual(group['*'].map((a: any) => a.id), ['/shop/cart']);
  });
});

describe('sim: determinism, scale and the sim command', () => {
  it('the same seed gives the same ids; another seed gives others', async () => {
    const idsOf = async (seed: string): Promise<string[]> => {
      const sim = await startSimulator({ scenario: scenarioWith((r) => (r.seed = seed)) });
      try {
        const apps = (await getJson(`${sim.marathonUrl}/v2/apps?embed=apps.tasks`)).body.apps;
        const agents = (await getJson(`${sim.mesosUrl}/master/slaves`)).body.slaves;
        return [...apps.flatMap((a: any) => a.tasks.map((t: any) => `${t.id}@${t.slaveId}`)), ...agents.map((a: any) => a.id)];
      } finally {
        await sim.close();
      }
    };
    const a = await idsOf('alpha');
    assert.deepEqual(await idsOf('alpha'), a);
    assert.notDeepEqual(await idsOf('beta'), a);
  });

  it('lists a synthetic cluster (2,000 apps / 20,000 tasks; the benchmark uses 5,000 / 50,000) in one GET quickly', async function () {
    this.timeout(10_000);
    const scenario = generateSyntheticScenario({ apps: 2000, tasksPerApp: 10, agents: 200, racks: 10, seed: 'bench' });
    const sim = await startSimulator({ scenario, clock: new ManualClock(t0) });
    try {
      const started = performance.now();
      const res = await fetch(`${sim.marathonUrl}/v2/apps?embed=apps.tasks&label=monkey.enabled==true`);
      const body = (await res.json()) as { apps: any[] };
      const first = performance.now() - started;
      assert.equal(body.apps.length, 2000);
      assert.equal(body.apps.reduce((n, a) => n + a.tasks.length, 0), 20_000);
      assert.ok(body.apps.every((a) => a.tasksHealthy === 10 && a.tasksRunning === 10 && a.deployments.length === 0));
      assert.ok(body.apps.every((a) => Date.parse(a.tasks[0].startedAt) < t0 - 30 * 60_000), 'started well in the past');
      const again = performance.now();
      await (await fetch(`${sim.marathonUrl}/v2/apps?embed=apps.tasks`)).text();
      const second = performance.now() - again;
      console.log(`      (2,000 apps / 20,000 tasks: first ${first.toFixed(0)} ms, cached ${second.toFixed(0)} ms)`);
      assert.ok(first < 3000 && second < 2000, `an O(n²) regression shows up as many seconds here; ` + `first ${first.toFixed(0)} ms, second ${second.toFixed(0)} ms`);
      const agents = (await getJson(`${sim.mesosUrl}/master/slaves`)).body.slaves;
      assert.equal(agents.length, 200);
    } finally {
      await sim.close();
    }
  });

  it('runSimCommand loads the demo scenario and prints the URLs to use', async () => {
    const lines: string[] = [];
    const sim = await runSimCommand({ port: 0, log: (l) => lines.push(l) });
    try {
      assert.ok(lines.includes(`  MONKEY_MARATHON_URLS=${sim.marathonUrls.join(',')}`), lines.join('\n'));
      assert.ok(lines.includes(`  MONKEY_MESOS_URL=${sim.mesosUrl}`));
      const apps = (await getJson(`${sim.marathonUrl}/v2/apps`)).body.apps;
      assert.ok(apps.some((a: any) => a.id === '/demo/legacy-billing'));
    } finally {
      await sim.close();
    }
  });
});
