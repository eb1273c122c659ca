import type { KillAnswer, KillIntent } from '../domain/ports.js';
import type { ChaosMemory, HaltState, QuarantineEntry } from '../domain/memory.js';
import { foldAnswer, foldCycle, foldIntent, type FoldableMemory, type PendingIntent } from '../domain/memory-fold.js';
import type { CycleRecord } from '../domain/record.js';
import { streamJournal, type ReadOptions } from './journal.js';

/**
 * Control records the daemon may journal next to cycle records. A `resume` clears a halt and a
 * pause; its optional `unquarantine` lists apps an operator vouches for (otherwise a quarantine is
 * lifted only by a cycle that sees the app in steady state again, or no longer sees the app).
 */
export interface HaltRecord {
  type: 'halt';
  time: string;
  reason: string;
}
export interface PauseRecord {
  type: 'pause';
  time: string;
  reason?: string;
}
export interface ResumeRecord {
  type: 'resume';
  time: string;
  unquarantine?: string[];
}

/**
 * Written and synced before a kill request leaves (write-ahead): if the process dies after this,
 * a restart still counts the kill. Enough to replay the decision: seed, instant, victims.
 */
export type KillIntentRecord = { type: 'kill-intent' } & Omit<KillIntent, 'victims'> & {
  /** The victims as journaled: enough to say which app, task, host and rack each kill hit. */
  victims: { appId: string; taskId: string; host?: string; rack?: string }[];
};

/**
 * What became of an intent (see KillAnswer). Only `answered` (for the apps in killedAppIds) and
 * `uncertain` are kills; `rejected` and `withdrawn` give the apps back their earlier last kill.
 */
export type KillAnswerRecord = { type: 'kill-answer' } & KillAnswer;

/** What the journal tells a (re)starting daemon: the cycle's memory plus status facts. */
export interface JournalState extends ChaosMemory, FoldableMemory {
  readonly lastKillAt: Map<string, number>;
  readonly quarantined: Map<string, QuarantineEntry>;
  halted: HaltState | null;
  paused: { since: string; reason?: string } | null;
  lastCycle: { cycleId: string; time: string; outcome: string } | null;
  /** Intents whose answer is not folded in yet, by cycle id. */
  readonly pendingIntents: Map<string, PendingIntent>;
  /** Records folded in (all types). */
  records: number;
  /** The instant the state was built for. */
  asOf: string | null;
}

export function emptyJournalState(): JournalState {
  return { lastKillAt: new Map(), quarantined: new Map(), halted: null, paused: null, lastCycle: null, pendingIntents: new Map(), records: 0, asOf: null };
}

/** Replaces `target`'s contents with `source`'s, keeping the object (the cycle holds it). */
export function replaceJournalState(target: JournalState, source: JournalState): void {
  for (const key of ['lastKillAt', 'quarantined', 'pendingIntents'] as const) {
    const map = target[key] as Map<string, unknown>;
    map.clear();
    for (const [k, v] of source[key] as Map<string, unknown>) map.set(k, v);
  }
  target.halted = source.halted;
  target.paused = source.paused;
  target.lastCycle = source.lastCycle;
  target.records = source.records;
  target.asOf = source.asOf;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * Folds one record into the state (mutates and returns it). The daemon calls it after appending
 * each record, so its in-memory state always equals what a restart would rebuild from the file.
 */
export function applyRecord<T extends { type: string }>(state: JournalState, record: T): JournalState {
  state.records++;
  switch (record.type) {
    case 'cycle':
      applyCycle(state, record as unknown as CycleRecord);
      break;
    case 'kill-intent':
      foldIntent(state, record as unknown as KillIntentRecord);
      break;
    case 'kill-answer':
      foldAnswer(state, record as unknown as KillAnswerRecord);
      break;
    case 'halt': {
      const r = record as unknown as Partial<HaltRecord>;
      state.halted = { since: str(r.time) ?? '', reason: str(r.reason) ?? 'halted by operator' };
      break;
    }
    case 'pause': {
      const r = record as unknown as Partial<PauseRecord>;
      const reason = str(r.reason);
      state.paused = { since: str(r.time) ?? '', ...(reason === undefined ? {} : { reason }) };
      break;
    }
    case 'resume': {
      state.halted = null;
      state.paused = null;
      const un = (record as unknown as Partial<ResumeRecord>).unquarantine;
      if (Array.isArray(un)) for (const id of un) if (typeof id === 'string') state.quarantined.delete(id);
      break;
    }
    default:
      // Unknown types come from newer versions or other tools: ignore rather than fail a start-up.
      break;
  }
  return state;
}

function applyCycle(state: JournalState, r: CycleRecord): void {
  if (typeof r.cycleId === 'string' && typeof r.time === 'string') {
    state.lastCycle = { cycleId: r.cycleId, time: r.time, outcome: String(r.outcome) };
  }
  foldCycle(state, r);
}

/** The state after the given records, in order. */
export function journalState<T extends { type: string }>(records: Iterable<T>, now?: Date): JournalState {
  const state = emptyJournalState();
  for (const r of records) applyRecord(state, r);
  state.asOf = now ? now.toISOString() : null;
  return state;
}

/** Streams the file and folds it: memory stays bounded by the number of apps, not of records. */
export async function loadJournalState(path: string, now?: Date, options: ReadOptions = {}): Promise<JournalState> {
  const state = emptyJournalState();
  for await (const r of streamJournal(path, options)) applyRecord(state, r);
  state.asOf = now ? now.toISOString() : null;
  return state;
}
