import type { ChaosMemory, HaltState, QuarantineEntry } from '../chaos/memory.js';
import type { CycleRecord } from '../chaos/record.js';
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

/** What the journal tells a (re)starting daemon: the cycle's memory plus status facts. */
export interface JournalState extends ChaosMemory {
  readonly lastKillAt: Map<string, number>;
  readonly quarantined: Map<string, QuarantineEntry>;
  halted: HaltState | null;
  paused: { since: string; reason?: string } | null;
  lastCycle: { cycleId: string; time: string; outcome: string } | null;
  /** Records folded in (all types). */
  records: number;
  /** The instant the state was built for. */
  asOf: string | null;
}

export function emptyJournalState(): JournalState {
  return { lastKillAt: new Map(), quarantined: new Map(), halted: null, paused: null, lastCycle: null, records: 0, asOf: null };
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
  for (const q of Array.isArray(r.quarantineLifted) ? r.quarantineLifted : []) state.quarantined.delete(q.appId);
  const killedAt = typeof r.killedAt === 'string' ? Date.parse(r.killedAt) : NaN;
  if (!Number.isNaN(killedAt) && Array.isArray(r.victims)) {
    // Without an answer (kill error) the kill may have happened: count every victim's app.
    const matched = r.killResponse ? new Set(r.killResponse.matched) : null;
    for (const v of r.victims) {
      if (matched && !matched.has(v.taskId)) continue;
      const prev = state.lastKillAt.get(v.appId);
      if (prev === undefined || prev < killedAt) state.lastKillAt.set(v.appId, killedAt);
    }
  }
  for (const w of Array.isArray(r.weaknesses) ? r.weaknesses : []) {
    state.quarantined.set(w.appId, { cycleId: r.cycleId, since: r.killedAt ?? r.time, detail: w.detail });
  }
  if (r.halted === true) {
    const apps = (r.weaknesses ?? []).map((w) => w.appId).join(', ');
    state.halted = { since: r.time, reason: `weakness found in ${apps || 'an app'}`, cycleId: r.cycleId };
  }
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
