import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as realDelay } from 'node:timers/promises';
import type { Clients } from '../../src/domain/ports.js';
import type { AfterKill, CycleRecord } from '../../src/domain/record.js';
import type { ChaosSettings } from '../../src/chaos/settings.js';
import { testSettings } from '../helpers/settings.js';
import { Daemon, DAEMON_LOG } from '../../src/daemon/daemon.js';
import { LOG } from '../../src/chaos/cycle.js';
import { HeapKeeper } from '../../src/daemon/heap-keeper.js';
import { MonkeyMetrics } from '../../src/daemon/metrics.js';
import { readJournal, type JournalRecord } from '../../src/journal/journal.js';
import { memoryLogger } from '../../src/log.js';
import { MarathonClient } from '../../src/marathon/client.js';
import type { KillResult, MarathonApp, MarathonInfo } from '../../src/domain/marathon.js';
import { ManualClock } from '../../src/platform/clock.js';
import { compileSchedule, type CompiledSchedule } from '../../src/schedule/settings.js';
import { parseScenario, startSimulator, type RunningSim } from '../../src/sim/index.js';
import { app, codedError, killedButNotReplaced, replaced } from '../chaos/fixtures.js';
import type { ZkCoordinator } from '../../src/zk/index.js';
import { FakeCoordinator } from './fake-coordinator.js';
import { eventually, parsePrometheus, sampleValue, shutDownAll } from './helpers.js';

/**
 * The Daemon as an operator sees it: scheduler → gates → cycle → journal, /status, /metrics,
 * /ready, pause/resume and shutdown. Time is a ManualClock (no real waiting for schedules); the
 * HTTP side is real fetch against the daemon's server on 127.0.0.1. Marathon is either the
 * simulator on the same ManualClock (it advances its model to clock.now() on each request) or a
 * hand-written fake when a test must hold a request open.
 */

/** 14:30 in Berlin (CET) on a Friday: inside `Mon-Fri 09:00-17:00`. */
const aFridayAfternoonInBerlin = new Date('2024-03-15T13:30:00.000Z');
/** 10:30 in Berlin on the Saturday after: outside office hours. */
const aSaturdayMorningInBerlin = new Date('2024-03-16T09:30:00.000Z');
const MINUTE = 60_000;
const TOKEN = 'daemon-test-token-7c1e';
const OFFICE_HOURS = 'Mon-Fri 09:00-17:00';

function everyMinute(officeHours = OFFICE_HOURS): CompiledSchedule {
  return compileSchedule({ cron: '* * * * *', timezone: 'Europe/Berlin', officeHours, holidays: [], holidayCalendar: '', jitterSeconds: 0 });
}

const baseSettings: Partial<ChaosSettings> = { seed: 'daemon-test', minTaskAgeSeconds: 0, minKillIntervalMinutes: 0 };

// ------------------------------------------------------------------------------------------ harness

interface Running {
  daemon: Daemon;
  url: string;
  log: ReturnType<typeof memoryLogger>;
}

let dir: string;
let journalPath: string;
const daemons: { daemon: Daemon; clock: ManualClock }[] = [];
const sims: RunningSim[] = [];

/** Per test: a fresh journal directory; afterwards every daemon is shut down and every simulator closed. */
function daemonHooks(): void {
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'monkey-daemon-'));
    journalPath = join(dir, 'journal.jsonl');
  });

  afterEach(async () => {
    await shutDownAll(daemons.splice(0));
    await Promise.all(sims.splice(0).map((s) => s.close()));
    await rm(dir, { recursive: true, force: true });
  });
}

