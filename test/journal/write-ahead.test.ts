import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal, LOG_INVALID_RECORD } from '../../src/journal/journal.js';
import { JournalLedger } from '../../src/journal/ledger.js';
import { JournalLock, JournalLockedError } from '../../src/journal/lock.js';
import { journalState, loadJournalState } from '../../src/journal/state.js';
import type { KillIntent } from '../../src/domain/ports.js';
import { captureLogger } from '../chaos/fixtures.js';

const T0 = Date.parse('2024-03-05T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** The intent the cycle hands the ledger. */
function killIntent(cycleId: string, at: number, victims: [appId: string, taskId: string][]): KillIntent {
  return {
    cycleId,
    time: iso(at),
    scheduledAt: iso(at),
    seed: 's',
    cycleSeed: 's',
    strategy: 'task',
    victims: victims.map(([appId, taskId]) => ({ appId, taskId, host: 'h', agentId: 'ag', rack: null, zone: null })),
    taskIds: victims.map(([, t]) => t),
  };
}

/** The same intent as a journal record. */
function intent(cycleId: string, at: number, victims: [appId: string, taskId: string][]) {
  return { type: 'kill-intent' as const, ...killIntent(cycleId, at, victims) };
}

function answer(cycleId: string, at: number, outcome: 'answered' | 'rejected' | 'uncertain' | 'withdrawn', killedAppIds?: string[]) {
  return { type: 'kill-answer' as const, cycleId, time: iso(at), outcome, ...(killedAppIds ? { killedAppIds } : {}) };
}

describe('journal: write-ahead kill records', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'monkey-wa-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('an intent alone counts as a kill (the process died before the answer)', () => {
    const state = journalState([intent('c1', T0, [['/a', 'a.1']])]);
    assert.equal(state.lastKillAt.get('/a'), T0);
  });

  it('a rejected or withdrawn kill is not a kill: the app gets back its earlier last kill', () => {
    const earlier = T0 - 3_600_000;
    for (const outcome of ['rejected', 'withdrawn'] as const) {
      const state = journalState([intent('c0', earlier, [['/a', 'a.0']]), answer('c0', earlier, 'answered', ['/a']), intent('c1', T0, [['/a', 'a.1'], ['/b', 'b.1']]), answer('c1', T0 + 5, outcome)]);
      assert.equal(state.lastKillAt.get('/a'), earlier, outcome);
      assert.equal(state.lastKillAt.has('/b'), false, outcome);
    }
  });

  it('an answered kill counts only for apps with a task Marathon knew; an uncertain one counts for all', () => {
    const answered = journalState([intent('c1', T0, [['/a', 'a.1'], ['/b', 'b.1']]), answer('c1', T0 + 5, 'answered', ['/a'])]);
    assert.equal(answered.lastKillAt.get('/a'), T0);
    assert.equal(answered.lastKillAt.has('/b'), false);
    const uncertain = journalState([intent('c1', T0, [['/a', 'a.1'], ['/b', 'b.1']]), answer('c1', T0 + 5, 'uncertain')]);
    assert.deepEqual([...uncertain.lastKillAt.keys()].sort(), ['/a', '/b']);
  });

  it('a rejected kill written by an older version (killedAt set, E_KILL_REJECTED) is not counted', () => {
    const old = {
      type: 'cycle',
      cycleId: 'c1',
      time: iso(T0),
      killedAt: iso(T0),
      victims: [{ appId: '/a', taskId: 'a.1' }],
      killResponse: null,
      error: { code: 'E_KILL_REJECTED', message: 'Marathon rejected the kill with 409', stage: 'kill' },
      weaknesses: [],
      quarantineLifted: [],
    };
    assert.equal(journalState([old]).lastKillAt.has('/a'), false);
    const unknown = { ...old, error: { code: 'E_KILL_UNCERTAIN', message: 'no answer', stage: 'kill' } };
    assert.equal(journalState([unknown]).lastKillAt.get('/a'), T0, 'an outcome-unknown kill still counts');
  });

  describe('records validated on read', () => {
    it('a record that would crash the fold (victims:[null]) is skipped with a warning naming its line', async () => {
      const path = join(dir, 'j.jsonl');
      const lines = [
        JSON.stringify(intent('c1', T0, [['/a', 'a.1']])),
        '{"type":"cycle","victims":[null]}',
        '{"type":"cycle","cycleId":"c9","time":"2024-03-05T10:00:00Z","victims":[null]}',
        '{"type":"cycle","cycleId":"c2","time":"2024-03-05T10:00:00Z","victims":[{"appId":"/b"}]}',
        '{"type":"resume","time":"2024-03-05T10:00:00Z","unquarantine":[1]}',
        '{"type":"kill-answer","cycleId":"c1","time":"2024-03-05T10:00:00Z","outcome":"maybe"}',
        JSON.stringify({ type: 'pause', time: iso(T0 + 1), reason: 'still read' }),
      ];
      await writeFile(path, `${lines.join('\n')}\n`);
      const { logger, lines: logged } = captureLogger();
      const state = await loadJournalState(path, new Date(T0), { logger });
      assert.equal(state.lastKillAt.get('/a'), T0, 'the good records before and after are kept');
      assert.equal(state.paused?.reason, 'still read');
      const warned = logged.filter((l) => l.msg === LOG_INVALID_RECORD);
      assert.deepEqual(
        warned.map((l) => l.line),
        [2, 3, 4, 5, 6],
      );
      assert.match(String(warned[1]?.problem), /victims\[0\] is not an object/);
    });
  });

  describe('JournalLedger', () => {
    /** The journal as the daemon opens it: read into the state, then the ledger over both. */
    async function openLedger(minKillIntervalMs: number) {
      const path = join(dir, 'j.jsonl');
      const journal = new Journal(path);
      const state = await loadJournalState(path);
      await journal.markRead();
      return { path, journal, state, ledger: new JournalLedger(journal, state, { minKillIntervalMs }) };
    }

    const oneKill = (cycleId: string, at: number, appId = '/a'): KillIntent => killIntent(cycleId, at, [[appId, `${appId}.1`]]);

    it('the intent is on disk (synced) when recordIntent resolves, and folded into the shared state', async () => {
      const { path, state, ledger } = await openLedger(60_000);
      await ledger.recordIntent(oneKill('c1', T0));
      const onDisk = (await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { type: string; taskIds: string[] });
      assert.deepEqual(onDisk.map((r) => r.type), ['kill-intent']);
      assert.deepEqual(onDisk[0]?.taskIds, ['/a.1']);
      assert.equal(state.lastKillAt.get('/a'), T0);
    });

    it('re-reads the journal when another writer appended to it, and vetoes a kill that writer already made', async () => {
      const { path, journal, state, ledger } = await openLedger(3_600_000);
      // Somebody else (no lock, an older version) killed /a a minute ago.
      await appendFile(path, `${JSON.stringify(intent('other', T0 - 60_000, [['/a', 'a.9']]))}\n`);
      const { logger, lines } = captureLogger();
      const vetoing = new JournalLedger(journal, state, { minKillIntervalMs: 3_600_000, logger });
      await assert.rejects(vetoing.recordIntent(oneKill('c1', T0)), (e: Error & { code?: string }) => e.code === 'E_KILL_VETOED' && /\/a was killed at/.test(e.message));
      assert.ok(lines.some((l) => /changed behind our back/.test(String(l.msg))));
      assert.equal((await readFile(path, 'utf8')).trim().split('\n').length, 1, 'no intent was written');
      // Another app is fine.
      await ledger.recordIntent(oneKill('c2', T0, '/b'));
    });

    it('vetoes while the journal says paused or halted', async () => {
      await writeFile(join(dir, 'j.jsonl'), `${JSON.stringify({ type: 'pause', time: iso(T0 - 1000), reason: 'maintenance' })}\n`);
      const { ledger } = await openLedger(0);
      await assert.rejects(ledger.recordIntent(oneKill('c1', T0)), /paused since .*maintenance/);
    });
  });

  describe('JournalLock', () => {
    it('a second taker is refused with the holder’s pid; released, it can be taken again', () => {
      const path = join(dir, 'j.jsonl');
      const first = JournalLock.acquire(path, 'run');
      assert.throws(
        () => JournalLock.acquire(path, 'once'),
        (e: unknown) => e instanceof JournalLockedError && e.code === 'E_JOURNAL_LOCKED' && e.message.includes(`pid ${process.pid}`) && e.message.includes('(run,'),
      );
      first.release();
      JournalLock.acquire(path, 'once').release();
    });

    it('a lock left by a process that died (kill -9) is taken over', async () => {
      const path = join(dir, 'j.jsonl');
      // A real process that took the lock and died without releasing it.
      const child = spawnSync(
        process.execPath,
        ['-e', `require('fs').writeFileSync(${JSON.stringify(`${path}.lock`)}, JSON.stringify({pid: process.pid, host: require('os').hostname(), command: 'run', since: 'x'}))`],
        { stdio: 'ignore' },
      );
      assert.equal(child.status, 0);
      const lock = JournalLock.acquire(path, 'run');
      assert.match(await readFile(`${path}.lock`, 'utf8'), new RegExp(`"pid":${process.pid}`));
      lock.release();
    });

    it('a lock whose pid is alive but is another process (pid reused after a restart) is stale', async () => {
      const path = join(dir, 'j.jsonl');
      // Our parent is alive, but its start time is not the one recorded.
      await writeFile(`${path}.lock`, JSON.stringify({ pid: process.ppid, host: (await import('node:os')).hostname(), startTicks: 1, command: 'run', since: 'x' }));
      JournalLock.acquire(path, 'run').release();
    });
  });
});
