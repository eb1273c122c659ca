import assert from 'node:assert/strict';
import { runCycle } from '../../src/chaos/cycle.js';
import type { ChaosSettings } from '../../src/chaos/settings.js';
import { testSettings } from '../helpers/settings.js';
import { MarathonClient } from '../../src/marathon/client.js';
import { MesosClient } from '../../src/mesos/client.js';
import { systemClock } from '../../src/platform/clock.js';
import { parseScenario, startSimulator, type RunningSim } from '../../src/sim/index.js';
import { captureLogger, RecordingLedger } from './fixtures.js';

/**
 * The cycle against the real simulator over loopback HTTP, with the real Marathon and Mesos
 * clients and the system clock. Simulator timings are 40 ms steps, so a kill recovers in ~200 ms.
 */
function scenario() {
  const hc = [{ protocol: 'MESOS_HTTP', path: '/health', gracePeriodSeconds: 60, intervalSeconds: 10, maxConsecutiveFailures: 3 }];
  return parseScenario(
    {
      seed: 'chaos-it',
      timings: { killGraceMs: 40, relaunchDelayMs: 40, stagingMs: 40, startingMs: 40, healthyAfterMs: 40 },
      agents: [
        { hostname: '10.0.0.1', attributes: { rack: 'r1' } },
        { hostname: '10.0.0.2', attributes: { rack: 'r2' } },
        { hostname: '10.0.0.3', attributes: { rack: 'r3' } },
      ],
      apps: [
        { id: '/shop/cart', instances: 3, labels: { 'monkey.enabled': 'true' }, healthChecks: hc, constraints: [['rack', 'GROUP_BY']] },
        { id: '/shop/plain', instances: 2, labels: { 'monkey.enabled': 'true' } },
        { id: '/weak/never', instances: 2, labels: { 'monkey.enabled': 'true', 'monkey.recovery-timeout': '1' }, weakness: 'never-relaunches' },
        { id: '/weak/sick', instances: 2, labels: { 'monkey.enabled': 'true', 'monkey.recovery-timeout': '1' }, healthChecks: hc, weakness: 'never-healthy' },
        { id: '/other', instances: 3 },
      ],
    },
    'chaos-it',
  );
}

