import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { RunningSim } from '../../src/sim/index.js';
import { cleanEnv, daemonEnv, journalRecords, startCli, tempDir, type RunningCli } from '../helpers/cli.js';
import { app, kills, simWith } from './scenarios.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any


async function until<T>(f: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the daemon as a real process: signals and the demo', function () {
  this.timeout(40_000);
  let sim: RunningSim | undefined;
  let cli: RunningCli | undefined;
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(async () => {
    cli?.cleanup();
    cli = undefined;
    await sim?.close();
    sim = undefined;
  });

  const runEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => daemonEnv(sim!, join(dir, 'journal.jsonl'), { MONKEY_SEED: 'signals', ...extra });

  it('SIGTERM during a recovery watch: no new kill, the watch finishes, the journal is written, exit 0', async () => {
    sim = await simWith([app('/slow/api', { instances: 2, weakness: { kind: 'slow-recovery', extraMs: 1500 } })]);
    cli = startCli(['run'], runEnv({ MONKEY_RECOVERY_TIMEOUT: '15', MONKEY_SHUTDOWN_GRACE_MS: '15000' }));
    await cli.waitFor((o) => o.stdout.includes('"msg":"killing tasks"'), 15_000, 'the first kill');
    cli.signal('SIGTERM');
    const result = await cli.exited;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /shutting down: no new kills/);
    assert.equal(kills(sim), 1, 'no kill starts after shutdown began');
    const records = journalRecords(join(dir, 'journal.jsonl')).filter((r) => r.type === 'cycle' && r.outcome !== 'skipped');
    const last = records.at(-1)!;
    assert.equal(last.outcome, 'killed');
    assert.equal(last.after['/slow/api'].recovered, true, 'the watch in flight was allowed to finish');
    assert.ok(last.after['/slow/api'].timeToRecoverMs >= 1500);
  });

  it('SIGTERM with a short grace period cuts the watch without calling it a weakness', async () => {
    sim = await simWith([app('/never/back', { instances: 2, weakness: 'never-relaunches' })]);
    cli = startCli(['run'], runEnv({ MONKEY_RECOVERY_TIMEOUT: '60', MONKEY_SHUTDOWN_GRACE_MS: '300' }));
    await cli.waitFor((o) => o.stdout.includes('"msg":"killing tasks"'), 15_000, 'the first kill');
    const t0 = Date.now();
    cli.signal('SIGTERM');
    const result = await cli.exited;
    assert.equal(result.code, 0, result.stderr);
    assert.ok(Date.now() - t0 < 5_000, 'the grace period bounds the shutdown');
    const last = journalRecords(join(dir, 'journal.jsonl')).filter((r) => r.type === 'cycle').at(-1)!;
    assert.equal(last.after['/never/back'].aborted, true);
    assert.deepEqual(last.weaknesses, []);
  });

  it('a second signal exits at once', async () => {
    sim = await simWith([app('/never/back', { instances: 2, weakness: 'never-relaunches' })]);
    cli = startCli(['run'], runEnv({ MONKEY_RECOVERY_TIMEOUT: '60', MONKEY_SHUTDOWN_GRACE_MS: '30000' }));
    await cli.waitFor((o) => o.stdout.includes('"msg":"killing tasks"'), 15_000, 'the first kill');
    cli.signal('SIGTERM');
    await cli.waitFor((o) => o.stdout.includes('shutting down'), 5_000, 'the graceful phase');
    const t0 = Date.now();
    cli.signal('SIGTERM');
    const result = await cli.exited;
    assert.equal(result.code, 143);
    assert.ok(Date.now() - t0 < 2_000);
  });

  it('refuses to start with a message per configuration problem and exit 1', async () => {
    sim = await simWith([app('/a')]);
    cli = startCli(['run'], runEnv({ MONKEY_CRON: '61 * * * *', MONKEY_TIMEZONE: 'Europe/Berlln', MONKEY_BOGUS: 'x', MONKEY_MAX_KILLS: '0' }));
    const result = await cli.exited;
    assert.equal(result.code, 1);
    assert.match(result.stderr, /chaos\.maxKills/);
    assert.match(result.stderr, /MONKEY_BOGUS is not a marathon-monkey setting/);
    assert.equal(sim.requestLog.length, 0);
  });

  it('`start` with no Marathon runs the demo: a kill and its recovery are journaled within seconds', async () => {
    const journalPath = join(dir, 'demo.jsonl');
    cli = startCli(['start'], cleanEnv({ MONKEY_JOURNAL: journalPath }));
    const recovered = await until(
      // Marathon's recovery: a plain recovered kill, or a lagging balancer's app that Marathon got
      // back while its users still saw errors (service-degraded, two of the demo's six apps).
      () =>
        journalRecords(journalPath).find(
          (r) => r.type === 'cycle' && (r.outcome === 'killed' || r.outcome === 'weakness') && Object.values(r.after as Json).some((a: Json) => a.recovered === true || typeof a.marathonRecoveredMs === 'number'),
        ),
      25_000,
      'a journaled kill with its recovery',
    );
    assert.equal(recovered.dryRun, false, 'the demo kills for real, in the simulation');
    assert.match(cli.stdout, /starting the built-in simulated cluster/);
    // The journal is written before the summary is printed.
    await cli.waitFor((o) => /recovered in \d+\.\ds|Marathon reported recovery after \d/.test(o.stdout), 5_000, 'the printed recovery');
    const url = /control endpoints: (http:\/\/127\.0\.0\.1:\d+)\/status/.exec(cli.stdout)?.[1];
    assert.ok(url, cli.stdout);
    assert.match(cli.stdout, new RegExp(`status page: ${url}/ `), 'the demo points a newcomer at the status page');
    const page = await fetch(`${url}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<h1>marathon-monkey<\/h1>/);
    const status = (await (await fetch(`${url}/status`)).json()) as Json;
    assert.equal(status.dryRun, false);
    assert.equal((await fetch(`${url}/health`)).status, 200);
    cli.signal('SIGINT');
    const result = await cli.exited;
    assert.equal(result.code, 0, result.stderr);
  });

  it('the demo finds /demo/session-cache\'s lagging balancer with its service probe: service-degraded, in the journal, the output, /status and /metrics', async () => {
    const journalPath = join(dir, 'demo.jsonl');
    // Only the probed app, so the first kill is its own (the seed would otherwise pick it in its own time).
    cli = startCli(['start'], cleanEnv({ MONKEY_JOURNAL: journalPath, MONKEY_INCLUDE: '/demo/session-cache' }));
    const degraded = await until(
      () => journalRecords(journalPath).find((r) => r.type === 'cycle' && (r.weaknesses as Json[]).some((w) => w.appId === '/demo/session-cache')),
      25_000,
      'a journaled weakness of /demo/session-cache',
    );
    assert.deepEqual((degraded.weaknesses as Json[]).map((w) => String(w.reason)), ['service-degraded']);
    const probe = degraded.after['/demo/session-cache'].probe as Json;
    assert.ok(probe.failures > 0 && probe.errorRate > probe.maxErrorRate, JSON.stringify(probe));
    assert.equal(probe.maxErrorRate, 0);
    assert.equal(degraded.probesBefore['/demo/session-cache'].ok, true, 'its probe passed before the kill');
    await cli.waitFor((o) => /\/demo\/session-cache service: [1-9]\d*\/\d+ probes failed \([\d.]+%, budget 0%, OVER\)/.test(o.stdout), 5_000, 'the printed service figures');
    assert.match(cli.stdout, /WEAKNESS \/demo\/session-cache: service-degraded/);
    const url = /control endpoints: (http:\/\/127\.0\.0\.1:\d+)\/status/.exec(cli.stdout)?.[1];
    assert.ok(url, cli.stdout);
    const status = (await (await fetch(`${url}/status`)).json()) as Json;
    const summary = (status.lastCycles as Json[]).find((c) => c.cycleId === degraded.cycleId);
    assert.equal(summary?.probes[0]?.appId, '/demo/session-cache', JSON.stringify(summary));
    assert.equal(summary?.probes[0]?.withinBudget, false);
    const page = await (await fetch(`${url}/`)).text();
    assert.match(page, /<tr class="probed probe-degraded" data-app="\/demo\/session-cache">/);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /^marathon_monkey_probe_results_total\{app="\/demo\/session-cache",outcome="failed"\} [1-9]/m);
    assert.match(metrics, /^marathon_monkey_probe_outage_seconds_count [1-9]/m);
    assert.match(metrics, /^marathon_monkey_weaknesses_total\{app="\/demo\/session-cache",reason="service-degraded"\} [1-9]/m);
    cli.signal('SIGINT');
    const result = await cli.exited;
    assert.equal(result.code, 0, result.stderr);
  });
});
