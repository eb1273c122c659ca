import assert from 'node:assert/strict';
import { probeSettingsFrom } from '../../src/app/probe.js';
import { chaosSettingsFrom, scheduleFrom } from '../../src/app/wiring.js';
import type { ChaosSettings } from '../../src/chaos/settings.js';
import { loadConfig } from '../../src/config/load.js';
import { schema, schemaDefaults } from '../../src/config/schema.js';
import { ConfigError } from '../../src/errors.js';
import { defaultSettings, testSettings } from '../helpers/settings.js';

/** Every leaf of the schema (a key with a format), by dotted path. */
function leaves(node: object, prefix = ''): [string, Record<string, unknown>][] {
  return Object.entries(node).flatMap(([name, value]: [string, Record<string, unknown>]) => {
    const path = prefix === '' ? name : `${prefix}.${name}`;
    return 'format' in value && 'doc' in value ? [[path, value] as [string, Record<string, unknown>]] : leaves(value, path);
  });
}

/**
 * Each ChaosSettings field, the config key it comes from and a value other than the default. The
 * Record over keyof ChaosSettings makes this table fail to compile when a field is added without a
 * row, so the test below covers every field.
 */
const FIELDS: Record<keyof ChaosSettings, { key: string; value: unknown } | 'seed argument'> = {
  dryRun: { key: 'chaos.dryRun', value: false },
  seed: 'seed argument',
  strategy: { key: 'chaos.strategy', value: 'rack' },
  fraction: { key: 'chaos.fraction', value: 0.25 },
  maxKills: { key: 'chaos.maxKills', value: 7 },
  optIn: { key: 'chaos.optIn', value: false },
  include: { key: 'chaos.include', value: ['/prod/**'] },
  exclude: { key: 'chaos.exclude', value: ['/infra/*'] },
  minHealthy: { key: 'chaos.minHealthy', value: 3 },
  minTaskAgeSeconds: { key: 'chaos.minTaskAgeSeconds', value: 5 },
  recentFailureMinutes: { key: 'chaos.recentFailureMinutes', value: 2 },
  minKillIntervalMinutes: { key: 'chaos.minKillIntervalMinutes', value: 9 },
  rackAttribute: { key: 'chaos.rackAttribute', value: 'zone' },
  haltOnWeakness: { key: 'chaos.haltOnWeakness', value: false },
  selfAppId: { key: 'chaos.selfAppId', value: '/ops/monkey' },
  allowFrameworks: { key: 'chaos.allowFrameworks', value: true },
  allowPersistentVolumes: { key: 'chaos.allowPersistentVolumes', value: true },
  recoveryTimeoutSeconds: { key: 'recovery.timeout', value: 42 },
  recoveryPollMs: { key: 'recovery.pollMs', value: 750 },
};

describe('one configuration: the schema is the only source of defaults', () => {
  it('every key of the schema has a doc, an environment variable and a default', () => {
    const all = leaves(schema);
    assert.ok(all.length > 40, `only ${all.length} keys found: the walk is wrong`);
    for (const [path, key] of all) {
      assert.ok('default' in key && key.default !== undefined && key.default !== null, `${path} has no default`);
      assert.equal(typeof key.env, 'string', `${path} has no environment variable`);
      assert.notEqual(key.doc, '', `${path} has no doc`);
    }
  });

  it('schemaDefaults() is exactly what loadConfig gives with nothing set', () => {
    assert.deepEqual(schemaDefaults(), loadConfig({ env: {} }).config);
  });

  it('schemaDefaults() is frozen and fresh: no caller can change the defaults of another', () => {
    const a = schemaDefaults();
    assert.ok(Object.isFrozen(a.chaos) && Object.isFrozen(a.chaos.include));
    assert.notEqual(a.chaos.include, schemaDefaults().chaos.include);
    assert.notEqual(a.chaos.include, schema.chaos.include.default);
  });

  it('tests run with the chaos settings production gets when nothing is configured', () => {
    const { config } = loadConfig({ env: {} });
    assert.deepEqual(testSettings(), chaosSettingsFrom(config, config.chaos.seed));
    assert.deepEqual(defaultSettings(), testSettings());
    assert.ok(Object.isFrozen(testSettings()));
  });

  it('testSettings overlays only the fields it is given', () => {
    assert.deepEqual(testSettings({ seed: 's', maxKills: 4 }), { ...defaultSettings(), seed: 's', maxKills: 4 });
  });
});