async function startDaemon(o: {
  clock: ManualClock;
  clients: Clients;
  settings?: Partial<ChaosSettings>;
  schedule?: CompiledSchedule;
  shutdownGraceMs?: number;
  metrics?: MonkeyMetrics;
  heapKeeper?: HeapKeeper;
  /** Several instances: the daemon joins this hand-written coordinator. */
  coordinator?: FakeCoordinator;
}): Promise<Running> {
  const log = memoryLogger('debug');
  const daemon = new Daemon({
    settings: testSettings({ ...baseSettings, ...o.settings }),
    schedule: o.schedule ?? everyMinute(),
    clients: o.clients,
    journalPath,
    clock: o.clock,
    logger: log.logger,
    server: { host: '127.0.0.1', port: 0, controlToken: TOKEN },
    maskedConfig: {},
    version: '0.0.0-test',
    shutdownGraceMs: o.shutdownGraceMs ?? 10_000,
    metrics: o.metrics ?? new MonkeyMetrics({ version: '0.0.0-test', defaultMetrics: false }),
    ...(o.heapKeeper ? { heapKeeper: o.heapKeeper } : {}),
    ...(o.coordinator
      ? { ha: { connect: () => Promise.resolve(o.coordinator as unknown as ZkCoordinator), maskedUrl: 'zk://zk-1:2181/monkey', sessionTimeoutMs: 1500, identity: 'test-instance' } }
      : {}),
  });
  daemons.push({ daemon, clock: o.clock });
  const { url } = await daemon.start();
  return { daemon, url, log };
}

/** A simulated cluster on the test's ManualClock, and the real client pointed at it. */
async function simCluster(clock: ManualClock, apps: unknown[], metrics?: MonkeyMetrics): Promise<{ sim: RunningSim; clients: Clients }> {
  const scenario = parseScenario(
    {
      seed: 'daemon-test',
      timings: { killGraceMs: 100, relaunchDelayMs: 100, stagingMs: 100, startingMs: 100, healthyAfterMs: 100 },
      agents: [
        { hostname: '10.0.0.1', attributes: { rack: 'r1' } },
        { hostname: '10.0.0.2', attributes: { rack: 'r2' } },
        { hostname: '10.0.0.3', attributes: { rack: 'r3' } },
      ],
      apps,
    },
    'daemon-test',
  );
  const sim = await startSimulator({ scenario, clock, tickMs: 10, noLeaderHoldMs: 20 });
  sims.push(sim);
  const marathon = new MarathonClient({
    urls: sim.marathonUrls,
    timeoutMs: 2000,
    retries: 0,
    clock,
    ...(metrics ? { onRequest: Daemon.requestRecorder(metrics) } : {}),
  });
  return { sim, clients: { marathon, agents: { listAgents: () => Promise.resolve([]) } } };
}

const healthCheck = [{ protocol: 'MESOS_HTTP', path: '/health', gracePeriodSeconds: 60, intervalSeconds: 10, maxConsecutiveFailures: 3 }];
const shopCart = { id: '/shop/cart', instances: 3, labels: { 'monkey.enabled': 'true' }, healthChecks: healthCheck };
const weakSick = { id: '/weak/sick', instances: 2, labels: { 'monkey.enabled': 'true' }, healthChecks: healthCheck, weakness: 'never-healthy' };

/** Marathon requests the simulator saw (its Mesos master side excluded). */
function marathonRequests(sim: RunningSim): string[] {
  return sim.requestLog.filter((r) => r.instance >= 0).map((r) => `${r.method} ${r.path}`);
}

/**
 * A hand-written Marathon: `listApps` can be held open until the test releases it, `getApp`
 * answers from a script, `killTasks` records every call, `info` fails while `down` is set.
 */
class FakeMarathon {
  listCalls = 0;
  killCalls: string[][] = [];
  infoCalls = 0;
  down: Error | undefined;
  private held: { release: () => void; promise: Promise<void> } | undefined;
  /** After the kill: what getApp answers (default: the app as listed). */
  afterKill: ((killed: readonly string[]) => MarathonApp) | undefined;
  private killed: string[] = [];

  constructor(public apps: MarathonApp[]) {}

  /** The next listApps calls wait until release() is called. */
  hold(): { release: () => void } {
    let release = (): void => undefined;
    const promise = new Promise<void>((r) => (release = r));
    this.held = { release, promise };
    return { release };
  }

  async listApps(): Promise<MarathonApp[]> {
    this.listCalls++;
    if (this.down) throw this.down;
    if (this.held) await this.held.promise;
    return structuredClone(this.apps);
  }

  getApp(appId: string): Promise<MarathonApp> {
    const a = this.apps.find((x) => x.id === appId);
    if (!a) return Promise.reject(codedError('E_APP_NOT_FOUND', `App '${appId}' does not exist`));
    const answer = this.killed.length > 0 && this.afterKill ? this.afterKill(this.killed) : a;
    return Promise.resolve(structuredClone(answer));
  }

