import assert from 'node:assert/strict';
import { filterApps, guardContext } from '../../src/chaos/guards.js';
import { EMPTY_MEMORY } from '../../src/domain/memory.js';
import { indexAgents, rackOf, selectVictims, type AgentIndex } from '../../src/chaos/select.js';
import type { ChaosSettings } from '../../src/chaos/settings.js';
import { testSettings } from '../helpers/settings.js';
import type { MarathonApp } from '../../src/domain/marathon.js';
import { cycleRandom, seededRandom } from '../../src/platform/random.js';
import { agent, app, aTuesdayMorning, MINUTE, task } from './fixtures.js';

const now = aTuesdayMorning.getTime();

function select(apps: MarathonApp[], s: Partial<ChaosSettings>, at = aTuesdayMorning, agents?: AgentIndex) {
  const settings = testSettings(s);
  const { candidates } = filterApps(apps, guardContext(settings, EMPTY_MEMORY, now));
  return selectVictims(candidates, settings, cycleRandom(settings.seed, at), agents);
}

/** Reverse every list (apps and their tasks): a different response order from Marathon. */
function shuffled(apps: MarathonApp[], seed: string): MarathonApp[] {
  const r = seededRandom(seed);
  const shuffle = <T>(xs: T[]): T[] => xs.map((x) => [r.next(), x] as const).sort((a, b) => a[0] - b[0]).map(([, x]) => x);
  return shuffle(apps.map((a) => ({ ...a, tasks: shuffle([...a.tasks]) })));
}

/**
 * Six agents on three racks (two per rack), apps spread round-robin: task i of every app runs on
 * agent i % 6.
 */
function rackedCluster(appCount = 4, instances = 6) {
  const agents = Array.from({ length: 6 }, (_, i) => agent(`S${i}`, `host-${i}`, { rack: `r${Math.floor(i / 2) + 1}` }));
  const apps = Array.from({ length: appCount }, (_, k) =>
    app(`/svc/app-${k}`, { instances, taskOverrides: (i) => ({ slaveId: `S${i % 6}`, host: `host-${i % 6}` }) }),
  );
  return { agents, apps, index: indexAgents(agents) };
}

