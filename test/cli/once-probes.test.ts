import assert from 'node:assert/strict';
import { join } from 'node:path';
import { main, type CliContext } from '../../src/cli/main.js';
import type { RunningSim } from '../../src/sim/index.js';
import { journalRecords, simEnv, tempDir } from '../helpers/cli.js';
import { app, simWith } from '../e2e/scenarios.js';

/**
 * `once` against a simulated cluster whose app serves for real behind a service endpoint (issue 11):
 * the live line per probe round on a terminal, and the probe figures in the summary.
 */

function context(env: NodeJS.ProcessEnv, tty: boolean): { ctx: CliContext; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, ctx: { env, stdout: (t) => out.push(t), stderr: (t) => err.push(t), stdoutIsTTY: tty, stderrIsTTY: tty, stopRequested: new Promise(() => undefined) } };
}

/** An app probed at its service endpoint every 100 ms, with a zero error budget. */
function served(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return app(id, {
    labels: { 'monkey.enabled': 'true', 'monkey.probe.http': '${service}', 'monkey.probe.interval-ms': '100' },
    serve: { http: { path: '/health' } },
    ...extra,
  });
}

describe('once with service probes: live lines and the figures (issue 11)', function () {
  this.timeout(20_000);
  let sim: RunningSim | undefined;
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  const env = (extra: Record<string, string> = {}) => simEnv(sim!, join(dir, 'journal.jsonl'), { MONKEY_DRY_RUN: 'false', MONKEY_SEED: 'probes', MONKEY_RECOVERY_TIMEOUT: '4', ...extra });

  it('lb-lag: a line per probe round while waiting, then the figures and the service-degraded weakness (exit 2)', async () => {
    sim = await simWith([served('/shop/session', { weakness: { kind: 'lb-lag', seconds: 1 } })]);
    const { ctx, out, err } = context(env(), true);
    assert.equal(await main(['once'], ctx), 2, `${out.join('')}\n${err.join('')}`);
    const live = err.join('').split('\n').filter((l) => l.includes(', service '));
    assert.ok(live.length >= 3, `a line per probe round: ${err.join('')}`);
    for (const l of live) assert.match(l, /^ {2}\/shop\/session: (\d\/3 healthy|Marathon not read yet), service \d+\/\d+ OK, (\d+\.\d s|before the kill)$/);
    // Cumulative: the totals only grow, one probe (the service URL) per round.
    const totals = live.map((l) => Number(/service \d+\/(\d+) OK/.exec(l)![1]));
    assert.deepEqual(totals, totals.map((_, i) => i + 1));
    const [ok, total] = /service (\d+)\/(\d+) OK/.exec(live.at(-1)!)!.slice(1).map(Number);
    assert.ok(ok! < total!, `some probe failed while the balancer lagged: ${live.at(-1)!}`);

    const text = out.join('');
    assert.match(text, /probes before the kill: 1 of 1 probed apps passed/);
    assert.match(text, /\/shop\/session service: [1-9]\d*\/\d+ probes failed \(\d+(\.\d)?%, budget 0%, OVER\), longest outage \d+\.\d s, p95 \d+ ms, /);
    assert.match(text, /HTTP 502 ×\d+/);
    assert.match(text, /WEAKNESS \/shop\/session: service-degraded/);
    const cycle = journalRecords(join(dir, 'journal.jsonl')).find((r) => r.type === 'cycle')!;
    assert.equal(cycle.weaknesses[0].reason, 'service-degraded');
    assert.ok(cycle.after['/shop/session'].probe.failures > 0);
  });

  it('a healthy service: within budget, passed again, exit 0; no live lines off a terminal', async () => {
    // Every task probed at its own port: the killed one leaves the probed set with the kill, so no
    // probe can race it (a balancer can: one that picked the task just as it died answers 502).
    sim = await simWith([served('/shop/cart', { labels: { 'monkey.enabled': 'true', 'monkey.probe.http': '/health', 'monkey.probe.interval-ms': '100' } })]);
    const { ctx, out, err } = context(env(), false);
    assert.equal(await main(['once'], ctx), 0, `${out.join('')}\n${err.join('')}`);
    assert.ok(!err.join('').includes(', service '), err.join(''));
    assert.match(out.join(''), /\/shop\/cart service: 0\/\d+ probes failed \(0%, budget 0%\), longest outage 0\.0 s, p95 \d+ ms, passed again \d+\.\d s after the kill/);
    assert.ok(!out.join('').includes('WEAKNESS'), out.join(''));
  });
});