  killTasks(taskIds: readonly string[]): Promise<KillResult> {
    this.killCalls.push([...taskIds]);
    this.killed = [...taskIds];
    const all = this.apps.flatMap((a) => a.tasks);
    return Promise.resolve({ requested: [...taskIds], killed: all.filter((t) => taskIds.includes(t.id)), unmatched: [] });
  }

  info(): Promise<MarathonInfo> {
    this.infoCalls++;
    if (this.down) return Promise.reject(this.down);
    return Promise.resolve({ name: 'marathon', version: '1.10.17', elected: true, leader: '127.0.0.1:8080' });
  }

  /** The daemon types its client as MarathonClient; the fake implements the four methods it calls. */
  asClients(): Clients {
    return { marathon: this, agents: { listAgents: () => Promise.resolve([]) } };
  }
}

// ------------------------------------------------------------------------------------------ helpers


async function journal(): Promise<JournalRecord[]> {
  try {
    return await readJournal(journalPath);
  } catch {
    return [];
  }
}

async function cycles(): Promise<CycleRecord[]> {
  return (await journal()).filter((r) => r.type === 'cycle') as unknown as CycleRecord[];
}

/** Waits until the journal holds `n` cycle records and returns the n-th. */
async function nthCycle(n: number): Promise<CycleRecord> {
  return eventually(`cycle record #${n}`, async () => (await cycles())[n - 1]);
}

/** Moves the clock in steps until the journal holds `n` cycles (for cycles that sleep on the clock, e.g. a recovery watch). */
async function driveUntilCycle(clock: ManualClock, n: number, stepMs: number, maxSteps = 200): Promise<CycleRecord> {
  for (let i = 0; i < maxSteps; i++) {
    const c = (await cycles())[n - 1];
    if (c) return c;
    await clock.advance(stepMs);
    await realDelay(3);
  }
  throw new Error(`no cycle #${n} after ${maxSteps} steps of ${stepMs} ms`);
}

/** Advances to just past the next minute slot. */
async function nextSlot(clock: ManualClock): Promise<void> {
  const now = clock.now();
  await clock.advance(Math.ceil((now + 1) / MINUTE) * MINUTE - now);
}

async function get(url: string, path: string): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
  const res = await fetch(`${url}${path}`);
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // /metrics is text
  }
  return { status: res.status, body, text };
}

