/**
 * Journals for the report tests, built with the code that builds real records: the cycle's
 * baseRecord / recordSkips / skippedCycleRecord, and the journal's kill-intent and kill-answer types.
 */
import { baseRecord, killRequestFor, recordSkips, skippedCycleRecord } from '../../src/chaos/record.js';
import { REASONS, type Skip } from '../../src/domain/reasons.js';
import type { AfterKill, CycleRecord, Victim } from '../../src/domain/record.js';
import type { JournalRecord } from '../../src/journal/journal.js';
import type { KillAnswerRecord, KillIntentRecord, ResumeRecord } from '../../src/journal/state.js';

const SETTINGS = { seed: 'report', strategy: 'task', dryRun: false } as const;

export function victim(appId: string, n: number, extra: Partial<Victim> = {}): Victim {
  return { appId, taskId: `${appId.replace(/^\//, '').replace(/\//g, '_')}.instance-${n}`, host: `10.0.0.${n}`, agentId: `agent-${n}`, rack: `r${n % 2}`, zone: null, ...extra };
}

export function recovered(ttrMs: number): AfterKill {
  return { recovered: true, timeToRecoverMs: ttrMs, health: { instances: 3, tasksRunning: 3, tasksHealthy: 3, tasksUnhealthy: 0 }, timeoutMs: 300_000, polls: 3 };
}

export function notRecovered(): AfterKill {
  return { recovered: false, timeToRecoverMs: null, health: { instances: 3, tasksRunning: 2, tasksHealthy: 2, tasksUnhealthy: 0 }, timeoutMs: 300_000, polls: 10, lastProblem: 'tasksHealthy 2 < instances 3' };
}

function record(at: string, cycleId?: string): CycleRecord {
  return baseRecord(SETTINGS, new Date(at), Date.parse(at), cycleId === undefined ? {} : { cycleId });
}

/** A live cycle that killed `victims` (Marathon answered) and watched their apps. */
export function killCycle(at: string, victims: Victim[], after: Record<string, AfterKill>, o: { cycleId?: string; unmatched?: string[] } = {}): CycleRecord {
  const r = record(at, o.cycleId);
  const unmatched = o.unmatched ?? [];
  r.victims = victims;
  r.killRequest = killRequestFor(victims.map((v) => v.taskId));
  r.killResponse = { matched: victims.map((v) => v.taskId).filter((t) => !unmatched.includes(t)), unmatched };
  r.killStatus = 'answered';
  r.killedAt = new Date(Date.parse(at) + 200).toISOString();
  r.after = after;
  r.counts.victims = victims.length;
  r.counts.killed = victims.length - unmatched.length;
  const weak = Object.entries(after).filter(([, a]) => !a.recovered && a.aborted !== true && a.gone !== true);
  r.weaknesses = weak.map(([appId]) => ({ appId, reason: REASONS.notRecovered, detail: 'not healthy again within 300s' }));
  r.outcome = r.weaknesses.length > 0 ? 'weakness' : 'killed';
  return r;
}

/** A dry-run cycle that would have killed `victims`. */
export function dryRunCycle(at: string, victims: Victim[]): CycleRecord {
  const r = baseRecord({ ...SETTINGS, dryRun: true }, new Date(at), Date.parse(at));
  r.victims = victims;
  r.killRequest = killRequestFor(victims.map((v) => v.taskId));
  r.outcome = 'dry-run';
  return r;
}

/** A cycle that killed nothing, with the skips it counted. */
export function quietCycle(at: string, skips: Skip[], lifted: CycleRecord['quarantineLifted'] = []): CycleRecord {
  const r = record(at);
  recordSkips(r, skips);
  r.quarantineLifted = lifted;
  return r;
}

export function gatedCycle(at: string, reason: string): CycleRecord {
  return skippedCycleRecord(reason, `gate said ${reason}`, { settings: SETTINGS, scheduledAt: new Date(at), now: Date.parse(at) });
}

export function intent(cycleId: string, at: string, victims: Victim[]): KillIntentRecord {
  return {
    type: 'kill-intent',
    cycleId,
    time: at,
    scheduledAt: at,
    seed: 'report',
    cycleSeed: 'x',
    strategy: 'task',
    victims: victims.map((v) => ({ appId: v.appId, taskId: v.taskId, host: v.host, ...(v.rack === null ? {} : { rack: v.rack }) })),
    taskIds: victims.map((v) => v.taskId),
  };
}

export function answer(cycleId: string, at: string, outcome: KillAnswerRecord['outcome'], killedAppIds: string[] = []): KillAnswerRecord {
  return { type: 'kill-answer', cycleId, time: at, outcome, ...(outcome === 'answered' ? { killedAppIds } : {}) };
}

export function resume(at: string, unquarantine: string[]): ResumeRecord {
  return { type: 'resume', time: at, unquarantine };
}

export const skip = (appId: string, reason: Skip['reason']): Skip => ({ appId, reason, detail: reason });

/** Records as the journal reader yields them. */
export const asJournal = (records: { type: string }[]): JournalRecord[] => records;
