import assert from 'node:assert/strict';
import { assessRisk } from '../../src/chaos/risk.js';
import { indexAgents } from '../../src/chaos/select.js';
import type { MarathonApp } from '../../src/domain/marathon.js';
import type { RiskReport } from '../../src/domain/risk.js';
import { generateSyntheticScenario } from '../../src/sim/index.js';
import { testSettings } from '../helpers/settings.js';
import { agent, app, task } from './fixtures.js';

/** Six agents: two per rack, racks r1..r3 in zones z1..z3. Agent i runs task i of every app by default. */
const AGENTS = indexAgents(
  Array.from({ length: 6 }, (_, i) => agent(`agent-S${i}`, `10.0.0.${i + 1}`, { rack: `r${Math.floor(i / 2) + 1}` }, `z${Math.floor(i / 2) + 1}`)),
);

/** Places task i of the app on agent `slots[i]` (an index into AGENTS). */
function placed(id: string, slots: number[], o: Parameters<typeof app>[1] = {}): MarathonApp {
  return app(id, { instances: slots.length, ...o, taskOverrides: (i) => ({ slaveId: `agent-S${slots[i]}`, host: `10.0.0.${(slots[i] ?? 0) + 1}` }) });
}

const settings = testSettings({ minHealthy: 1, rackAttribute: 'rack', optIn: true });

function kinds(r: RiskReport): Record<string, string[]> {
  return {
    host: r.host.map((l) => `${l.appId}@${l.domain}:${l.severity}`),
    rack: r.rack.map((l) => `${l.appId}@${l.domain}:${l.severity}`),
    zone: r.zone.map((l) => `${l.appId}@${l.domain}:${l.severity}`),
    single: r.singleInstance.map((f) => f.appId),
    noHc: r.noHealthChecks.map((f) => f.appId),
  };
}

