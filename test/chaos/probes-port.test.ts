import assert from 'node:assert/strict';
import { runCycle, type CycleDeps } from '../../src/chaos/cycle.js';
import { serviceDegraded } from '../../src/chaos/phases/probes.js';
import type { ChaosSettings } from '../../src/chaos/settings.js';
import type { MarathonApp, MarathonTask } from '../../src/domain/marathon.js';
import type { DeclaredProbes, ProbeWatch, ProbeWatchOptions, ServiceProber } from '../../src/domain/ports.js';
import type { AfterKill, CycleRecord, ProbeObservation, ProbeVerdict } from '../../src/domain/record.js';
import { ManualClock } from '../../src/platform/clock.js';
import { testSettings } from '../helpers/settings.js';
import { aTuesdayMorning, app, captureLogger, codedError, FakeApps, FakeKiller, orderedKiller, RecordingLedger, replaced } from './fixtures.js';

/**
 * The cycle's use of the ServiceProber port, with a hand-written fake prober on a ManualClock:
 * which apps are probed before the kill and how many at once, when sampling starts and stops,
 * what the per-task probes are pointed at, and how the figures turn into a verdict.
 */

const SEEN: Omit<ProbeObservation, 'passedAgain' | 'serviceRecoveredMs'> = {
  checks: ['http /health'],
  intervalMs: 500,
  maxErrorRate: 0,
  samples: 20,
  failures: 0,
  errorRate: 0,
  outageMs: 0,
  latencyMs: { p50: 2, p95: 3, max: 4 },
  failureKinds: {},
};

class FakeWatch implements ProbeWatch {
  stopped = 0;
  asked: { since: number; until: number }[] = [];
  constructor(
    readonly appId: string,
    readonly options: ProbeWatchOptions,
    private readonly prober: FakeProber,
  ) {}
  passedSince(since: number, until: number): Promise<number | null> {
    this.asked.push({ since, until });
    const after = this.prober.passAfterMs;
    return Promise.resolve(after === null ? null : since + after);
  }
  stop(): Promise<typeof SEEN> {
    this.stopped++;
    return Promise.resolve({ ...SEEN, ...this.prober.seen });
  }
}

/** Apps labelled monkey.probe.http declare probes; the value `bad` is a bad label. */
class FakeProber implements ServiceProber {
  checked: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  verdicts = new Map<string, ProbeVerdict>();
  watches: FakeWatch[] = [];
  /** When a round passes after the `since` asked (null: never). */
  passAfterMs: number | null = 300;
  seen: Partial<typeof SEEN> = {};
  constructor(readonly events: string[] = []) {}

  declared(a: MarathonApp): DeclaredProbes {
    const v = a.labels['monkey.probe.http'];
    if (v === undefined) return { kind: 'none' };
    if (v === 'bad') return { kind: 'bad-label', label: 'monkey.probe.http', detail: 'label monkey.probe.http="bad" is bad' };
    return { kind: 'probes', checks: [`http ${v}`] };
  }

  async check(a: MarathonApp): Promise<ProbeVerdict> {
    this.checked.push(a.id);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((r) => setImmediate(r));
    this.inFlight--;
    return this.verdicts.get(a.id) ?? { ok: true, samples: 1, failures: 0, detail: '1/1 probes passed' };
  }

  watch(a: MarathonApp, options: ProbeWatchOptions): ProbeWatch | undefined {
    if (this.declared(a).kind !== 'probes') return undefined;
    this.events.push(`watch ${a.id}`);
    const w = new FakeWatch(a.id, options, this);
    this.watches.push(w);
    return w;
  }
}

const probed = (id: string, o: Parameters<typeof app>[1] = {}) => app(id, { ...o, labels: { 'monkey.probe.http': '/health', ...o.labels } });

