import type { Logger } from 'pino';
import type { KillAnswer, KillIntent, KillLedger } from '../domain/ports.js';
import { killVeto } from '../domain/veto.js';
import { MonkeyError } from '../errors.js';
import type { Journal } from './journal.js';
import { applyRecord, loadJournalState, replaceJournalState, type JournalState, type KillAnswerRecord, type KillIntentRecord } from './state.js';

export const LEDGER_LOG = {
  reloaded: 'the journal changed behind our back (another writer?); state re-read before the kill',
} as const;

export class KillVetoedError extends MonkeyError {
  override readonly name = 'KillVetoedError';
  constructor(detail: string) {
    super('E_KILL_VETOED', detail, { hint: 'nothing was killed; the journal’s latest state forbids this kill' });
  }
}

/**
 * The kill ledger over the JSONL journal. Before each kill it reads the latest recorded state
 * (re-reading the file when somebody else appended to it) and refuses when that state forbids
 * the kill; then it appends the intent and syncs it. Its state object is the one the cycle's
 * guards read, so memory and file never disagree.
 */
export class JournalLedger implements KillLedger {
  constructor(
    private readonly journal: Journal,
    private readonly state: JournalState,
    private readonly o: { minKillIntervalMs: number; logger?: Logger | undefined },
  ) {}

  async recordIntent(intent: KillIntent): Promise<void> {
    if (await this.journal.changedBehindOurBack()) {
      this.o.logger?.warn({ journal: this.journal.path }, LEDGER_LOG.reloaded);
      replaceJournalState(this.state, await loadJournalState(this.journal.path, new Date(intent.time), this.o.logger ? { logger: this.o.logger } : {}));
      await this.journal.markRead();
    }
    const veto = killVeto(this.state, intent, this.o.minKillIntervalMs);
    if (veto !== undefined) throw new KillVetoedError(veto);
    const record: KillIntentRecord = {
      type: 'kill-intent',
      cycleId: intent.cycleId,
      time: intent.time,
      scheduledAt: intent.scheduledAt,
      seed: intent.seed,
      cycleSeed: intent.cycleSeed,
      strategy: intent.strategy,
      victims: intent.victims.map((v) => ({ appId: v.appId, taskId: v.taskId, host: v.host, ...(typeof v.rack === 'string' ? { rack: v.rack } : {}) })),
      taskIds: [...intent.taskIds],
    };
    await this.journal.append(record);
    applyRecord(this.state, record);
  }

  async recordAnswer(answer: KillAnswer): Promise<void> {
    const record: KillAnswerRecord = { type: 'kill-answer', ...answer };
    try {
      await this.journal.append(record);
    } finally {
      // This process knows the answer even when the disk does not; a restart then counts the intent.
      applyRecord(this.state, record);
    }
  }
}