describe('chaos/risk: assessRisk', () => {
  it('a well-spread cluster: no risk', () => {
    const r = assessRisk([placed('/a', [0, 2, 4]), placed('/b', [1, 3, 5])], AGENTS, settings);
    assert.equal(r.risky, false);
    assert.deepEqual(kinds(r), { host: [], rack: [], zone: [], single: [], noHc: [] });
    assert.equal(r.apps, 2);
    assert.equal(r.tasks, 6);
    assert.deepEqual(r.placement, { agentsKnown: true, agentsNote: null, rackAttribute: 'rack', rackFromAttribute: 6, withoutRack: 0, withoutZone: 0 });
  });

  const table: { name: string; apps: MarathonApp[]; want: Partial<ReturnType<typeof kinds>> }[] = [
    { name: 'all instances on one agent: host, rack and zone', apps: [placed('/one-host', [0, 0, 0])], want: { host: ['/one-host@10.0.0.1:all'], rack: ['/one-host@r1:all'], zone: ['/one-host@z1:all'] } },
    { name: 'two hosts of one rack: rack and zone, not host', apps: [placed('/one-rack', [0, 1])], want: { rack: ['/one-rack@r1:all'], zone: ['/one-rack@z1:all'] } },
    {
      name: 'floor: 3 instances, 2 on one rack, min-healthy 2 → below the floor when r1 fails',
      apps: [placed('/floor', [0, 1, 2], { labels: { 'monkey.min-healthy': '2' } })],
      want: { rack: ['/floor@r1:below-floor'], zone: ['/floor@z1:below-floor'] },
    },
    {
      name: 'floor equal to instances: every host is a risk, the worst one reported',
      apps: [placed('/tight', [0, 2, 4], { labels: { 'monkey.min-healthy': '3' } })],
      want: { host: ['/tight@10.0.0.1:below-floor'], rack: ['/tight@r1:below-floor'], zone: ['/tight@z1:below-floor'] },
    },
    { name: 'single instance: listed once, not in the placement tables', apps: [placed('/single', [0])], want: { single: ['/single'] } },
    { name: 'no health checks', apps: [placed('/nohc', [0, 2], { healthChecks: false })], want: { noHc: ['/nohc'] } },
    { name: 'suspended (0 instances): not assessed', apps: [app('/suspended', { instances: 0, healthChecks: false })], want: {} },
  ];
  for (const t of table) {
    it(t.name, () => {
      const r = assessRisk(t.apps, AGENTS, settings);
      assert.deepEqual(kinds(r), { host: [], rack: [], zone: [], single: [], noHc: [], ...t.want });
      assert.equal(r.risky, Object.values(t.want).some((v) => (v?.length ?? 0) > 0));
    });
  }

  it('reports lost of total, healthy left vs floor, and how many domains are at risk', () => {
    // Four healthy, floor 3: only the host with two tasks takes the app below it.
    const r = assessRisk([placed('/tight', [0, 0, 2, 4], { labels: { 'monkey.min-healthy': '3' } })], AGENTS, settings);
    assert.deepEqual(r.host, [{ appId: '/tight', chaosTarget: true, domain: '10.0.0.1', domainsAtRisk: 1, lost: 2, total: 4, healthyLeft: 2, floor: 3, severity: 'below-floor' }]);
  });

  it('a bad min-healthy label: floor unknown, only total loss counts', () => {
    const r = assessRisk([placed('/bad', [0, 1, 2], { labels: { 'monkey.min-healthy': 'lots' } }), placed('/bad-all', [0, 1], { labels: { 'monkey.min-healthy': 'x' } })], AGENTS, settings);
    assert.deepEqual(kinds(r).rack, ['/bad-all@r1:all']);
    assert.equal(r.rack[0]?.floor, null);
  });

  it('an app already below its floor is not a placement risk (the guards report it)', () => {
    const sick = placed('/sick', [0, 2, 4], { labels: { 'monkey.min-healthy': '2' } });
    const r = assessRisk([{ ...sick, tasksHealthy: 1 }], AGENTS, settings);
    assert.equal(r.risky, false);
  });

  it('terminal tasks do not count; staging tasks are lost but not healthy', () => {
    const id = '/mixed';
    const tasks = [
      task(id, 0, { slaveId: 'agent-S0', host: '10.0.0.1' }),
      task(id, 1, { slaveId: 'agent-S2', host: '10.0.0.3', state: 'TASK_KILLED' }),
      task(id, 2, { slaveId: 'agent-S0', host: '10.0.0.1', state: 'TASK_STAGING' }),
    ];
    const r = assessRisk([app(id, { instances: 2, tasks })], AGENTS, settings);
    assert.equal(r.tasks, 2);
    assert.deepEqual(r.host.map((l) => [l.domain, l.lost, l.total, l.healthyLeft, l.severity]), [['10.0.0.1', 2, 2, 0, 'all']]);
  });

  it('marks chaos targets: opted in, not opted out, include/exclude, self', () => {
    const s = testSettings({ optIn: true, exclude: ['/x/**'], selfAppId: '/ops/monkey' });
    const apps = [placed('/in', [0]), placed('/notin', [0], { labels: { 'monkey.enabled': '' } }), placed('/x/y', [0]), placed('/ops/monkey', [0])];
    apps[1]!.labels = {};
    const r = assessRisk(apps, AGENTS, s);
    assert.deepEqual(
      r.singleInstance.map((f) => [f.appId, f.chaosTarget]),
      [['/in', true], ['/notin', false], ['/ops/monkey', false], ['/x/y', false]],
    );
    const all = assessRisk([apps[1]!], AGENTS, testSettings({ optIn: false }));
    assert.equal(all.singleInstance[0]?.chaosTarget, true);
  });

  it('agents unknown: hosts from the tasks, racks and zones from task zones only, and says so', () => {
    const id = '/nozones';
    const withZones = app('/zoned', { instances: 2, taskOverrides: (i) => ({ slaveId: `agent-S${i}`, host: `10.0.0.${i + 1}`, zone: 'z1' }) });
    const r = assessRisk([placed(id, [0, 0]), withZones], null, settings, { agentsNote: 'Mesos master unreachable' });
    assert.deepEqual(kinds(r), { host: ['/nozones@10.0.0.1:all'], rack: ['/zoned@z1:all'], zone: ['/zoned@z1:all'], single: [], noHc: [] });
    assert.deepEqual(r.placement, { agentsKnown: false, agentsNote: 'Mesos master unreachable', rackAttribute: 'rack', rackFromAttribute: 0, withoutRack: 2, withoutZone: 2 });
  });

  it('agents without the rack attribute: racks fall back to zones as rackOf does', () => {
    const zonesOnly = indexAgents([agent('agent-S0', '10.0.0.1', {}, 'za'), agent('agent-S1', '10.0.0.2', {}, 'za')]);
    const r = assessRisk([placed('/a', [0, 1])], zonesOnly, settings);
    assert.deepEqual(kinds(r).rack, ['/a@za:all']);
    assert.equal(r.placement.rackFromAttribute, 0);
  });

  it('is cheap: O(tasks), a 50,000-task synthetic cluster in well under a second', () => {
    const scenario = generateSyntheticScenario({ apps: 5000, tasksPerApp: 10, agents: 200, racks: 10, seed: 'bench' });
    const agents = scenario.agents.map((a, j) => agent(`agent-S${j}`, a.hostname, a.attributes, a.zone));
    // Spread as the simulator's initial placement does without constraints: task k of app i on agent (k + i).
    const apps = scenario.apps.map((a, i) =>
      app(a.id, { instances: a.instances, labels: a.labels, taskOverrides: (k) => ({ slaveId: `agent-S${(k + i) % agents.length}`, host: agents[(k + i) % agents.length]!.hostname }) }),
    );
    const index = indexAgents(agents);
    assessRisk(apps, index, settings); // warm-up
    const started = performance.now();
    const r = assessRisk(apps, index, settings);
    const ms = performance.now() - started;
    console.log(`      (assessRisk over 5,000 apps / 50,000 tasks: ${ms.toFixed(1)} ms)`);
    assert.equal(r.tasks, 50_000);
    assert.equal(r.apps, 5000);
    // Ten tasks over ten consecutive agents hit every rack once and the three zones 4/3/3: fine with floor 1.
    assert.equal(r.risky, false);
    assert.ok(ms < 500, `${ms.toFixed(0)} ms`);
  });
});
