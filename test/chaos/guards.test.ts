import assert from 'node:assert/strict';
import { eligibleTasks, filterApps, guardContext } from '../../src/chaos/guards.js';
import { EMPTY_MEMORY, type ChaosMemory } from '../../src/domain/memory.js';
import type { ChaosSettings } from '../../src/chaos/settings.js';
import { testSettings } from '../helpers/settings.js';
import { judgeSteadyState } from '../../src/chaos/steady-state.js';
import type { MarathonApp } from '../../src/domain/marathon.js';
import { aTuesdayMorning, app, HOUR, MINUTE, task } from './fixtures.js';

const now = aTuesdayMorning.getTime();

function memory(over: Partial<ChaosMemory> = {}): ChaosMemory {
  return { ...EMPTY_MEMORY, ...over };
}

/** The reason filterApps records for a single app, or 'kept'. */
function verdictFor(a: MarathonApp, s: Partial<ChaosSettings> = {}, m: ChaosMemory = EMPTY_MEMORY): string {
  const { candidates, skipped } = filterApps([a], guardContext(testSettings(s), m, now));
  if (candidates.length === 1) return 'kept';
  return skipped[0]!.reason;
}

describe('chaos guards (filterApps)', () => {
  const rows: { name: string; app: MarathonApp; settings?: Partial<ChaosSettings>; memory?: ChaosMemory; want: string }[] = [
    // An opted-in, healthy, three-instance app is a candidate.
    { name: 'healthy opted-in app', app: app('/shop/cart'), want: 'kept' },
    // Opt-out wins over everything, even with optIn off.
    { name: 'monkey.enabled=false with optIn off', app: app('/a', { labels: { 'monkey.enabled': 'false' } }), settings: { optIn: false }, want: 'opted-out' },
    // With optIn, an unlabelled app is left alone.
    { name: 'no label with optIn', app: app('/a', { labels: { 'monkey.enabled': '' } }), want: 'not-opted-in' },
    // Without optIn, an unlabelled app is fair game.
    { name: 'no label without optIn', app: app('/a', { labels: { 'monkey.enabled': '' } }), settings: { optIn: false }, want: 'kept' },
    // Label values are compared case-insensitively: TRUE counts.
    { name: 'monkey.enabled=TRUE', app: app('/a', { labels: { 'monkey.enabled': 'TRUE' } }), want: 'kept' },
    // Include globs: /prod/** reaches nested groups.
    { name: 'included by /prod/**', app: app('/prod/shop/cart'), settings: { include: ['/prod/**'] }, want: 'kept' },
    { name: 'not included', app: app('/dev/cart'), settings: { include: ['/prod/**'] }, want: 'not-included' },
    // /infra/* matches one level only.
    { name: 'excluded by /infra/*', app: app('/infra/dns'), settings: { exclude: ['/infra/*'] }, want: 'excluded' },
    { name: 'nested app not excluded by /infra/*', app: app('/infra/dns/cache'), settings: { exclude: ['/infra/*'] }, want: 'kept' },
    // The monkey never kills itself.
    { name: 'self', app: app('/ops/monkey'), settings: { selfAppId: '/ops/monkey' }, want: 'self' },
    // An empty selfAppId (running outside Marathon) excludes nothing.
    { name: 'empty selfAppId', app: app('/ops/monkey'), settings: { selfAppId: '' }, want: 'kept' },
    // DC/OS frameworks (schedulers) are off limits unless allowed.
    { name: 'framework', app: app('/kafka', { labels: { DCOS_PACKAGE_FRAMEWORK_NAME: 'kafka' } }), want: 'framework' },
    { name: 'framework allowed', app: app('/kafka', { labels: { DCOS_PACKAGE_FRAMEWORK_NAME: 'kafka' } }), settings: { allowFrameworks: true }, want: 'kept' },
    // Stateful apps are off limits unless allowed.
    { name: 'persistent volume', app: app('/db', { app: { volumes: [{ containerPath: 'data', persistent: { size: 100 } }] } }), want: 'persistent-volumes' },
    {
      name: 'persistent volume allowed',
      app: app('/db', { app: { volumes: [{ containerPath: 'data', persistent: { size: 100 } }] } }),
      settings: { allowPersistentVolumes: true },
      want: 'kept',
    },
    // A resident task's local volumes count too.
    { name: 'local volumes on a task', app: app('/db', { taskOverrides: () => ({ localVolumes: [{ containerPath: 'data' }] }) }), want: 'persistent-volumes' },
    // A bad safety label skips the app instead of silently using the default.
    { name: 'min-healthy not a number', app: app('/a', { labels: { 'monkey.min-healthy': 'two' } }), want: 'bad-label' },
    { name: 'min-healthy negative', app: app('/a', { labels: { 'monkey.min-healthy': '-1' } }), want: 'bad-label' },
    { name: 'recovery-timeout zero', app: app('/a', { labels: { 'monkey.recovery-timeout': '0' } }), want: 'bad-label' },
    // An app whose last kill did not recover stays quarantined.
    {
      name: 'quarantined',
      app: app('/a'),
      memory: memory({ quarantined: new Map([['/a', { cycleId: 'c1', since: '2024-03-05T09:00:00.000Z', detail: 'x' }]]) }),
      want: 'quarantined',
    },
    // Killed 30 minutes ago with a 60-minute interval: not yet.
    { name: 'killed 30 min ago', app: app('/a'), memory: memory({ lastKillAt: new Map([['/a', now - 30 * MINUTE]]) }), want: 'recently-killed' },
    // Killed 61 minutes ago: allowed again.
    { name: 'killed 61 min ago', app: app('/a'), memory: memory({ lastKillAt: new Map([['/a', now - 61 * MINUTE]]) }), want: 'kept' },
    // Scaled to zero.
    { name: 'zero instances', app: app('/a', { instances: 0 }), want: 'no-tasks' },
    // Steady state: a deployment is running.
    { name: 'deploying', app: app('/a', { app: { deployments: [{ id: 'd1' }] } }), want: 'deploying' },
    // Steady state: fewer running than wanted.
    { name: 'under-replicated', app: app('/a', { app: { instances: 4 } }), want: 'under-replicated' },
    // Steady state: an unhealthy task.
    { name: 'unhealthy', app: app('/a', { app: { tasksUnhealthy: 1 } }), want: 'unhealthy' },
    // Blast radius: one healthy instance and a floor of one: never killed by default.
    { name: 'single instance', app: app('/a', { instances: 1 }), want: 'below-min-healthy' },
    // The label can lower the floor to zero for a single-instance app.
    { name: 'single instance with min-healthy 0', app: app('/a', { instances: 1, labels: { 'monkey.min-healthy': '0' } }), want: 'kept' },
    // The label can raise the floor above what the app has.
    { name: 'min-healthy 3 of 3', app: app('/a', { labels: { 'monkey.min-healthy': '3' } }), want: 'below-min-healthy' },
    // No health checks: running tasks are the healthy count (tasksHealthy stays 0).
    { name: 'no health checks', app: app('/a', { healthChecks: false }), want: 'kept' },
    // Task level: every running task started a minute ago.
    {
      name: 'all tasks too young',
      app: app('/a', { taskOverrides: () => ({ startedAt: new Date(now - MINUTE / 2).toISOString() }) }),
      want: 'too-young',
    },
    // Task level: running counts say 3 but no task is TASK_RUNNING in the listing.
    { name: 'no running task listed', app: app('/a', { taskOverrides: () => ({ state: 'TASK_STAGING' }) }), want: 'under-replicated' },
  ];

  for (const row of rows) {
    it(`${row.name} → ${row.want}`, () => {
      assert.equal(verdictFor(row.app, row.settings, row.memory), row.want);
    });
  }

  it('records the first failing guard only, with a detail naming the label', () => {
    const { skipped } = filterApps([app('/a', { labels: { 'monkey.min-healthy': 'lots' } })], guardContext(testSettings(), EMPTY_MEMORY, now));
    assert.equal(skipped.length, 1);
    assert.match(skipped[0]!.detail, /monkey\.min-healthy="lots"/);
  });

  it('sorts candidates by app id whatever the listing order', () => {
    const ctx = guardContext(testSettings(), EMPTY_MEMORY, now);
    const { candidates } = filterApps([app('/c'), app('/a'), app('/b')], ctx);
    assert.deepEqual(candidates.map((c) => c.app.id), ['/a', '/b', '/c']);
    assert.deepEqual(candidates.map((c) => c.budget), [2, 2, 2]);
  });
});