describe('runCycle against the simulator', () => {
  let sim: RunningSim;
  let client: MarathonClient;
  beforeEach(async () => {
    sim = await startSimulator({ scenario: scenario(), tickMs: 10, noLeaderHoldMs: 20 });
    client = new MarathonClient({ urls: sim.marathonUrls, timeoutMs: 2000, retries: 0 });
  });
  afterEach(async () => {
    await sim.close();
  });

  const base: Partial<ChaosSettings> = { dryRun: false, minTaskAgeSeconds: 0, recoveryPollMs: 25, recoveryTimeoutSeconds: 3, recentFailureMinutes: 10 };
  const run = (s: Partial<ChaosSettings>, scheduledAt = new Date('2024-03-05T10:00:00Z')) =>
    runCycle({ apps: client, killer: client, ledger: new RecordingLedger(), clock: systemClock, logger: captureLogger().logger }, testSettings({ ...base, ...s }), { scheduledAt });

  it('a kill recovers, with the time to recover measured, and the request count is 1 listing + 1 kill + reads of the affected app', async () => {
    const before = sim.requestLog.length;
    const rec = await run({ include: ['/shop/cart'] });
    assert.equal(rec.outcome, 'killed', JSON.stringify(rec.error ?? rec.skipped));
    assert.equal(rec.killResponse?.matched.length, 1);
    const after = rec.after['/shop/cart']!;
    assert.equal(after.recovered, true);
    assert.ok(after.timeToRecoverMs! > 0 && after.timeToRecoverMs! < 2000, `recovered in ${after.timeToRecoverMs} ms`);

    const reqs = sim.requestLog.slice(before).filter((r) => r.instance >= 0);
    const key = (r: { method: string; path: string }) => `${r.method} ${r.path}`;
    assert.equal(reqs.filter((r) => key(r) === 'GET /v2/apps').length, 1);
    assert.equal(reqs.filter((r) => key(r) === 'POST /v2/tasks/delete').length, 1);
    const others = reqs.filter((r) => key(r) !== 'GET /v2/apps' && key(r) !== 'POST /v2/tasks/delete');
    assert.ok(others.every((r) => key(r) === 'GET /v2/apps/shop/cart'), `unexpected: ${others.map(key).join(', ')}`);
    // 1 re-check + one read per poll.
    assert.equal(others.length, 1 + after.polls);
  });

  it('an app without health checks recovers by running tasks alone', async () => {
    const rec = await run({ include: ['/shop/plain'] });
    assert.equal(rec.outcome, 'killed');
    assert.equal(rec.after['/shop/plain']!.recovered, true);
  });

  it('an app that never relaunches is a weakness and halts chaos', async () => {
    const rec = await run({ include: ['/weak/never'] });
    assert.equal(rec.outcome, 'weakness');
    assert.equal(rec.halted, true);
    assert.equal(rec.weaknesses[0]?.appId, '/weak/never');
    assert.match(rec.weaknesses[0].detail, /under-replicated/);
  });

  it('an app whose replacement never gets healthy is a weakness', async () => {
    const rec = await run({ include: ['/weak/sick'], haltOnWeakness: false });
    assert.equal(rec.outcome, 'weakness');
    assert.equal(rec.halted, undefined);
    assert.match(rec.weaknesses[0]!.detail, /unhealthy|under-replicated/);
  });

  it('dry-run sends no POST /v2/tasks/delete', async () => {
    const before = sim.requestLog.length;
    const rec = await run({ dryRun: true });
    assert.equal(rec.outcome, 'dry-run');
    const reqs = sim.requestLog.slice(before);
    assert.ok(!reqs.some((r) => r.method === 'POST' && r.path === '/v2/tasks/delete'));
    assert.deepEqual(
      reqs.filter((r) => r.instance >= 0).map((r) => `${r.method} ${r.path}`),
      ['GET /v2/apps'],
    );
  });

  it('rack strategy: kills only in one rack, using the Mesos master', async () => {
    const mesos = new MesosClient({ url: sim.mesosUrl, timeoutMs: 2000, retries: 0 });
    const rec = await runCycle(
      { apps: client, killer: client, ledger: new RecordingLedger(), agents: mesos, clock: systemClock, logger: captureLogger().logger },
      testSettings({ ...base, strategy: 'rack', maxKills: 10, include: ['/shop/**'] }),
      { scheduledAt: new Date('2024-03-05T10:00:00Z') },
    );
    assert.equal(rec.outcome, 'killed', JSON.stringify(rec.error ?? rec.skipped));
    assert.equal(rec.target?.kind, 'rack');
    assert.ok(rec.victims.length >= 1);
    assert.deepEqual([...new Set(rec.victims.map((v) => v.rack))], [rec.target.value]);
    for (const a of Object.values(rec.after)) assert.equal(a.recovered, true);
  });

  it('no leader between listing and kill: nothing is killed', async () => {
    // The listing succeeds, then an election starts before the re-check.
    const reader = {
      listApps: () => client.listApps(),
      getApp: (id: string) => {
        sim.setFaults({ noLeader: true });
        return client.getApp(id);
      },
    };
    const before = sim.requestLog.length;
    const rec = await runCycle(
      { apps: reader, killer: client, ledger: new RecordingLedger(), clock: systemClock, logger: captureLogger().logger },
      testSettings({ ...base, include: ['/shop/cart'] }),
      { scheduledAt: new Date('2024-03-05T10:00:00Z') },
    );
    assert.equal(rec.outcome, 'error');
    assert.equal(rec.error?.stage, 'recheck');
    assert.equal(rec.error?.code, 'E_MARATHON_NO_LEADER');
    assert.ok(!sim.requestLog.slice(before).some((r) => r.method === 'POST'));
  });
});
