import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningSim } from '../../src/sim/index.js';
import { cleanEnv, journalRecords, runCli, simEnv, tempDir } from '../helpers/cli.js';
import { app, kills, simWith } from './scenarios.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any


describe('marathon-monkey once (the real binary against the simulated cluster)', function () {
  this.timeout(30_000);
  let sim: RunningSim | undefined;
  let dir: string;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });
  beforeEach(() => {
    dir = tempDir();
  });

  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv =>
    simEnv(sim!, join(dir, 'journal.jsonl'), { MONKEY_RECOVERY_TIMEOUT: '5', MONKEY_SEED: 'pipeline', ...extra });

  it('kills one task, sees the app recover, journals it and exits 0', async () => {
    sim = await simWith([app('/shop/cart')]);
    const r = await runCli(['once', '--json'], env({ MONKEY_DRY_RUN: 'false' }));
    assert.equal(r.code, 0, r.stderr);
    const record = JSON.parse(r.stdout) as Json;
    assert.equal(record.outcome, 'killed');
    assert.equal(record.victims.length, 1);
    assert.equal(record.after['/shop/cart'].recovered, true);
    assert.ok(record.after['/shop/cart'].timeToRecoverMs > 0);
    assert.equal(kills(sim), 1);
    const all = journalRecords(join(dir, 'journal.jsonl'));
    // Write-ahead: the intent, then Marathon's answer, then the cycle with its recovery.
    assert.deepEqual(all.map((x) => String(x.type)), ['kill-intent', 'kill-answer', 'cycle']);
    assert.deepEqual(all[0]!.taskIds, (record.victims as Json[]).map((v) => String(v.taskId)));
    assert.equal(all[1]!.outcome, 'answered');
    const journal = all.filter((x) => x.type === 'cycle');
    assert.equal(journal.length, 1);
    assert.equal(journal[0]!.cycleId, record.cycleId);
    assert.equal(journal[0]!.seed, 'pipeline');
  });

  it('is a dry run by default: says what it would kill and sends no kill request', async () => {
    sim = await simWith([app('/shop/cart')]);
    const r = await runCli(['once'], env());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /would kill shop_cart\.instance-/);
    assert.match(r.stdout, /POST \/v2\/tasks\/delete\?scale=false \{"ids":\["shop_cart\.instance-/);
    assert.equal(kills(sim), 0);
    const [record] = journalRecords(join(dir, 'journal.jsonl'));
    assert.equal(record!.dryRun, true);
    assert.equal(record!.outcome, 'dry-run');
  });

  it('exits 2 when the app does not recover, journals the weakness, and halts later cycles', async () => {
    sim = await simWith([app('/weak/billing', { weakness: 'never-healthy' })]);
    const e = env({ MONKEY_DRY_RUN: 'false', MONKEY_RECOVERY_TIMEOUT: '2' });
    const r = await runCli(['once'], e);
    assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /WEAKNESS \/weak\/billing/);
    const [record] = journalRecords(join(dir, 'journal.jsonl')).filter((x) => x.type === 'cycle');
    assert.equal(record!.outcome, 'weakness');
    assert.equal(record!.weaknesses[0].appId, '/weak/billing');
    // The halt survives in the journal: the next run does nothing until resumed.
    const again = await runCli(['once', '--json'], e);
    assert.equal(again.code, 0, again.stderr);
    const second = JSON.parse(again.stdout) as Json;
    assert.equal(second.outcome, 'skipped');
    assert.equal(second.gate.reason, 'halted');
    assert.equal(kills(sim), 1);
    // An operator who looked into it resumes; the weak app stays out until it is healthy again.
    const resumed = await runCli(['resume', '--reason', 'billing team is on it'], e);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /cleared the halt/);
    const third = JSON.parse((await runCli(['once', '--json'], e)).stdout) as Json;
    assert.notEqual(third.outcome, 'skipped');
    assert.ok((third.skipped as Json[]).some((s) => s.appId === '/weak/billing'), 'the weak app is not killed again while unhealthy');
  });

  it('skips an app that is not in steady state and kills nothing (exit 0)', async () => {
    sim = await simWith([app('/guard/deploying', { deploying: true }), app('/guard/unhealthy', { unhealthy: true })]);
    const r = await runCli(['once', '--json'], env({ MONKEY_DRY_RUN: 'false' }));
    assert.equal(r.code, 0, r.stderr);
    const record = JSON.parse(r.stdout) as Json;
    assert.equal(record.outcome, 'nothing-to-do');
    const reasons = (record.skipped as Json[]).map((s) => `${s.appId}:${s.reason}`).sort();
    assert.deepEqual(reasons, ['/guard/deploying:deploying', '/guard/unhealthy:unhealthy']);
    assert.equal(kills(sim), 0);
  });

  it('does nothing on a holiday and says why', async () => {
    sim = await simWith([app('/shop/cart')]);
    const today = new Date().toISOString().slice(0, 10);
    const r = await runCli(['once', '--json'], env({ MONKEY_DRY_RUN: 'false', MONKEY_HOLIDAYS: today, MONKEY_TIMEZONE: 'UTC' }));
    assert.equal(r.code, 0, r.stderr);
    const record = JSON.parse(r.stdout) as Json;
    assert.equal(record.outcome, 'skipped');
    assert.equal(record.gate.reason, 'holiday');
    assert.equal(sim.requestLog.length, 0, 'no request reaches Marathon outside office hours');
  });

  it('exits 1 and kills nothing when Marathon is unusable (no leader)', async () => {
    sim = await simWith([app('/shop/cart')]);
    sim.setLeader(null);
    const r = await runCli(['once'], env({ MONKEY_DRY_RUN: 'false', MONKEY_HTTP_RETRIES: '0' }));
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /error E_MARATHON_NO_LEADER/);
    assert.equal(kills(sim), 0);
  });

  it('exits 1 with the key, the value and the fix for bad configuration', async () => {
    sim = await simWith([app('/shop/cart')]);
    const r = await runCli(['once'], env({ MONKEY_STRATEGY: 'zone', MONKEY_OFFICE_HOURS: 'Mon-Fry 09:00-17:00' }));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /E_CONFIG/);
    assert.match(r.stderr, /chaos\.strategy.*zone.*MONKEY_STRATEGY/);
    assert.equal(sim.requestLog.length, 0);
    const bad = await runCli(['once'], env({ MONKEY_OFFICE_HOURS: 'Mon-Fry 09:00-17:00' }));
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /schedule\.officeHours/);
    assert.ok(!bad.stderr.includes('    at '), 'no stack trace as the explanation');
  });

  it('exits 1 for an unknown flag, naming it', async () => {
    sim = await simWith([app('/shop/cart')]);
    const r = await runCli(['once', '--force'], env());
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--force/);
  });

  it('plan --seed --at reproduces the victims of a journaled cycle exactly', async () => {
    sim = await simWith([app('/a', { instances: 4 }), app('/b', { instances: 4 }), app('/c', { instances: 4 })]);
    const e = env({ MONKEY_STRATEGY: 'fraction', MONKEY_MAX_KILLS: '3' });
    const first = await runCli(['once', '--json'], e);
    assert.equal(first.code, 0, first.stderr);
    const journaled = JSON.parse(first.stdout) as Json;
    assert.ok(journaled.victims.length >= 1);
    const replay = await runCli(['plan', '--json', '--seed', String(journaled.seed), '--at', String(journaled.scheduledAt)], e);
    assert.equal(replay.code, 0, replay.stderr);
    const planned = JSON.parse(replay.stdout) as Json;
    assert.deepEqual(planned.victims, journaled.victims);
    assert.equal(planned.plan, true);
    assert.equal(kills(sim), 0, 'plan never kills');
  });

  it('explain says guard by guard why an app is or is not eligible', async () => {
    sim = await simWith([app('/shop/cart'), app('/guard/deploying', { deploying: true }), { id: '/private', instances: 2 }]);
    const ok = await runCli(['explain', '/shop/cart'], env());
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /\/shop\/cart: ELIGIBLE/);
    const deploying = await runCli(['explain', '/guard/deploying', '--json'], env());
    const exp = JSON.parse(deploying.stdout) as Json;
    assert.equal(exp.eligible, false);
    assert.ok((exp.guards as Json[]).some((g) => !g.ok && g.reason === 'deploying'));
    const privateApp = await runCli(['explain', '/private'], env());
    assert.match(privateApp.stdout, /NOT eligible/);
    assert.match(privateApp.stdout, /not-opted-in/);
  });
});

describe('marathon-monkey validate', () => {
  it('accepts a good configuration and prints the effective safety settings', async () => {
    const r = await runCli(['validate'], cleanEnv({ MONKEY_MARATHON_URLS: 'http://127.0.0.1:1', MONKEY_SEED: 's' }));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /configuration is valid/);
    assert.match(r.stdout, /"dryRun": true/);
  });

  it('lists every problem with its key, and exits 1', async () => {
    const dir = tempDir();
    const file = join(dir, 'monkey.json');
    writeFileSync(file, JSON.stringify({ chaos: { maxKill: 3 }, schedule: { timezone: 'Mars/Olympus' } }));
    const r = await runCli(['validate'], cleanEnv({ MONKEY_CONFIG: file, MONKEY_CRON: 'every minute' }));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /chaos\.maxKill/);
    const r2 = await runCli(['validate'], cleanEnv({ MONKEY_CRON: 'every minute', MONKEY_TIMEZONE: 'Mars/Olympus' }));
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /schedule\.cron/);
    assert.match(r2.stderr, /schedule\.timezone/);
  });
});