describe('eligibleTasks', () => {
  const s = testSettings({ minTaskAgeSeconds: 300 });
  it('keeps only TASK_RUNNING tasks old enough, sorted by id', () => {
    const a = app('/a', {
      tasks: [
        task('/a', 2),
        task('/a', 1, { startedAt: new Date(now - 60_000).toISOString() }), // one minute old: too young
        task('/a', 0, { state: 'TASK_KILLING' }), // being killed already: not a victim
        task('/a', 3, { startedAt: undefined, stagedAt: undefined }), // age unknown: treated as young
      ],
    });
    const { tasks, verdict } = eligibleTasks(a, { now, settings: s });
    assert.ok(verdict.ok);
    assert.deepEqual(tasks.map((t) => t.id), [task('/a', 2).id]);
  });
  const ageRows: { startedAt: string; old: boolean }[] = [
    // Exactly minTaskAge old: old enough.
    { startedAt: '2024-03-05T09:55:00.000Z', old: true },
    // One millisecond younger: too young.
    { startedAt: '2024-03-05T09:55:00.001Z', old: false },
    // Without milliseconds (older Marathon): parsed, not compared as text.
    { startedAt: '2024-03-05T09:54:59Z', old: true },
    { startedAt: '2024-03-05T09:55:01Z', old: false },
    // With an offset: 10:54:00+01:00 is 09:54 UTC, old enough.
    { startedAt: '2024-03-05T10:54:00.000+01:00', old: true },
    // Garbage: the age is unknown, so the task is young.
    { startedAt: 'soon', old: false },
  ];
  for (const row of ageRows) {
    it(`minTaskAge 300 s at 10:00Z: started ${row.startedAt} → ${row.old ? 'victim' : 'too young'}`, () => {
      const a = app('/a', { tasks: [task('/a', 0, { startedAt: row.startedAt })] });
      assert.equal(eligibleTasks(a, { now, settings: s }).tasks.length, row.old ? 1 : 0);
    });
  }
  it('falls back to stagedAt when startedAt is missing', () => {
    const a = app('/a', { tasks: [task('/a', 0, { startedAt: undefined, stagedAt: new Date(now - HOUR).toISOString() })] });
    assert.equal(eligibleTasks(a, { now, settings: s }).tasks.length, 1);
  });
});

