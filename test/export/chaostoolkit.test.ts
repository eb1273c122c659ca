import assert from 'node:assert/strict';
import { killMayHaveHappened } from '../../src/domain/record.js';
import { baseRecord, killRequestFor } from '../../src/chaos/record.js';
import type { CycleRecord, HealthSnapshot, ProbeObservation } from '../../src/domain/record.js';
import { REASONS } from '../../src/domain/reasons.js';
import { ctkTime, steadyState, toChaosToolkitJournal, type CtkSteadyState, type ExportEnvironment, type ProbeResult } from '../../src/export/chaostoolkit.js';
import { CycleFinder } from '../../src/export/find.js';
import type { JournalRecord } from '../../src/journal/journal.js';
import { MonkeyError } from '../../src/errors.js';
import { dryRunCycle, killCycle, notRecovered, quietCycle, recovered, victim } from '../report/fixtures.js';
import { journalProblems } from './validate.js';

const ENV: ExportEnvironment = { producer: 'marathon-monkey 0.1.0', platform: 'Linux-6.1.0-x64', node: 'ops-1' };
const AT = '2026-11-23T10:00:00.000Z';
const HEALTHY: HealthSnapshot = { instances: 3, tasksRunning: 3, tasksHealthy: 3, tasksUnhealthy: 0 };

/** A killCycle with the listing's counts and the phases' durations a real cycle records. */
function cycle(apps: Record<string, 'recovered' | 'not-recovered' | 'gone' | 'aborted'>, o: { before?: HealthSnapshot } = {}): CycleRecord {
  const victims = Object.keys(apps).map((a, i) => victim(a, i + 1));
  const after = Object.fromEntries(
    Object.entries(apps).map(([a, s]) => [
      a,
      s === 'recovered' ? recovered(1500) : s === 'not-recovered' ? notRecovered() : s === 'gone' ? { ...notRecovered(), gone: true } : { ...notRecovered(), aborted: true },
    ]),
  );
  const r = killCycle(AT, victims, after);
  r.before = Object.fromEntries(Object.keys(apps).map((a) => [a, o.before ?? HEALTHY]));
  r.durationsMs = { list: 40, plan: 2, recheck: 8, kill: 150, watch: 1600, total: 1800 };
  return r;
}

function assertValid(journal: unknown): void {
  assert.deepEqual(journalProblems(journal), []);
}

