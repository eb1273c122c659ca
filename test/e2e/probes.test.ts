import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { RunningSim } from '../../src/sim/index.js';
import { journalRecords, runCli, simEnv, tempDir } from '../helpers/cli.js';
import { journalProblems } from '../export/validate.js';
import { app, kills, simWith } from './scenarios.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A server of our own answering `status`, counting connections. */
async function countingServer(status: number): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((_req, res) => {
    res.writeHead(status, { connection: 'close' });
    res.end('x');
  });
  server.on('connection', (s: Socket) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/health`,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('service probes through the real binary (once, plan, explain) against the simulated cluster', function () {
  this.timeout(30_000);
  let sim: RunningSim | undefined;
  let counting: Awaited<ReturnType<typeof countingServer>> | undefined;
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(async () => {
    await sim?.close();
    await counting?.close();
    sim = undefined;
    counting = undefined;
  });

  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv =>
    simEnv(sim!, join(dir, 'journal.jsonl'), { MONKEY_RECOVERY_TIMEOUT: '5', MONKEY_SEED: 'probes', MONKEY_PROBE_INTERVAL_MS: '50', MONKEY_PROBE_TIMEOUT_MS: '500', ...extra });

  it('once: lb-lag behind the service is found as service-degraded, journaled with the figures, and halts chaos', async () => {
    sim = await simWith([app('/web/lag', { cmd: './serve', labels: { 'monkey.enabled': 'true', 'monkey.probe.http': '${service}' }, serve: { http: { path: '/health' } }, weakness: { kind: 'lb-lag', seconds: 1 } })]);
    const r = await runCli(['once', '--json'], env({ MONKEY_DRY_RUN: 'false' }));
    assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
    const record = JSON.parse(r.stdout) as Json;
    assert.equal(record.outcome, 'weakness');
    assert.equal(record.probesBefore['/web/lag'].ok, true);
    assert.equal(record.weaknesses[0].reason, 'service-degraded');
    assert.match(record.weaknesses[0].detail as string, /^service errors \d+\/\d+ \(\d+%\) > budget 0%/);
    const probe = record.after['/web/lag'].probe as Json;
    assert.ok(probe.failures > 0 && probe.failureKinds['HTTP 502'] > 0, JSON.stringify(probe));
    assert.equal(record.halted, true);
    const cycle = journalRecords(join(dir, 'journal.jsonl')).find((x) => x.type === 'cycle')!;
    assert.deepEqual(cycle.weaknesses, record.weaknesses);
    assert.deepEqual(cycle.after, record.after);
    // The halt holds for the next run.
    const next = await runCli(['once', '--json'], env({ MONKEY_DRY_RUN: 'false' }));
    assert.equal((JSON.parse(next.stdout) as Json).outcome, 'skipped');
    assert.equal(kills(sim), 1);
    // The Chaos Toolkit export of that cycle deviates: the service's figures are the after-probe's output.
    const exported = await runCli(['export', '--format', 'chaostoolkit'], env());
    assert.equal(exported.code, 0, exported.stderr);
    const j = JSON.parse(exported.stdout) as Json;
    assert.deepEqual(journalProblems(j), []);
    assert.equal(j.deviated, true);
    assert.equal(j.status, 'failed');
    assert.equal(j.steady_states.after.steady_state_met, false);
    const rate = (j.steady_states.after.probes as Json[]).find((p) => p.activity.name === 'service-error-rate')!;
    assert.equal(rate.tolerance_met, false);
    assert.deepEqual(rate.output, record.after['/web/lag'].probe);
  });

  it('explain shows a failing probe as probe-failed; plan never connects; a dry run probes once and kills nothing', async () => {
    counting = await countingServer(500);
    sim = await simWith([app('/web/broken', { labels: { 'monkey.enabled': 'true', 'monkey.probe.http': counting.url } })]);
    const plan = await runCli(['plan', '--json'], env());
    assert.equal(plan.code, 0, plan.stderr);
    assert.equal((JSON.parse(plan.stdout) as Json).outcome, 'dry-run', 'plan does not probe, so it still picks the app');
    assert.equal(counting.connections(), 0, 'plan never probes');

    const text = await runCli(['explain', '/web/broken'], env());
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /NOT eligible/);
    assert.ok(text.stdout.includes(`NO  probes               [probe-failed] ${counting.url}: HTTP 500`), text.stdout);
    const json = JSON.parse((await runCli(['explain', '/web/broken', '--json'], env())).stdout) as Json;
    assert.deepEqual(json.probes, { ok: false, samples: 1, failures: 1, detail: `${counting.url}: HTTP 500` });

    const before = counting.connections();
    const dry = await runCli(['once', '--json'], env());
    assert.equal(dry.code, 0, dry.stderr);
    const record = JSON.parse(dry.stdout) as Json;
    assert.equal(record.outcome, 'nothing-to-do');
    assert.deepEqual(record.skipped, [{ appId: '/web/broken', reason: 'probe-failed', detail: `${counting.url}: HTTP 500` }]);
    assert.equal(counting.connections() - before, 1, 'one round, no sampling');
    assert.equal(kills(sim), 0);
  });
});