async function post(url: string, path: string, body: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

interface StatusBody {
  lastCycles: { cycleId: string; outcome: string; reason?: string }[];
  halted: { appId: string; reason: string } | null;
  paused: unknown;
  readiness: { ready: boolean; reason: string };
  counters: { cycles: number };
}

async function status(url: string): Promise<StatusBody> {
  return (await get(url, '/status')).body as unknown as StatusBody;
}

/**
 * The daemon journals a cycle first (durable), then updates /status, /ready and /metrics: waits
 * until /status shows the journal's last cycle.
 */
async function caughtUp(url: string): Promise<void> {
  const last = (await cycles()).at(-1)?.cycleId;
  await eventually(`/status to show cycle ${last}`, async () => (await status(url)).lastCycles[0]?.cycleId === last);
}

async function metricValue(url: string, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const { samples } = parsePrometheus((await get(url, '/metrics')).text);
  return sampleValue(samples, name, labels);
}

// ------------------------------------------------------------------------------------------ tests

describe('Daemon (ManualClock, simulator, real HTTP)', () => {
  daemonHooks();

  it('a slot inside office hours runs a cycle: journaled, in /status lastCycles, counted in /metrics', async () => {
    const clock = new ManualClock(aFridayAfternoonInBerlin);
    const metrics = new MonkeyMetrics({ version: '0.0.0-test', defaultMetrics: false });
    const { sim, clients } = await simCluster(clock, [shopCart], metrics);
    const { url } = await startDaemon({ clock, clients, metrics });
    assert.equal((await get(url, '/ready')).status, 200);

    await clock.advance(MINUTE);
    const rec = await nthCycle(1);
    assert.equal(rec.outcome, 'dry-run', JSON.stringify(rec.error ?? rec.skipped));
    assert.equal(rec.scheduledAt, '2024-03-15T13:31:00.000Z');
    assert.equal(rec.victims[0]?.appId, '/shop/cart');
    assert.ok(!marathonRequests(sim).includes('POST /v2/tasks/delete'), 'dry-run sends no kill');
    await caughtUp(url);

    const s = await status(url);
    assert.equal(s.lastCycles[0]?.cycleId, rec.cycleId);
    assert.equal(s.lastCycles[0]?.outcome, 'dry-run');
    assert.equal(await metricValue(url, 'marathon_monkey_cycles_total', { outcome: 'dry-run' }), 1);
  });

  it('a slot outside office hours journals `skipped` (outside-office-hours) and sends no request to Marathon', async () => {
    const clock = new ManualClock(aSaturdayMorningInBerlin);
    const { sim, clients } = await simCluster(clock, [shopCart]);
    const { url } = await startDaemon({ clock, clients });
    const afterStart = marathonRequests(sim);
    assert.deepEqual(afterStart, ['GET /v2/info'], 'only the start-up probe');

    await clock.advance(MINUTE);
    const rec = await nthCycle(1);
    assert.equal(rec.outcome, 'skipped');
    assert.equal(rec.gate?.reason, 'outside-office-hours');
    assert.match(rec.gate.detail, /Sat 2024-03-16 10:31 in Europe\/Berlin/);
    assert.deepEqual(marathonRequests(sim), afterStart, 'no listing, no kill');
    await caughtUp(url);
    assert.equal((await status(url)).lastCycles[0]?.reason, 'outside-office-hours');
    assert.equal(await metricValue(url, 'marathon_monkey_cycles_total', { outcome: 'skipped' }), 1);
  });

  it('after each cycle, skipped ones too, the heap is collected when it grew past the slack (logged at debug)', async () => {
    const MB = 1024 * 1024;
    let used = 30 * MB;
    let collections = 0;
    const heap = {
      usedBytes: () => used,
      collect: () => {
        collections++;
        used = 10 * MB;
      },
    };
    const clock = new ManualClock(aSaturdayMorningInBerlin);
    const { clients } = await simCluster(clock, [shopCart]);
    const { url, log } = await startDaemon({ clock, clients, heapKeeper: new HeapKeeper(heap, 2 * MB) });
    const collected = (): unknown[] => log.lines().filter((l) => l.msg === DAEMON_LOG.heapCollected).map((l) => l.heapUsedMb);

    await clock.advance(MINUTE);
    await nthCycle(1);
    await caughtUp(url);
    assert.equal(collections, 1, 'the first cycle sets the baseline');
    assert.deepEqual(collected(), [{ before: 30, after: 10 }]);

    used = 11.5 * MB;
    await clock.advance(MINUTE);
    await nthCycle(2);
    await caughtUp(url);
    assert.equal(collections, 1, 'within the slack: no collection');

    used = 12.5 * MB;
    await clock.advance(MINUTE);
    await nthCycle(3);
    await caughtUp(url);
    assert.equal(collections, 2);
    assert.deepEqual(collected(), [
      { before: 30, after: 10 },
      { before: 12.5, after: 10 },
    ]);
  });

  it('POST /pause: the next slot journals `skipped` (paused); POST /resume: the slot after runs', async () => {
    const clock = new ManualClock(aFridayAfternoonInBerlin);
    const { sim, clients } = await simCluster(clock, [shopCart]);
    const { url } = await startDaemon({ clock, clients });

    const paused = await post(url, '/pause', { reason: 'game day', by: 'alice' });
    assert.equal(paused.status, 200);
    await clock.advance(MINUTE);
    const skipped = await nthCycle(1);
    assert.equal(skipped.outcome, 'skipped');
    assert.equal(skipped.gate?.reason, 'paused');
    assert.match(skipped.gate.detail, /alice/);
    assert.ok(!marathonRequests(sim).includes('GET /v2/apps'), 'a paused slot lists nothing');
    await caughtUp(url);
    assert.equal(await metricValue(url, 'marathon_monkey_paused'), 1);

    assert.equal((await post(url, '/resume', { by: 'alice' })).status, 200);
    await clock.advance(MINUTE);
    const ran = await nthCycle(2);
    assert.equal(ran.outcome, 'dry-run');
    const control = (await journal()).filter((r) => r.type === 'pause' || r.type === 'resume').map((r) => r.type);
    assert.deepEqual(control, ['pause', 'resume'], 'who paused and resumed is journaled');
  });

  it('a weakness halts chaos; later slots are skipped (halted); the halt survives a restart; POST /resume clears it', async () => {
    const clock = new ManualClock(aFridayAfternoonInBerlin);
    const { sim, clients } = await simCluster(clock, [weakSick]);
    const settings: Partial<ChaosSettings> = { dryRun: false, haltOnWeakness: true, recoveryTimeoutSeconds: 2, recoveryPollMs: 500 };
    const first = await startDaemon({ clock, clients, settings });

    await clock.advance(MINUTE);
    const weak = await driveUntilCycle(clock, 1, 250);
    assert.equal(weak.outcome, 'weakness', JSON.stringify(weak.error ?? weak.after));
    assert.equal(weak.halted, true);
    assert.equal(weak.weaknesses[0]?.appId, '/weak/sick');
    await caughtUp(first.url);
    const s1 = await status(first.url);
    assert.equal(s1.halted?.appId, '/weak/sick');
    assert.equal(await metricValue(first.url, 'marathon_monkey_halted'), 1);

    await nextSlot(clock);
    const skipped = await nthCycle(2);
    assert.equal(skipped.outcome, 'skipped');
    assert.equal(skipped.gate?.reason, 'halted');
    await caughtUp(first.url);

    // Restart on the same journal: still halted, and /status names the app, not the cycle.
    await first.daemon.shutdown('restart');
    const second = await startDaemon({ clock, clients, settings });
    const s2 = await status(second.url);
    assert.equal(s2.halted?.appId, '/weak/sick');
    const kills = marathonRequests(sim).filter((r) => r === 'POST /v2/tasks/delete').length;
    await nextSlot(clock);
    const stillHalted = await nthCycle(3);
    assert.equal(stillHalted.gate?.reason, 'halted');
    assert.equal(marathonRequests(sim).filter((r) => r === 'POST /v2/tasks/delete').length, kills, 'no kill while halted');

    const resumed = await post(second.url, '/resume', { by: 'bob', reason: 'billing fixed' });
    assert.equal(resumed.status, 200);
    assert.equal((resumed.body.clearedHalt as { appId: string } | null)?.appId, '/weak/sick');
    await nextSlot(clock);
    const after = await driveUntilCycle(clock, 4, 250);
    assert.notEqual(after.outcome, 'skipped', JSON.stringify(after.gate));
    // The app itself stays quarantined until it is seen healthy again.
    assert.equal(after.counts.skippedByReason.quarantined, 1);
    await caughtUp(second.url);
    assert.equal((await status(second.url)).halted, null);
  });

  it('Marathon without a leader at start: /ready 503 with the reason, /health 200; ready once Marathon answers', async () => {
    const clock = new ManualClock(aFridayAfternoonInBerlin);
    const { sim, clients } = await simCluster(clock, [shopCart]);
    sim.setLeader(null);
    const { url, log } = await startDaemon({ clock, clients });

    const ready = await get(url, '/ready');
    assert.equal(ready.status, 503);
    assert.equal(ready.body.reason, 'marathon-unusable');
    assert.match(String(ready.body.detail), /leader/i);
    assert.equal((await get(url, '/health')).status, 200);
    assert.ok(log.lines().some((l) => l.msg === DAEMON_LOG.marathonDown));

    sim.setLeader(0);
    await clock.advance(MINUTE);
    const rec = await nthCycle(1);
    assert.equal(rec.outcome, 'dry-run');
    await caughtUp(url);
    assert.equal((await get(url, '/ready')).status, 200);
  });
});

describe('Daemon (ManualClock, hand-written Marathon)', () => {
  daemonHooks();
  const victimApp = (): MarathonApp => app('/shop/cart', { instances: 3 });

  it('Marathon unreachable at start, outside office hours: ready again at the next slot once Marathon answers', async () => {
    const clock = new ManualClock(aSaturdayMorningInBerlin);
    const marathon = new FakeMarathon([victimApp()]);
    marathon.down = codedError('E_MARATHON_UNREACHABLE', 'GET /v2/info: no Marathon instance reachable');
    const { url } = await startDaemon({ clock, clients: marathon.asClients() });
    const ready = await get(url, '/ready');
    assert.equal(ready.status, 503);
    assert.equal(ready.body.reason, 'marathon-unusable');

    marathon.down = undefined;
    await clock.advance(MINUTE);
    const rec = await nthCycle(1);
    assert.equal(rec.gate?.reason, 'outside-office-hours');
    assert.equal(marathon.listCalls, 0, 'no listing outside office hours');
    await eventually('ready', async () => (await get(url, '/ready')).status === 200);
  });

  it('shutdown mid-listing: /ready 503 at once, no wait for the listing, the slot journaled as kill-vetoed, and no kill is sent', async () => {
    const clock = new ManualClock(aFridayAfternoonInBerlin);
    const marathon = new FakeMarathon([victimApp()]);
    const gate = marathon.hold();
    const { daemon, url, log } = await startDaemon({ clock, clients: marathon.asClients(), settings: { dryRun: false } });

    await clock.advance(MINUTE);
    await eventually('the listing', () => marathon.listCalls === 1);
    const readyDuring = get(url, '/ready');
    const stopping = daemon.shutdown('SIGTERM');
    const ready = await readyDuring;
    assert.equal(ready.status, 503);
    assert.equal(ready.body.reason, 'shutting-down');

    // The listing is still held: shutdown does not wait for reads that can no longer lead to a kill.
    await stopping;
    assert.ok(log.lines().some((l) => l.msg === DAEMON_LOG.shutdown), 'no watch was running, and the log does not claim one');
    assert.ok(!log.lines().some((l) => l.msg === DAEMON_LOG.shutdownWaiting));
    const rec = await nthCycle(1);
    assert.equal(rec.outcome, 'skipped');
    assert.equal(rec.gate?.reason, 'kill-vetoed');
    assert.ok(log.lines().some((l) => l.msg === DAEMON_LOG.stopped));
    await assert.rejects(fetch(`${url}/health`), 'the server is closed after shutdown');

    gate.release();
    // The abandoned cycle gets its listing, plans, and is refused the kill: wait for that refusal.
    await eventually('the withdrawn kill', () => log.lines().some((l) => l.msg === LOG.killVetoed));
    assert.deepEqual(marathon.killCalls, [], 'the kill was withdrawn');
    // No slot runs after shutdown, however far the clock moves: nothing is waiting on the clock.
    assert.equal(clock.pending, 0, 'no sleep of the scheduler or a watch is left after shutdown');
    await clock.advance(10 * MINUTE);
    assert.equal(marathon.listCalls, 1);
    assert.equal((await cycles()).length, 1, 'the abandoned cycle is not journaled twice');
  });

  it('POST /pause while a cycle is planning: the kill is withdrawn', async () => {
    const clock = new ManualClock(aFridayAfternoonInBerlin);
    const marathon = new FakeMarathon([victimApp()]);
    const gate = marathon.hold();
    const { url } = await startDaemon({ clock, clients: marathon.asClients(), settings: { dryRun: false } });

    await clock.advance(MINUTE);
    await eventually('the listing', () => marathon.listCalls === 1);
    assert.equal((await post(url, '/pause', { reason: 'incident', by: 'oncall' })).status, 200);
    gate.release();
    const rec = await nthCycle(1);
    assert.deepEqual(marathon.killCalls, []);
    assert.equal(rec.outcome, 'skipped');
    assert.equal(rec.gate?.reason, 'kill-vetoed');
  });

  it('shutdown during a recovery watch: the watch may finish within the grace period', async () => {
    const clock = new ManualClock(aFridayAfternoonInBerlin);
    const marathon = new FakeMarathon([victimApp()]);
    let back = false;
    marathon.afterKill = (killed) => (back ? replaced(victimApp(), killed) : killedButNotReplaced(victimApp(), killed));
    const { daemon, url } = await startDaemon({
      clock,
      clients: marathon.asClients(),
      settings: { dryRun: false, recoveryPollMs: 1000, recoveryTimeoutSeconds: 300 },
      shutdownGraceMs: 10_000,
    });

    await clock.advance(MINUTE);
    await eventually('the kill', () => marathon.killCalls.length === 1);
    // The watch starts sleeping once Marathon's answer is journaled (a synced write): wait for that
    // event, or a clock step could pass before the watch is there to see it.
    await eventually('the kill answer journaled', async () => (await journal()).some((r) => r.type === 'kill-answer'));
    let stopped = false;
    const stopping = daemon.shutdown('SIGTERM').then(() => (stopped = true));
    assert.equal((await get(url, '/ready')).status, 503);
    await clock.advance(1000);
    assert.equal(stopped, false, 'shutdown waits for the watch');
    back = true;
    await clock.advance(1000);
    await stopping;

    const rec = await nthCycle(1);
    assert.equal(rec.outcome, 'killed');
    const after = rec.after['/shop/cart'] as AfterKill;
    assert.equal(after.recovered, true);
    assert.equal(after.aborted, undefined);
    assert.equal(marathon.killCalls.length, 1);
  });

  it('shutdown during a recovery watch: the watch is cut (aborted, not a weakness) when the grace period is over', async () => {
    const clock = new ManualClock(aFridayAfternoonInBerlin);
    const marathon = new FakeMarathon([victimApp()]);
    marathon.afterKill = (killed) => killedButNotReplaced(victimApp(), killed);
    const { daemon, log } = await startDaemon({
      clock,
      clients: marathon.asClients(),
      settings: { dryRun: false, recoveryPollMs: 1000, recoveryTimeoutSeconds: 300, haltOnWeakness: true },
      shutdownGraceMs: 5_000,
    });

    await clock.advance(MINUTE);
    await eventually('the kill', () => marathon.killCalls.length === 1);
    // The watch starts sleeping once Marathon's answer is journaled (a synced write): wait for that
    // event, or a clock step could pass before the watch is there to see it.
    await eventually('the kill answer journaled', async () => (await journal()).some((r) => r.type === 'kill-answer'));
    let stopped = false;
    const stopping = daemon.shutdown('SIGTERM').then(() => (stopped = true));
    for (let i = 0; i < 4; i++) await clock.advance(1000);
    assert.equal(stopped, false, 'still within the grace period');
    await clock.advance(1500);
    await stopping;

    const rec = await nthCycle(1);
    const after = rec.after['/shop/cart'] as AfterKill;
    assert.equal(after.aborted, true);
    assert.equal(after.recovered, false);
    assert.deepEqual(rec.weaknesses, [], 'a cut watch is not a weakness');
    assert.notEqual(rec.halted, true);
    assert.ok(log.lines().some((l) => l.msg === DAEMON_LOG.watchCut));
    assert.equal(marathon.killCalls.length, 1);
  });
});

describe('Daemon on ZooKeeper (hand-written coordinator, ManualClock, hand-written Marathon)', () => {
  daemonHooks();
  const victimApp = (): MarathonApp => app('/shop/cart', { instances: 3 });

  it('a standby does nothing at a slot: no listing, nothing journaled; it is ready and says standby', async () => {
    const clock = new ManualClock(aFridayAfternoonInBerlin);
    const marathon = new FakeMarathon([victimApp()]);
    const coordinator = new FakeCoordinator();
    coordinator.roleNow = 'standby';
    marathon.afterKill = (killed) => replaced(victimApp(), killed);
    const { url } = await startDaemon({ clock, clients: marathon.asClients(), settings: { dryRun: false }, coordinator });
    await clock.advance(MINUTE);
    await clock.advance(MINUTE);
    await realDelay(20);
    assert.equal(marathon.listCalls, 0);
    assert.deepEqual(await cycles(), []);
    const st = (await get(url, '/status')).body as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(st.role, 'standby');
    assert.equal(st.zk.url, 'zk://zk-1:2181/monkey');
    assert.equal((await get(url, '/ready')).status, 200);
    assert.equal(await metricValue(url, 'marathon_monkey_leader'), 0);

    // Elected: the next slot runs, killing through the shared state.
    coordinator.set('leader', 'connected');
    await nextSlot(clock);
    const rec = await driveUntilCycle(clock, 1, 1000);
    assert.equal(rec.outcome, 'killed');
    assert.equal(marathon.killCalls.length, 1);
    // Its effect went to the shared state.
    assert.equal(coordinator.state.lastKillAt['/shop/cart'], Date.parse(rec.killedAt!));
  });

  it('the leader reads the shared state before each cycle: a kill by another instance holds back this one (minimum time between kills)', async () => {
    const clock = new ManualClock(aFridayAfternoonInBerlin);
    const marathon = new FakeMarathon([victimApp()]);
    const coordinator = new FakeCoordinator();
    await startDaemon({ clock, clients: marathon.asClients(), settings: { dryRun: false, minKillIntervalMinutes: 60 }, coordinator });
    coordinator.state = { ...coordinator.state, lastKillAt: { '/shop/cart': clock.now() - 5 * MINUTE } };
    await clock.advance(MINUTE);
    const rec = await nthCycle(1);
    assert.equal(rec.outcome, 'nothing-to-do');
    assert.equal(rec.counts.skippedByReason['recently-killed'], 1);
    assert.deepEqual(marathon.killCalls, []);
  });

  it('a pause written by another instance skips the leader’s next slot; POST /resume here clears it for all', async () => {
    const clock = new ManualClock(aFridayAfternoonInBerlin);
    const marathon = new FakeMarathon([victimApp()]);
    const coordinator = new FakeCoordinator();
    const { url } = await startDaemon({ clock, clients: marathon.asClients(), settings: { dryRun: false }, coordinator });
    coordinator.write({ ...coordinator.state, paused: { since: '2024-03-15T13:30:10.000Z', reason: 'game day', by: 'alice' } });
    await clock.advance(MINUTE);
    const rec = await nthCycle(1);
    assert.equal(rec.gate?.reason, 'paused');
    assert.equal(marathon.listCalls, 0);
    assert.equal((await post(url, '/resume', { by: 'bob' })).status, 200);
    assert.equal(coordinator.state.paused, null);
    assert.ok((await journal()).some((r) => r.type === 'resume'), 'journaled here too');
  });

  it('deposed while planning: the kill is withdrawn; deposed during the recovery watch: the watch is aborted, not a weakness', async () => {
    const clock = new ManualClock(aFridayAfternoonInBerlin);
    const marathon = new FakeMarathon([victimApp()]);
    marathon.afterKill = (killed) => killedButNotReplaced(victimApp(), killed);
    const coordinator = new FakeCoordinator();
    const gate = marathon.hold();
    await startDaemon({ clock, clients: marathon.asClients(), settings: { dryRun: false, recoveryPollMs: 1000, recoveryTimeoutSeconds: 300 }, coordinator });

    await clock.advance(MINUTE);
    await eventually('the listing', () => marathon.listCalls === 1);
    coordinator.set('standby', 'connected');
    gate.release();
    const first = await nthCycle(1);
    assert.deepEqual(marathon.killCalls, [], 'a standby never kills');
    assert.equal(first.outcome, 'skipped');
    assert.equal(first.gate?.reason, 'kill-vetoed');

    marathon.hold().release();
    coordinator.set('leader', 'connected');
    await nextSlot(clock);
    await eventually('the kill', () => marathon.killCalls.length === 1);
    await eventually('the kill answer journaled', async () => (await journal()).some((r) => r.type === 'kill-answer'));
    coordinator.set('disconnected', 'suspended');
    const rec = await driveUntilCycle(clock, 2, 1000);
    const after = rec.after['/shop/cart'] as AfterKill;
    assert.equal(after.aborted, true);
    assert.deepEqual(rec.weaknesses, [], 'a watch cut by the loss of the leadership is not a weakness');
    assert.notEqual(rec.halted, true);
  });

  it('shutdown leaves the election', async () => {
    const clock = new ManualClock(aFridayAfternoonInBerlin);
    const coordinator = new FakeCoordinator();
    const { daemon } = await startDaemon({ clock, clients: new FakeMarathon([victimApp()]).asClients(), coordinator });
    await daemon.shutdown('SIGTERM');
    assert.equal(coordinator.closed, true);
  });
});
