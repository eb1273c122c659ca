import assert from 'node:assert/strict';
import { LOG, runCycle, type CycleDeps } from '../../src/chaos/cycle.js';
import { EMPTY_MEMORY, type ChaosMemory } from '../../src/domain/memory.js';
import type { CycleRecord } from '../../src/domain/record.js';
import type { ChaosSettings } from '../../src/chaos/settings.js';
import { testSettings } from '../helpers/settings.js';
import { journalState } from '../../src/journal/state.js';
import type { MarathonApp } from '../../src/domain/marathon.js';
import { ManualClock } from '../../src/platform/clock.js';
import {
  agent,
  app,
  aTuesdayMorning,
  captureLogger,
  codedError,
  FakeAgents,
  FakeApps,
  FakeKiller,
  killedButNotReplaced,
  orderedKiller,
  RecordingLedger,
  MINUTE,
  replaced,
} from './fixtures.js';

const live = { dryRun: false, recoveryPollMs: 1000, recoveryTimeoutSeconds: 10 } as const;

function setup(apps: MarathonApp[], settings: Partial<ChaosSettings> = {}, memory: ChaosMemory = EMPTY_MEMORY) {
  const reader = new FakeApps(apps);
  const killer = new FakeKiller(reader);
  const clock = new ManualClock(aTuesdayMorning);
  const { logger, lines } = captureLogger();
  const events: string[] = [];
  const ledger = new RecordingLedger(events);
  const deps: CycleDeps = { apps: reader, killer: orderedKiller(killer, events), ledger, clock, logger, journal: memory };
  return { reader, killer, ledger, events, clock, lines, deps, settings: testSettings(settings) };
}

/** Runs the cycle, moving the manual clock one poll at a time until it finishes. */
async function drive(clock: ManualClock, run: Promise<CycleRecord>, stepMs = 1000, maxSteps = 1000): Promise<CycleRecord> {
  let done = false;
  const result = run.finally(() => {
    done = true;
  });
  for (let i = 0; i < maxSteps && !done; i++) await clock.advance(stepMs);
  return result;
}