describe('Chaos Toolkit export: a journaled cycle as a Chaos Toolkit journal', () => {
  it('a kill the app recovered from: completed, not deviated, every documented field', () => {
    const r = cycle({ '/shop/cart': 'recovered' });
    const j = toChaosToolkitJournal(r, ENV);
    assertValid(j);
    assert.equal(j.status, 'completed');
    assert.equal(j.deviated, false);
    assert.equal(j['chaoslib-version'], 'marathon-monkey 0.1.0');
    assert.equal(j.platform, 'Linux-6.1.0-x64');
    assert.equal(j.node, 'ops-1');
    assert.equal(j.start, '2026-11-23T10:00:00.000000');
    assert.equal(j.end, '2026-11-23T10:00:01.800000');
    assert.equal(j.duration, 1.8);
    assert.deepEqual(j.rollbacks, []);
    assert.deepEqual(j.experiment.rollbacks, []);
    assert.deepEqual(j.steady_states.during, []);

    const e = j.experiment;
    assert.equal(e.title, '/shop/cart recovers from losing a task');
    assert.match(e.description, new RegExp(r.cycleId));
    assert.ok(e.tags.includes('marathon'));
    const probe = e['steady-state-hypothesis']?.probes[0];
    assert.equal(probe?.name, 'marathon-app-healthy');
    assert.deepEqual(probe?.provider, { type: 'http', url: '${marathon_url}/v2/apps/shop/cart', method: 'GET', timeout: 10 });
    assert.deepEqual(probe?.tolerance, { type: 'jsonpath', path: '$.app.tasksHealthy', expect: 3, target: 'body' });
    assert.deepEqual(e.configuration, { marathon_url: { type: 'env', key: 'MARATHON_URL', default: 'http://marathon.mesos:8080' } });
    assert.equal(e.method.length, 1);
    assert.equal(e.method[0]?.type, 'action');
    assert.deepEqual(e.method[0]?.provider, {
      type: 'http',
      url: '${marathon_url}/v2/tasks/delete?scale=false',
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      arguments: { ids: [r.victims[0]?.taskId] },
      timeout: 30,
    });
    assert.equal(e.extensions[0]?.name, 'marathon-monkey');
    assert.equal(e.extensions[0]?.cycleId, r.cycleId);

    const before = j.steady_states.before;
    assert.equal(before?.steady_state_met, true);
    assert.deepEqual(before?.probes[0]?.output, { status: 200, headers: { 'Content-Type': 'application/json' }, body: { app: { id: '/shop/cart', ...HEALTHY } } });
    assert.equal(before?.probes[0]?.start, '2026-11-23T10:00:00.000000');
    assert.equal(before?.probes[0]?.duration, 0.04);
    assert.equal(before?.probes[0]?.tolerance_met, true);

    const after = j.steady_states.after;
    assert.equal(after?.steady_state_met, true);
    assert.equal(after?.probes[0]?.status, 'succeeded');
    assert.equal(after?.probes[0]?.start, ctkTime(Date.parse(r.killedAt ?? '')));
    assert.equal(after?.probes[0]?.duration, 1.5, 'the time to recover');

    const kill = j.run[0];
    assert.equal(kill?.status, 'succeeded');
    assert.equal(kill?.end, ctkTime(Date.parse(r.killedAt ?? '')));
    assert.equal(kill?.duration, 0.15);
    assert.deepEqual((kill?.output as { body: unknown }).body, r.killResponse);
  });

  it('an app that did not recover (a weakness): deviated, failed, the last counts as the output', () => {
    const j = toChaosToolkitJournal(cycle({ '/weak/billing': 'not-recovered' }), ENV);
    assertValid(j);
    assert.equal(j.deviated, true);
    assert.equal(j.status, 'failed');
    const p = j.steady_states.after?.probes[0];
    assert.equal(j.steady_states.after?.steady_state_met, false);
    assert.equal(p?.tolerance_met, false);
    assert.equal(p?.status, 'succeeded', 'the probe ran; its figure was out of tolerance');
    assert.deepEqual((p?.output as { body: { app: HealthSnapshot } }).body.app.tasksHealthy, 2);
    assert.equal(p?.exception, undefined, 'Chaos Toolkit writes exception only for a probe that failed to run');
    assert.equal((j.experiment.extensions[0]?.recovery as Record<string, { lastProblem?: string }>)['/weak/billing']?.lastProblem, 'tasksHealthy 2 < instances 3');
    assert.equal(p?.duration, 300, 'the whole recovery deadline');
  });

  it('no read succeeded during the watch: the after-probe failed to run, no output', () => {
    const r = cycle({ '/dark': 'not-recovered' });
    r.after['/dark'] = { ...notRecovered(), health: null, polls: 4 };
    const j = toChaosToolkitJournal(r, ENV);
    assertValid(j);
    const p = j.steady_states.after?.probes[0];
    assert.equal(p?.status, 'failed');
    assert.equal(p?.output, null);
    assert.equal(p?.tolerance_met, false);
    assert.deepEqual(p?.exception, ['no read of /dark succeeded during the recovery watch (4 tried)']);
    assert.equal(j.deviated, true);
  });

  it('several apps: one probe each, named by app; one weak app makes the whole experiment deviate', () => {
    const j = toChaosToolkitJournal(cycle({ '/a': 'recovered', '/b': 'not-recovered' }), ENV);
    assertValid(j);
    assert.deepEqual(j.experiment['steady-state-hypothesis']?.probes.map((p) => p.name), ['marathon-app-healthy /a', 'marathon-app-healthy /b']);
    assert.deepEqual(j.steady_states.after?.probes.map((p) => p.tolerance_met), [true, false]);
    assert.equal(j.deviated, true);
    assert.equal(j.experiment.title, '/a, /b recover from losing 2 tasks');
  });

  it('an app without health checks is judged by its running tasks', () => {
    const j = toChaosToolkitJournal(cycle({ '/plain': 'recovered' }, { before: { instances: 2, tasksRunning: 2, tasksHealthy: 0, tasksUnhealthy: 0 } }), ENV);
    assertValid(j);
    assert.deepEqual(j.experiment['steady-state-hypothesis']?.probes[0]?.tolerance, { type: 'jsonpath', path: '$.app.tasksRunning', expect: 2, target: 'body' });
    assert.equal(j.steady_states.before?.probes[0]?.tolerance_met, true);
  });

  it('a deleted app is left out of the after-hypothesis (not a weakness); a watch cut by shutdown is interrupted', () => {
    const gone = toChaosToolkitJournal(cycle({ '/a': 'recovered', '/gone': 'gone' }), ENV);
    assertValid(gone);
    assert.deepEqual(gone.steady_states.after?.probes.map((p) => p.activity.name), ['marathon-app-healthy /a']);
    assert.equal(gone.deviated, false);
    assert.equal(gone.status, 'completed');

    const cut = toChaosToolkitJournal(cycle({ '/a': 'aborted' }), ENV);
    assertValid(cut);
    assert.equal(cut.status, 'interrupted');
    assert.equal(cut.steady_states.after, null, 'Chaos Toolkit skips the after-hypothesis of an interrupted run');
    assert.equal(cut.deviated, false);
  });

  it('a kill without a usable answer: the action failed, the run aborted, no after-hypothesis', () => {
    const r = baseRecord({ seed: 's', strategy: 'task', dryRun: false }, new Date(AT), Date.parse(AT));
    r.victims = [victim('/shop/cart', 1)];
    r.killRequest = killRequestFor(['shop_cart.instance-1']);
    r.killStatus = 'uncertain';
    r.killedAt = '2026-11-23T10:00:00.500Z';
    r.outcome = 'error';
    r.error = { code: 'E_HTTP_TIMEOUT', message: 'Marathon did not answer within 10s', stage: 'kill' };
    r.before = { '/shop/cart': HEALTHY };
    assert.equal(killMayHaveHappened(r), true);
    const j = toChaosToolkitJournal(r, ENV);
    assertValid(j);
    assert.equal(j.status, 'aborted');
    assert.equal(j.run[0]?.status, 'failed');
    assert.equal(j.run[0]?.output, null);
    assert.match(j.run[0]?.exception?.[0] ?? '', /E_HTTP_TIMEOUT: Marathon did not answer/);
    assert.equal(j.steady_states.after, null);
  });

  it('service probes (issue 11) join the hypothesis: one out of tolerance after the kill deviates a recovered cycle', () => {
    const t = Date.parse(AT);
    const service = (ok: boolean, startMs: number): ProbeResult => ({
      probe: { type: 'probe', name: 'shop-http-200', tolerance: 200, provider: { type: 'http', url: 'http://shop.example/health', timeout: 3 } },
      output: { status: ok ? 200 : 503, headers: {}, body: '' },
      succeeded: true,
      toleranceMet: ok,
      startMs,
      endMs: startMs + 20,
    });
    const j = toChaosToolkitJournal(cycle({ '/shop/cart': 'recovered' }), ENV, { before: [service(true, t + 10)], after: [service(false, t + 900)] });
    assertValid(j);
    assert.deepEqual(j.experiment['steady-state-hypothesis']?.probes.map((p) => p.name), ['marathon-app-healthy', 'shop-http-200']);
    assert.equal(j.steady_states.after?.probes.length, 2);
    assert.equal(j.deviated, true);
    assert.equal(j.status, 'failed');
    // An unreachable service: the probe failed, so its tolerance is not met.
    const down = steadyState([{ ...service(true, t), succeeded: false, exception: 'ECONNREFUSED' }]);
    assert.equal(down?.probes[0]?.status, 'failed');
    assert.equal(down?.probes[0]?.tolerance_met, false);
    assert.deepEqual(down?.probes[0]?.exception, ['ECONNREFUSED']);
    assert.equal(steadyState([]), null);
  });

  describe('the service probes the cycle recorded (issue 11)', () => {
    const figures = (o: Partial<ProbeObservation> = {}): ProbeObservation => ({
      checks: ['http http://lb.example/ tolerating 200-399'],
      intervalMs: 500,
      maxErrorRate: 0.05,
      samples: 30,
      failures: 0,
      errorRate: 0,
      outageMs: 0,
      latencyMs: { p50: 2, p95: 4, max: 9 },
      passedAgain: true,
      serviceRecoveredMs: 1800,
      failureKinds: {},
      ...o,
    });
    /** A kill of one probed app that Marathon reported back after 1.2 s, with the service's figures. */
    const probedCycle = (seen: ProbeObservation, o: { recovered?: boolean; weakness?: string } = {}): CycleRecord => {
      const r = cycle({ '/shop/cart': 'recovered' });
      const back = o.recovered ?? seen.passedAgain;
      r.after['/shop/cart'] = {
        ...recovered(1200),
        recovered: back,
        timeToRecoverMs: back ? Math.max(1200, seen.serviceRecoveredMs ?? 0) : null,
        marathonRecoveredMs: 1200,
        probe: seen,
      };
      r.probesBefore = { '/shop/cart': { ok: true, samples: 1, failures: 0, detail: '1/1 probes passed (http http://lb.example/)' }, '/not/killed': { ok: true, samples: 3, failures: 0, detail: '3/3' } };
      r.weaknesses = o.weakness === undefined ? [] : [{ appId: '/shop/cart', reason: REASONS.serviceDegraded, detail: o.weakness }];
      r.outcome = r.weaknesses.length > 0 ? 'weakness' : 'killed';
      return r;
    };
    const byName = (ss: CtkSteadyState | null | undefined): Record<string, { output: unknown; tolerance_met?: boolean; status: string }> => Object.fromEntries((ss?.probes ?? []).map((p) => [p.activity.name, p]));

    it('service-degraded over its error budget: deviated and failed; the service figures are the after-probe output, out of tolerance', () => {
      const seen = figures({ failures: 9, errorRate: 0.3, outageMs: 4000, failureKinds: { 'HTTP 502': 9 } });
      const j = toChaosToolkitJournal(probedCycle(seen, { weakness: 'service errors 9/30 (30%) > budget 5%' }), ENV);
      assertValid(j);
      assert.equal(j.deviated, true);
      assert.equal(j.status, 'failed');
      assert.equal(j.steady_states.after?.steady_state_met, false);
      const after = byName(j.steady_states.after);
      assert.deepEqual(Object.keys(after), ['marathon-app-healthy', 'service-error-rate', 'service-probes-pass']);
      assert.equal(after['marathon-app-healthy']?.tolerance_met, true, "Marathon's counts were back: not this probe's deviation");
      assert.equal(after['service-error-rate']?.tolerance_met, false);
      assert.equal(after['service-error-rate']?.status, 'succeeded', 'the probes ran; their figure was out of tolerance');
      assert.deepEqual(after['service-error-rate']?.output, seen);
      assert.equal(after['service-probes-pass']?.tolerance_met, true);
      assert.equal(after['service-probes-pass']?.output, true);
      const rate = j.steady_states.after?.probes.find((p) => p.activity.name === 'service-error-rate');
      assert.deepEqual(rate?.activity.tolerance, { type: 'range', range: [0, 0.05], target: 'errorRate' });
      assert.deepEqual(rate?.activity.provider, { type: 'process', path: 'marathon-monkey', arguments: ['/shop/cart', 'http http://lb.example/ tolerating 200-399'] });
      // Before: the round before the kill, of the killed app only, met.
      assert.equal(j.steady_states.before?.steady_state_met, true);
      const before = byName(j.steady_states.before);
      assert.deepEqual(Object.keys(before), ['marathon-app-healthy', 'service-error-rate', 'service-probes-pass']);
      assert.deepEqual(before['service-error-rate']?.output, { ok: true, samples: 1, failures: 0, errorRate: 0, detail: '1/1 probes passed (http http://lb.example/)' });
      // The experiment keeps what chaos run can repeat: the Marathon probe; the figures stay in the extension too.
      assert.deepEqual(j.experiment['steady-state-hypothesis']?.probes.map((p) => p.name), ['marathon-app-healthy']);
      assert.deepEqual((j.experiment.extensions[0]?.recovery as Record<string, { probe?: unknown }>)['/shop/cart']?.probe, seen);
    });

    it('service probes that never passed again: deviated; Marathon back, the service not', () => {
      const seen = figures({ failures: 30, errorRate: 1, outageMs: 300_000, latencyMs: null, passedAgain: false, serviceRecoveredMs: null, maxErrorRate: 1, failureKinds: { 'connection refused': 30 } });
      const r = probedCycle(seen, { weakness: 'Marathon reported recovery after 1.2 s, but the service probes never passed again' });
      const j = toChaosToolkitJournal(r, ENV);
      assertValid(j);
      assert.equal(j.deviated, true);
      assert.equal(j.status, 'failed');
      const after = byName(j.steady_states.after);
      assert.equal(after['marathon-app-healthy']?.tolerance_met, true);
      assert.equal(after['service-error-rate']?.tolerance_met, true, 'within a budget of 100%');
      assert.equal(after['service-probes-pass']?.tolerance_met, false);
      assert.equal(after['service-probes-pass']?.output, false);
      const pass = j.steady_states.after?.probes.find((p) => p.activity.name === 'service-probes-pass');
      assert.equal(pass?.duration, 300, 'until the recovery deadline');
    });

    it('not recovered by Marathon, with probes: deviated on both counts', () => {
      const seen = figures({ failures: 12, errorRate: 0.4, passedAgain: false, serviceRecoveredMs: null });
      const r = probedCycle(seen);
      r.after['/shop/cart'] = { ...notRecovered(), probe: seen };
      const j = toChaosToolkitJournal(r, ENV);
      assertValid(j);
      assert.equal(j.deviated, true);
      const after = byName(j.steady_states.after);
      assert.deepEqual(
        Object.values(after).map((p) => p.tolerance_met),
        [false, false, false],
      );
    });

    it('a service within its budget that passed again: completed, not deviated, its figures still the outputs', () => {
      const seen = figures({ failures: 1, errorRate: 1 / 30 });
      const j = toChaosToolkitJournal(probedCycle(seen), ENV);
      assertValid(j);
      assert.equal(j.deviated, false);
      assert.equal(j.status, 'completed');
      assert.equal(j.steady_states.after?.steady_state_met, true);
      assert.deepEqual(byName(j.steady_states.after)['service-error-rate']?.output, seen);
    });

    it('several probed apps: probes named by app; a probed app that was deleted or cut by shutdown has no after-probe', () => {
      const r = cycle({ '/a': 'recovered', '/b': 'recovered', '/gone': 'gone' });
      r.after['/a'] = { ...r.after['/a']!, marathonRecoveredMs: 1000, probe: figures() };
      r.after['/b'] = { ...r.after['/b']!, marathonRecoveredMs: 1000, probe: figures({ failures: 3, errorRate: 0.1 }) };
      r.after['/gone'] = { ...r.after['/gone']!, probe: figures({ passedAgain: false }) };
      const j = toChaosToolkitJournal(r, ENV);
      assertValid(j);
      assert.deepEqual(
        j.steady_states.after?.probes.map((p) => [p.activity.name, p.tolerance_met]),
        [
          ['marathon-app-healthy /a', true],
          ['marathon-app-healthy /b', true],
          ['service-error-rate /a', true],
          ['service-probes-pass /a', true],
          ['service-error-rate /b', false],
          ['service-probes-pass /b', true],
        ],
      );
      assert.equal(j.deviated, true);
    });
  });

  it('the schema is not a rubber stamp: it refuses what Chaos Toolkit refuses', () => {
    const j = toChaosToolkitJournal(cycle({ '/shop/cart': 'recovered' }), ENV) as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const broken = (edit: (x: Record<string, any>) => void): string[] => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const copy = structuredClone(j);
      edit(copy);
      return journalProblems(copy);
    };
    assert.notDeepEqual(broken((x) => (x.status = 'deviated')), []);
    assert.notDeepEqual(broken((x) => delete x.steady_states), []);
    assert.notDeepEqual(broken((x) => (x.start = AT)), [], 'an instant with Z is not what chaoslib writes');
    assert.notDeepEqual(broken((x) => delete x.experiment.description), []);
    assert.notDeepEqual(broken((x) => delete x.experiment['steady-state-hypothesis'].probes[0].tolerance), []);
    assert.notDeepEqual(broken((x) => delete x.experiment.method[0].provider.url), []);
    assert.notDeepEqual(broken((x) => (x.experiment.method[0].provider.type = 'grpc')), []);
    assert.notDeepEqual(broken((x) => delete x.steady_states.after.probes[0].tolerance_met), []);
  });
});

