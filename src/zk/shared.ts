import type { ChaosMemory, HaltState, QuarantineEntry } from '../domain/memory.js';
import { foldAnswer, foldCycle, foldIntent, settleIntent, type FoldableMemory } from '../domain/memory-fold.js';
import type { KillAnswer, KillIntent } from '../domain/ports.js';
import type { CycleRecord } from '../domain/record.js';
import { ZkError } from './errors.js';

/**
 * The znode <root>/state, as JSON: what every instance must remember between cycles and across
 * failovers. The same facts src/journal/state.ts folds from one instance's journal, written with
 * version checks so two writers never lose an update.
 */
export interface SharedState {
  /** Epoch ms of the last kill per app id (an intent counts from the moment it is recorded). */
  lastKillAt: Record<string, number>;
  quarantined: Record<string, { cycleId: string; since: string; detail: string }>;
  halted: { since: string; reason: string; cycleId?: string } | null;
  paused: { since: string; reason?: string; by?: string } | null;
  /** Intents not yet answered, by cycle id, with each app's previous lastKillAt (null = none) to restore on rejected/withdrawn. */
  pending: Record<string, { at: number; prev: Record<string, number | null> }>;
  /** Who wrote it last (instance id) and when, for /status. */
  updatedBy?: string;
  updatedAt?: string;
}

export function emptyShared(): SharedState {
  return { lastKillAt: {}, quarantined: {}, halted: null, paused: null, pending: {} };
}

/** A deep copy (the state is plain JSON). */
export function cloneShared(s: SharedState): SharedState {
  return structuredClone(s);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Reads the node's data. Empty data is the empty state (a node created bare); anything else must
 * be the shape above, or this throws E_ZK_STATE naming the first wrong field: a state we cannot
 * read must never be taken for "nothing remembered" (fail closed: nothing is killed on it).
 * Unknown top-level fields are kept out (written by a newer version; they are not ours to judge).
 */
export function parseShared(data: Buffer | string | null | undefined, node = '<root>/state'): SharedState {
  const text = data === null || data === undefined ? '' : typeof data === 'string' ? data : data.toString('utf8');
  if (text.trim() === '') return emptyShared();
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw corrupt(node, `is not JSON (${(err as Error).message})`);
  }
  if (!isObj(raw)) throw corrupt(node, 'is not a JSON object');
  const out = emptyShared();
  const field = (name: string): unknown => raw[name];

  const lk = field('lastKillAt') ?? {};
  if (!isObj(lk)) throw corrupt(node, 'lastKillAt is not an object');
  for (const [app, at] of Object.entries(lk)) {
    if (!isNum(at)) throw corrupt(node, `lastKillAt[${JSON.stringify(app)}] is not a number`);
    out.lastKillAt[app] = at;
  }

  const q = field('quarantined') ?? {};
  if (!isObj(q)) throw corrupt(node, 'quarantined is not an object');
  for (const [app, e] of Object.entries(q)) {
    if (!isObj(e) || !isStr(e.cycleId) || !isStr(e.since) || !isStr(e.detail)) throw corrupt(node, `quarantined[${JSON.stringify(app)}] lacks cycleId, since or detail`);
    out.quarantined[app] = { cycleId: e.cycleId, since: e.since, detail: e.detail };
  }

  const h = field('halted') ?? null;
  if (h !== null) {
    if (!isObj(h) || !isStr(h.since) || !isStr(h.reason) || (h.cycleId !== undefined && !isStr(h.cycleId))) throw corrupt(node, 'halted is neither null nor {since, reason, cycleId?}');
    out.halted = { since: h.since, reason: h.reason, ...(isStr(h.cycleId) ? { cycleId: h.cycleId } : {}) };
  }

  const p = field('paused') ?? null;
  if (p !== null) {
    if (!isObj(p) || !isStr(p.since) || (p.reason !== undefined && !isStr(p.reason)) || (p.by !== undefined && !isStr(p.by))) throw corrupt(node, 'paused is neither null nor {since, reason?, by?}');
    out.paused = { since: p.since, ...(isStr(p.reason) ? { reason: p.reason } : {}), ...(isStr(p.by) ? { by: p.by } : {}) };
  }

  const pend = field('pending') ?? {};
  if (!isObj(pend)) throw corrupt(node, 'pending is not an object');
  for (const [cycleId, e] of Object.entries(pend)) {
    if (!isObj(e) || !isNum(e.at) || !isObj(e.prev)) throw corrupt(node, `pending[${JSON.stringify(cycleId)}] lacks at or prev`);
    const prev: Record<string, number | null> = {};
    for (const [app, v] of Object.entries(e.prev)) {
      if (v !== null && !isNum(v)) throw corrupt(node, `pending[${JSON.stringify(cycleId)}].prev[${JSON.stringify(app)}] is neither null nor a number`);
      prev[app] = v;
    }
    out.pending[cycleId] = { at: e.at, prev };
  }

  if (raw.updatedBy !== undefined) {
    if (!isStr(raw.updatedBy)) throw corrupt(node, 'updatedBy is not a string');
    out.updatedBy = raw.updatedBy;
  }
  if (raw.updatedAt !== undefined) {
    if (!isStr(raw.updatedAt)) throw corrupt(node, 'updatedAt is not a string');
    out.updatedAt = raw.updatedAt;
  }
  return out;
}

