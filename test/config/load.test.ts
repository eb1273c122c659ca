import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { problemsOf } from '../helpers/config.js';


describe('configuration', () => {
  it('is safe by default: dry-run, opt-in, one kill per cycle, office hours', () => {
    const { config } = loadConfig({ env: {} });
    assert.equal(config.chaos.dryRun, true);
    assert.equal(config.chaos.optIn, true);
    assert.equal(config.chaos.maxKills, 1);
    assert.equal(config.chaos.minHealthy, 1);
    assert.equal(config.schedule.officeHours, 'Mon-Fri 09:00-17:00');
    assert.ok(Object.isFrozen(config.chaos));
  });

  it('reads the documented environment variables', () => {
    const { config, explicit } = loadConfig({
      env: {
        MONKEY_MARATHON_URLS: 'http://m1:8080, http://m2:8080',
        MONKEY_DRY_RUN: 'false',
        MONKEY_SEED: 'abc',
        MONKEY_STRATEGY: 'rack',
        MONKEY_MAX_KILLS: '3',
        MONKEY_OPT_IN: 'false',
        MONKEY_INCLUDE: '/prod/**,/stage/*',
        MONKEY_EXCLUDE: '/infra/*',
        MONKEY_MIN_HEALTHY: '2',
        MONKEY_RECOVERY_TIMEOUT: '120',
        MONKEY_RECOVERY_POLL_MS: '500',
        MONKEY_JOURNAL: '/tmp/j.jsonl',
        MONKEY_MESOS_URL: 'http://leader.mesos:5050',
        MARATHON_APP_ID: '/ops/monkey',
      },
    });
    assert.deepEqual(config.marathon.urls, ['http://m1:8080', 'http://m2:8080']);
    assert.equal(config.chaos.dryRun, false);
    assert.equal(config.chaos.seed, 'abc');
    assert.equal(config.chaos.strategy, 'rack');
    assert.equal(config.chaos.maxKills, 3);
    assert.equal(config.chaos.optIn, false);
    assert.deepEqual(config.chaos.include, ['/prod/**', '/stage/*']);
    assert.deepEqual(config.chaos.exclude, ['/infra/*']);
    assert.equal(config.chaos.minHealthy, 2);
    assert.equal(config.recovery.timeout, 120);
    assert.equal(config.recovery.pollMs, 500);
    assert.equal(config.journal.path, '/tmp/j.jsonl');
    assert.equal(config.mesos.url, 'http://leader.mesos:5050');
    assert.equal(config.chaos.selfAppId, '/ops/monkey');
    assert.ok(explicit.has('chaos.dryRun'));
    assert.ok(explicit.has('chaos.optIn'));
    assert.ok(!explicit.has('chaos.fraction'), 'a key left at its default is not explicit');
  });

  it('falls back to PORT0 when MONKEY_PORT is not set, as Marathon assigns it', () => {
    assert.equal(loadConfig({ env: { PORT0: '31005' } }).config.server.port, 31005);
    assert.equal(loadConfig({ env: { PORT0: '31005', MONKEY_PORT: '9000' } }).config.server.port, 9000);
  });

  it('names every bad value with its key and environment variable, all at once', () => {
    const problems = problemsOf({ MONKEY_DRY_RUN: 'nope', MONKEY_MAX_KILLS: 'x', MONKEY_STRATEGY: 'zone', MONKEY_MARATHON_URLS: 'ftp://m' });
    assert.equal(problems.length, 4);
    assert.ok(problems.some((p) => p.startsWith('chaos.dryRun') && p.includes('MONKEY_DRY_RUN') && p.includes('true or false')));
    assert.ok(problems.some((p) => p.startsWith('chaos.maxKills') && p.includes('whole number')));
    assert.ok(problems.some((p) => p.startsWith('chaos.strategy') && p.includes('rack')));
    assert.ok(problems.some((p) => p.startsWith('marathon.urls') && p.includes('http://')));
  });

  it('does not read a loose boolean as true: MONKEY_DRY_RUN=0 means false, =maybe is an error', () => {
    assert.equal(loadConfig({ env: { MONKEY_DRY_RUN: '0' } }).config.chaos.dryRun, false);
    assert.equal(problemsOf({ MONKEY_DRY_RUN: 'maybe' }).length, 1);
  });

  it('rejects a misspelt MONKEY_* variable and suggests the right one', () => {
    const problems = problemsOf({ MONKEY_DRYRUN: 'false', MONKEY_OPTIN: 'false', MONKEY_WHATEVER_THIS_IS: '1' });
    assert.ok(problems.some((p) => p.startsWith('MONKEY_DRYRUN') && p.includes('did you mean MONKEY_DRY_RUN?')), problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith('MONKEY_OPTIN') && p.includes('did you mean MONKEY_OPT_IN?')));
    assert.ok(problems.some((p) => p.startsWith('MONKEY_WHATEVER_THIS_IS') && !p.includes('did you mean')));
    assert.equal(loadConfig({ env: { MONKEY_CONFIG: '', PATH: '/bin', HOME: '/root' } }).config.chaos.dryRun, true);
  });

  it('rejects unknown keys in the config file (typos fail instead of being ignored)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'monkey-config-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ chaos: { dryrun: false } }));
    const problems = problemsOf({ MONKEY_CONFIG: file });
    assert.ok(problems.some((p) => p.includes('chaos.dryrun') && p.includes('unknown keys')), problems.join('\n'));
  });

  it('loads a valid config file and lets the environment override it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'monkey-config-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ chaos: { strategy: 'host', maxKills: 2 }, schedule: { timezone: 'Europe/Berlin' } }));
    const { config } = loadConfig({ env: { MONKEY_CONFIG: file, MONKEY_MAX_KILLS: '5' } });
    assert.equal(config.chaos.strategy, 'host');
    assert.equal(config.chaos.maxKills, 5);
    assert.equal(config.schedule.timezone, 'Europe/Berlin');
  });

  it('explains a config file that is missing or not JSON', () => {
    assert.match(problemsOf({ MONKEY_CONFIG: '/nonexistent/monkey.json' })[0]!, /no such file/);
    const dir = mkdtempSync(join(tmpdir(), 'monkey-config-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, '{"chaos": ');
    assert.match(problemsOf({ MONKEY_CONFIG: file })[0]!, /not valid JSON/);
  });

  it('checks combinations: basic auth needs both halves, one auth method only', () => {
    assert.ok(problemsOf({ MONKEY_MARATHON_USERNAME: 'u' }).some((p) => p.includes('go together')));
    assert.ok(problemsOf({ MONKEY_MARATHON_USERNAME: 'u', MONKEY_MARATHON_PASSWORD: 'p', MONKEY_MARATHON_TOKEN: 't' }).some((p) => p.includes('one way')));
    assert.ok(problemsOf({ MONKEY_DCOS_SERVICE_ACCOUNT: 'monkey' }).some((p) => p.includes('private key')));
  });

  it('never puts a secret into an error or the masked view', () => {
    const problems = problemsOf({ MONKEY_MARATHON_URLS: 'http://admin:hunter2@m1:8080,ftp://x', MONKEY_MARATHON_TOKEN: 'tok-SECRET' });
    assert.ok(!problems.join('\n').includes('hunter2'));
    const { masked } = loadConfig({ env: { MONKEY_MARATHON_TOKEN: 'tok-SECRET', MONKEY_CONTROL_TOKEN: 'ctl-SECRET' } });
    const text = JSON.stringify(masked);
    assert.ok(!text.includes('tok-SECRET') && !text.includes('ctl-SECRET'));
  });
});