describe('Chaos Toolkit export: which cycle', () => {
  const journal = '/var/lib/monkey/journal.jsonl';
  const asRecords = (...rs: CycleRecord[]): JournalRecord[] => rs as unknown as JournalRecord[];

  it('by default the last cycle that killed, past later quiet and dry-run cycles', () => {
    const first = cycle({ '/a': 'recovered' });
    const second = killCycle('2026-11-23T11:00:00.000Z', [victim('/b', 1)], { '/b': recovered(900) }, { cycleId: 'c-second' });
    const f = new CycleFinder(journal);
    for (const r of asRecords(first, second, quietCycle('2026-11-23T12:00:00.000Z', []), dryRunCycle('2026-11-23T13:00:00.000Z', [victim('/c', 1)]))) f.add(r);
    f.add({ type: 'pause', time: AT });
    assert.equal(f.result().cycleId, 'c-second');
  });

  it('--cycle: that cycle, and the reader may stop there', () => {
    const a = killCycle(AT, [victim('/a', 1)], { '/a': recovered(900) }, { cycleId: 'c-a' });
    const b = killCycle(AT, [victim('/b', 1)], { '/b': recovered(900) }, { cycleId: 'c-b' });
    const f = new CycleFinder(journal, 'c-a');
    assert.equal(f.add(a as unknown as JournalRecord), true);
    assert.equal(f.result().cycleId, 'c-a');
    assert.equal(new CycleFinder(journal, 'c-b').add(a as unknown as JournalRecord), false);
    void b;
  });

  const failure = (f: CycleFinder): MonkeyError => {
    try {
      f.result();
    } catch (err) {
      assert.ok(err instanceof MonkeyError);
      return err;
    }
    assert.fail('expected an error');
  };

  it('errors: no such cycle names it and how to list ids; a cycle that killed nothing has nothing to export', () => {
    const missing = failure(new CycleFinder(journal, 'c-nope'));
    assert.equal(missing.code, 'E_NO_SUCH_CYCLE');
    assert.match(missing.message, /no cycle "c-nope" in the journal \/var\/lib\/monkey\/journal.jsonl/);
    assert.match(missing.hint ?? '', /marathon-monkey report --format json/);

    const dry = dryRunCycle(AT, [victim('/c', 1)]);
    const f = new CycleFinder(journal, dry.cycleId);
    f.add(dry as unknown as JournalRecord);
    const nothing = failure(f);
    assert.equal(nothing.code, 'E_NOTHING_TO_EXPORT');
    assert.match(nothing.message, /killed nothing \(it was a dry run\)/);

    const none = new CycleFinder(journal);
    none.add(quietCycle(AT, []) as unknown as JournalRecord);
    const empty = failure(none);
    assert.equal(empty.code, 'E_NOTHING_TO_EXPORT');
    assert.match(empty.message, /no cycle in the journal .* killed anything \(1 cycle read\)/);
    assert.match(empty.hint ?? '', /marathon-monkey once/);
  });
});