describe('judgeSteadyState', () => {
  const s = { recentFailureMinutes: 10 };
  const failure = (minutesAgo: number) => ({
    appId: '/a',
    taskId: 'a.instance-x._app.1',
    state: 'TASK_FAILED',
    message: 'exit 1',
    host: 'h',
    timestamp: new Date(now - minutesAgo * MINUTE).toISOString(),
    version: 'v',
  });
  const rows: { name: string; app: MarathonApp; want: string }[] = [
    // The recommended "healthy app" of docs/marathon-api.md §6.
    { name: 'steady', app: app('/a'), want: 'ok' },
    // More running than wanted (a replacement overlapping) is still steady.
    { name: 'over-replicated', app: app('/a', { app: { tasksRunning: 4, tasksHealthy: 4 } }), want: 'ok' },
    { name: 'deployment running', app: app('/a', { app: { deployments: [{ id: 'd' }] } }), want: 'deploying' },
    { name: 'one short', app: app('/a', { app: { tasksRunning: 2 } }), want: 'under-replicated' },
    // With health checks, running is not enough: all must be healthy.
    { name: 'not all healthy yet', app: app('/a', { app: { tasksHealthy: 2 } }), want: 'unhealthy' },
    { name: 'one unhealthy', app: app('/a', { app: { tasksUnhealthy: 1 } }), want: 'unhealthy' },
    // Without health checks, tasksHealthy = 0 is normal.
    { name: 'no health checks, healthy 0', app: app('/a', { healthChecks: false }), want: 'ok' },
    { name: 'failure 5 min ago', app: app('/a', { app: { lastTaskFailure: failure(5) } }), want: 'recent-failure' },
    { name: 'failure 11 min ago', app: app('/a', { app: { lastTaskFailure: failure(11) } }), want: 'ok' },
    // An unreadable timestamp counts as recent: when in doubt, do not kill.
    { name: 'failure with bad timestamp', app: app('/a', { app: { lastTaskFailure: { ...failure(0), timestamp: 'yesterday' } } }), want: 'recent-failure' },
  ];
  for (const row of rows) {
    it(`${row.name} → ${row.want}`, () => {
      const v = judgeSteadyState(row.app, now, s);
      assert.equal(v.ok ? 'ok' : v.reason, row.want);
    });
  }
  it('ignores the failure of a task the monkey killed itself when asked to', () => {
    const a = app('/a', { app: { lastTaskFailure: failure(1) } });
    assert.ok(judgeSteadyState(a, now, s, new Set(['a.instance-x._app.1'])).ok);
  });
});

