import type { Logger } from 'pino';
import type { KillAnswer, KillIntent, KillLedger } from '../domain/ports.js';
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
    const veto = this.veto(intent);
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

  private veto(intent: KillIntent): string | undefined {
    const s = this.state;
    if (s.halted) return `the journal says chaos is halted since ${s.halted.since}: ${s.halted.reason}`;
    if (s.paused) return `the journal says chaos is paused since ${s.paused.since}${s.paused.reason ? `: ${s.paused.reason}` : ''}`;
    const now = Date.parse(intent.time);
    for (const appId of new Set(intent.victims.map((v) => v.appId))) {
      if (s.quarantined.has(appId)) return `${appId} is quarantined in the journal`;
      const last = s.lastKillAt.get(appId);
      if (last !== undefined && now - last < this.o.minKillIntervalMs) {
        return `${appId} was killed at ${new Date(last).toISOString()}, within the minimum time between kills`;
      }
    }
    return undefined;
  }
}
