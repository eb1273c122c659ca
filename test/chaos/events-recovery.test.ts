import assert from 'node:assert/strict';
import { runCycle } from '../../src/chaos/cycle.js';
import { LIVE_SAFETY_POLLS } from '../../src/chaos/recovery.js';
import type { ChaosSettings } from '../../src/chaos/settings.js';
import type { CycleRecord } from '../../src/domain/record.js';
import { MarathonClient } from '../../src/marathon/client.js';
import { MarathonEvents } from '../../src/marathon/events.js';
import { systemClock } from '../../src/platform/clock.js';
import { parseScenario, startSimulator, type RunningSim, type SimEvent } from '../../src/sim/index.js';
import { testSettings } from '../helpers/settings.js';
import { captureLogger, RecordingLedger } from './fixtures.js';

/**
 * The recovery watch against the simulator's real event stream (issue 13): reads follow events,
 * the time to recover matches the simulator's healthy moment, and every way the stream can fail
 * falls back to polling. Simulator timings are 50 ms steps: a kill recovers ~250 ms after it.
 */
const STEP = 50;
const POLL_MS = 50;

function scenario() {
  const hc = [{ protocol: 'MESOS_HTTP', path: '/health', gracePeriodSeconds: 60, intervalSeconds: 10, maxConsecutiveFailures: 3 }];
  return parseScenario(
    {
      seed: 'events-recovery',
      timings: { killGraceMs: STEP, relaunchDelayMs: STEP, stagingMs: STEP, startingMs: STEP, healthyAfterMs: STEP },
      agents: [{ hostname: '10.0.0.1' }, { hostname: '10.0.0.2' }, { hostname: '10.0.0.3' }],
      apps: [
        { id: '/shop/cart', instances: 3, labels: { 'monkey.enabled': 'true' }, healthChecks: hc },
        { id: '/shop/plain', instances: 2, labels: { 'monkey.enabled': 'true' } },
        { id: '/other', instances: 3, healthChecks: hc },
      ],
    },
    'events-recovery',
  );
}