function setup(apps: MarathonApp[], settings: Partial<ChaosSettings> = {}) {
  const reader = new FakeApps(apps);
  const killer = new FakeKiller(reader);
  const clock = new ManualClock(aTuesdayMorning);
  const events: string[] = [];
  const prober = new FakeProber(events);
  const deps: CycleDeps = { apps: reader, killer: orderedKiller(killer, events), ledger: new RecordingLedger(events), clock, logger: captureLogger().logger, prober };
  return { reader, killer, clock, events, prober, deps, settings: testSettings({ dryRun: false, recoveryPollMs: 1000, recoveryTimeoutSeconds: 10, ...settings }) };
}

async function drive(clock: ManualClock, run: Promise<CycleRecord>, stepMs = 100): Promise<CycleRecord> {
  let done = false;
  const result = run.finally(() => {
    done = true;
  });
  for (let i = 0; i < 1000 && !done; i++) await clock.advance(stepMs);
  return result;
}

/** The cycle's victim, then its app replaced at every later read. */
function recoverAfterKill(t: ReturnType<typeof setup>, appId: string): () => string {
  let victim = '';
  const orig = t.killer.killTasks.bind(t.killer);
  t.killer.killTasks = (ids) => ((victim = ids[0]!), orig(ids));
  const a = t.reader.apps.find((x) => x.id === appId)!;
  t.reader.getAppScript.set(appId, (n) => (n === 1 ? a : replaced(a, [victim])));
  return () => victim;
}