describe('monkey.enabled: the configuration’s booleans, any key case, nothing else', () => {
  /** An app with exactly these labels (the fixture's own monkey.enabled=true left out). */
  const labelled = (labels: Record<string, string>): MarathonApp => app('/a', { app: { labels } });
  const falsy = ['false', 'no', '0', 'off', 'FALSE', 'No', ' off ', '"false"', "'no'", '" 0 "'];
  const truthy = ['true', 'yes', '1', 'on', 'TRUE', 'Yes', ' on ', '"true"', "'1'"];
  const bad = ['maybe', 'disabled', 'ture', 'nein', 'false false', '"false', 'false"', '""false""', '-1', '2', 'null'];

  for (const optIn of [false, true]) {
    for (const value of falsy) {
      it(`monkey.enabled=${JSON.stringify(value)} with optIn ${optIn} → opted-out`, () => {
        assert.equal(verdictFor(labelled({ 'monkey.enabled': value }), { optIn }), 'opted-out');
      });
    }
    for (const value of bad) {
      it(`monkey.enabled=${JSON.stringify(value)} with optIn ${optIn} → bad-label, never a victim`, () => {
        assert.equal(verdictFor(labelled({ 'monkey.enabled': value }), { optIn }), 'bad-label');
      });
    }
    for (const key of ['Monkey.Enabled', 'MONKEY.ENABLED', 'monkey.Enabled']) {
      it(`${key}=false with optIn ${optIn} → opted-out (monkey.* keys match in any case)`, () => {
        assert.equal(verdictFor(labelled({ [key]: 'false' }), { optIn }), 'opted-out');
      });
    }
    it(`two spellings of monkey.enabled that disagree, optIn ${optIn} → bad-label`, () => {
      assert.equal(verdictFor(labelled({ 'monkey.enabled': 'true', 'Monkey.Enabled': 'false' }), { optIn }), 'bad-label');
    });
    it(`two spellings of monkey.enabled that agree, optIn ${optIn} → opted-out`, () => {
      assert.equal(verdictFor(labelled({ 'monkey.enabled': 'no', 'MONKEY.ENABLED': 'no' }), { optIn }), 'opted-out');
    });
    it(`opting out wins over another bad monkey.* label, optIn ${optIn}`, () => {
      assert.equal(verdictFor(labelled({ 'monkey.enabled': 'off', 'monkey.min-healthy': 'two' }), { optIn }), 'opted-out');
    });
  }
  for (const value of truthy) {
    it(`monkey.enabled=${JSON.stringify(value)} with optIn → kept`, () => {
      assert.equal(verdictFor(labelled({ 'monkey.enabled': value }), { optIn: true }), 'kept');
    });
  }
  it('Monkey.Enabled=true opts in', () => {
    assert.equal(verdictFor(labelled({ 'Monkey.Enabled': 'true' }), { optIn: true }), 'kept');
  });
  it('an app without the label: not-opted-in with optIn, kept without', () => {
    assert.equal(verdictFor(labelled({}), { optIn: true }), 'not-opted-in');
    assert.equal(verdictFor(labelled({}), { optIn: false }), 'kept');
  });
  it('the other monkey.* labels: any key case, quotes dropped, disagreeing spellings are bad', () => {
    assert.equal(verdictFor(labelled({ 'monkey.enabled': 'true', 'Monkey.Min-Healthy': 'two' })), 'bad-label');
    assert.equal(verdictFor(labelled({ 'monkey.enabled': 'true', 'MONKEY.MIN-HEALTHY': '3' })), 'below-min-healthy');
    assert.equal(verdictFor(labelled({ 'monkey.enabled': 'true', 'monkey.min-healthy': '"3"' })), 'below-min-healthy');
    assert.equal(verdictFor(labelled({ 'monkey.enabled': 'true', 'monkey.min-healthy': '1', 'Monkey.Min-Healthy': '3' })), 'bad-label');
  });
  it('names the label as written in the detail', () => {
    const { skipped } = filterApps([labelled({ 'Monkey.Enabled': 'maybe' })], guardContext(testSettings({ optIn: false }), EMPTY_MEMORY, now));
    assert.match(skipped[0]!.detail, /Monkey\.Enabled="maybe" must be true or false/);
  });
});

