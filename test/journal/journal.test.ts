import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCycle } from '../../src/chaos/cycle.js';
import { baseRecord } from '../../src/chaos/record.js';
import { testSettings } from '../helpers/settings.js';
import { Journal, LOG_TORN_LINE, readJournal } from '../../src/journal/journal.js';
import { applyRecord, journalState, loadJournalState } from '../../src/journal/state.js';
import { ManualClock } from '../../src/platform/clock.js';
import { app, aTuesdayMorning, captureLogger, FakeApps, FakeKiller, MINUTE, RecordingLedger, replaced } from '../chaos/fixtures.js';
import type { CycleRecord } from '../../src/domain/record.js';

const T1 = '2024-03-05T09:00:00.000Z';
const T2 = '2024-03-05T09:01:00.000Z';
const T3 = '2024-03-05T09:02:00.000Z';

describe('journal', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'monkey-journal-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('appends one JSON line per record, creating the parent directory', async () => {
    const path = join(dir, 'nested', 'deeper', 'journal.jsonl');
    const j = new Journal(path);
    await Promise.all([j.append({ type: 'pause', time: T1 }), j.append({ type: 'resume', time: T2 }), j.append({ type: 'cycle', cycleId: 'c3', time: T3 })]);
    const text = await readFile(path, 'utf8');
    assert.equal(text.split('\n').length, 4);
    assert.ok(text.endsWith('\n'));
    assert.deepEqual(
      (await readJournal(path)).map((r) => r.type),
      ['pause', 'resume', 'cycle'],
    );
  });

  it('a missing journal reads as empty', async () => {
    assert.deepEqual(await readJournal(join(dir, 'none.jsonl')), []);
  });

  it('survives a torn last line: warns with the line number, keeps earlier records, next append starts on a new line', async () => {
    const path = join(dir, 'j.jsonl');
    const j = new Journal(path);
    await j.append({ type: 'pause', time: T1 });
    await j.append({ type: 'resume', time: T2 });
    // A crash mid-write leaves half a record without its newline.
    await appendFile(path, '{"type":"cycle","cycleId":"torn","vic');
    const { logger, lines } = captureLogger();
    assert.deepEqual((await readJournal(path, { logger })).map((r) => r.time), [T1, T2]);
    assert.equal(lines[0]?.msg, LOG_TORN_LINE);
    assert.equal(lines[0]?.line, 3);

    await j.append({ type: 'halt', time: T3, reason: 'r' });
    const after = await readJournal(path, { logger });
    assert.deepEqual(after.map((r) => r.type), ['pause', 'resume', 'halt']);
    assert.equal((await readFile(path, 'utf8')).split('\n')[3], `{"type":"halt","time":"${T3}","reason":"r"}`);
  });

  it('skips garbage and untyped lines in the middle without losing neighbours', async () => {
    const path = join(dir, 'j.jsonl');
    await writeFile(path, `{"type":"pause","time":"${T1}"}\nnot json\n[1,2]\n\n{"type":"resume","time":"${T2}"}\n`);
    const { logger, lines } = captureLogger();
    assert.deepEqual((await readJournal(path, { logger })).map((r) => r.type), ['pause', 'resume']);
    assert.deepEqual(lines.map((l) => l.line), [2, 3]);
  });

  it('reads a big journal by streaming (records longer than one read chunk)', async () => {
    const path = join(dir, 'big.jsonl');
    const j = new Journal(path);
    const pad = 'x'.repeat(100_000);
    for (let i = 0; i < 5; i++) await j.append({ type: 'cycle', cycleId: `c${i}`, time: T1, i, pad });
    const recs = await readJournal(path);
    assert.deepEqual(recs.map((r) => r.i), [0, 1, 2, 3, 4]);
  });
});