describe('runCycle with a ServiceProber (fake)', () => {
  it('probes before the kill only the candidates left after every other guard, at most 32 at once', async () => {
    const apps = Array.from({ length: 40 }, (_, i) => probed(`/p/${String(i).padStart(2, '0')}`));
    apps.push(probed('/p/sick', { app: { tasksHealthy: 1 } }), app('/plain'), probed('/p/out', { labels: { 'monkey.enabled': 'false' } }));
    const t = setup(apps, { dryRun: true });
    const rec = await runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning });
    assert.equal(rec.outcome, 'dry-run');
    assert.equal(t.prober.checked.length, 40);
    assert.ok(!t.prober.checked.includes('/p/sick') && !t.prober.checked.includes('/p/out') && !t.prober.checked.includes('/plain'));
    assert.equal(t.prober.maxInFlight, 32);
    assert.equal(Object.keys(rec.probesBefore ?? {}).length, 40);
    assert.equal(t.prober.watches.length, 0, 'dry-run never samples');
  });

  it('a failing verdict skips the app probe-failed; the others stay candidates', async () => {
    const t = setup([probed('/a'), probed('/b')], { dryRun: true, include: ['/a'] });
    t.prober.verdicts.set('/a', { ok: false, samples: 3, failures: 1, detail: 'http://10.0.0.1:31000/health: HTTP 500' });
    const rec = await runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning });
    assert.equal(rec.outcome, 'nothing-to-do');
    assert.deepEqual(rec.skipped.find((s) => s.appId === '/a'), { appId: '/a', reason: 'probe-failed', detail: 'http://10.0.0.1:31000/health: HTTP 500' });
    assert.equal(rec.counts.eligible, 0);
  });

  it('a bad probe label (the prober says so) is bad-label, and the app is never probed', async () => {
    const t = setup([probed('/a', { labels: { 'monkey.probe.http': 'bad' } })], { dryRun: true });
    const rec = await runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning });
    assert.deepEqual(rec.skipped, [{ appId: '/a', reason: 'bad-label', detail: 'label monkey.probe.http="bad" is bad' }]);
    assert.deepEqual(t.prober.checked, []);
    assert.equal(rec.probesBefore, undefined);
  });

  it('sampling starts after the intent and before the kill request, follows the reads, and stops with the watch', async () => {
    const t = setup([probed('/a')]);
    const victim = recoverAfterKill(t, '/a');
    const rounds: unknown[] = [];
    const run = runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning, onProbeRound: (r) => rounds.push(r) });
    const rec = await drive(t.clock, run);
    assert.equal(rec.outcome, 'killed');
    assert.deepEqual(
      t.events.map((e) => e.split(' ')[0]),
      ['intent', 'watch', 'kill', 'answer'],
    );
    const w = t.prober.watches[0]!;
    assert.ok(w.stopped >= 1, 'stopped (a second stop answers the same)');
    const a = rec.after['/a']!;
    assert.equal(a.recovered, true);
    assert.equal(a.marathonRecoveredMs, 1000);
    const killedAt = Date.parse(rec.killedAt!);
    assert.deepEqual(w.asked, [{ since: killedAt + 1000, until: killedAt + 10_000 }]);
    assert.equal(a.timeToRecoverMs, 1300, 'back for users 300 ms after Marathon');
    assert.deepEqual(a.probe, { ...SEEN, passedAgain: true, serviceRecoveredMs: 1300 });
    // Per-task probes: never the victim; the replacement once Marathon reported the app back.
    const ids = w.options.inService().map((x: MarathonTask) => x.id);
    assert.ok(!ids.includes(victim()));
    assert.equal(ids.length, 3);
    // The fake's onRound goes out as the cycle's onProbeRound, with the app and time since the kill.
    w.options.onRound?.({ ok: 2, total: 3, endedAt: killedAt + 1500 });
    assert.deepEqual(rounds, [{ appId: '/a', ok: 2, total: 3, sinceKillMs: 1500 }]);
  });

  it('the apps of one kill get phases spread over the interval, counted over the probed apps only', async () => {
    const onH0 = { instances: 2, taskOverrides: () => ({ slaveId: 'S0', host: 'h0' }) };
    const apps = [probed('/a', onH0), app('/plain', onH0), probed('/b', onH0), probed('/c', onH0), probed('/d', onH0)];
    const t = setup(apps, { strategy: 'host', maxKills: 10 });
    const rec = await drive(t.clock, runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning }));
    assert.equal(rec.counts.victims, 5);
    assert.deepEqual(t.prober.watches.map((w) => w.appId).sort(), ['/a', '/b', '/c', '/d']);
    assert.deepEqual(
      t.prober.watches.map((w) => w.options.phase).sort(),
      [0.25, 0.5, 0.75, 1],
      'one phase per probed app, (i + 1) / n: the last app keeps the plain interval',
    );
  });

  it('before Marathon reports the app back, per-task probes go only to the tasks that ran before the kill', async () => {
    const t = setup([probed('/a')]);
    let victim = '';
    const orig = t.killer.killTasks.bind(t.killer);
    let during: string[] = [];
    t.killer.killTasks = (ids) => {
      victim = ids[0]!;
      return orig(ids);
    };
    const a = t.reader.apps[0]!;
    // Read 1 (re-check): as listed. Read 2: the replacement runs but the app is not healthy yet. Then back.
    t.reader.getAppScript.set('/a', (n) => {
      if (n === 1) return a;
      const r = replaced(a, [victim]);
      if (n === 2) return { ...r, tasksHealthy: 2 };
      during = t.prober.watches[0]!.options.inService().map((x) => x.id);
      return r;
    });
    const rec = await drive(t.clock, runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning }));
    assert.equal(rec.outcome, 'killed');
    const replacement = replaced(a, [victim]).tasks.find((x) => !a.tasks.some((o) => o.id === x.id))!.id;
    assert.equal(during.length, 2);
    assert.ok(!during.includes(victim) && !during.includes(replacement));
  });

  it('errors beyond the budget: service-degraded with the figures, quarantined like any weakness and halting', async () => {
    const t = setup([probed('/a')]);
    recoverAfterKill(t, '/a');
    t.prober.seen = { samples: 31, failures: 9, errorRate: 9 / 31, outageMs: 4000, failureKinds: { 'HTTP 502': 9 } };
    const rec = await drive(t.clock, runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning }));
    assert.equal(rec.outcome, 'weakness');
    assert.equal(rec.halted, true);
    assert.deepEqual(rec.weaknesses, [{ appId: '/a', reason: 'service-degraded', detail: 'service errors 9/31 (29%) > budget 0%, longest outage 4.0 s (HTTP 502 ×9)' }]);
    assert.equal(rec.after['/a']!.recovered, true);
  });

  it('probes that never pass again: not recovered, service-degraded after the recovery timeout', async () => {
    const t = setup([probed('/a')]);
    recoverAfterKill(t, '/a');
    t.prober.passAfterMs = null;
    t.prober.seen = { samples: 18, failures: 6, errorRate: 6 / 18, outageMs: 9000, failureKinds: { 'timeout (2000 ms)': 6 } };
    const rec = await drive(t.clock, runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning }));
    assert.equal(rec.outcome, 'weakness');
    const a = rec.after['/a']!;
    assert.equal(a.recovered, false);
    assert.equal(a.timeToRecoverMs, null);
    assert.equal(a.probe?.passedAgain, false);
    assert.equal(
      rec.weaknesses[0]?.detail,
      'Marathon reported recovery after 1.0 s, but the service probes never passed again within 10 s of the kill: service errors 6/18 (33%), longest outage 9.0 s; timeout (2000 ms) ×6',
    );
  });

  it('a kill Marathon rejects stops the sampling at once', async () => {
    const t = setup([probed('/a')]);
    t.killer.error = codedError('E_KILL_REJECTED', 'no');
    const rec = await drive(t.clock, runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning }));
    assert.equal(rec.outcome, 'error');
    assert.equal(t.prober.watches.length, 1);
    assert.equal(t.prober.watches[0]!.stopped, 1);
    assert.deepEqual(rec.after, {});
  });

  it('plan neither probes nor samples', async () => {
    const t = setup([probed('/a')], { dryRun: false });
    const rec = await runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning, plan: true });
    assert.equal(rec.outcome, 'dry-run');
    assert.deepEqual(t.prober.checked, []);
    assert.equal(t.prober.watches.length, 0);
  });
});