describe('selectVictims', () => {
  describe('task strategy', () => {
    it('kills exactly one task of one eligible app', () => {
      const sel = select([app('/a'), app('/b'), app('/c')], { strategy: 'task', maxKills: 5 });
      assert.equal(sel.victims.length, 1);
      assert.equal(sel.target?.kind, 'app');
      assert.equal(sel.victims[0]!.appId, sel.target?.value);
    });
    it('kills nothing with maxKills 0', () => {
      assert.equal(select([app('/a')], { strategy: 'task', maxKills: 0 }).victims.length, 0);
    });
  });

  describe('fraction strategy', () => {
    const rows: { name: string; instances: number; fraction: number; maxKills: number; minHealthy: number; want: number }[] = [
      // ceil(0.5 × 4) = 2, the floor of 1 allows 3, the cap allows 5.
      { name: 'half of four', instances: 4, fraction: 0.5, maxKills: 5, minHealthy: 1, want: 2 },
      // ceil(0.5 × 3) = 2 (rounded up).
      { name: 'half of three rounds up', instances: 3, fraction: 0.5, maxKills: 5, minHealthy: 1, want: 2 },
      // All of four wanted, but the floor keeps one: 3.
      { name: 'floor cuts', instances: 4, fraction: 1, maxKills: 10, minHealthy: 1, want: 3 },
      // Floor of 3 on 4 instances: only 1 may die.
      { name: 'high floor', instances: 4, fraction: 0.75, maxKills: 10, minHealthy: 3, want: 1 },
      // The global cap wins over the fraction.
      { name: 'cap cuts', instances: 10, fraction: 0.5, maxKills: 2, minHealthy: 1, want: 2 },
      // A tiny fraction still kills one (rounded up).
      { name: 'tiny fraction', instances: 10, fraction: 0.01, maxKills: 5, minHealthy: 1, want: 1 },
    ];
    for (const row of rows) {
      it(`${row.name}: ${row.fraction} of ${row.instances}, floor ${row.minHealthy}, cap ${row.maxKills} → ${row.want}`, () => {
        const sel = select([app('/only', { instances: row.instances })], {
          strategy: 'fraction',
          fraction: row.fraction,
          maxKills: row.maxKills,
          minHealthy: row.minHealthy,
        });
        assert.equal(sel.victims.length, row.want);
        assert.equal(new Set(sel.victims.map((v) => v.taskId)).size, row.want, 'no task twice');
        assert.ok(sel.victims.every((v) => v.appId === '/only'));
      });
    }
    it('notes why fewer tasks than the fraction were taken', () => {
      const sel = select([app('/only', { instances: 4 })], { strategy: 'fraction', fraction: 1, maxKills: 10 });
      assert.equal(sel.spared[0]?.reason, 'below-min-healthy');
    });
  });

  describe('host strategy', () => {
    it('kills only on one agent, each app keeping its floor, within the cap', () => {
      const { apps } = rackedCluster(4, 6);
      for (let minute = 0; minute < 20; minute++) {
        const sel = select(apps, { strategy: 'host', maxKills: 3 }, new Date(now + minute * MINUTE));
        assert.equal(sel.target?.kind, 'agent');
        assert.equal(new Set(sel.victims.map((v) => v.agentId)).size, 1, 'one agent');
        assert.equal(sel.victims[0]!.agentId, sel.target?.value);
        assert.ok(sel.victims.length <= 3);
      }
    });
    it('spares tasks so that an app with two tasks on the agent keeps its floor', () => {
      // Both tasks of a 2-instance app on one agent: the floor of 1 allows one kill.
      const a = app('/pair', { instances: 2, taskOverrides: () => ({ slaveId: 'S0', host: 'h0' }) });
      const sel = select([a], { strategy: 'host', maxKills: 5 });
      assert.equal(sel.victims.length, 1);
      assert.equal(sel.spared.filter((s) => s.reason === 'below-min-healthy').length, 1);
    });
    it('uses task.host when a task has no slaveId (no Mesos needed)', () => {
      const a = app('/a', { instances: 3, taskOverrides: (i) => ({ slaveId: undefined, host: `h${i}` }) });
      const sel = select([a], { strategy: 'host', maxKills: 5 });
      assert.match(sel.target!.value, /^host:h\d$/);
      assert.equal(sel.victims.length, 1);
    });
  });

  describe('rack strategy', () => {
    it('kills only within one rack, every app keeping its floor, within the cap', () => {
      const { apps, index } = rackedCluster(4, 6);
      const racks = new Set<string>();
      for (let minute = 0; minute < 30; minute++) {
        const sel = select(apps, { strategy: 'rack', maxKills: 100 }, new Date(now + minute * MINUTE), index);
        assert.equal(sel.target?.kind, 'rack');
        racks.add(sel.target.value);
        assert.deepEqual([...new Set(sel.victims.map((v) => v.rack))], [sel.target.value]);
        // Each rack holds 2 of each app's 6 tasks; the floor of 1 leaves room for both.
        assert.equal(sel.victims.length, 8);
      }
      assert.deepEqual([...racks].sort(), ['r1', 'r2', 'r3'], 'every rack gets its turn');
    });
    it('respects the global cap', () => {
      const { apps, index } = rackedCluster(4, 6);
      const sel = select(apps, { strategy: 'rack', maxKills: 3 }, aTuesdayMorning, index);
      assert.equal(sel.victims.length, 3);
      assert.equal(sel.spared.filter((s) => s.reason === 'max-kills').length, 5);
    });
    it('keeps each app above its floor even when the whole app runs in the rack', () => {
      const agents = [agent('S0', 'h0', { rack: 'r1' }), agent('S1', 'h1', { rack: 'r1' })];
      const a = app('/a', { instances: 2, labels: { 'monkey.min-healthy': '1' }, taskOverrides: (i) => ({ slaveId: `S${i}`, host: `h${i}` }) });
      const sel = select([a], { strategy: 'rack', maxKills: 10 }, aTuesdayMorning, indexAgents(agents));
      assert.equal(sel.victims.length, 1);
    });
    it('falls back to the agent zone, then to the task zone, when the attribute is missing', () => {
      const index = indexAgents([agent('S0', 'h0', {}, 'zone-a'), agent('S1', 'h1', { rack: 'r9' })]);
      assert.equal(rackOf(task('/a', 0, { slaveId: 'S0', host: 'h0' }), index, 'rack'), 'zone-a');
      assert.equal(rackOf(task('/a', 0, { slaveId: 'S1', host: 'h1' }), index, 'rack'), 'r9');
      assert.equal(rackOf(task('/a', 0, { slaveId: 'S7', host: 'h7', zone: 'zone-t' }), index, 'rack'), 'zone-t');
      assert.equal(rackOf(task('/a', 0, { slaveId: 'S7', host: 'h7' }), index, 'rack'), null);
      // Numeric (scalar) attributes are rendered as text.
      assert.equal(rackOf(task('/a', 0, { slaveId: 'S2', host: 'h2' }), indexAgents([agent('S2', 'h2', { rack: 7 })]), 'rack'), '7');
    });
    it('journals a zone as the rack only for the rack strategy; other strategies keep rack and zone apart', () => {
      const a = app('/a', { instances: 2, taskOverrides: (i) => ({ slaveId: `S${i}`, host: `h${i}`, zone: 'zone-t' }) });
      const index = indexAgents([agent('S0', 'h0', {}, 'zone-a'), agent('S1', 'h1', {}, 'zone-a')]);
      const byTask = select([a], { strategy: 'task' }, aTuesdayMorning, index).victims[0]!;
      assert.equal(byTask.rack, null, 'no rack attribute: the task strategy does not call a zone a rack');
      assert.equal(byTask.zone, 'zone-a');
      const byRack = select([a], { strategy: 'rack', minHealthy: 1 }, aTuesdayMorning, index).victims[0]!;
      assert.equal(byRack.rack, 'zone-a', 'the rack strategy fell back to the zone and says so');
    });
    it('joins by hostname when the slaveId is unknown', () => {
      const index = indexAgents([agent('S0', 'h0', { rack: 'r1' })]);
      assert.equal(rackOf(task('/a', 0, { slaveId: 'old-S0', host: 'h0' }), index, 'rack'), 'r1');
    });
    it('records tasks on agents with no rack as no-rack and never picks them', () => {
      const a = app('/a', { instances: 3, taskOverrides: (i) => ({ slaveId: `S${i}`, host: `h${i}` }) });
      const index = indexAgents([agent('S0', 'h0', { rack: 'r1' })]);
      const sel = select([a], { strategy: 'rack', maxKills: 5 }, aTuesdayMorning, index);
      assert.deepEqual(sel.victims.map((v) => v.agentId), ['S0']);
      assert.equal(sel.spared.find((s) => s.reason === 'no-rack')?.detail, '2 task(s) on agents with no rack attribute or zone');
    });
  });

  describe('victims record where they ran whenever an agent index is given', () => {
    // Agents with a rack attribute and a fault-domain zone; the apps run on all six.
    const agents = Array.from({ length: 6 }, (_, i) => agent(`S${i}`, `host-${i}`, { rack: `r${Math.floor(i / 2) + 1}` }, `zone-${i % 2}`));
    const apps = Array.from({ length: 3 }, (_, k) => app(`/svc/app-${k}`, { instances: 6, taskOverrides: (i) => ({ slaveId: `S${i}`, host: `host-${i}` }) }));
    const byId = new Map(agents.map((a) => [a.id, a]));
    for (const strategy of ['task', 'fraction', 'host', 'rack'] as const) {
      it(`${strategy}: every victim carries its agent's rack and zone`, () => {
        for (let m = 0; m < 10; m++) {
          const sel = select(apps, { strategy, fraction: 0.5, maxKills: 10 }, new Date(now + m * MINUTE), indexAgents(agents));
          assert.ok(sel.victims.length > 0);
          for (const v of sel.victims) {
            const where = byId.get(v.agentId!)!;
            assert.equal(v.rack, where.attributes.rack, `${strategy} victim ${v.taskId}`);
            assert.equal(v.zone, where.zone, `${strategy} victim ${v.taskId}`);
          }
        }
      });
    }
    it('a task whose agent re-registered under a new id is joined by hostname', () => {
      const a = app('/a', { instances: 1, taskOverrides: () => ({ slaveId: 'old-S0', host: 'host-0' }) });
      const v = select([a], { strategy: 'task', minHealthy: 0 }, aTuesdayMorning, indexAgents(agents)).victims[0]!;
      assert.deepEqual([v.agentId, v.rack, v.zone], ['old-S0', 'r1', 'zone-0']);
    });
    it('without an agent index, rack and zone are null unless Marathon reported a zone on the task', () => {
      const v = select([app('/a', { taskOverrides: () => ({ zone: 'zone-t' }) })], { strategy: 'task' }).victims[0]!;
      assert.deepEqual([v.rack, v.zone], [null, 'zone-t']);
    });
  });

  describe('determinism', () => {
    const { apps, index } = rackedCluster(5, 6);
    for (const strategy of ['task', 'fraction', 'host', 'rack'] as const) {
      it(`${strategy}: same seed + instant + state → same victims, whatever the response order`, () => {
        const s = { strategy, maxKills: 4, seed: 'replay-me' };
        const first = select(apps, s, aTuesdayMorning, index);
        for (const order of ['x', 'y', 'z']) {
          assert.deepEqual(select(shuffled(apps, order), s, aTuesdayMorning, index), first);
        }
      });
    }
    it('a different instant gives a different pick sooner or later', () => {
      const picks = new Set<string>();
      for (let m = 0; m < 20; m++) picks.add(select(apps, { strategy: 'task' }, new Date(now + m * MINUTE)).victims[0]!.taskId);
      assert.ok(picks.size > 5);
    });
  });

  describe('fairness', () => {
    it('every eligible app is picked, none favoured beyond uniform sampling (chi-square, fixed seeds)', () => {
      const ids = Array.from({ length: 10 }, (_, i) => `/fair/app-${i}`);
      const apps = ids.map((id) => app(id));
      const counts = new Map(ids.map((id) => [id, 0]));
      const draws = 2000;
      for (let i = 0; i < draws; i++) {
        const sel = select(apps, { strategy: 'task', seed: `seed-${i % 7}` }, new Date(now + i * MINUTE));
        const id = sel.victims[0]!.appId;
        counts.set(id, counts.get(id)! + 1);
      }
      const expected = draws / ids.length;
      const chi2 = [...counts.values()].reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
      assert.ok([...counts.values()].every((c) => c > 0), 'every app picked at least once');
      // 9 degrees of freedom: P(chi2 > 27.88) = 0.001. Deterministic here, so not flaky.
      assert.ok(chi2 < 27.88, `chi-square ${chi2.toFixed(2)} too high: ${JSON.stringify([...counts])}`);
    });
    it('tasks within the chosen app are uniform too', () => {
      const a = app('/one', { instances: 4 });
      const counts = new Map<string, number>();
      const draws = 1200;
      for (let i = 0; i < draws; i++) {
        const id = select([a], { strategy: 'task' }, new Date(now + i * MINUTE)).victims[0]!.taskId;
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      const expected = draws / 4;
      const chi2 = [...counts.values()].reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
      assert.equal(counts.size, 4);
      // 3 degrees of freedom: P(chi2 > 16.27) = 0.001.
      assert.ok(chi2 < 16.27, `chi-square ${chi2.toFixed(2)}`);
    });
  });
});
