import { EMPTY_MEMORY } from '../domain/memory.js';
import { baseRecord, killRequestFor, tallySkips } from './record.js';
import type { ChaosSettings } from './settings.js';
import { decide } from './phases/decide.js';
import { discover, liftQuarantines, withoutLifted } from './phases/discover.js';
import { gate } from './phases/gate.js';
import { kill, permissionWithdrawn, writeIntent } from './phases/kill.js';
import { LOG } from './phases/log.js';
import { recheckVictims } from './phases/recheck.js';
import type { CycleContext, CycleDeps } from './phases/context.js';
import { ProbeWatches } from './phases/probes.js';
import { assemble, type Ending, type Story } from './phases/story.js';
import { judge, watch } from './phases/watch.js';
import type { CycleRecord } from '../domain/record.js';

export { LOG } from './phases/log.js';

export type { CycleContext, CycleDeps, ProbeRoundReport, SentKill } from './phases/context.js';

/**
 * One chaos cycle, as a story: gate → discover → lift quarantines → decide (with the service
 * probes' round before the kill) → re-check → write the intent → kill (probes sampling from here)
 * → watch → judge. Each phase returns what it learnt (or how the cycle ended,
 * already logged); `assemble` alone writes the record. Never throws for Marathon trouble: every
 * failure ends in a record with outcome `error` and nothing killed after it.
 */
export async function runCycle(deps: CycleDeps, settings: ChaosSettings, ctx: CycleContext): Promise<CycleRecord> {
  const story = openStory(deps, settings, ctx);
  const { log } = story;
  const end = (ending: Ending): CycleRecord => assemble(story, ending, deps.clock);
  const plan = ctx.plan === true;
  const memory = deps.journal ?? EMPTY_MEMORY;

  const gated = gate(memory, plan, log);
  if (gated) return end(gated);
  const found = (story.found = await discover(deps, settings, story.startedAt, log));
  if ('ending' in found) return end(found.ending);
  ctx.onListing?.(found.apps, found.agents ?? null);
  const lifted = (story.lifted = liftQuarantines(found.apps, memory.quarantined, found.listedAt, settings, log));
  const decision = (story.decision = await decide(deps, settings, ctx, found, withoutLifted(memory, lifted), log));
  if (decision.victims.length === 0) {
    log.info({ skippedByReason: tallySkips(decision.skips) }, LOG.nothingToDo);
    return end({ outcome: 'nothing-to-do' });
  }
  if (plan || settings.dryRun) {
    log.info({ victims: decision.victims, request: killRequestFor(decision.victims.map((v) => v.taskId)) }, LOG.dryRun);
    return end({ outcome: 'dry-run' });
  }
  const rechecked = (story.rechecked = await recheckVictims(deps, decision.victims, decision.gctx, log));
  if ('ending' in rechecked) return end(rechecked.ending);
  const victims = rechecked.kept;
  if (victims.length === 0) {
    log.info(LOG.nothingToDo);
    return end({ outcome: 'nothing-to-do' });
  }
  const withdrawn = permissionWithdrawn(ctx, log);
  if (withdrawn) return end(withdrawn);
  ctx.onKillPhase?.();
  const refused = await writeIntent(deps, story.base, victims, log);
  if (refused) return end(refused);
  // The service probes of the victims' apps run from just before the kill request leaves until
  // each app is back; whatever happens, none outlives the cycle.
  const probing = deps.prober === undefined ? undefined : new ProbeWatches(deps.prober, ctx);
  try {
    const killed = (story.killed = await kill(deps, ctx, story.base.cycleId, victims, log, () => probing?.start(victims, rechecked.fresh)));
    if ('ending' in killed) return end(killed.ending);
    if (killed.answer.matched.length === 0) return end({ outcome: 'nothing-to-do' }); // Marathon knew none of the tasks
    const watched = (story.watched = await watch(deps, settings, ctx, victims, killed.answer, rechecked.fresh, log, probing));
    const verdict = (story.verdict = judge(watched.after, settings, log));
    return end({ outcome: verdict.weaknesses.length > 0 ? 'weakness' : 'killed' });
  } finally {
    await probing?.stopAll();
  }
}

/** The record's identity (cycle id, seeds), the cycle's logger, and its start. */
function openStory(deps: CycleDeps, settings: ChaosSettings, ctx: CycleContext): Story {
  const startedAt = deps.clock.now();
  const plan = ctx.plan === true;
  const base = baseRecord(settings, ctx.scheduledAt, startedAt, { plan, ...(ctx.cycleId === undefined ? {} : { cycleId: ctx.cycleId }) });
  const log = deps.logger.child({ cycleId: base.cycleId });
  log.info({ scheduledAt: base.scheduledAt, strategy: settings.strategy, dryRun: settings.dryRun, plan, cycleSeed: base.cycleSeed }, LOG.start);
  return { base, startedAt, log };
}
