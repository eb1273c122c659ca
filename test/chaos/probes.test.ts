import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { runCycle, type CycleContext } from '../../src/chaos/cycle.js';
import { explainAppProbed } from '../../src/chaos/explain.js';
import { parseAppLabels } from '../../src/chaos/labels.js';
import type { ChaosSettings } from '../../src/chaos/settings.js';
import { EMPTY_MEMORY } from '../../src/domain/memory.js';
import type { CycleRecord } from '../../src/domain/record.js';
import { MarathonClient } from '../../src/marathon/client.js';
import { systemClock } from '../../src/platform/clock.js';
import { parseHostAllowList } from '../../src/platform/host-allow.js';
import { ServiceProbes } from '../../src/probe/prober.js';
import { parseScenario, startSimulator, type RunningSim } from '../../src/sim/index.js';
import { testSettings } from '../helpers/settings.js';
import { app as fixtureApp, captureLogger, RecordingLedger } from './fixtures.js';

/**
 * The service probes in real cycles (issue 11): the simulator serves each task and a balancer on
 * 127.0.0.1, the real Marathon client and prober go over loopback, on the system clock. Simulator
 * steps are 40 ms, so a kill is back in Marathon's counts after ~200 ms; probes run every 50 ms.
 */

const HC = [{ protocol: 'MESOS_HTTP', path: '/health', gracePeriodSeconds: 60, intervalSeconds: 10, maxConsecutiveFailures: 3 }];
const TCP_HC = [{ protocol: 'MESOS_TCP', gracePeriodSeconds: 60, intervalSeconds: 10, maxConsecutiveFailures: 3 }];

function scenario(apps: Record<string, unknown>[]) {
  return parseScenario(
    {
      seed: 'probes',
      timings: { killGraceMs: 40, relaunchDelayMs: 40, stagingMs: 40, startingMs: 40, healthyAfterMs: 40 },
      agents: [
        { hostname: '10.0.0.1', attributes: { rack: 'r1' } },
        { hostname: '10.0.0.2', attributes: { rack: 'r2' } },
        { hostname: '10.0.0.3', attributes: { rack: 'r3' } },
      ],
      apps: apps.map((a) => ({ instances: 3, cmd: './serve', ...a, labels: { 'monkey.enabled': 'true', ...(a.labels as Record<string, string> | undefined) } })),
    },
    'probes',
  );
}

/** An HTTP app serving /health on each task (health checked), probed as `labels` say. */
const httpApp = (id: string, labels: Record<string, string>, extra: Record<string, unknown> = {}) => ({ id, labels, healthChecks: HC, serve: { http: { path: '/health' } }, ...extra });
const echoApp = (id: string, labels: Record<string, string>, extra: Record<string, unknown> = {}) => ({ id, labels, healthChecks: TCP_HC, serve: { tcp: { echo: true } }, ...extra });

/** A server of our own that counts connections and requests, answering `status`. */
interface Counting {
  url: string;
  connections: number;
  requests: number;
  close(): Promise<void>;
}