describe('runCycle', () => {
  it('dry-run (the default) sends no kill request, re-reads nothing and records the exact request', async () => {
    const t = setup([app('/a'), app('/b')]);
    const rec = await runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning });
    assert.equal(rec.outcome, 'dry-run');
    assert.equal(t.killer.calls.length, 0);
    assert.deepEqual(t.reader.calls, ['listApps']);
    assert.equal(rec.victims.length, 1);
    assert.deepEqual(rec.killRequest, { method: 'POST', path: '/v2/tasks/delete?scale=false', body: { ids: [rec.victims[0]!.taskId] } });
    assert.equal(rec.killResponse, null);
    assert.equal(rec.killedAt, null);
    assert.ok(t.lines.some((l) => l.msg === LOG.dryRun));
    // The record is one JSON line.
    assert.deepEqual(JSON.parse(JSON.stringify(rec)), rec);
  });

  it('plan mode never kills even with dryRun off', async () => {
    const t = setup([app('/a')], live);
    const rec = await runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning, plan: true });
    assert.equal(rec.outcome, 'dry-run');
    assert.equal(rec.plan, true);
    assert.equal(t.killer.calls.length, 0);
    assert.deepEqual(t.reader.calls, ['listApps']);
  });

  it('kills once, then measures recovery from the kill answer to the first recovered read', async () => {
    const a = app('/shop/cart');
    const t = setup([a], live);
    let victim = '';
    // getApp #1 is the re-check; #2 and #3 show the old task killed; #4 shows its replacement.
    t.reader.getAppScript.set('/shop/cart', (n) => (n === 1 ? a : n < 4 ? killedButNotReplaced(a, [victim]) : replaced(a, [victim])));
    const run = runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning });
    // The victim is known once the kill was sent.
    const origKill = t.killer.killTasks.bind(t.killer);
    t.killer.killTasks = (ids) => ((victim = ids[0]!), origKill(ids));
    const rec = await drive(t.clock, run);
    assert.equal(rec.outcome, 'killed');
    assert.equal(t.killer.calls.length, 1);
    assert.deepEqual(rec.killResponse, { matched: [victim], unmatched: [] });
    assert.equal(rec.after['/shop/cart']!.recovered, true);
    assert.equal(rec.after['/shop/cart']!.timeToRecoverMs, 3000);
    assert.equal(rec.after['/shop/cart']!.polls, 3);
    assert.equal(rec.weaknesses.length, 0);
    assert.equal(rec.halted, undefined);
    assert.deepEqual(t.reader.calls, ['listApps', 'getApp /shop/cart', 'getApp /shop/cart', 'getApp /shop/cart', 'getApp /shop/cart']);
  });

  it('a task still listed under the killed id (even TASK_KILLED with full counts) is not a recovery', async () => {
    const a = app('/a');
    const t = setup([a], { ...live, recoveryTimeoutSeconds: 3 });
    // Counts look perfect, but the listed task is the old incarnation.
    t.reader.getAppScript.set('/a', () => a);
    const rec = await drive(t.clock, runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning }));
    assert.equal(rec.outcome, 'weakness');
    assert.deepEqual(rec.after['/a']!.killedStillListed, [rec.victims[0]!.taskId]);
  });

  it('never recovers → weakness logged at error level, app quarantined via the journal, chaos halted', async () => {
    const a = app('/a');
    const t = setup([a], live);
    t.reader.getAppScript.set('/a', (n) => (n === 1 ? a : killedButNotReplaced(a, [a.tasks.find((x) => t.killer.calls[0]?.includes(x.id))?.id ?? ''])));
    const rec = await drive(t.clock, runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning }));
    assert.equal(rec.outcome, 'weakness');
    assert.equal(rec.halted, true);
    assert.equal(rec.after['/a']!.recovered, false);
    assert.equal(rec.after['/a']!.polls, 10, 'one read per second until the 10 s deadline, the last one at the deadline');
    assert.equal(rec.weaknesses[0]!.reason, 'not-recovered');
    assert.match(rec.weaknesses[0]!.detail, /under-replicated: 2 of 3/);
    const weakLog = t.lines.find((l) => l.msg === LOG.weakness);
    assert.equal(weakLog?.level, 50);
    const state = journalState([rec]);
    assert.ok(state.quarantined.has('/a'));
    assert.equal(state.halted?.cycleId, rec.cycleId);
  });

  it('with haltOnWeakness off, a weakness does not halt', async () => {
    const a = app('/a');
    const t = setup([a], { ...live, haltOnWeakness: false, recoveryTimeoutSeconds: 2 });
    t.reader.getAppScript.set('/a', (n) => (n === 1 ? a : { ...a, deployments: [{ id: 'stuck' }] }));
    const rec = await drive(t.clock, runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning }));
    assert.equal(rec.outcome, 'weakness');
    assert.equal(rec.halted, undefined);
  });

  it('the label monkey.recovery-timeout overrides the setting per app', async () => {
    const a = app('/a', { labels: { 'monkey.recovery-timeout': '4' } });
    const t = setup([a], live);
    t.reader.getAppScript.set('/a', (n) => (n === 1 ? a : { ...a, tasksRunning: 2 }));
    const rec = await drive(t.clock, runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning }));
    assert.equal(rec.after['/a']!.timeoutMs, 4000);
    assert.equal(rec.after['/a']!.polls, 4);
  });

  it('Marathon failing between listing and kill (no leader on re-check) kills nothing', async () => {
    const t = setup([app('/a')], live);
    t.reader.getAppScript.set('/a', () => codedError('E_MARATHON_NO_LEADER', 'no leader'));
    const rec = await runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning });
    assert.equal(rec.outcome, 'error');
    assert.deepEqual(rec.error, { code: 'E_MARATHON_NO_LEADER', message: 'no leader', stage: 'recheck' });
    assert.equal(t.killer.calls.length, 0);
    assert.equal(rec.killRequest, null);
    assert.ok(t.lines.some((l) => l.msg === LOG.recheckFailed && l.level === 50));
  });

  it('one failing re-check among several apps calls off the whole kill', async () => {
    const apps = ['/a', '/b', '/c'].map((id) => app(id, { instances: 2, taskOverrides: () => ({ slaveId: 'S0', host: 'h0' }) }));
    const t = setup(apps, { ...live, strategy: 'host', maxKills: 3 });
    t.reader.getAppScript.set('/b', () => codedError('E_MARATHON_UNAVAILABLE', '503'));
    const rec = await runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning });
    assert.equal(rec.outcome, 'error');
    assert.equal(t.killer.calls.length, 0);
  });

  it('the listing failing is an error record, not an exception', async () => {
    const t = setup([], live);
    t.reader.listError = codedError('E_MARATHON_NO_LEADER', 'no leader');
    const rec = await runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning });
    assert.equal(rec.outcome, 'error');
    assert.equal(rec.error?.stage, 'list');
  });

  it('the re-check drops a victim whose app started deploying, and kills nothing else', async () => {
    const a = app('/a');
    const t = setup([a], live);
    t.reader.getAppScript.set('/a', () => ({ ...a, deployments: [{ id: 'd1' }] }));
    const rec = await runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning });
    assert.equal(rec.outcome, 'nothing-to-do');
    assert.equal(t.killer.calls.length, 0);
    assert.equal(rec.skipped.find((s) => s.reason === 'deploying')?.detail, 're-check: deployment d1 running');
  });

  it('the re-check drops a victim task that is no longer running', async () => {
    const a = app('/a');
    const t = setup([a], live);
    t.reader.getAppScript.set('/a', () => ({ ...a, tasks: a.tasks.map((x) => ({ ...x, id: x.id.replace('_app.1', '_app.2') })) }));
    const rec = await runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning });
    assert.equal(rec.outcome, 'nothing-to-do');
    assert.equal(rec.skipped.find((s) => s.reason === 'task-gone')?.appId, '/a');
    assert.equal(t.killer.calls.length, 0);
  });

  it('reports ids Marathon did not know and watches only apps with a matched kill', async () => {
    const t = setup([app('/a')], live);
    t.killer.unknown = new Set(app('/a').tasks.map((x) => x.id));
    const rec = await runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning });
    assert.equal(rec.killResponse?.unmatched.length, 1);
    assert.equal(rec.counts.unmatched, 1);
    assert.equal(rec.outcome, 'nothing-to-do');
    assert.deepEqual(rec.after, {});
    assert.ok(t.lines.some((l) => l.msg === LOG.unmatched));
  });

  it('a failing kill request is an error and still counts as a kill for the min-kill-interval', async () => {
    const t = setup([app('/a')], live);
    t.killer.error = codedError('E_KILL_UNCERTAIN', 'socket hang up');
    const rec = await runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning });
    assert.equal(rec.outcome, 'error');
    assert.equal(rec.error?.stage, 'kill');
    assert.equal(journalState([rec]).lastKillAt.get('/a'), aTuesdayMorning.getTime());
  });

  it('shutdown aborts the recovery watch: no weakness, no halt', async () => {
    const a = app('/a');
    const t = setup([a], { ...live, recoveryTimeoutSeconds: 300 });
    t.reader.getAppScript.set('/a', (n) => (n === 1 ? a : { ...a, tasksRunning: 2 }));
    const ac = new AbortController();
    const run = runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning, signal: ac.signal });
    await t.clock.advance(3000);
    ac.abort(new Error('shutdown'));
    const rec = await run;
    assert.equal(rec.after['/a']!.aborted, true);
    assert.equal(rec.weaknesses.length, 0);
    assert.equal(rec.outcome, 'killed');
  });

  it('mayKill is asked right before the kill: false kills nothing', async () => {
    const t = setup([app('/a')], live);
    let asked = 0;
    const rec = await runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning, mayKill: () => (asked++, false) });
    assert.equal(asked, 1);
    assert.equal(rec.outcome, 'skipped');
    assert.equal(rec.gate?.reason, 'kill-vetoed');
    assert.equal(t.killer.calls.length, 0);
    assert.deepEqual(t.reader.calls, ['listApps', 'getApp /a']);
  });

  it('a halted journal skips the cycle before listing', async () => {
    const t = setup([app('/a')], live, { ...EMPTY_MEMORY, halted: { since: 'yesterday', reason: 'weakness in /x' } });
    const rec = await runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning });
    assert.equal(rec.outcome, 'skipped');
    assert.equal(rec.gate?.reason, 'halted');
    assert.deepEqual(t.reader.calls, []);
  });

  it('a quarantined app seen steady again is released and recorded', async () => {
    const memory: ChaosMemory = {
      ...EMPTY_MEMORY,
      quarantined: new Map([
        ['/a', { cycleId: 'c0', since: 'x', detail: 'd' }],
        ['/deleted', { cycleId: 'c0', since: 'x', detail: 'd' }],
        ['/b', { cycleId: 'c0', since: 'x', detail: 'd' }],
      ]),
    };
    const t = setup([app('/a'), app('/b', { app: { tasksRunning: 2 } })], {}, memory);
    const rec = await runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning });
    assert.deepEqual(rec.quarantineLifted, [
      { appId: '/a', why: 'steady' },
      { appId: '/deleted', why: 'gone' },
    ]);
    assert.equal(rec.skipped.find((s) => s.appId === '/b')?.reason, 'quarantined');
    assert.equal(rec.victims[0]?.appId, '/a');
  });

  it('counts every skip by reason but lists not-opted-in apps only as a count', async () => {
    const apps = [app('/a'), app('/n1', { labels: { 'monkey.enabled': '' } }), app('/n2', { labels: { 'monkey.enabled': '' } }), app('/one', { instances: 1 })];
    const t = setup(apps);
    const rec = await runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning });
    assert.deepEqual(rec.counts.skippedByReason, { 'not-opted-in': 2, 'below-min-healthy': 1 });
    assert.deepEqual(rec.skipped.map((s) => s.appId), ['/one']);
    assert.equal(rec.counts.apps, 4);
    assert.equal(rec.counts.eligible, 1);
    assert.equal(rec.counts.candidates, 3);
  });

  it('recently killed apps (from the journal) are skipped', async () => {
    const memory: ChaosMemory = { ...EMPTY_MEMORY, lastKillAt: new Map([['/a', aTuesdayMorning.getTime() - 5 * MINUTE]]) };
    const t = setup([app('/a')], {}, memory);
    const rec = await runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning });
    assert.equal(rec.outcome, 'nothing-to-do');
    assert.equal(rec.skipped[0]?.reason, 'recently-killed');
  });

  it('lists Mesos agents before picking only for the rack strategy; the others list them once victims are chosen, so every victim records its rack', async () => {
    const apps = [app('/a', { taskOverrides: (i) => ({ slaveId: `S${i}`, host: `h${i}` }) })];
    const agents = new FakeAgents([agent('S0', 'h0', { rack: 'r1' }), agent('S1', 'h1', { rack: 'r2' }), agent('S2', 'h2', { rack: 'r3' })]);
    for (const strategy of ['task', 'fraction', 'host'] as const) {
      const t = setup(apps, { strategy });
      const before = agents.calls;
      const rec = await runCycle({ ...t.deps, agents }, t.settings, { scheduledAt: aTuesdayMorning });
      assert.equal(agents.calls - before, 1, strategy);
      assert.ok(rec.victims.length > 0, strategy);
      for (const v of rec.victims) assert.equal(v.rack, `r${Number(v.host.slice(1)) + 1}`, `${strategy}: ${v.taskId} on ${v.host}`);
    }
    const calls = agents.calls;
    const t = setup(apps, { strategy: 'rack' });
    const rec = await runCycle({ ...t.deps, agents }, t.settings, { scheduledAt: aTuesdayMorning });
    assert.equal(agents.calls - calls, 1);
    assert.equal(rec.victims.length, 1);
    assert.equal(rec.victims[0]!.rack, rec.target?.value);
    // Nothing chosen: no agent listing.
    const none = setup([app('/b', { labels: { 'monkey.enabled': 'false' } })], { strategy: 'task' });
    await runCycle({ ...none.deps, agents }, none.settings, { scheduledAt: aTuesdayMorning });
    assert.equal(agents.calls - calls, 1);
  });

  it('a failing Mesos master does not fail a task-strategy cycle: victims are recorded without rack', async () => {
    const t = setup([app('/a')], { strategy: 'task' });
    const agents = { listAgents: () => Promise.reject(codedError('E_MESOS_UNREACHABLE', 'no master')) };
    const rec = await runCycle({ ...t.deps, agents }, t.settings, { scheduledAt: aTuesdayMorning });
    assert.equal(rec.outcome, 'dry-run');
    assert.equal(rec.victims[0]!.rack, null);
    assert.ok(t.lines.some((l) => l.msg === LOG.placementFailed));
  });

  it('same seed and instant replay the same decision', async () => {
    const apps = ['/a', '/b', '/c', '/d'].map((id) => app(id));
    const settings = testSettings({ seed: 'marathon-monkey' });
    const first = await runCycle(setup(apps).deps, settings, { scheduledAt: aTuesdayMorning, cycleId: 'x' });
    const again = await runCycle(setup([...apps].reverse()).deps, settings, { scheduledAt: aTuesdayMorning, cycleId: 'x' });
    assert.deepEqual(again.victims, first.victims);
    assert.equal(first.cycleSeed, `marathon-monkey\u241f${aTuesdayMorning.toISOString()}`);
  });
});