describe('label values echoed in skip details are shortened', () => {
  const huge = `x${'y'.repeat(499_999)}`;
  const detailFor = (a: MarathonApp, s: Partial<ChaosSettings> = {}): string => {
    const { skipped } = filterApps([a], guardContext(testSettings(s), EMPTY_MEMORY, now));
    return skipped[0]!.detail;
  };
  for (const [name, a, s] of [
    ['monkey.enabled', app('/a', { labels: { 'monkey.enabled': huge } }), {}],
    ['monkey.enabled, opt-out mode', app('/a', { labels: { 'monkey.enabled': huge } }), { optIn: false }],
    ['monkey.min-healthy', app('/a', { labels: { 'monkey.min-healthy': huge } }), {}],
    ['monkey.recovery-timeout', app('/a', { labels: { 'monkey.recovery-timeout': huge } }), {}],
    ['DCOS_PACKAGE_FRAMEWORK_NAME', app('/a', { labels: { DCOS_PACKAGE_FRAMEWORK_NAME: huge } }), {}],
  ] as const) {
    it(`a 500 KB ${name} label: the first 64 characters and the size`, () => {
      const detail = detailFor(a, s);
      assert.ok(detail.length < 250, `detail is ${detail.length} characters`);
      assert.ok(detail.includes(`x${'y'.repeat(63)}`), detail);
      assert.ok(detail.includes('(500000 bytes)'), detail);
    });
  }
  it('a short value is echoed whole', () => {
    assert.match(detailFor(app('/a', { labels: { 'monkey.min-healthy': 'lots' } })), /monkey\.min-healthy="lots"/);
  });
});

describe('misspelt monkey.* label keys', () => {
  const labelled = (labels: Record<string, string>): MarathonApp => app('/a', { app: { labels } });
  for (const optIn of [false, true]) {
    for (const key of ['monkey.enable', 'monkey.enabeld', 'monkey.disabled', 'Monkey.MinHealthy']) {
      it(`${key}=false with optIn ${optIn} is never a victim`, () => {
        assert.notEqual(verdictFor(labelled({ [key]: 'false' }), { optIn }), 'kept');
      });
    }
    it(`an unknown monkey.* key with optIn ${optIn} → bad-label naming it`, () => {
      const { skipped } = filterApps([labelled({ 'monkey.enabled': 'true', 'monkey.enable': 'false' })], guardContext(testSettings({ optIn }), EMPTY_MEMORY, now));
      assert.equal(skipped[0]!.reason, 'bad-label');
      assert.match(skipped[0]!.detail, /label "monkey\.enable" is not a marathon-monkey label/);
    });
    it(`a key with stray spaces (" monkey.enabled ") still opts out, optIn ${optIn}`, () => {
      assert.equal(verdictFor(labelled({ ' monkey.enabled ': 'false' }), { optIn }), 'opted-out');
    });
  }
  it('labels outside monkey.* are not the monkey’s business', () => {
    assert.equal(verdictFor(labelled({ 'monkey.enabled': 'true', monkeyish: 'x', 'team.monkey.enabled': 'false' })), 'kept');
  });
});