async function countingServer(status = 200): Promise<Counting> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    c.requests++;
    res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' });
    res.end('x');
  });
  server.on('connection', (s: Socket) => {
    c.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const c: Counting = {
    url: `http://127.0.0.1:${port}/health`,
    connections: 0,
    requests: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return c;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('service probes in the chaos cycle, against the simulator', function () {
  this.timeout(5000);
  let sim: RunningSim | undefined;
  let counting: Counting | undefined;
  afterEach(async () => {
    await sim?.close();
    await counting?.close();
    sim = undefined;
    counting = undefined;
  });

  const base: Partial<ChaosSettings> = { dryRun: false, minTaskAgeSeconds: 0, recoveryPollMs: 20, recoveryTimeoutSeconds: 2, recentFailureMinutes: 10, minHealthy: 1 };
  const defaults = { intervalMs: 50, timeoutMs: 200, tolerance: [[200, 399]] as const };

  function prober(allow: string[] = []): ServiceProbes {
    const list = parseHostAllowList(allow);
    assert.ok(list.ok);
    return new ServiceProbes({ defaults: { ...defaults, tolerance: [[200, 399]] }, allow: list.list, clock: systemClock });
  }

  async function boot(apps: Record<string, unknown>[]): Promise<RunningSim> {
    sim = await startSimulator({ scenario: scenario(apps), tickMs: 10, noLeaderHoldMs: 20 });
    return sim;
  }

  async function run(s: Partial<ChaosSettings>, ctx: Partial<CycleContext> = {}, p: ServiceProbes | null = prober()): Promise<CycleRecord> {
    const client = new MarathonClient({ urls: sim!.marathonUrls, timeoutMs: 2000, retries: 0 });
    return runCycle(
      { apps: client, killer: client, ledger: new RecordingLedger(), clock: systemClock, logger: captureLogger().logger, prober: p ?? undefined },
      testSettings({ ...base, ...s }),
      { scheduledAt: new Date('2024-03-05T10:00:00Z'), ...ctx },
    );
  }

  const kills = () => sim!.requestLog.filter((r) => r.method === 'POST' && r.path === '/v2/tasks/delete').length;

  describe('each probe kind through a real cycle (a healthy service is not flagged)', () => {
    it('HTTP path per task: every running task at its host and ports[0]', async () => {
      await boot([httpApp('/web/api', { 'monkey.probe.http': '/health' })]);
      const rounds: { appId: string; ok: number; total: number; sinceKillMs: number }[] = [];
      const rec = await run({}, { onProbeRound: (r) => rounds.push(r) });
      assert.equal(rec.outcome, 'killed', JSON.stringify(rec.weaknesses.length > 0 ? rec.weaknesses : rec.skipped));
      assert.deepEqual(rec.probesBefore?.['/web/api'], { ok: true, samples: 3, failures: 0, detail: '3/3 probes passed (http /health (port-index 0) tolerating 200-399)' });
      const a = rec.after['/web/api']!;
      assert.equal(a.recovered, true);
      const p = a.probe!;
      assert.deepEqual(p.checks, ['http /health (port-index 0) tolerating 200-399']);
      assert.equal(p.failures, 0, JSON.stringify(p.failureKinds));
      assert.ok(p.samples >= 2, `${p.samples} samples`);
      assert.equal(p.passedAgain, true);
      assert.equal(p.intervalMs, 50);
      assert.equal(p.maxErrorRate, 0);
      assert.ok(p.latencyMs !== null && p.latencyMs.max >= p.latencyMs.p50);
      assert.ok(a.marathonRecoveredMs !== undefined && p.serviceRecoveredMs !== null && p.serviceRecoveredMs >= a.marathonRecoveredMs);
      assert.equal(a.timeToRecoverMs, p.serviceRecoveredMs, 'back means back for users too');
      // Rounds before Marathon's recovery probe the two untouched tasks; the last one all three.
      assert.ok(rounds.length >= 2);
      assert.ok(rounds.every((r) => r.appId === '/web/api' && r.ok === r.total));
      assert.equal(rounds[0]!.total, 2, 'the victim is never probed');
      assert.equal(rounds.at(-1)!.total, 3, 'its replacement is, once Marathon reports the app back');
    });

    it("HTTP full URL: the simulator's service endpoint (the balancer)", async () => {
      await boot([httpApp('/web/lb', { 'monkey.probe.http': '${service}' })]);
      const rec = await run({});
      assert.equal(rec.outcome, 'killed', JSON.stringify(rec.weaknesses));
      const p = rec.after['/web/lb']!.probe!;
      assert.match(p.checks[0]!, /^http http:\/\/127\.0\.0\.1:\d+\/health tolerating 200-399$/);
      assert.equal(p.failures, 0);
      assert.equal(p.passedAgain, true);
    });

    it('TCP with send/expect: the echo service, and each task at port-index:0', async () => {
      await boot([
        echoApp('/net/echo', { 'monkey.probe.tcp': '${service}', 'monkey.probe.tcp.send': 'ping', 'monkey.probe.tcp.expect': 'ping' }),
        echoApp('/net/tasks', { 'monkey.probe.tcp': 'port-index:0', 'monkey.probe.tcp.send': 'hello', 'monkey.probe.tcp.expect': 'hello' }),
      ]);
        const service = await run({ include: ['/net/echo'] });
      const tasks = await run({ include: ['/net/tasks'] });
      for (const rec of [service, tasks]) assert.equal(rec.outcome, 'killed', JSON.stringify(rec.weaknesses));
      assert.match(service.after['/net/echo']!.probe!.checks[0]!, /^tcp 127\.0\.0\.1:\d+ send "ping" expect "ping"$/);
      assert.equal(tasks.after['/net/tasks']!.probe!.checks[0], 'tcp port-index 0 send "hello" expect "hello"');
      for (const a of [service.after['/net/echo']!, tasks.after['/net/tasks']!]) {
        assert.equal(a.recovered, true);
        assert.equal(a.probe!.failures, 0, JSON.stringify(a.probe!.failureKinds));
        assert.equal(a.probe!.passedAgain, true);
      }
    });
  });

  describe('each modelled weakness is found as service-degraded', () => {
    it('lb-lag: the balancer routes to the killed task while Marathon reports recovery; the cycle halts', async () => {
      await boot([httpApp('/web/lag', { 'monkey.probe.http': '${service}' }, { weakness: { kind: 'lb-lag', seconds: 1 } })]);
      const rec = await run({});
      assert.equal(rec.outcome, 'weakness');
      assert.equal(rec.halted, true);
      const w = rec.weaknesses[0]!;
      assert.equal(w.reason, 'service-degraded');
      assert.match(w.detail, /^service errors \d+\/\d+ \(\d+%\) > budget 0%, longest outage \d+\.\d s \(HTTP 502 ×\d+\)$/);
      const a = rec.after['/web/lag']!;
      assert.equal(a.recovered, true, 'Marathon recovered and the probes passed again');
      assert.ok(a.probe!.failures > 0 && a.probe!.errorRate > 0);
      assert.ok(a.probe!.failureKinds['HTTP 502']! > 0);
    });

    it('slow-warmup: the replacement answers 503 after Marathon calls it healthy', async () => {
      await boot([httpApp('/web/warm', { 'monkey.probe.http': '/health' }, { weakness: { kind: 'slow-warmup', seconds: 0.5 } })]);
      const rec = await run({});
      assert.equal(rec.outcome, 'weakness');
      assert.equal(rec.weaknesses[0]?.reason, 'service-degraded');
      const a = rec.after['/web/warm']!;
      assert.ok(a.probe!.failureKinds['HTTP 503']! > 0, JSON.stringify(a.probe!.failureKinds));
      assert.equal(a.probe!.passedAgain, true, 'warm after 0.5 s, within the recovery timeout');
      assert.ok(a.probe!.serviceRecoveredMs! >= 400, `service back after ${a.probe!.serviceRecoveredMs} ms`);
      assert.ok(a.probe!.outageMs > 0);
    });

    it('echo-broken: the relaunched task accepts but never echoes; the probes never pass again', async () => {
      await boot([echoApp('/net/broken', { 'monkey.probe.tcp': 'port-index:0', 'monkey.probe.tcp.send': 'ping', 'monkey.probe.tcp.expect': 'ping', 'monkey.recovery-timeout': '1' }, { weakness: 'echo-broken' })]);
      const rec = await run({ haltOnWeakness: false });
      assert.equal(rec.outcome, 'weakness');
      assert.equal(rec.halted, undefined);
      const w = rec.weaknesses[0]!;
      assert.equal(w.reason, 'service-degraded');
      assert.match(w.detail, /^Marathon reported recovery after \d+\.\d s, but the service probes never passed again within 1 s of the kill: service errors \d+\/\d+/);
      assert.match(w.detail, /timeout \(200 ms\)/);
      const a = rec.after['/net/broken']!;
      assert.equal(a.recovered, false, 'not back for users');
      assert.equal(a.timeToRecoverMs, null);
      assert.ok(a.marathonRecoveredMs! > 0);
      assert.equal(a.probe!.passedAgain, false);
      assert.equal(a.probe!.serviceRecoveredMs, null);
      assert.match(a.lastProblem!, /^service probes never passed again/);
    });
  });

  it('an error budget (monkey.probe.max-error-rate) allows some failures', async () => {
    await boot([httpApp('/web/lag', { 'monkey.probe.http': '${service}', 'monkey.probe.max-error-rate': '0.9' }, { weakness: { kind: 'lb-lag', seconds: 1 } })]);
    const rec = await run({});
    assert.equal(rec.outcome, 'killed', JSON.stringify(rec.weaknesses));
    const p = rec.after['/web/lag']!.probe!;
    assert.equal(p.maxErrorRate, 0.9);
    assert.ok(p.failures > 0, 'the errors are still counted');
    assert.ok(p.errorRate <= 0.9);
  });

  it('probes failing now: the app is skipped probe-failed, naming the target and the error', async () => {
    counting = await countingServer(500);
    await boot([httpApp('/web/broken', { 'monkey.probe.http': counting.url }), httpApp('/web/fine', { 'monkey.probe.http': '/health' })]);
    const rec = await run({ include: ['/web/broken'] });
    assert.equal(rec.outcome, 'nothing-to-do');
    assert.deepEqual(
      rec.skipped.filter((x) => x.reason !== 'not-included'),
      [{ appId: '/web/broken', reason: 'probe-failed', detail: `${counting.url}: HTTP 500` }],
    );
    assert.deepEqual(rec.probesBefore, { '/web/broken': { ok: false, samples: 1, failures: 1, detail: `${counting.url}: HTTP 500` } });
    assert.equal(rec.counts.skippedByReason['probe-failed'], 1);
    assert.equal(kills(), 0);

    // explain shows the same verdict.
    const client = new MarathonClient({ urls: sim!.marathonUrls, timeoutMs: 2000, retries: 0 });
    const apps = await client.listApps();
    const e = await explainAppProbed('/web/broken', apps, null, testSettings(base), EMPTY_MEMORY, Date.now(), prober());
    assert.equal(e.eligible, false);
    assert.deepEqual(e.guards.at(-1), { guard: 'probes', ok: false, reason: 'probe-failed', detail: `${counting.url}: HTTP 500` });
    const fine = await explainAppProbed('/web/fine', apps, null, testSettings(base), EMPTY_MEMORY, Date.now(), prober());
    assert.equal(fine.eligible, true);
    assert.deepEqual(fine.probes, { ok: true, samples: 3, failures: 0, detail: '3/3 probes passed (http /health (port-index 0) tolerating 200-399)' });
  });

  it('dry-run runs the before-probes only (one round, no sampling) and kills nothing', async () => {
    counting = await countingServer(200);
    await boot([httpApp('/web/dry', { 'monkey.probe.http': counting.url })]);
    const rec = await run({ dryRun: true });
    assert.equal(rec.outcome, 'dry-run');
    assert.equal(rec.probesBefore?.['/web/dry']?.ok, true);
    assert.deepEqual(rec.after, {});
    await sleep(120);
    assert.equal(counting.requests, 1, 'one probe, then nothing');
    assert.equal(kills(), 0);
  });

  it('plan never probes (not one connection), but still judges the probe labels', async () => {
    counting = await countingServer(200);
    await boot([httpApp('/web/plan', { 'monkey.probe.http': counting.url }), httpApp('/web/bad', { 'monkey.probe.http': 'ftp://files' })]);
    const rec = await run({}, { plan: true });
    assert.equal(rec.outcome, 'dry-run');
    assert.equal(rec.probesBefore, undefined);
    assert.deepEqual(rec.victims.map((v) => v.appId), ['/web/plan']);
    assert.equal(rec.skipped.find((s) => s.appId === '/web/bad')?.reason, 'bad-label');
    await sleep(60);
    assert.equal(counting.connections, 0);
    assert.equal(kills(), 0);
  });

  it('shutdown (the abort signal) stops the probes: no connection after the cycle returns', async () => {
    counting = await countingServer(200);
    await boot([httpApp('/web/stuck', { 'monkey.probe.http': counting.url, 'monkey.recovery-timeout': '30' }, { weakness: 'never-relaunches' })]);
    const abort = new AbortController();
    const cycle = run({}, { signal: abort.signal });
    await sleep(250);
    assert.ok(counting.requests >= 1, `sampling ran: ${counting.requests} requests`);
    abort.abort(new Error('SIGTERM'));
    const rec = await cycle;
    const a = rec.after['/web/stuck']!;
    assert.equal(a.aborted, true);
    assert.equal(rec.weaknesses.length, 0, 'an aborted watch is not a weakness');
    assert.ok(a.probe !== undefined && a.probe.passedAgain === false);
    const seen = counting.connections;
    await sleep(200);
    assert.equal(counting.connections, seen, 'nothing probes after the cycle');
  });

  it('shutdown while waiting for the probes after Marathon recovered: aborted, not a weakness', async () => {
    await boot([echoApp('/net/broken', { 'monkey.probe.tcp': 'port-index:0', 'monkey.probe.tcp.send': 'ping', 'monkey.probe.tcp.expect': 'ping', 'monkey.recovery-timeout': '30' }, { weakness: 'echo-broken' })]);
    const abort = new AbortController();
    const cycle = run({}, { signal: abort.signal, onWatchPoll: (p) => p.recovered && setTimeout(() => abort.abort(new Error('SIGTERM')), 150) });
    const rec = await cycle;
    const a = rec.after['/net/broken']!;
    assert.equal(a.aborted, true);
    assert.equal(a.recovered, false);
    assert.ok(a.marathonRecoveredMs !== undefined);
    assert.deepEqual(rec.weaknesses, []);
    assert.equal(rec.outcome, 'killed');
  });

  it('bad probe labels exclude the app as bad-label, naming the label', async () => {
    await boot([
      httpApp('/bad/url', { 'monkey.probe.http': 'ftp://files' }),
      httpApp('/bad/timeout', { 'monkey.probe.http': '/health', 'monkey.probe.timeout-ms': 'soon' }),
      httpApp('/bad/rate', { 'monkey.probe.http': '/health', 'monkey.probe.max-error-rate': '5%' }),
      httpApp('/bad/name', { 'monkey.probe.htp': '/health' }),
    ]);
    const rec = await run({ dryRun: true });
    const by = Object.fromEntries(rec.skipped.map((s) => [s.appId, s]));
    for (const id of ['/bad/url', '/bad/timeout', '/bad/rate', '/bad/name']) assert.equal(by[id]?.reason, 'bad-label', id);
    assert.match(by['/bad/url']!.detail, /^label monkey\.probe\.http="ftp:\/\/files" must be/);
    assert.match(by['/bad/timeout']!.detail, /^label monkey\.probe\.timeout-ms="soon" must be a whole number of milliseconds/);
    assert.match(by['/bad/rate']!.detail, /^label monkey\.probe\.max-error-rate="5%" must be a number from 0 to 1/);
    assert.match(by['/bad/name']!.detail, /^label "monkey\.probe\.htp" is not a marathon-monkey label/);
    assert.equal(rec.probesBefore, undefined, 'nothing probed');
  });

  it('a target outside MONKEY_PROBE_ALLOW is refused before connecting (probe-failed); task hosts are always allowed', async () => {
    counting = await countingServer(200);
    await boot([httpApp('/web/outside', { 'monkey.probe.http': counting.url }), httpApp('/web/tasks', { 'monkey.probe.http': '/health' })]);
    const rec = await run({ dryRun: true, maxKills: 5, strategy: 'fraction', fraction: 0.3 }, {}, prober(['10.0.0.0/8']));
    const skip = rec.skipped.find((s) => s.appId === '/web/outside');
    assert.equal(skip?.reason, 'probe-failed');
    assert.equal(skip?.detail, `probe target outside probe.allow: ${counting.url}: not probed (MONKEY_PROBE_ALLOW)`);
    assert.equal(rec.probesBefore?.['/web/tasks']?.ok, true, 'per-task probes go to the task’s own host');
    assert.deepEqual(rec.victims.map((v) => v.appId), ['/web/tasks']);
    assert.equal(counting.connections, 0);
  });

  it('without a prober the probe labels are known names (the app stays eligible) and nothing probes', async () => {
    counting = await countingServer(500);
    await boot([httpApp('/web/unprobed', { 'monkey.probe.http': counting.url })]);
    const rec = await run({}, {}, null);
    assert.equal(rec.outcome, 'killed', JSON.stringify(rec.skipped));
    assert.equal(rec.after['/web/unprobed']!.probe, undefined);
    assert.equal(rec.probesBefore, undefined);
    assert.equal(counting.connections, 0);
  });
});

describe('chaos labels: the probe labels are marathon-monkey labels', () => {
  it('monkey.probe.* names pass the chaos label parser; a misspelt one does not', () => {
    const ok = parseAppLabels(fixtureApp('/a', { labels: { 'monkey.probe.http': '/health', 'Monkey.Probe.Tolerance': '200,503', 'monkey.probe.tcp': 'port-index:1', 'monkey.probe.max-error-rate': '0.1' } }));
    assert.equal(ok.ok, true);
    const bad = parseAppLabels(fixtureApp('/a', { labels: { 'monkey.probe.intervall-ms': '5' } }));
    assert.equal(bad.ok, false);
  });
});