describe('chaosSettingsFrom: the one builder of ChaosSettings', () => {
  it('sets every field, and no other', () => {
    const built = chaosSettingsFrom(schemaDefaults(), 'x');
    assert.deepEqual(Object.keys(built).sort(), Object.keys(FIELDS).sort());
    for (const [field, value] of Object.entries(built)) assert.notEqual(value, undefined, field);
    assert.ok(Object.isFrozen(built) && Object.isFrozen(built.include) && Object.isFrozen(built.exclude));
  });

  for (const [field, source] of Object.entries(FIELDS)) {
    const name = field as keyof ChaosSettings;
    if (source === 'seed argument') {
      it(`${field} comes from the seed argument (the effective seed), not a default`, () => {
        assert.equal(chaosSettingsFrom(schemaDefaults(), 'the-seed').seed, 'the-seed');
      });
      continue;
    }
    it(`${field} comes from ${source.key}, not a default`, () => {
      const before = chaosSettingsFrom(schemaDefaults(), 'x')[name];
      assert.notDeepEqual(before, source.value, 'pick a value other than the default');
      const { config } = loadConfig({ env: {}, overrides: { [source.key]: source.value } });
      assert.deepEqual(chaosSettingsFrom(config, 'x')[name], source.value);
    });
  }
});

describe('scheduleFrom: the schedule settings come from the config alone', () => {
  it('every schedule key reaches the compiled schedule unchanged (ScheduleSettings has no defaults of its own)', () => {
    const config = schemaDefaults();
    assert.deepEqual(scheduleFrom(config).settings, config.schedule);
    const changed = loadConfig({ env: { MONKEY_CRON: '0 * * * *', MONKEY_TIMEZONE: 'Europe/Berlin', MONKEY_OFFICE_HOURS: 'always', MONKEY_HOLIDAYS: '2024-12-24', MONKEY_HOLIDAY_CALENDAR: 'DE', MONKEY_JITTER: '7' } }).config;
    assert.deepEqual(scheduleFrom(changed).settings, changed.schedule);
  });
});

describe('probeSettingsFrom: the probe defaults come from probe.* alone', () => {
  it('every key reaches the settings; the schema defaults are 500 ms, 2000 ms, 200-399 and any host', () => {
    const built = probeSettingsFrom(schemaDefaults());
    assert.deepEqual(built.defaults, { intervalMs: 500, timeoutMs: 2000, tolerance: [[200, 399]] });
    assert.deepEqual(built.allow.entries, []);
    assert.ok(built.allow.allows('any.host.example'));
    assert.ok(Object.isFrozen(built.defaults));
    const { config } = loadConfig({ env: { MONKEY_PROBE_INTERVAL_MS: '250', MONKEY_PROBE_TIMEOUT_MS: '900', MONKEY_PROBE_TOLERANCE: '200-299,503', MONKEY_PROBE_ALLOW: '*.svc.example.com, 10.0.0.0/8' } });
    const changed = probeSettingsFrom(config);
    assert.deepEqual(changed.defaults, { intervalMs: 250, timeoutMs: 900, tolerance: [[200, 299], [503, 503]] });
    assert.deepEqual(changed.allow.entries, ['*.svc.example.com', '10.0.0.0/8']);
    assert.deepEqual(['a.svc.example.com', '10.1.1.1', '11.1.1.1'].map((h) => changed.allow.allows(h)), [true, true, false]);
  });

  for (const [env, value] of [
    ['MONKEY_PROBE_TOLERANCE', '2xx'],
    ['MONKEY_PROBE_ALLOW', '10.0.0.0/40'],
    ['MONKEY_PROBE_INTERVAL_MS', '0'],
    ['MONKEY_PROBE_TIMEOUT_MS', 'soon'],
  ] as const) {
    it(`${env}=${value} fails at load`, () => {
      assert.throws(() => loadConfig({ env: { [env]: value } }), (e: unknown) => e instanceof ConfigError);
    });
  }
});
