/**
 * How kill intents, their answers and finished cycles change what the monkey remembers: last kill
 * per app, quarantines, halt. One fold for both memories: the journal's (src/journal/state.ts,
 * rebuilt from one instance's file) and the shared state in ZooKeeper (src/zk/shared.ts), so a
 * failover never changes what a record means.
 */
import type { HaltState, QuarantineEntry } from './memory.js';
import type { KillAnswer } from './ports.js';
import type { CycleRecord } from './record.js';

/** An intent whose answer is not folded in yet. */
export interface PendingIntent {
  at: number;
  /** lastKillAt of each victim app before the intent, to restore when nothing was killed. */
  prev: Map<string, number | undefined>;
}

/** The part of a memory the fold changes (mutated in place). */
export interface FoldableMemory {
  readonly lastKillAt: Map<string, number>;
  readonly quarantined: Map<string, QuarantineEntry>;
  halted: HaltState | null;
  readonly pendingIntents: Map<string, PendingIntent>;
}

/** An intent is recorded: each victim's app counts as killed from its time (write-ahead). */
export function foldIntent(m: FoldableMemory, intent: { cycleId: string; time: string; victims: readonly { appId: string }[] }): void {
  const at = Date.parse(intent.time);
  const prev = new Map<string, number | undefined>();
  for (const v of intent.victims) {
    if (prev.has(v.appId)) continue;
    const before = m.lastKillAt.get(v.appId);
    prev.set(v.appId, before);
    if (before === undefined || before < at) m.lastKillAt.set(v.appId, at);
  }
  m.pendingIntents.set(intent.cycleId, { at, prev });
}

/**
 * Ends an intent. `killed` = the apps that were killed (their intent stands); every other victim
 * app gets back the lastKillAt it had, unless a later kill moved it since. null = keep all (the
 * outcome is unknown, so the intent counts).
 */
export function settleIntent(m: FoldableMemory, cycleId: string, killed: ReadonlySet<string> | null): void {
  const pending = m.pendingIntents.get(cycleId);
  if (!pending) return;
  m.pendingIntents.delete(cycleId);
  if (killed === null) return;
  for (const [appId, before] of pending.prev) {
    if (killed.has(appId) || m.lastKillAt.get(appId) !== pending.at) continue;
    if (before === undefined) m.lastKillAt.delete(appId);
    else m.lastKillAt.set(appId, before);
  }
}

/** An answer: `answered` keeps the apps Marathon killed, `uncertain` keeps all, rejected and withdrawn restore. */
export function foldAnswer(m: FoldableMemory, answer: Pick<KillAnswer, 'cycleId' | 'outcome' | 'killedAppIds'>): void {
  if (answer.outcome === 'rejected' || answer.outcome === 'withdrawn') settleIntent(m, answer.cycleId, new Set());
  else if (answer.outcome === 'answered') settleIntent(m, answer.cycleId, new Set(answer.killedAppIds ?? []));
  else settleIntent(m, answer.cycleId, null);
}

/**
 * A finished cycle: lifted quarantines go, an intent whose answer was lost is settled from the
 * record's killStatus, the victims' apps of a kill count from killedAt, weaknesses quarantine their
 * apps, and a halting record halts. Tolerates records of older versions (missing fields).
 */
export function foldCycle(m: FoldableMemory, r: CycleRecord): void {
  for (const q of Array.isArray(r.quarantineLifted) ? r.quarantineLifted : []) m.quarantined.delete(q.appId);
  // The cycle record settles an intent whose answer record was lost (its append failed).
  if (m.pendingIntents.has(r.cycleId)) {
    if (r.killStatus === 'rejected' || r.killStatus === 'withdrawn') settleIntent(m, r.cycleId, new Set());
    else if (r.killStatus === 'answered' && r.killResponse) {
      const matched = new Set(r.killResponse.matched);
      settleIntent(m, r.cycleId, new Set(r.victims.filter((v) => matched.has(v.taskId)).map((v) => v.appId)));
    } else if (r.killStatus !== undefined) settleIntent(m, r.cycleId, null);
  }
  const killedAt = typeof r.killedAt === 'string' ? Date.parse(r.killedAt) : NaN;
  // E_KILL_REJECTED: journals written before kill-answer records existed gave a rejected kill a killedAt too.
  const rejected = r.error?.code === 'E_KILL_REJECTED' || r.killStatus === 'rejected' || r.killStatus === 'withdrawn';
  if (!Number.isNaN(killedAt) && !rejected && Array.isArray(r.victims)) {
    // Without an answer (kill error) the kill may have happened: count every victim's app.
    const matched = r.killResponse ? new Set(r.killResponse.matched) : null;
    for (const v of r.victims) {
      if (matched && !matched.has(v.taskId)) continue;
      const prev = m.lastKillAt.get(v.appId);
      if (prev === undefined || prev < killedAt) m.lastKillAt.set(v.appId, killedAt);
    }
  }
  for (const w of Array.isArray(r.weaknesses) ? r.weaknesses : []) {
    m.quarantined.set(w.appId, { cycleId: r.cycleId, since: r.killedAt ?? r.time, detail: w.detail });
  }
  if (r.halted === true) {
    const apps = (r.weaknesses ?? []).map((w) => w.appId).join(', ');
    m.halted = { since: r.time, reason: `weakness found in ${apps || 'an app'}`, cycleId: r.cycleId };
  }
}
