import assert from 'node:assert/strict';
import { controlEvent, cycleEvents, seconds, type NotifyEvent } from '../../src/notify/events.js';
import { aDryRun, aKillThatRecovered, aSkippedCycle, aWeakness } from '../daemon/helpers.js';

const O = { version: '1.2.3', includeDryRun: false };

describe('notification events (pure)', () => {
  it('a kill that recovered: a kill event, then a recovery event with the time to recover', () => {
    const events = cycleEvents(aKillThatRecovered, O);
    assert.deepEqual(
      events.map((e) => [e.type, e.outcome]),
      [
        ['kill', 'killed'],
        ['recovery', 'recovered'],
      ],
    );
    const [kill, recovery] = events as [NotifyEvent, NotifyEvent];
    assert.deepEqual(kill, {
      type: 'kill',
      time: aKillThatRecovered.killedAt,
      cycleId: 'c-1',
      apps: ['/shop/cart'],
      victims: [{ appId: '/shop/cart', taskId: 'shop_cart.6f3a-1', host: 'agent-1', rack: 'r1' }],
      outcome: 'killed',
      timeToRecoverMs: null,
      reason: null,
      detail: 'killed 1 task of /shop/cart',
      monkey: { version: '1.2.3', seed: 'office-chaos' },
    });
    assert.equal(recovery.timeToRecoverMs, 42_000);
    assert.equal(recovery.time, new Date(Date.parse(aKillThatRecovered.killedAt ?? '') + 42_000).toISOString());
    assert.equal(recovery.detail, '/shop/cart was back in steady state 42 s after the kill');
  });

  it('a weakness: kill, weakness (with the reason code), halt', () => {
    const events = cycleEvents(aWeakness, O);
    assert.deepEqual(
      events.map((e) => e.type),
      ['kill', 'weakness', 'halt'],
    );
    const weakness = events[1] as NotifyEvent;
    assert.equal(weakness.outcome, 'weakness');
    assert.deepEqual(weakness.apps, ['/shop/payments']);
    assert.equal(weakness.reason, aWeakness.weaknesses[0]?.reason);
    assert.match(weakness.detail, /^\/shop\/payments did not return to steady state: /);
    const halt = events[2] as NotifyEvent;
    assert.equal(halt.outcome, 'halted');
    assert.match(halt.detail, /POST \/resume/);
  });

  it('dry runs notify nothing unless asked; then one dry-run-kill', () => {
    assert.deepEqual(cycleEvents(aDryRun, O), []);
    const events = cycleEvents(aDryRun, { ...O, includeDryRun: true });
    assert.equal(events.length, 1);
    assert.equal(events[0]?.type, 'dry-run-kill');
    assert.equal(events[0]?.outcome, 'dry-run');
    assert.match(events[0]?.detail ?? '', /would have killed 1 task of \/shop\/cart.*nothing was killed/);
  });

  it('skipped cycles notify nothing', () => {
    assert.deepEqual(cycleEvents(aSkippedCycle, { ...O, includeDryRun: true }), []);
  });

  it('a kill that may have reached Marathon is a kill with outcome unverified; a rejected one is none', () => {
    const uncertain = { ...aKillThatRecovered, outcome: 'error' as const, killStatus: 'uncertain' as const, killResponse: null, after: {} };
    const events = cycleEvents(uncertain, O);
    assert.deepEqual(
      events.map((e) => [e.type, e.outcome]),
      [['kill', 'unverified']],
    );
    const rejected = { ...uncertain, killStatus: 'rejected' as const };
    assert.deepEqual(cycleEvents(rejected, O), []);
  });

  it('unmatched tasks are not reported as killed', () => {
    const rec = { ...aKillThatRecovered, killResponse: { matched: [], unmatched: ['shop_cart.6f3a-1'] }, after: {} };
    assert.deepEqual(cycleEvents(rec, O), []);
  });

  it('pause and resume; a resume that cleared a halt names its apps, cycle and reason', () => {
    const monkey = { version: '1.2.3', seed: 's' };
    const pause = controlEvent({ type: 'pause', at: '2024-03-15T14:00:00.000Z', by: 'alice', reason: 'game day', clearedHalt: null }, monkey);
    assert.deepEqual(pause, {
      type: 'pause',
      time: '2024-03-15T14:00:00.000Z',
      cycleId: null,
      apps: [],
      victims: [],
      outcome: 'paused',
      timeToRecoverMs: null,
      reason: null,
      detail: 'chaos paused by alice: game day',
      monkey,
    });
    const resume = controlEvent(
      { type: 'resume', at: '2024-03-15T15:00:00.000Z', by: 'bob', reason: '', clearedHalt: { appId: '/b, /a', reason: 'not-recovered', cycleId: 'c-2' } },
      monkey,
    );
    assert.deepEqual([resume.apps, resume.cycleId, resume.reason, resume.outcome], [['/a', '/b'], 'c-2', 'not-recovered', 'resumed']);
    assert.equal(resume.detail, 'chaos resumed by bob; cleared the halt caused by a weakness in /b, /a');
  });

  it('durations read as people say them', () => {
    assert.equal(seconds(42_000), '42 s');
    assert.equal(seconds(1_540), '1.5 s');
    assert.equal(seconds(125_000), '2 min 5 s');
  });
});