function corrupt(node: string, what: string): ZkError {
  return new ZkError('E_ZK_STATE', `the shared state in ZooKeeper (${node}) cannot be read: ${what}`, {
    hint: `nothing is killed until it is fixed: repair the node's JSON, or delete it with zkCli (delete ${node}) to start from an empty state — the last kills, quarantines and halt it held are then forgotten`,
  });
}

export function serializeShared(s: SharedState): Buffer {
  return Buffer.from(JSON.stringify(s), 'utf8');
}

/** The chaos memory the cycle's guards read (Map-based, src/domain/memory.ts), plus the pause. */
export type SharedMemory = ChaosMemory & {
  readonly lastKillAt: Map<string, number>;
  readonly quarantined: Map<string, QuarantineEntry>;
  readonly halted: HaltState | null;
  readonly paused: { since: string; reason?: string; by?: string } | null;
};

export function sharedToMemory(s: SharedState): SharedMemory {
  return {
    lastKillAt: new Map(Object.entries(s.lastKillAt)),
    quarantined: new Map(Object.entries(s.quarantined).map(([k, v]) => [k, { ...v }])),
    halted: s.halted ? { ...s.halted } : null,
    paused: s.paused ? { ...s.paused } : null,
  };
}

/** The apps of an intent, once each, in order. */
export function intentApps(intent: Pick<KillIntent, 'victims'>): string[] {
  return [...new Set(intent.victims.map((v) => v.appId))];
}

/**
 * Runs the one fold of src/domain/memory-fold.ts (the journal's too) over a copy of the state:
 * what a record means is the same whichever memory holds it.
 */
function folded(state: SharedState, fold: (m: FoldableMemory) => void): SharedState {
  const m: FoldableMemory = {
    lastKillAt: new Map(Object.entries(state.lastKillAt)),
    quarantined: new Map(Object.entries(state.quarantined).map(([k, v]) => [k, { ...v }])),
    halted: state.halted ? { ...state.halted } : null,
    pendingIntents: new Map(Object.entries(state.pending).map(([id, p]) => [id, { at: p.at, prev: new Map(Object.entries(p.prev).map(([a, v]) => [a, v ?? undefined])) }])),
  };
  fold(m);
  return {
    ...cloneShared(state),
    lastKillAt: Object.fromEntries(m.lastKillAt),
    quarantined: Object.fromEntries(m.quarantined),
    halted: m.halted,
    pending: Object.fromEntries([...m.pendingIntents].map(([id, p]) => [id, { at: p.at, prev: Object.fromEntries([...p.prev].map(([a, v]) => [a, v ?? null])) }])),
  };
}

/** The state once this intent is recorded: each victim's app counts as killed at the intent's time, and pending remembers what it had. */
export function applyIntentToShared(state: SharedState, intent: Pick<KillIntent, 'cycleId' | 'time' | 'victims'>): SharedState {
  return folded(state, (m) => foldIntent(m, intent));
}

/**
 * Ends a pending intent (settleIntent): `killed` = the apps whose kill stands; null keeps all.
 * Returns the same object when nothing is pending.
 */
export function settleShared(state: SharedState, cycleId: string, killed: ReadonlySet<string> | null): SharedState {
  if (!state.pending[cycleId]) return state;
  return folded(state, (m) => settleIntent(m, cycleId, killed));
}

/** The state once an answer is in: answered keeps the killed apps, uncertain keeps all, rejected and withdrawn restore. */
export function applyAnswerToShared(state: SharedState, answer: Pick<KillAnswer, 'cycleId' | 'outcome' | 'killedAppIds'>): SharedState {
  return folded(state, (m) => foldAnswer(m, answer));
}

/** Folds a finished cycle's record in (foldCycle): lifted quarantines, a lost answer's intent, the kill, weaknesses, a halt. */
export function applyCycleToShared(state: SharedState, r: CycleRecord): SharedState {
  return folded(state, (m) => foldCycle(m, r));
}