describe('runCycle: write-ahead kills', () => {
  it('the intent is recorded before the kill request leaves, the answer after it', async () => {
    const a = app('/a');
    const t = setup([a], live);
    t.reader.getAppScript.set('/a', (n) => (n === 1 ? a : replaced(a, a.tasks.map((x) => x.id))));
    const rec = await drive(t.clock, runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning }));
    assert.equal(rec.outcome, 'killed');
    const id = rec.victims[0]!.taskId;
    assert.deepEqual(t.events, [`intent ${id}`, `kill ${id}`, 'answer answered']);
    assert.equal(t.ledger.intents[0]!.cycleId, rec.cycleId);
    assert.equal(t.ledger.intents[0]!.seed, rec.seed);
    assert.deepEqual(t.ledger.answers[0]!.killedAppIds, ['/a']);
    assert.equal(rec.killStatus, 'answered');
  });

  it('an intent that cannot be written (full disk) kills nothing: outcome error at stage journal', async () => {
    const t = setup([app('/a')], live);
    t.ledger.failWith = codedError('E_JOURNAL', 'cannot append to the journal (ENOSPC)');
    const rec = await runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning });
    assert.equal(rec.outcome, 'error');
    assert.equal(rec.error?.stage, 'journal');
    assert.equal(rec.error?.code, 'E_JOURNAL');
    assert.deepEqual(t.killer.calls, [], 'no kill request without a durable intent');
    assert.equal(rec.killRequest, null);
    assert.ok(t.lines.some((l) => l.msg === LOG.intentFailed && l.level === 50));
  });

  it('a kill the journal vetoes (another writer killed the app, a pause) is skipped, nothing sent', async () => {
    const t = setup([app('/a')], live);
    t.ledger.vetoWith = '/a was killed at 2024-03-05T09:59:00.000Z, within the minimum time between kills';
    const rec = await runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning });
    assert.equal(rec.outcome, 'skipped');
    assert.equal(rec.gate?.reason, 'kill-vetoed');
    assert.match(rec.gate.detail, /within the minimum time/);
    assert.deepEqual(t.killer.calls, []);
  });

  it('a kill the ZooKeeper fencing refuses (no longer the leader) is skipped kill-vetoed, nothing sent, not a journal failure', async () => {
    const t = setup([app('/a')], live);
    t.ledger.failWith = codedError('E_ZK_FENCED', 'our election node /m/election/n_0000000003 is gone: deposed, no kill');
    const rec = await runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning });
    assert.equal(rec.outcome, 'skipped');
    assert.equal(rec.gate?.reason, 'kill-vetoed');
    assert.match(rec.gate.detail, /deposed/);
    assert.equal(rec.error, undefined, 'a deposed leader is not a journal that cannot be written');
    assert.deepEqual(t.killer.calls, []);
  });

  it('a pause that begins while the intent is written withdraws the kill, and says so in the journal', async () => {
    const t = setup([app('/a')], live);
    let asked = 0;
    const rec = await runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning, mayKill: () => ++asked === 1 });
    assert.equal(asked, 2, 'asked before and after the intent');
    assert.equal(rec.outcome, 'skipped');
    assert.equal(rec.killStatus, 'withdrawn');
    assert.deepEqual(t.killer.calls, []);
    assert.deepEqual(t.ledger.answers.map((x) => x.outcome), ['withdrawn']);
  });

  it('a kill Marathon rejected (404/409/422) is "rejected, nothing killed": no killedAt, not a kill for the interval', async () => {
    const t = setup([app('/a')], live);
    t.killer.error = codedError('E_KILL_REJECTED', 'POST /v2/tasks/delete: Marathon rejected the kill with 409; nothing was killed');
    const rec = await runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning });
    assert.equal(rec.outcome, 'error');
    assert.equal(rec.killStatus, 'rejected');
    assert.equal(rec.killedAt, null);
    assert.ok(t.lines.some((l) => l.msg === LOG.killRejected));
    assert.ok(!t.lines.some((l) => l.msg === LOG.killFailed), 'not logged as "outcome unknown"');
    assert.deepEqual(t.ledger.answers.map((x) => x.outcome), ['rejected']);
    // What a restart rebuilds: the intent, its answer and the cycle record leave /a killable.
    const intentRec = { type: 'kill-intent', ...t.ledger.intents[0]! };
    const answerRec = { type: 'kill-answer', ...t.ledger.answers[0]! };
    assert.equal(journalState([intentRec, answerRec, rec]).lastKillAt.has('/a'), false);
  });

  it('a kill with no answer (timeout after sending) is "outcome unknown" and counts as a kill', async () => {
    const t = setup([app('/a')], live);
    t.killer.error = codedError('E_KILL_UNCERTAIN', 'POST /v2/tasks/delete: socket hang up; the kill may or may not have happened');
    const rec = await runCycle(t.deps, t.settings, { scheduledAt: aTuesdayMorning });
    assert.equal(rec.killStatus, 'uncertain');
    assert.notEqual(rec.killedAt, null);
    assert.ok(t.lines.some((l) => l.msg === LOG.killFailed));
    const intentRec = { type: 'kill-intent', ...t.ledger.intents[0]! };
    const answerRec = { type: 'kill-answer', ...t.ledger.answers[0]! };
    assert.ok(journalState([intentRec, answerRec, rec]).lastKillAt.has('/a'));
  });
});
