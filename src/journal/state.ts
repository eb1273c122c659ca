import type { KillAnswer, KillIntent } from '../domain/ports.js';
import type { ChaosMemory, HaltState, QuarantineEntry } from '../domain/memory.js';
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

interface PendingIntent {
  at: number;
  /** lastKillAt of each victim app before the intent, to restore when nothing was killed. */
  prev: Map<string, number | undefined>;
}

/** What the journal tells a (re)starting daemon: the cycle's memory plus status facts. */
export interface JournalState extends ChaosMemory {
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
      applyIntent(state, record as unknown as KillIntentRecord);
      break;
    case 'kill-answer': {
      const r = record as unknown as KillAnswerRecord;
      if (r.outcome === 'rejected' || r.outcome === 'withdrawn') settleIntent(state, r.cycleId, new Set());
      else if (r.outcome === 'answered') settleIntent(state, r.cycleId, new Set(r.killedAppIds ?? []));
      else settleIntent(state, r.cycleId, null);
      break;
    }
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

function applyIntent(state: JournalState, r: KillIntentRecord): void {
  const at = Date.parse(r.time);
  const prev = new Map<string, number | undefined>();
  for (const v of r.victims) {
    if (prev.has(v.appId)) continue;
    const before = state.lastKillAt.get(v.appId);
    prev.set(v.appId, before);
    if (before === undefined || before < at) state.lastKillAt.set(v.appId, at);
  }
  state.pendingIntents.set(r.cycleId, { at, prev });
}

/**
 * Ends an intent. `killed` = the apps that were killed (their intent stands); every other victim
 * app gets back the lastKillAt it had, unless a later kill moved it since. null = keep all (the
 * outcome is unknown, so the intent counts).
 */
function settleIntent(state: JournalState, cycleId: string, killed: ReadonlySet<string> | null): void {
  const pending = state.pendingIntents.get(cycleId);
  if (!pending) return;
  state.pendingIntents.delete(cycleId);
  if (killed === null) return;
  for (const [appId, before] of pending.prev) {
    if (killed.has(appId) || state.lastKillAt.get(appId) !== pending.at) continue;
    if (before === undefined) state.lastKillAt.delete(appId);
    else state.lastKillAt.set(appId, before);
  }
}

function applyCycle(state: JournalState, r: CycleRecord): void {
  if (typeof r.cycleId === 'string' && typeof r.time === 'string') {
    state.lastCycle = { cycleId: r.cycleId, time: r.time, outcome: String(r.outcome) };
  }
  for (const q of Array.isArray(r.quarantineLifted) ? r.quarantineLifted : []) state.quarantined.delete(q.appId);
  // The cycle record settles an intent whose answer record was lost (its append failed).
  if (state.pendingIntents.has(r.cycleId)) {
    if (r.killStatus === 'rejected' || r.killStatus === 'withdrawn') settleIntent(state, r.cycleId, new Set());
    else if (r.killStatus === 'answered' && r.killResponse) {
      const matched = new Set(r.killResponse.matched);
      settleIntent(state, r.cycleId, new Set(r.victims.filter((v) => matched.has(v.taskId)).map((v) => v.appId)));
    } else if (r.killStatus !== undefined) settleIntent(state, r.cycleId, null);
  }
  const killedAt = typeof r.killedAt === 'string' ? Date.parse(r.killedAt) : NaN;
  // Journals written before kill-answer records existed: a rejected kill carried killedAt too.
  const rejected = r.error?.code === 'E_KILL_REJECTED';
  if (!Number.isNaN(killedAt) && !rejected && Array.isArray(r.victims)) {
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
