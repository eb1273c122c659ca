import assert from 'node:assert/strict';
import type { KillAnswer, KillIntent } from '../../src/domain/ports.js';
import { FencedLedger, SharedVetoError, ZkError, ZkTimeoutError, type FencePort, type KillLogEntry } from '../../src/zk/index.js';
import { captureLogger } from '../chaos/fixtures.js';
import { intentFor, RecordingLedger } from './support.js';

type Fenced = { killPath: string; entry: KillLogEntry };

/** A hand-written FencePort: each test says what the fencing step does; calls are recorded. */
class FakePort implements FencePort {
  leader = true;
  timeoutMs = 50;
  step: (intent: KillIntent, signal?: AbortSignal) => Promise<Fenced> = (i) => Promise.resolve(fenced(i));
  settle: (a: KillAnswer) => Promise<void> = () => Promise.resolve();
  withdrawn: [string, string | undefined][] = [];
  settled: [KillAnswer, Fenced | undefined][] = [];
  signals: AbortSignal[] = [];
  isLeader(): boolean {
    return this.leader;
  }
  fencingTimeoutMs(): number {
    return this.timeoutMs;
  }
  fenceIntent(intent: KillIntent, _min: number, signal?: AbortSignal): Promise<Fenced> {
    if (signal) this.signals.push(signal);
    return this.step(intent, signal);
  }
  async settleAnswer(answer: KillAnswer, kill: Fenced | undefined): Promise<void> {
    this.settled.push([answer, kill]);
    await this.settle(answer);
  }
  withdrawLater(cycleId: string, killPath: string | undefined): void {
    this.withdrawn.push([cycleId, killPath]);
  }
  async bounded<T>(p: Promise<T>, what: string, ms = this.timeoutMs): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new ZkTimeoutError(what, ms)), ms)))]);
    } finally {
      clearTimeout(timer);
    }
  }
}

const fenced = (i: KillIntent): Fenced => ({ killPath: `/m/kills/k_${i.cycleId}`, entry: { cycleId: i.cycleId, time: i.time, appIds: [], taskIds: i.taskIds, by: 'me' } });
const code = (c: string) => (e: Error & { code?: string }) => e.code === c;

describe('FencedLedger (the order of the fencing step, against a fake coordinator)', () => {
  let port: FakePort;
  let local: RecordingLedger;
  let ledger: FencedLedger;
  let lines: Record<string, unknown>[];
  beforeEach(() => {
    port = new FakePort();
    local = new RecordingLedger();
    const cap = captureLogger();
    lines = cap.lines;
    ledger = new FencedLedger(port, local, 60_000, cap.logger);
  });

  it('fenced, still leading: the local journal writes the intent; the answer settles with the kill log entry', async () => {
    const i = intentFor(['/a']);
    await ledger.recordIntent(i);
    assert.deepEqual(local.intents, [i]);
    const answer: KillAnswer = { cycleId: i.cycleId, time: i.time, outcome: 'answered', killedAppIds: ['/a'] };
    await ledger.recordAnswer(answer);
    assert.deepEqual(local.answers, [answer]);
    assert.deepEqual(port.settled, [[answer, fenced(i)]]);
    assert.deepEqual(port.withdrawn, []);
  });

  it('a step that times out is E_ZK_FENCED at the timeout, sends nothing more, and is withdrawn if it lands later', async () => {
    let land!: () => void;
    port.step = (i) => new Promise((resolve) => (land = () => resolve(fenced(i))));
    const i = intentFor(['/a']);
    const t = Date.now();
    await assert.rejects(ledger.recordIntent(i), code('E_ZK_FENCED'));
    assert.ok(Date.now() - t < 500);
    assert.equal(port.signals[0]?.aborted, true, 'the step is told to give up');
    assert.deepEqual(port.withdrawn, []);
    land();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(port.withdrawn, [[i.cycleId, `/m/kills/k_${i.cycleId}`]]);
    assert.equal(local.intents.length, 0);
  });

  it('ZooKeeper unreachable mid-step is E_ZK_FENCED; a veto and a corrupt state keep their codes; never the local journal', async () => {
    const table: [Error, string][] = [
      [new ZkError('E_ZK_UNAVAILABLE', 'ZooKeeper multi fence failed: CONNECTION_LOSS', { zkCode: -4 }), 'E_ZK_FENCED'],
      [new SharedVetoError('the shared state says chaos is paused since S'), 'E_KILL_VETOED'],
      [new ZkError('E_ZK_STATE', 'cannot be read'), 'E_ZK_STATE'],
    ];
    for (const [err, expected] of table) {
      port.step = () => Promise.reject(err);
      await assert.rejects(ledger.recordIntent(intentFor(['/a'])), code(expected));
    }
    assert.equal(local.intents.length, 0);
  });

  it('deposed right after the transaction: E_ZK_FENCED, the intent withdrawn, the local journal untouched', async () => {
    const i = intentFor(['/a']);
    port.step = (x) => {
      port.leader = false;
      return Promise.resolve(fenced(x));
    };
    await assert.rejects(ledger.recordIntent(i), code('E_ZK_FENCED'));
    assert.deepEqual(port.withdrawn, [[i.cycleId, `/m/kills/k_${i.cycleId}`]]);
    assert.equal(local.intents.length, 0);
  });

  it('a local journal that fails: its error, and the shared intent withdrawn', async () => {
    local.failIntent = new Error('EIO');
    const i = intentFor(['/a']);
    await assert.rejects(ledger.recordIntent(i), /EIO/);
    assert.deepEqual(port.withdrawn, [[i.cycleId, `/m/kills/k_${i.cycleId}`]]);
  });

  it('an answer ZooKeeper does not take is logged, never thrown (the kill happened; the intent keeps counting)', async () => {
    const i = intentFor(['/a']);
    await ledger.recordIntent(i);
    port.settle = () => Promise.reject(new ZkError('E_ZK_UNAVAILABLE', 'down'));
    await ledger.recordAnswer({ cycleId: i.cycleId, time: i.time, outcome: 'uncertain' });
    assert.equal(local.answers.length, 1);
    assert.ok(lines.some((l) => /could not be written to the shared state/.test(String(l.msg))));
  });

  it('an answer the local journal refuses still reaches the shared state, and the journal’s error is thrown', async () => {
    const i = intentFor(['/a']);
    await ledger.recordIntent(i);
    local.recordAnswer = () => Promise.reject(new Error('ENOSPC'));
    await assert.rejects(ledger.recordAnswer({ cycleId: i.cycleId, time: i.time, outcome: 'answered', killedAppIds: ['/a'] }), /ENOSPC/);
    assert.equal(port.settled.length, 1);
  });
});
