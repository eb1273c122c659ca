import type { Logger } from 'pino';
import type { KillAnswer, KillIntent, KillLedger } from '../domain/ports.js';
import { ZkFencedError, ZkTimeoutError } from './errors.js';

/** A kill-log entry, <root>/kills/k_NNNNNNNNNN (JSON); the answer is added when it comes. */
export interface KillLogEntry {
  cycleId: string;
  time: string;
  appIds: string[];
  taskIds: string[];
  /** The identity of the leader that recorded it. */
  by: string;
  outcome?: KillAnswer['outcome'];
  answeredAt?: string;
  killedAppIds?: string[];
}

/** What the fenced ledger needs of the coordinator (ZkCoordinator implements it). */
export interface FencePort {
  isLeader(): boolean;
  fencingTimeoutMs(): number;
  /** Sends nothing more once `signal` is aborted (the step timed out). */
  fenceIntent(intent: KillIntent, minKillIntervalMs: number, signal?: AbortSignal): Promise<{ killPath: string; entry: KillLogEntry }>;
  settleAnswer(answer: KillAnswer, kill: { killPath: string; entry: KillLogEntry } | undefined): Promise<void>;
  withdrawLater(cycleId: string, killPath: string | undefined): void;
  bounded<T>(p: Promise<T>, what: string, ms?: number): Promise<T>;
}

export const FENCE_LOG = {
  answerNotShared: 'the kill answer could not be written to the shared state: its intent keeps counting as a kill there',
  localFailed: 'the local journal refused the intent after the fencing transaction: withdrawing it from the shared state',
} as const;

/**
 * The leader's kill ledger (issue 12, fencing). recordIntent resolves only when, in this order:
 * the session is connected and we lead; the shared state allows the kill (same rules as the
 * journal: src/domain/veto.ts); ONE ZooKeeper multi checked that our election node still exists,
 * wrote the intent into <root>/state (version-checked) and appended it to the kill log; we still
 * lead; and the local journal (`local`, the audit log) wrote its own intent. Any failure throws
 * and nothing is killed: E_KILL_VETOED when the shared state forbids it, E_ZK_FENCED when we are
 * not (or no longer) the leader, the session dropped or the step took longer than
 * min(session timeout, 5 s). A fenced intent that the kill will not follow is withdrawn from the
 * shared state in the background.
 */
export class FencedLedger implements KillLedger {
  /** The kill log entry of each intent not answered yet, by cycle id. */
  private readonly inFlight = new Map<string, { killPath: string; entry: KillLogEntry }>();

  constructor(
    private readonly zk: FencePort,
    private readonly local: KillLedger,
    private readonly minKillIntervalMs: number,
    private readonly log: Logger,
  ) {}

  async recordIntent(intent: KillIntent): Promise<void> {
    const ms = this.zk.fencingTimeoutMs();
    let timedOut = false;
    const abort = new AbortController();
    const step = this.zk.fenceIntent(intent, this.minKillIntervalMs, abort.signal);
    let fenced: { killPath: string; entry: KillLogEntry };
    try {
      fenced = await this.zk.bounded(step, 'fence the kill', ms);
    } catch (err) {
      if (err instanceof ZkTimeoutError) {
        timedOut = true;
        abort.abort();
        // If the multi lands after all, the kill was still never sent: withdraw it then.
        step.then((f) => this.zk.withdrawLater(intent.cycleId, f.killPath)).catch(() => undefined);
        throw new ZkFencedError(`the fencing transaction did not complete within ${ms} ms: no kill`, err);
      }
      // ZooKeeper unreachable mid-step (connection lost, session expired): the kill cannot be fenced.
      if ((err as { code?: unknown }).code === 'E_ZK_UNAVAILABLE') throw new ZkFencedError(`the kill could not be fenced: ${(err as Error).message}`, err);
      throw err;
    } finally {
      if (!timedOut) step.catch(() => undefined);
    }
    if (!this.zk.isLeader()) {
      this.zk.withdrawLater(intent.cycleId, fenced.killPath);
      throw new ZkFencedError('deposed right after the fencing transaction: no kill');
    }
    try {
      await this.local.recordIntent(intent);
    } catch (err) {
      this.log.warn({ err, cycleId: intent.cycleId }, FENCE_LOG.localFailed);
      this.zk.withdrawLater(intent.cycleId, fenced.killPath);
      throw err;
    }
    this.inFlight.set(intent.cycleId, fenced);
  }

  async recordAnswer(answer: KillAnswer): Promise<void> {
    const kill = this.inFlight.get(answer.cycleId);
    this.inFlight.delete(answer.cycleId);
    try {
      await this.local.recordAnswer(answer);
    } finally {
      try {
        await this.zk.settleAnswer(answer, kill);
      } catch (err) {
        // After the kill: log, never throw (the pending intent keeps counting as a kill, the safe side).
        this.log.error({ err, cycleId: answer.cycleId }, FENCE_LOG.answerNotShared);
      }
    }
  }
}
