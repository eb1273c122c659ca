import type { Logger } from 'pino';
import { KILL_REFUSED_CODES, type KillAnswer, type TaskKiller } from '../../domain/ports.js';
import { REASONS } from '../../domain/reasons.js';
import type { CycleRecord, Victim } from '../../domain/record.js';
import { safeError } from '../recovery.js';
import type { CycleContext, CycleDeps, SentKill } from './context.js';
import { LOG } from './log.js';
import { failed, skipped, type Ending } from './ending.js';

/** Kill errors after which Marathon certainly killed nothing: refused, never sent, or no leader. */
const NOTHING_KILLED = new Set(['E_KILL_REJECTED', 'E_MARATHON_UNREACHABLE', 'E_MARATHON_NO_LEADER', 'E_MARATHON_AUTH']);

const WITHDRAWN_AFTER_PLANNING = 'the daemon withdrew permission to kill (shutdown or pause) after planning';
const WITHDRAWN_DURING_INTENT = 'the daemon withdrew permission to kill (shutdown or pause) while the intent was written';

type Identity = Pick<CycleRecord, 'cycleId' | 'scheduledAt' | 'seed' | 'cycleSeed' | 'strategy'>;

/** Marathon's 200 to the kill request. */
export interface MarathonAnswer {
  at: number;
  matched: string[];
  unmatched: string[];
  /** The tasks Marathon says it killed (it may name an instance's current task under another id). */
  tasks: Awaited<ReturnType<TaskKiller['killTasks']>>['killed'];
}

/** What became of the kill request: Marathon's 200, or how the cycle ended without one. */
export type Killed = { ms: number } & (
  | {
      status: 'answered';
      /** When Marathon answered (ISO): the victims' lastKillAt. */
      killedAt: string;
      answer: MarathonAnswer;
    }
  | {
      status: 'withdrawn' | 'rejected' | 'uncertain';
      /** Set for `uncertain`: the request may have reached Marathon, so it counts as a kill from here. */
      killedAt: string | null;
      ending: Ending;
    }
);

/** Asked before the intent is written: a pause or shutdown may have begun while the cycle planned. */
export function permissionWithdrawn(ctx: CycleContext, log: Logger): Ending | undefined {
  if (!ctx.mayKill || ctx.mayKill()) return undefined;
  return skipped(log, REASONS.killVetoed, WITHDRAWN_AFTER_PLANNING, LOG.killVetoed);
}

/** Write ahead: the intent is durable (and still allowed by the journal) before the request leaves. */
export async function writeIntent(deps: CycleDeps, cycle: Identity, victims: readonly Victim[], log: Logger): Promise<Ending | undefined> {
  try {
    await deps.ledger.recordIntent({
      cycleId: cycle.cycleId,
      time: new Date(deps.clock.now()).toISOString(),
      scheduledAt: cycle.scheduledAt,
      seed: cycle.seed,
      cycleSeed: cycle.cycleSeed,
      strategy: cycle.strategy,
      victims: [...victims],
      taskIds: victims.map((v) => v.taskId),
    });
    return undefined;
  } catch (err) {
    if (KILL_REFUSED_CODES.has(String((err as { code?: unknown }).code))) return skipped(log, REASONS.killVetoed, (err as Error).message, LOG.intentVetoed);
    return failed(log, 'journal', err, LOG.intentFailed);
  }
}

/**
 * With the intent on disk: asks permission once more, then sends one kill request for every
 * victim (never retried blindly) and journals Marathon's answer, whatever it is. `beforeSend` runs
 * right before the request leaves (the service probes start there).
 */
export async function kill(deps: CycleDeps, ctx: CycleContext, cycleId: string, victims: readonly Victim[], log: Logger, beforeSend?: () => void): Promise<Killed> {
  const answer = (a: Omit<KillAnswer, 'cycleId' | 'time'>) => journalAnswer(deps, cycleId, a, log);
  if (ctx.mayKill && !ctx.mayKill()) {
    await answer({ outcome: 'withdrawn' });
    return { status: 'withdrawn', ms: 0, killedAt: null, ending: skipped(log, REASONS.killVetoed, WITHDRAWN_DURING_INTENT, LOG.killWithdrawn) };
  }

  log.warn({ victims }, LOG.killing);
  const ids = victims.map((v) => v.taskId);
  const { clock } = deps;
  // The service probes start now, so their first round sees the service as it was before the kill.
  beforeSend?.();
  const t = clock.now();
  let killed: Awaited<ReturnType<TaskKiller['killTasks']>>;
  try {
    killed = await deps.killer.killTasks(ids);
  } catch (err) {
    const at = clock.now();
    if (NOTHING_KILLED.has(safeError(err).code)) {
      await answer({ outcome: 'rejected', error: safeError(err) });
      return { status: 'rejected', ms: at - t, killedAt: null, ending: failed(log, 'kill', err, LOG.killRejected) };
    }
    // The request may have reached Marathon: it counts as a kill for the min-kill-interval.
    await answer({ outcome: 'uncertain', error: safeError(err) });
    announce(ctx, { cycleId, time: new Date(at).toISOString(), outcome: 'uncertain', victims });
    return { status: 'uncertain', ms: at - t, killedAt: new Date(at).toISOString(), ending: failed(log, 'kill', err, LOG.killFailed) };
  }

  const at = clock.now();
  const unmatchedIds = new Set(killed.unmatched);
  const matched = ids.filter((id) => !unmatchedIds.has(id));
  const unmatched = ids.filter((id) => unmatchedIds.has(id));
  const matchedIds = new Set(matched);
  await answer({
    outcome: 'answered',
    killedAppIds: [...new Set(victims.filter((v) => matchedIds.has(v.taskId)).map((v) => v.appId))],
    matched,
    unmatched,
  });
  if (unmatchedIds.size > 0) log.warn({ unmatched }, LOG.unmatched);
  if (matched.length > 0) announce(ctx, { cycleId, time: new Date(at).toISOString(), outcome: 'answered', victims: victims.filter((v) => matchedIds.has(v.taskId)) });
  return { status: 'answered', ms: at - t, killedAt: new Date(at).toISOString(), answer: { at, matched, unmatched, tasks: killed.killed } };
}

/** Tells the caller of a sent kill; its failure must never touch the cycle. */
function announce(ctx: CycleContext, kill: SentKill): void {
  try {
    ctx.onKillSent?.(kill);
  } catch {
    // A listener's bug (a notification) is not the cycle's: the kill is journaled either way.
  }
}

async function journalAnswer(deps: CycleDeps, cycleId: string, a: Omit<KillAnswer, 'cycleId' | 'time'>, log: Logger): Promise<void> {
  try {
    await deps.ledger.recordAnswer({ cycleId, time: new Date(deps.clock.now()).toISOString(), ...a });
  } catch (err) {
    log.error({ err: safeError(err) }, LOG.answerNotJournaled);
  }
}