describe('recovery timed from the event stream (against the simulator)', function () {
  this.timeout(10_000);
  let sim: RunningSim;
  let client: MarathonClient;
  let events: MarathonEvents;
  /** When each replacement became healthy (running, for apps without health checks), by the simulator. */
  let readyAt: { appId: string; at: number }[];
  let unsubscribe: () => void;

  beforeEach(async () => {
    sim = await startSimulator({ scenario: scenario(), tickMs: 5, noLeaderHoldMs: 20 });
    client = new MarathonClient({ urls: sim.marathonUrls, timeoutMs: 2000, retries: 0 });
    events = new MarathonEvents({ urls: sim.marathonUrls, preferred: () => client.baseUrl(), firstEventTimeoutMs: 300, backoff: { baseMs: 20, maxMs: 100 } });
    readyAt = [];
    unsubscribe = sim.cluster.onEvent((e: SimEvent) => {
      const p = e.payload as { appId?: string; alive?: boolean; taskStatus?: string; timestamp: string };
      if ((e.eventType === 'health_status_changed_event' && p.alive === true) || (e.eventType === 'status_update_event' && p.taskStatus === 'TASK_RUNNING')) {
        readyAt.push({ appId: p.appId ?? '', at: Date.parse(p.timestamp) });
      }
    });
  });
  afterEach(async () => {
    unsubscribe();
    await sim.close();
  });

  const base: Partial<ChaosSettings> = { dryRun: false, minTaskAgeSeconds: 0, recoveryPollMs: POLL_MS, recoveryTimeoutSeconds: 3, recentFailureMinutes: 10, minKillIntervalMinutes: 0 };
  const run = (include: string, withEvents = true): Promise<CycleRecord> =>
    runCycle(
      { apps: client, killer: client, ledger: new RecordingLedger(), clock: systemClock, logger: captureLogger().logger, ...(withEvents ? { events } : {}) },
      testSettings({ ...base, include: [include] }),
      { scheduledAt: new Date('2024-03-05T10:00:00Z') },
    );

  /** TTR as recorded minus TTR as the simulator knows it (the last replacement's healthy moment). */
  function ttrError(rec: CycleRecord, appId: string, healthChecked: boolean): number {
    const killedAt = Date.parse(rec.killedAt ?? '');
    const after = rec.after[appId]!;
    const ready = readyAt.filter((r) => r.appId === appId && r.at >= killedAt);
    // With health checks the TASK_RUNNING moment comes first; the healthy one is the last.
    const last = healthChecked ? ready.at(-1) : ready[0];
    assert.ok(last, `the simulator saw ${appId} recover`);
    return killedAt + after.timeToRecoverMs! - last.at;
  }

  /** The watch's requests: what was sent after the kill request. */
  function watchRequests(from: number): { reads: number; streams: number; total: number; paths: string[] } {
    const log = sim.requestLog.slice(from).filter((r) => r.instance >= 0);
    const kill = log.findIndex((r) => r.method === 'POST' && r.path === '/v2/tasks/delete');
    const after = log.slice(kill + 1);
    const reads = after.filter((r) => r.path.startsWith('/v2/apps/')).length;
    const streams = after.filter((r) => r.path === '/v2/events').length;
    return { reads, streams, total: reads + streams, paths: after.map((r) => `${r.method} ${r.path}`) };
  }

  it('recovers via events, within 100 ms of the healthy moment, with fewer requests than polling', async () => {
    let from = sim.requestLog.length;
    const viaEvents = await run('/shop/cart');
    assert.equal(viaEvents.outcome, 'killed', JSON.stringify(viaEvents.error ?? viaEvents.skipped));
    const a = viaEvents.after['/shop/cart']!;
    assert.equal(a.recovered, true);
    assert.equal(a.recoveredVia, 'events');
    const err = ttrError(viaEvents, '/shop/cart', true);
    assert.ok(err >= 0 && err <= 100, `TTR ${a.timeToRecoverMs} ms is ${err} ms after the healthy moment`);
    const evReqs = watchRequests(from);
    assert.equal(evReqs.streams, 1, 'one stream for the watch');
    assert.equal(evReqs.reads, a.polls);

    from = sim.requestLog.length;
    const polled = await run('/shop/cart', false);
    const p = polled.after['/shop/cart']!;
    assert.equal(p.recovered, true);
    assert.equal(p.recoveredVia, 'polling');
    const pollReqs = watchRequests(from);
    assert.equal(pollReqs.streams, 0);
    assert.ok(evReqs.total < pollReqs.total, `events: ${evReqs.total} requests, polling: ${pollReqs.total}`);
  });

  it('an app without health checks recovers when its replacement runs', async () => {
    const rec = await run('/shop/plain');
    const a = rec.after['/shop/plain']!;
    assert.equal(a.recovered, true);
    assert.equal(a.recoveredVia, 'events');
    const err = ttrError(rec, '/shop/plain', false);
    assert.ok(err >= 0 && err <= 100, `TTR is ${err} ms after the replacement ran`);
  });

  it('a refused stream (404: Marathon without the event stream) is polled, and the record says so', async () => {
    sim.setStreamFaults({ refuseStatus: 404 });
    const from = sim.requestLog.length;
    const rec = await run('/shop/cart');
    const a = rec.after['/shop/cart']!;
    assert.equal(rec.outcome, 'killed');
    assert.equal(a.recovered, true);
    assert.equal(a.recoveredVia, 'polling');
    assert.ok(watchRequests(from).streams >= 1);
    assert.ok(ttrError(rec, '/shop/cart', true) <= POLL_MS + 100);
  });

  it('a stream that never sends its first event (a buffering proxy) is polled', async () => {
    sim.setStreamFaults({ buffered: true });
    const rec = await run('/shop/cart');
    const a = rec.after['/shop/cart']!;
    assert.equal(a.recovered, true);
    assert.equal(a.recoveredVia, 'polling');
  });

  it('a stream cut mid-watch falls back to polling, then follows events again after reconnecting', async () => {
    let cut = false;
    const stop = sim.cluster.onEvent((e) => {
      const p = e.payload as { runSpecId?: string; condition?: string };
      // Cut once, after the kill, before the replacement is healthy.
      if (!cut && e.eventType === 'instance_changed_event' && p.runSpecId === '/shop/cart' && p.condition === 'Killed') {
        cut = true;
        setImmediate(() => sim.cutStreams());
      }
    });
    const from = sim.requestLog.length;
    const rec = await run('/shop/cart');
    stop();
    assert.ok(cut);
    const a = rec.after['/shop/cart']!;
    assert.equal(a.recovered, true);
    assert.equal(a.recoveredVia, 'events+polling');
    assert.ok(watchRequests(from).streams >= 2, 'reconnected');
    const err = ttrError(rec, '/shop/cart', true);
    assert.ok(err >= 0 && err <= 100, `TTR is ${err} ms after the healthy moment`);
  });

  it('events out of order (held, newest first) still time the recovery: never before the healthy moment', async () => {
    sim.setStreamFaults({ reverseWindowMs: 30 });
    const rec = await run('/shop/cart');
    const a = rec.after['/shop/cart']!;
    assert.equal(a.recovered, true);
    assert.equal(a.recoveredVia, 'events');
    const err = ttrError(rec, '/shop/cart', true);
    assert.ok(err >= 0 && err <= 30 + 100, `TTR is ${err} ms after the healthy moment`);
  });

  it("other apps' events are ignored: no reads of them, no extra reads of the watched app", async () => {
    // Another app recovers from its own kill during the watch.
    let killedOther = false;
    let otherKill: Promise<Response> | undefined;
    let otherEvents = 0;
    const stop = sim.cluster.onEvent((e) => {
      const p = e.payload as { appId?: string; runSpecId?: string; taskStatus?: string };
      if ((p.appId ?? p.runSpecId) === '/other') otherEvents++;
      if (!killedOther && e.eventType === 'status_update_event' && p.appId === '/shop/cart' && p.taskStatus === 'TASK_KILLED') {
        killedOther = true;
        const other = sim.cluster.app('/other')!.instances[0]!;
        setImmediate(() => {
          otherKill = fetch(`${sim.marathonUrl}/v2/apps/other/tasks/${encodeURIComponent(`${other.instanceId}._app.${other.incarnation}`)}`, { method: 'DELETE' });
        });
      }
    });
    const from = sim.requestLog.length;
    const rec = await run('/shop/cart');
    stop();
    assert.equal((await otherKill)?.status, 200);
    assert.ok(otherEvents >= 4, `${otherEvents} events about /other during the watch`);
    const a = rec.after['/shop/cart']!;
    assert.equal(a.recovered, true);
    assert.equal(a.recoveredVia, 'events');
    const w = watchRequests(from);
    assert.ok(!w.paths.includes('GET /v2/apps/other'), w.paths.join(', '));
    // The healthy event of the replacement, and at most one read of a burst split across packets.
    assert.ok(a.polls <= 2, `${a.polls} reads`);
    assert.ok(LIVE_SAFETY_POLLS * POLL_MS > 300, 'no safety poll within the recovery');
  });
});
