import assert from 'node:assert/strict';
import type { KillAnswer, KillIntent } from '../../src/domain/ports.js';
import type { CycleRecord, Victim } from '../../src/domain/record.js';
import { killVeto } from '../../src/domain/veto.js';
import { journalState } from '../../src/journal/state.js';
import {
  applyAnswerToShared,
  applyCycleToShared,
  applyIntentToShared,
  emptyShared,
  parseShared,
  serializeShared,
  sharedToMemory,
  type SharedState,
} from '../../src/zk/index.js';
import { aKillThatRecovered } from '../daemon/helpers.js';

const T0 = Date.parse('2024-03-05T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const v = (appId: string, taskId: string): Victim => ({ appId, taskId, host: 'h', agentId: 'ag', rack: null, zone: null });

function intent(cycleId: string, at: number, victims: [string, string][]): KillIntent {
  return { cycleId, time: iso(at), scheduledAt: iso(at), seed: 's', cycleSeed: 's', strategy: 'task', victims: victims.map(([a, t]) => v(a, t)), taskIds: victims.map(([, t]) => t) };
}
function cycle(cycleId: string, at: number, o: Partial<CycleRecord>): CycleRecord {
  return { ...aKillThatRecovered, cycleId, time: iso(at), victims: [], killResponse: null, killedAt: null, weaknesses: [], quarantineLifted: [], halted: false, ...o };
}

type Step = { intent: KillIntent } | { answer: KillAnswer } | { cycle: CycleRecord };

/** Folds the same story into the journal's state and into the shared state; they must agree. */
function both(steps: Step[]): { journal: ReturnType<typeof journalState>; shared: SharedState } {
  const records: { type: string }[] = [];
  let shared = emptyShared();
  for (const s of steps) {
    if ('intent' in s) {
      records.push({ type: 'kill-intent', ...s.intent });
      shared = applyIntentToShared(shared, s.intent);
    } else if ('answer' in s) {
      records.push({ type: 'kill-answer', ...s.answer });
      shared = applyAnswerToShared(shared, s.answer);
    } else {
      records.push(s.cycle);
      shared = applyCycleToShared(shared, s.cycle);
    }
    // Every step goes through the node's JSON, as it does between instances.
    shared = parseShared(serializeShared(shared));
  }
  return { journal: journalState(records), shared };
}

describe('shared state (src/zk/shared.ts): the journal’s semantics on a znode', () => {
  const stories: [name: string, steps: Step[], lastKillAt: Record<string, number>, pending: string[]][] = [
    ['an intent counts from the moment it is recorded', [{ intent: intent('c1', T0, [['/a', 'a.1']]) }], { '/a': T0 }, ['c1']],
    [
      'answered keeps only the apps Marathon knew',
      [{ intent: intent('c1', T0, [['/a', 'a.1'], ['/b', 'b.1']]) }, { answer: { cycleId: 'c1', time: iso(T0), outcome: 'answered', killedAppIds: ['/a'] } }],
      { '/a': T0 },
      [],
    ],
    [
      'rejected gives back the earlier last kill',
      [
        { intent: intent('c0', T0 - 1000, [['/a', 'a.0']]) },
        { answer: { cycleId: 'c0', time: iso(T0), outcome: 'answered', killedAppIds: ['/a'] } },
        { intent: intent('c1', T0, [['/a', 'a.1']]) },
        { answer: { cycleId: 'c1', time: iso(T0), outcome: 'rejected' } },
      ],
      { '/a': T0 - 1000 },
      [],
    ],
    ['withdrawn forgets a first kill', [{ intent: intent('c1', T0, [['/a', 'a.1']]) }, { answer: { cycleId: 'c1', time: iso(T0), outcome: 'withdrawn' } }], {}, []],
    ['uncertain keeps every app', [{ intent: intent('c1', T0, [['/a', 'a.1'], ['/b', 'b.1']]) }, { answer: { cycleId: 'c1', time: iso(T0), outcome: 'uncertain' } }], { '/a': T0, '/b': T0 }, []],
    [
      'a cycle record settles an intent whose answer was lost',
      [
        { intent: intent('c1', T0, [['/a', 'a.1'], ['/b', 'b.1']]) },
        { cycle: cycle('c1', T0, { victims: [v('/a', 'a.1'), v('/b', 'b.1')], killStatus: 'answered', killResponse: { matched: ['b.1'], unmatched: ['a.1'] }, killedAt: iso(T0 + 50) }) },
      ],
      { '/b': T0 + 50 },
      [],
    ],
    [
      'a later kill is not undone by an earlier rejected one',
      [
        { intent: intent('c1', T0, [['/a', 'a.1']]) },
        { intent: intent('c2', T0 + 10, [['/a', 'a.2']]) },
        { answer: { cycleId: 'c1', time: iso(T0), outcome: 'rejected' } },
      ],
      { '/a': T0 + 10 },
      ['c2'],
    ],
  ];
  for (const [name, steps, lastKillAt, pending] of stories) {
    it(name, () => {
      const { journal, shared } = both(steps);
      assert.deepEqual(shared.lastKillAt, lastKillAt);
      assert.deepEqual(Object.fromEntries(journal.lastKillAt), lastKillAt);
      assert.deepEqual(Object.keys(shared.pending).sort(), pending);
      assert.deepEqual([...journal.pendingIntents.keys()].sort(), pending);
    });
  }

  it('weaknesses quarantine and halt; a lifted quarantine goes (as the journal folds cycles)', () => {
    const weak = cycle('c1', T0, {
      victims: [v('/a', 'a.1')],
      killStatus: 'answered',
      killResponse: { matched: ['a.1'], unmatched: [] },
      killedAt: iso(T0 + 5),
      weaknesses: [{ appId: '/a', detail: 'not recovered in 300 s' }] as CycleRecord['weaknesses'],
      halted: true,
    });
    const lift = cycle('c2', T0 + 60_000, { quarantineLifted: [{ appId: '/a' }] as CycleRecord['quarantineLifted'] });
    const { journal, shared } = both([{ cycle: weak }]);
    assert.deepEqual(shared.quarantined, { '/a': { cycleId: 'c1', since: iso(T0 + 5), detail: 'not recovered in 300 s' } });
    assert.deepEqual(shared.quarantined, Object.fromEntries(journal.quarantined));
    assert.deepEqual(shared.halted, { since: iso(T0), reason: 'weakness found in /a', cycleId: 'c1' });
    assert.deepEqual(shared.halted, journal.halted);
    assert.deepEqual(shared.lastKillAt, { '/a': T0 + 5 });
    const after = both([{ cycle: weak }, { cycle: lift }]);
    assert.deepEqual(after.shared.quarantined, {});
    assert.deepEqual(Object.fromEntries(after.journal.quarantined), {});
    assert.notEqual(after.shared.halted, null, 'a lift does not resume');
  });

  it('never changes the state it is given', () => {
    const s = applyIntentToShared(emptyShared(), intent('c1', T0, [['/a', 'a.1']]));
    const frozen = JSON.stringify(s);
    applyAnswerToShared(s, { cycleId: 'c1', outcome: 'rejected' });
    applyCycleToShared(s, cycle('c2', T0, { weaknesses: [{ appId: '/a', detail: 'x' }] as CycleRecord['weaknesses'], halted: true }));
    assert.equal(JSON.stringify(s), frozen);
  });

  it('sharedToMemory gives the cycle’s guards Maps, the halt and the pause', () => {
    const s: SharedState = { ...emptyShared(), lastKillAt: { '/a': T0 }, quarantined: { '/b': { cycleId: 'c', since: iso(T0), detail: 'd' } }, paused: { since: iso(T0), reason: 'r', by: 'i1' } };
    const m = sharedToMemory(s);
    assert.equal(m.lastKillAt.get('/a'), T0);
    assert.equal(m.quarantined.get('/b')?.detail, 'd');
    assert.equal(m.halted, null);
    assert.deepEqual(m.paused, { since: iso(T0), reason: 'r', by: 'i1' });
  });

  describe('parseShared', () => {
    it('reads empty data as the empty state and round-trips a full one', () => {
      assert.deepEqual(parseShared(Buffer.alloc(0)), emptyShared());
      assert.deepEqual(parseShared(null), emptyShared());
      const full: SharedState = {
        lastKillAt: { '/a': T0 },
        quarantined: { '/b': { cycleId: 'c', since: iso(T0), detail: 'd' } },
        halted: { since: iso(T0), reason: 'weakness', cycleId: 'c' },
        paused: { since: iso(T0), reason: 'deploy', by: 'i1' },
        pending: { c9: { at: T0, prev: { '/a': null, '/b': T0 - 1 } } },
        updatedBy: 'i1',
        updatedAt: iso(T0),
      };
      assert.deepEqual(parseShared(serializeShared(full)), full);
    });
    const corrupt: [string, RegExp][] = [
      ['{', /is not JSON/],
      ['[]', /not a JSON object/],
      ['{"lastKillAt":{"/a":"yesterday"}}', /lastKillAt\["\/a"\] is not a number/],
      ['{"lastKillAt":[]}', /lastKillAt is not an object/],
      ['{"quarantined":{"/a":{"cycleId":"c"}}}', /quarantined\["\/a"\] lacks/],
      ['{"halted":true}', /halted is neither null/],
      ['{"paused":{"reason":"x"}}', /paused is neither null/],
      ['{"pending":{"c":{"at":1,"prev":{"/a":"x"}}}}', /prev\["\/a"\] is neither null nor a number/],
      ['{"updatedBy":3}', /updatedBy is not a string/],
    ];
    for (const [data, message] of corrupt) {
      it(`fails closed on ${data}`, () => {
        assert.throws(
          () => parseShared(data, '/m/state'),
          (err: Error & { code?: string; hint?: string }) => {
            assert.equal(err.code, 'E_ZK_STATE');
            assert.match(err.message, message);
            assert.match(err.message, /\/m\/state/);
            assert.match(err.hint ?? '', /nothing is killed until it is fixed/);
            return true;
          },
        );
      });
    }
  });
});

describe('killVeto (src/domain/veto.ts): one rule for the journal and the shared state', () => {
  const mem = (o: Partial<Parameters<typeof killVeto>[0]> = {}) => ({ halted: null, paused: null, quarantined: new Map(), lastKillAt: new Map<string, number>(), ...o });
  const i = intent('c', T0, [['/a', 'a.1'], ['/b', 'b.1']]);
  const table: [string, Parameters<typeof killVeto>[0], RegExp | undefined][] = [
    ['allows a kill on a clean state', mem(), undefined],
    ['halted', mem({ halted: { since: 'S', reason: 'weakness found in /x' } }), /the shared state says chaos is halted since S: weakness found in \/x/],
    ['paused with a reason', mem({ paused: { since: 'S', reason: 'deploy' } }), /paused since S: deploy$/],
    ['paused without one', mem({ paused: { since: 'S' } }), /paused since S$/],
    ['a victim app quarantined', mem({ quarantined: new Map([['/b', { cycleId: 'c', since: 'S', detail: 'd' }]]) }), /\/b is quarantined in the shared state/],
    ['a victim app killed within the interval', mem({ lastKillAt: new Map([['/b', T0 - 59_999]]) }), /\/b was killed at .* within the minimum time/],
    ['allows one killed exactly the interval ago', mem({ lastKillAt: new Map([['/b', T0 - 60_000]]) }), undefined],
  ];
  for (const [name, m, expected] of table) {
    it(name, () => {
      const got = killVeto(m, i, 60_000, 'the shared state');
      if (expected === undefined) assert.equal(got, undefined);
      else assert.match(got ?? '', expected);
    });
  }
  it('says "the journal" by default (the journal ledger’s messages are unchanged)', () => {
    assert.match(killVeto(mem({ paused: { since: 'S' } }), i, 0) ?? '', /^the journal says chaos is paused/);
  });
});
