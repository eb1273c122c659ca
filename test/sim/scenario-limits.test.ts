import assert from 'node:assert/strict';
import { ScenarioError } from '../../src/errors.js';
import { parseScenario, SCENARIO_LIMITS } from '../../src/sim/scenario.js';
import { appsOf, baseRaw } from './helpers.js';

/** Parses the base scenario with its apps replaced; returns the ScenarioError's problems (none: []). */
function problemsWith(apps: Record<string, unknown>[]): readonly string[] {
  const raw = baseRaw();
  raw.apps = apps;
  try {
    parseScenario(raw, 'limits.json');
    return [];
  } catch (e) {
    assert.ok(e instanceof ScenarioError, String(e));
    assert.equal(e.code, 'E_SCENARIO');
    return e.problems;
  }
}

describe('scenario size limits (an absurd size is a named error, not a heap crash)', () => {
  it('documents the limits: 10,000 instances per app, 100,000 tasks in all, 2,000 serving ports', () => {
    assert.deepEqual({ ...SCENARIO_LIMITS }, { instancesPerApp: 10_000, totalTasks: 100_000, servingPorts: 2_000 });
    // The benchmark cluster (5,000 apps × 10 tasks) must stay within them.
    assert.ok(5_000 * 10 <= SCENARIO_LIMITS.totalTasks);
  });

  it('"instances": 100000000 names the field, the app and the limit', () => {
    const started = process.memoryUsage().heapUsed;
    const problems = problemsWith([{ id: '/huge/app', instances: 100_000_000 }]);
    assert.deepEqual(problems, [
      'apps[0].instances: app "/huge/app" asks for 100,000,000 instances; the simulator allows at most 10,000 per app (and 100,000 tasks in all); lower it',
    ]);
    assert.ok(process.memoryUsage().heapUsed - started < 50 * 1024 * 1024, 'nothing was built for the refused instances');
  });

  it('exactly the per-app limit is accepted', () => {
    assert.deepEqual(problemsWith([{ id: '/big', instances: SCENARIO_LIMITS.instancesPerApp }]), []);
  });

  it('apps each within the limit but too many tasks together are refused, naming the largest', () => {
    const apps = Array.from({ length: 11 }, (_, i) => ({ id: `/fleet/a${i}`, instances: i === 7 ? 10_000 : 9_500 }));
    assert.deepEqual(problemsWith(apps), [
      'apps: the apps ask for 105,000 tasks in all; the simulator allows at most 100,000 (the largest is "/fleet/a7" with 10,000); lower the instances',
    ]);
  });

  it('the per-app problem is reported with the scenario\'s other problems', () => {
    const raw = baseRaw();
    appsOf(raw)[0]!.instances = 20_000;
    appsOf(raw)[1]!.cpus = 'lots';
    assert.throws(
      () => parseScenario(raw, 'limits.json'),
      (e: unknown) =>
        e instanceof ScenarioError &&
        e.problems.length === 2 &&
        /apps\[0\]\.instances: app "\/shop\/cart" asks for 20,000 instances/.test(e.message) &&
        /apps\[1\]\.cpus/.test(e.message),
    );
  });
});
