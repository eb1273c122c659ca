import assert from 'node:assert/strict';
import { REASONS } from '../../src/domain/reasons.js';
import { computeReport, percentile, type Report } from '../../src/report/compute.js';
import { answer, asJournal, dryRunCycle, gatedCycle, intent, killCycle, notRecovered, quietCycle, recovered, resume, skip, victim } from './fixtures.js';

const OPTS = { journal: '/var/lib/monkey/journal.jsonl', generatedAt: '2026-11-25T12:00:00.000Z' };
const report = (records: { type: string }[], since?: Date): Report => computeReport(asJournal(records), { ...OPTS, since });

describe('report: computed from the journal', () => {
  it('percentile is nearest-rank', () => {
    const cases: [number[], number, number | null][] = [
      [[], 0.5, null],
      [[7], 0.95, 7],
      [[1, 2, 3, 4], 0.5, 2],
      [[1, 2, 3, 4], 0.95, 4],
      [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5, 5],
      [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95, 10],
    ];
    for (const [values, p, want] of cases) assert.equal(percentile(values, p), want, `${p} of ${values.join(',')}`);
  });

  it('counts kills per app and its time to recover p50, p95 and max', () => {
    const cart = '/shop/cart';
    const r = report([
      killCycle('2026-11-20T10:00:00.000Z', [victim(cart, 1)], { [cart]: recovered(1000) }),
      killCycle('2026-11-20T11:00:00.000Z', [victim(cart, 2)], { [cart]: recovered(3000) }),
      // Two tasks of one app in one cycle: two kills, one recovery (the app is watched once).
      killCycle('2026-11-21T10:00:00.000Z', [victim(cart, 3), victim(cart, 4)], { [cart]: recovered(2000) }),
      killCycle('2026-11-21T11:00:00.000Z', [victim(cart, 5), victim('/shop/search', 6)], { [cart]: recovered(10_000), '/shop/search': recovered(500) }),
    ]);
    const byApp = new Map(r.apps.map((a) => [a.appId, a]));
    assert.deepEqual(byApp.get(cart), {
      appId: cart,
      kills: 5,
      recovered: 4,
      notRecovered: 0,
      ttr: { count: 4, p50Ms: 2000, p95Ms: 10_000, maxMs: 10_000 },
      weaknesses: 0,
      openWeaknesses: 0,
      lastKill: '2026-11-21T11:00:00.000Z',
    });
    assert.equal(byApp.get('/shop/search')?.kills, 1);
    assert.deepEqual(r.ttr, { count: 5, p50Ms: 2000, p95Ms: 10_000, maxMs: 10_000 });
    assert.equal(r.totals.tasksKilled, 6);
    assert.deepEqual(r.killsPerDay, [
      { day: '2026-11-20', kills: 2 },
      { day: '2026-11-21', kills: 4 },
    ]);
    assert.equal(r.apps[0]?.appId, cart, 'most killed app first');
  });

  it('lists every killed task in the timeline with host, rack, outcome and its app’s TTR', () => {
    const v = victim('/shop/cart', 1);
    const u = victim('/shop/cart', 2);
    const r = report([killCycle('2026-11-20T10:00:00.000Z', [v, u], { '/shop/cart': recovered(4200) }, { cycleId: 'c-1', unmatched: [u.taskId] })]);
    assert.deepEqual(r.timeline, [
      { time: '2026-11-20T10:00:00.000Z', cycleId: 'c-1', appId: '/shop/cart', taskId: v.taskId, host: '10.0.0.1', rack: 'r1', outcome: 'recovered', ttrMs: 4200 },
      { time: '2026-11-20T10:00:00.000Z', cycleId: 'c-1', appId: '/shop/cart', taskId: u.taskId, host: '10.0.0.2', rack: 'r0', outcome: 'unmatched', ttrMs: null },
    ]);
    assert.equal(r.totals.tasksKilled, 1, 'a task Marathon did not know was not killed');
  });

  it('leaves dry runs, rejected kills and withdrawn intents out of the kills', () => {
    const rejected = killCycle('2026-11-20T11:00:00.000Z', [victim('/a', 1)], {});
    rejected.killStatus = 'rejected';
    rejected.killResponse = null;
    rejected.outcome = 'error';
    const r = report([
      dryRunCycle('2026-11-20T10:00:00.000Z', [victim('/a', 1)]),
      intent('c-rej', '2026-11-20T11:00:00.000Z', [victim('/a', 1)]),
      answer('c-rej', '2026-11-20T11:00:01.000Z', 'rejected'),
      { ...rejected, cycleId: 'c-rej' },
      intent('c-wd', '2026-11-20T12:00:00.000Z', [victim('/a', 2)]),
      answer('c-wd', '2026-11-20T12:00:01.000Z', 'withdrawn'),
    ]);
    assert.deepEqual(r.timeline, []);
    assert.equal(r.totals.dryRunCycles, 1);
    assert.equal(r.totals.errorCycles, 1);
  });

  it('shows a kill whose cycle record never came (the process stopped after the intent) as unverified', () => {
    const a = victim('/a', 1);
    const b = victim('/b', 2);
    const r = report([
      intent('c-crash', '2026-11-20T10:00:00.000Z', [a, b]),
      answer('c-crash', '2026-11-20T10:00:01.000Z', 'answered', ['/a']),
      // An intent followed by its cycle record is reported once, from the record.
      intent('c-ok', '2026-11-20T11:00:00.000Z', [victim('/c', 3)]),
      answer('c-ok', '2026-11-20T11:00:01.000Z', 'answered', ['/c']),
      killCycle('2026-11-20T11:00:00.000Z', [victim('/c', 3)], { '/c': recovered(900) }, { cycleId: 'c-ok' }),
    ]);
    assert.deepEqual(
      r.timeline.map((k) => [k.cycleId, k.appId, k.outcome]),
      [
        ['c-crash', '/a', 'unverified'],
        ['c-crash', '/b', 'unmatched'],
        ['c-ok', '/c', 'recovered'],
      ],
    );
    assert.equal(r.totals.tasksKilled, 2);
  });

  it('says whether each weakness was fixed, and how', () => {
    const r = report([
      killCycle('2026-11-20T10:00:00.000Z', [victim('/lifted', 1), victim('/rekilled', 2), victim('/open', 3), victim('/deleted', 4), victim('/vouched', 5)], {
        '/lifted': notRecovered(),
        '/rekilled': notRecovered(),
        '/open': notRecovered(),
        '/deleted': notRecovered(),
        '/vouched': notRecovered(),
      }),
      quietCycle('2026-11-21T10:00:00.000Z', [], [
        { appId: '/lifted', why: 'steady' },
        { appId: '/deleted', why: 'gone' },
      ]),
      resume('2026-11-21T11:00:00.000Z', ['/vouched']),
      killCycle('2026-11-22T10:00:00.000Z', [victim('/rekilled', 6)], { '/rekilled': recovered(1500) }, { cycleId: 'c-again' }),
      killCycle('2026-11-23T10:00:00.000Z', [victim('/open', 7)], { '/open': notRecovered() }),
    ]);
    const status = r.weaknesses.map((w) => [w.appId, w.status, w.fix?.how ?? null]);
    assert.deepEqual(status, [
      ['/lifted', 'fixed', 'quarantine-lifted'],
      ['/rekilled', 'fixed', 'recovered-after-kill'],
      ['/open', 'open', null],
      ['/deleted', 'app-gone', null],
      ['/vouched', 'fixed', 'unquarantined-by-operator'],
      ['/open', 'open', null],
    ]);
    assert.deepEqual(r.weaknesses[1]?.fix, { how: 'recovered-after-kill', at: '2026-11-22T10:00:00.000Z', cycleId: 'c-again' });
    assert.equal(r.weaknesses[0]?.time, '2026-11-20T10:00:00.200Z', 'found when the kill was answered');
    assert.equal(r.totals.openWeaknesses, 2);
    assert.deepEqual(
      r.apps.filter((a) => a.appId === '/open').map((a) => [a.weaknesses, a.openWeaknesses, a.notRecovered]),
      [[2, 2, 2]],
    );
  });

  it('counts skip reasons and gated cycles per UTC day, without the apps that never opted in', () => {
    const r = report([
      quietCycle('2026-11-20T09:00:00.000Z', [skip('/a', REASONS.unhealthy), skip('/b', REASONS.deploying), skip('/x', REASONS.notOptedIn)]),
      quietCycle('2026-11-20T23:59:00.000Z', [skip('/a', REASONS.unhealthy)]),
      quietCycle('2026-11-21T00:01:00.000Z', [skip('/c', REASONS.tooYoung)]),
      gatedCycle('2026-11-21T20:00:00.000Z', 'outside-office-hours'),
      gatedCycle('2026-11-22T20:00:00.000Z', 'holiday'),
      gatedCycle('2026-11-22T21:00:00.000Z', 'holiday'),
    ]);
    assert.deepEqual(r.skipReasonsPerDay, [
      { day: '2026-11-20', counts: { unhealthy: 2, deploying: 1 } },
      { day: '2026-11-21', counts: { 'too-young': 1 } },
    ]);
    assert.deepEqual(r.gateReasonsPerDay, [
      { day: '2026-11-21', counts: { 'outside-office-hours': 1 } },
      { day: '2026-11-22', counts: { holiday: 2 } },
    ]);
    assert.equal(r.totals.skippedCycles, 3);
    assert.equal(r.totals.cycles, 6);
  });

  it('--since leaves out what came before it, and the period says what is covered', () => {
    const records = [
      killCycle('2026-11-19T10:00:00.000Z', [victim('/a', 1)], { '/a': recovered(1000) }),
      killCycle('2026-11-20T10:00:00.000Z', [victim('/a', 2)], { '/a': recovered(2000) }),
      quietCycle('2026-11-21T10:00:00.000Z', []),
    ];
    const all = report(records);
    assert.deepEqual(all.period, { from: '2026-11-19T10:00:00.000Z', to: '2026-11-21T10:00:00.000Z' });
    const recent = report(records, new Date('2026-11-20T00:00:00Z'));
    assert.equal(recent.since, '2026-11-20T00:00:00.000Z');
    assert.deepEqual(recent.period, { from: '2026-11-20T10:00:00.000Z', to: '2026-11-21T10:00:00.000Z' });
    assert.deepEqual(recent.timeline.map((k) => k.ttrMs), [2000]);
    assert.equal(recent.totals.cycles, 2);
  });

  it('takes records with fields missing (older or hand-edited journals) without failing', () => {
    const bare = { type: 'cycle', cycleId: 'c-old', time: '2026-11-20T10:00:00.000Z', outcome: 'killed', killResponse: { matched: [] } };
    const halt = { type: 'halt', time: '2026-11-20T11:00:00.000Z' };
    const newer = { type: 'something-newer', time: '2026-11-20T12:00:00.000Z' };
    const r = report([bare, halt, newer]);
    assert.equal(r.totals.cycles, 1);
    assert.equal(r.totals.records, 3);
    assert.deepEqual(r.timeline, []);
  });

  it('an empty journal is an empty report, not an error', () => {
    const r = report([]);
    assert.deepEqual(r.period, { from: null, to: null });
    assert.deepEqual([r.apps, r.timeline, r.weaknesses, r.killsPerDay], [[], [], [], []]);
    assert.deepEqual(r.ttr, { count: 0, p50Ms: null, p95Ms: null, maxMs: null });
  });
});