describe('journalState', () => {
  const at = (min: number) => new Date(aTuesdayMorning.getTime() + min * MINUTE).toISOString();
  function cycle(over: Partial<CycleRecord>): CycleRecord {
    return { ...baseRecord(testSettings(), aTuesdayMorning, aTuesdayMorning.getTime(), { cycleId: over.cycleId ?? 'c' }), ...over };
  }
  const victim = (appId: string, taskId: string) => ({ appId, taskId, host: 'h', agentId: null, rack: null, zone: null });

  it('remembers the last kill per app, only for matched tasks, and never for dry runs', () => {
    const s = journalState([
      cycle({ killedAt: at(0), victims: [victim('/a', 't1'), victim('/b', 't2')], killResponse: { matched: ['t1'], unmatched: ['t2'] } }),
      cycle({ killedAt: at(5), victims: [victim('/a', 't3')], killResponse: { matched: ['t3'], unmatched: [] } }),
      // A dry run names victims but kills nothing.
      cycle({ outcome: 'dry-run', victims: [victim('/c', 't4')] }),
    ]);
    assert.deepEqual([...s.lastKillAt], [['/a', Date.parse(at(5))]]);
  });

  it('quarantines on a weakness, halts, and lifts both the right way', () => {
    const s = journalState([
      cycle({ cycleId: 'c1', time: at(0), killedAt: at(0), outcome: 'weakness', weaknesses: [{ appId: '/a', reason: 'not-recovered', detail: 'd' }], halted: true }),
    ]);
    assert.equal(s.quarantined.get('/a')?.cycleId, 'c1');
    assert.deepEqual(s.halted, { since: at(0), reason: 'weakness found in /a', cycleId: 'c1' });
    applyRecord(s, { type: 'resume', time: at(10) });
    assert.equal(s.halted, null);
    assert.ok(s.quarantined.has('/a'), 'a resume does not vouch for the app');
    applyRecord(s, cycle({ cycleId: 'c2', quarantineLifted: [{ appId: '/a', why: 'steady' }] }));
    assert.equal(s.quarantined.size, 0);
    assert.equal(s.lastCycle?.cycleId, 'c2');
  });

  it('an operator can unquarantine apps with a resume record, and pause is tracked', () => {
    const s = journalState([
      cycle({ weaknesses: [{ appId: '/a', reason: 'not-recovered', detail: 'd' }] }),
      { type: 'pause', time: at(1), reason: 'incident' },
    ]);
    assert.deepEqual(s.paused, { since: at(1), reason: 'incident' });
    applyRecord(s, { type: 'resume', time: at(2), unquarantine: ['/a'] });
    assert.equal(s.quarantined.size, 0);
    assert.equal(s.paused, null);
  });

  it('ignores unknown record types', () => {
    const s = journalState([{ type: 'from-the-future', x: 1 }]);
    assert.equal(s.records, 1);
    assert.equal(s.halted, null);
  });
});

describe('journal across a restart', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'monkey-restart-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('the min-kill-interval survives: a new journal state from the file blocks a second kill', async () => {
    const path = join(dir, 'journal.jsonl');
    const a = app('/a');
    const reader = new FakeApps([a]);
    const clock = new ManualClock(aTuesdayMorning);
    const { logger } = captureLogger();
    const settings = testSettings({ dryRun: false, recoveryPollMs: 1000, minKillIntervalMinutes: 60 });
    reader.getAppScript.set('/a', (n) => (n === 1 ? a : replaced(a, a.tasks.map((t) => t.id))));
    const run = runCycle({ apps: reader, killer: new FakeKiller(reader), ledger: new RecordingLedger(), clock, logger }, settings, { scheduledAt: aTuesdayMorning });
    while (clock.pending === 0) await new Promise((r) => setImmediate(r));
    await clock.advance(1000);
    const first = await run;
    assert.equal(first.outcome, 'killed');
    await new Journal(path).append(first);

    // "Restart": a fresh process rebuilds its memory from the file, 30 minutes later.
    clock.set(aTuesdayMorning.getTime() + 30 * MINUTE);
    const memory = await loadJournalState(path, new Date(clock.now()));
    const killer = new FakeKiller(reader);
    const fresh = new FakeApps([a]);
    const second = await runCycle({ apps: fresh, killer, ledger: new RecordingLedger(), clock, logger, journal: memory }, settings, {
      scheduledAt: new Date(clock.now()),
    });
    assert.equal(second.outcome, 'nothing-to-do');
    assert.equal(second.skipped[0]?.reason, 'recently-killed');
    assert.equal(killer.calls.length, 0);
  });
});