describe('serviceDegraded (the judge of a probed app)', () => {
  const base: AfterKill = { recovered: true, timeToRecoverMs: 1200, health: null, timeoutMs: 30_000, polls: 3, marathonRecoveredMs: 1000 };
  const probe = (o: Partial<ProbeObservation>): ProbeObservation => ({ ...SEEN, passedAgain: true, serviceRecoveredMs: 1200, ...o });
  const cases: [string, AfterKill, string | undefined][] = [
    ['no probes', { ...base, marathonRecoveredMs: undefined as unknown as number }, undefined],
    ['clean', { ...base, probe: probe({}) }, undefined],
    ['within budget', { ...base, probe: probe({ maxErrorRate: 0.05, samples: 100, failures: 5, errorRate: 0.05 }) }, undefined],
    ['over budget', { ...base, probe: probe({ maxErrorRate: 0.05, samples: 100, failures: 6, errorRate: 0.06 }) }, 'service errors 6/100 (6%) > budget 5%, longest outage 0.0 s'],
    ['a small rate shows a decimal', { ...base, probe: probe({ samples: 300, failures: 1, errorRate: 1 / 300, outageMs: 500, failureKinds: { 'connection refused': 1 } }) }, 'service errors 1/300 (0.3%) > budget 0%, longest outage 0.5 s (connection refused ×1)'],
    ['never passed again', { ...base, recovered: false, timeToRecoverMs: null, probe: probe({ passedAgain: false, serviceRecoveredMs: null }) }, 'Marathon reported recovery after 1.0 s, but the service probes never passed again within 30 s of the kill: service errors 0/20 (0%), longest outage 0.0 s'],
    ['aborted by shutdown', { ...base, recovered: false, aborted: true, probe: probe({ passedAgain: false, serviceRecoveredMs: null }) }, undefined],
    ['Marathon never recovered (not-recovered instead)', { ...base, recovered: false, marathonRecoveredMs: undefined as unknown as number, probe: probe({ passedAgain: false, failures: 5, errorRate: 0.25 }) }, undefined],
  ];
  for (const [name, after, want] of cases) {
    it(name, () => {
      const a = { ...after };
      if (a.marathonRecoveredMs === undefined) delete a.marathonRecoveredMs;
      assert.equal(serviceDegraded(a), want);
    });
  }
});
