import type { Logger } from 'pino';
import type { Clock } from '../../platform/clock.js';
import { killRequestFor, recordSkips } from '../record.js';
import type { Decision } from './decide.js';
import type { Discovery } from './discover.js';
import type { Killed } from './kill.js';
import type { Rechecked } from './recheck.js';
import type { Verdict, Watched } from './watch.js';
import { LOG } from './log.js';
import type { Ending } from './ending.js';

export type { Ending } from './ending.js';
import type { CycleRecord, QuarantineLift } from '../../domain/record.js';

/**
 * What one cycle learnt, phase by phase. Phases return their results and never touch the record;
 * `assemble` alone turns the story into the CycleRecord.
 */
export interface Story {
  /** The identity fields (baseRecord); everything else is filled in by `assemble`. */
  readonly base: CycleRecord;
  readonly startedAt: number;
  readonly log: Logger;
  found?: Discovery;
  lifted?: QuarantineLift[];
  decision?: Decision;
  rechecked?: Rechecked;
  killed?: Killed;
  watched?: Watched;
  verdict?: Verdict;
}

/**
 * Whether the kill request still stands at the end: it is dropped when the cycle called the kill
 * off before it left (re-check failed, permission withdrawn, the journal refused the intent).
 */
function requestStands(ending: Ending): boolean {
  return ending.outcome !== 'skipped' && ending.error?.stage !== 'recheck' && ending.error?.stage !== 'journal';
}

/** The one place a CycleRecord is written: from the story so far and how the cycle ended. */
export function assemble(story: Story, ending: Ending, clock: Clock): CycleRecord {
  const { found, decision, rechecked, killed, watched, verdict } = story;
  const rec = story.base;
  const checked = rechecked !== undefined && 'kept' in rechecked ? rechecked : undefined;
  const victims = checked?.kept ?? decision?.victims ?? [];

  rec.outcome = ending.outcome;
  rec.counts.apps = found !== undefined && 'apps' in found ? found.apps.length : 0;
  if (decision) {
    rec.counts.eligible = decision.eligible;
    rec.counts.candidates = decision.candidateTasks;
    rec.target = decision.target;
  }
  recordSkips(rec, [...(decision?.skips ?? []), ...(checked?.dropped ?? [])]);
  rec.victims = victims;
  rec.counts.victims = victims.length;
  if (victims.length > 0 && requestStands(ending)) rec.killRequest = killRequestFor(victims.map((v) => v.taskId));
  rec.before = { ...decision?.before, ...checked?.before };
  rec.quarantineLifted = story.lifted ?? [];
  if (killed) {
    rec.killedAt = killed.killedAt;
    if ('answer' in killed) {
      rec.killResponse = { matched: killed.answer.matched, unmatched: killed.answer.unmatched };
      rec.counts.killed = killed.answer.matched.length;
      rec.counts.unmatched = killed.answer.unmatched.length;
    }
  }
  if (watched) rec.after = watched.after;
  if (verdict) rec.weaknesses = verdict.weaknesses;
  if (decision !== undefined && Object.keys(decision.probesBefore).length > 0) rec.probesBefore = decision.probesBefore;
  // Optional fields in a fixed order, so journal lines keep one shape.
  if (killed) rec.killStatus = killed.status;
  if (ending.error) rec.error = ending.error;
  if (verdict?.halted === true) rec.halted = true;
  if (ending.gate) rec.gate = ending.gate;

  rec.durationsMs = {
    list: found?.ms ?? 0,
    plan: decision?.ms ?? 0,
    recheck: rechecked?.ms ?? 0,
    kill: killed?.ms ?? 0,
    watch: watched?.ms ?? 0,
    total: clock.now() - story.startedAt,
  };
  story.log.info({ outcome: rec.outcome, counts: rec.counts, victims: rec.victims.length, halted: rec.halted ?? false }, LOG.done);
  return rec;
}
