import type { Logger } from 'pino';
import type { MarathonApp } from '../marathon/types.js';
import type { Clock } from '../platform/clock.js';
import { cycleRandom } from '../platform/random.js';
import { APP_GUARDS, filterApps, floorOf, guardContext, recoveryTimeoutMsOf, type GuardContext } from './guards.js';
import { EMPTY_MEMORY, type ChaosMemory, type QuarantineEntry } from './memory.js';
import type { AgentsReader, AppsReader, KillAnswer, KillLedger, TaskKiller } from './ports.js';
import { REASONS, type Skip } from './reasons.js';
import { baseRecord, killRequestFor, type AfterKill, type CycleRecord } from './record.js';
import { safeError, watchRecovery, type WatchOptions } from './recovery.js';
import { indexAgents, placeVictims, selectVictims, type AgentIndex, type Victim } from './select.js';
import type { ChaosSettings } from './settings.js';
import { healthSnapshot, healthyCount, judgeSteadyState } from './steady-state.js';

/** Log messages are constants so tests (and operators' alerts) can match them. */
export const LOG = {
  start: 'chaos cycle started',
  halted: 'chaos is halted by an earlier weakness; cycle skipped',
  listFailed: 'listing apps failed; nothing killed',
  agentsFailed: 'listing Mesos agents failed; nothing killed',
  noAgentsReader: 'rack strategy without a Mesos master: racks come from task zones only',
  placementFailed: 'listing Mesos agents for the victims’ racks failed; victims recorded without rack',
  quarantineLifted: 'quarantined app is back in steady state; quarantine lifted',
  nothingToDo: 'no victim this cycle',
  dryRun: 'dry run: would kill',
  recheckFailed: 'Marathon failed between listing and kill; nothing killed',
  recheckDropped: 'victim dropped by the re-check before the kill',
  killVetoed: 'kill withdrawn by the daemon just before sending; nothing killed',
  intentFailed: 'kill intent could not be journaled; nothing killed',
  intentVetoed: 'the journal vetoed the kill (paused, halted or killed by another writer); nothing killed',
  killWithdrawn: 'kill withdrawn after its intent was journaled; nothing killed',
  answerNotJournaled: 'kill answer could not be journaled (the intent on disk still counts the kill)',
  killing: 'killing tasks',
  killFailed: 'kill request failed; outcome unknown',
  killRejected: 'kill request rejected by Marathon; nothing killed',
  unmatched: 'Marathon did not know some task ids',
  recovered: 'app recovered',
  watchAborted: 'recovery watch aborted by shutdown',
  appGone: 'app deleted while watching its recovery',
  weakness: 'WEAKNESS: app did not return to steady state',
  haltedNow: 'chaos halted until resumed',
  done: 'chaos cycle finished',
} as const;

export interface CycleDeps {
  apps: AppsReader;
  killer: TaskKiller;
  /** Write-ahead journal of kills: no kill request leaves before its intent is durable here. */
  ledger: KillLedger;
  /** Needed by the rack strategy only (agent attributes). */
  agents?: AgentsReader | undefined;
  clock: Clock;
  logger: Logger;
  /** Recent kills, quarantine and halt state, as rebuilt from the journal. */
  journal?: ChaosMemory | undefined;
}

export interface CycleContext {
  scheduledAt: Date;
  /** Bounds the recovery watch on shutdown. */
  signal?: AbortSignal | undefined;
  /** Decide only: never kill, never watch (for `plan` and benchmarks). */
  plan?: boolean | undefined;
  cycleId?: string | undefined;
  /**
   * Asked right before the kill request: the daemon withdraws permission when shutdown or a
   * pause began while the cycle was planning. False → nothing is killed.
   */
  mayKill?: (() => boolean) | undefined;
  /** Told after each recovery read (a progress line for `once` on a terminal). */
  onWatchPoll?: WatchOptions['onPoll'];
  /** Called once the cycle starts writing its kill intent: from here it may kill and then watch. */
  onKillPhase?: (() => void) | undefined;
}

/** Kill errors after which Marathon certainly killed nothing: refused, never sent, or no leader. */
const NOTHING_KILLED = new Set(['E_KILL_REJECTED', 'E_MARATHON_UNREACHABLE', 'E_MARATHON_NO_LEADER', 'E_MARATHON_AUTH']);

function omitQuarantined(memory: ChaosMemory, lifted: ReadonlySet<string>): ChaosMemory {
  if (lifted.size === 0) return memory;
  const quarantined = new Map<string, QuarantineEntry>();
  for (const [id, q] of memory.quarantined) if (!lifted.has(id)) quarantined.set(id, q);
  return { ...memory, quarantined };
}

function addSkip(rec: CycleRecord, s: Skip): void {
  rec.counts.skippedByReason[s.reason] = (rec.counts.skippedByReason[s.reason] ?? 0) + 1;
  // Not-opted-in apps are counted, not listed (see CycleRecord.skipped).
  if (s.reason !== REASONS.notOptedIn) rec.skipped.push(s);
}

/**
 * One chaos cycle: discover, filter, check the steady state, cap the blast radius, select,
 * re-check, kill once, watch recovery. Never throws for Marathon trouble: every failure ends in a
 * record with outcome `error` and nothing killed after it.
 */
export async function runCycle(deps: CycleDeps, settings: ChaosSettings, ctx: CycleContext): Promise<CycleRecord> {
  const { clock } = deps;
  const t0 = clock.now();
  const plan = ctx.plan === true;
  const rec = baseRecord(settings, ctx.scheduledAt, t0, { plan, ...(ctx.cycleId === undefined ? {} : { cycleId: ctx.cycleId }) });
  const log = deps.logger.child({ cycleId: rec.cycleId });
  const memory = deps.journal ?? EMPTY_MEMORY;
  const finish = (): CycleRecord => {
    rec.durationsMs.total = clock.now() - t0;
    log.info({ outcome: rec.outcome, counts: rec.counts, victims: rec.victims.length, halted: rec.halted ?? false }, LOG.done);
    return rec;
  };
  const fail = (stage: NonNullable<CycleRecord['error']>['stage'], err: unknown, message: string): CycleRecord => {
    rec.outcome = 'error';
    rec.error = { ...safeError(err), stage };
    log.error({ err: rec.error }, message);
    return finish();
  };

  log.info({ scheduledAt: rec.scheduledAt, strategy: settings.strategy, dryRun: settings.dryRun, plan, cycleSeed: rec.cycleSeed }, LOG.start);

  if (memory.halted && !plan) {
    rec.outcome = 'skipped';
    rec.gate = { reason: REASONS.halted, detail: `halted since ${memory.halted.since}: ${memory.halted.reason}` };
    log.warn({ halted: memory.halted }, LOG.halted);
    return finish();
  }

  // 1. Discover: one listing; agents only when the strategy needs attributes.
  let apps: MarathonApp[];
  try {
    apps = await deps.apps.listApps();
  } catch (err) {
    rec.durationsMs.list = clock.now() - t0;
    return fail('list', err, LOG.listFailed);
  }
  let agentIndex: AgentIndex | undefined;
  if (settings.strategy === 'rack') {
    if (deps.agents) {
      try {
        agentIndex = indexAgents(await deps.agents.listAgents());
      } catch (err) {
        rec.durationsMs.list = clock.now() - t0;
        return fail('agents', err, LOG.agentsFailed);
      }
    } else {
      log.warn(LOG.noAgentsReader);
    }
  }
  const tListed = clock.now();
  rec.durationsMs.list = tListed - t0;
  rec.counts.apps = apps.length;

  // Quarantine ends when the app is seen in steady state again (or is gone).
  const lifted = new Set<string>();
  if (memory.quarantined.size > 0) {
    const byId = new Map(apps.map((a) => [a.id, a]));
    for (const appId of [...memory.quarantined.keys()].sort()) {
      const app = byId.get(appId);
      if (!app) {
        rec.quarantineLifted.push({ appId, why: 'gone' });
        lifted.add(appId);
      } else if (judgeSteadyState(app, tListed, settings).ok) {
        rec.quarantineLifted.push({ appId, why: 'steady' });
        lifted.add(appId);
        log.info({ appId }, LOG.quarantineLifted);
      }
    }
  }

  // 2–5. Pure decisions.
  const gctx = guardContext(settings, omitQuarantined(memory, lifted), tListed);
  const { candidates, skipped } = filterApps(apps, gctx);
  const selection = selectVictims(candidates, settings, cycleRandom(settings.seed, ctx.scheduledAt), agentIndex);
  for (const s of skipped) addSkip(rec, s);
  for (const s of selection.spared) addSkip(rec, s);
  rec.counts.eligible = candidates.length;
  rec.counts.candidates = candidates.reduce((n, c) => n + c.tasks.length, 0);
  rec.target = selection.target;
  rec.victims = selection.victims;
  if (!agentIndex && deps.agents && rec.victims.length > 0) {
    // The other strategies pick without agents; the journal still says which rack a kill hit.
    try {
      rec.victims = placeVictims(rec.victims, candidates, indexAgents(await deps.agents.listAgents()), settings.rackAttribute);
    } catch (err) {
      log.warn({ err: safeError(err) }, LOG.placementFailed);
    }
  }
  rec.counts.victims = selection.victims.length;
  const appsById = new Map(candidates.map((c) => [c.app.id, c.app]));
  for (const v of selection.victims) {
    const app = appsById.get(v.appId);
    if (app) rec.before[v.appId] = healthSnapshot(app);
  }
  rec.durationsMs.plan = clock.now() - tListed;

  if (rec.victims.length === 0) {
    rec.outcome = 'nothing-to-do';
    log.info({ skippedByReason: rec.counts.skippedByReason }, LOG.nothingToDo);
    return finish();
  }
  rec.killRequest = killRequestFor(rec.victims.map((v) => v.taskId));
  if (plan || settings.dryRun) {
    rec.outcome = 'dry-run';
    log.info({ victims: rec.victims, request: rec.killRequest }, LOG.dryRun);
    return finish();
  }

  // 6. Re-check each victim's app just before the kill.
  const tRecheck = clock.now();
  const rechecked = await recheck(deps.apps, rec.victims, gctx, clock);
  rec.durationsMs.recheck = clock.now() - tRecheck;
  if ('error' in rechecked) {
    rec.killRequest = null;
    return fail('recheck', rechecked.error, LOG.recheckFailed);
  }
  for (const s of rechecked.dropped) {
    addSkip(rec, s);
    log.warn(s, LOG.recheckDropped);
  }
  for (const [appId, app] of rechecked.fresh) rec.before[appId] = healthSnapshot(app);
  rec.victims = rechecked.kept;
  rec.counts.victims = rec.victims.length;
  if (rec.victims.length === 0) {
    rec.killRequest = null;
    rec.outcome = 'nothing-to-do';
    log.info(LOG.nothingToDo);
    return finish();
  }
  const ids = rec.victims.map((v) => v.taskId);
  rec.killRequest = killRequestFor(ids);

  if (ctx.mayKill && !ctx.mayKill()) {
    rec.outcome = 'skipped';
    rec.gate = { reason: REASONS.killVetoed, detail: 'the daemon withdrew permission to kill (shutdown or pause) after planning' };
    rec.killRequest = null;
    log.warn(rec.gate, LOG.killVetoed);
    return finish();
  }

  // Write ahead: the intent is durable (and still allowed by the journal) before the request leaves.
  ctx.onKillPhase?.();
  try {
    await deps.ledger.recordIntent({
      cycleId: rec.cycleId,
      time: new Date(clock.now()).toISOString(),
      scheduledAt: rec.scheduledAt,
      seed: rec.seed,
      cycleSeed: rec.cycleSeed,
      strategy: rec.strategy,
      victims: rec.victims,
      taskIds: ids,
    });
  } catch (err) {
    rec.killRequest = null;
    if ((err as { code?: unknown }).code === 'E_KILL_VETOED') {
      rec.outcome = 'skipped';
      rec.gate = { reason: REASONS.killVetoed, detail: (err as Error).message };
      log.warn(rec.gate, LOG.intentVetoed);
      return finish();
    }
    return fail('journal', err, LOG.intentFailed);
  }
  const answer = async (a: Omit<KillAnswer, 'cycleId' | 'time'>): Promise<void> => {
    rec.killStatus = a.outcome;
    try {
      await deps.ledger.recordAnswer({ cycleId: rec.cycleId, time: new Date(clock.now()).toISOString(), ...a });
    } catch (err) {
      log.error({ err: safeError(err) }, LOG.answerNotJournaled);
    }
  };
  // A pause or shutdown may have begun while the intent was being synced.
  if (ctx.mayKill && !ctx.mayKill()) {
    await answer({ outcome: 'withdrawn' });
    rec.outcome = 'skipped';
    rec.gate = { reason: REASONS.killVetoed, detail: 'the daemon withdrew permission to kill (shutdown or pause) while the intent was written' };
    rec.killRequest = null;
    log.warn(rec.gate, LOG.killWithdrawn);
    return finish();
  }

  // One kill request for every victim; never retried blindly.
  log.warn({ victims: rec.victims }, LOG.killing);
  const tKill = clock.now();
  let killed: Awaited<ReturnType<TaskKiller['killTasks']>>;
  try {
    killed = await deps.killer.killTasks(ids);
  } catch (err) {
    rec.durationsMs.kill = clock.now() - tKill;
    if (NOTHING_KILLED.has(safeError(err).code)) {
      await answer({ outcome: 'rejected', error: safeError(err) });
      return fail('kill', err, LOG.killRejected);
    }
    // The request may have reached Marathon: it counts as a kill for the min-kill-interval.
    rec.killedAt = new Date(clock.now()).toISOString();
    await answer({ outcome: 'uncertain', error: safeError(err) });
    return fail('kill', err, LOG.killFailed);
  }
  const tAnswered = clock.now();
  rec.durationsMs.kill = tAnswered - tKill;
  rec.killedAt = new Date(tAnswered).toISOString();
  const unmatched = new Set(killed.unmatched);
  const matched = ids.filter((id) => !unmatched.has(id));
  rec.killResponse = { matched, unmatched: ids.filter((id) => unmatched.has(id)) };
  rec.counts.killed = matched.length;
  rec.counts.unmatched = rec.killResponse.unmatched.length;
  const matchedIds = new Set(matched);
  await answer({
    outcome: 'answered',
    killedAppIds: [...new Set(rec.victims.filter((v) => matchedIds.has(v.taskId)).map((v) => v.appId))],
    matched: rec.killResponse.matched,
    unmatched: rec.killResponse.unmatched,
  });
  if (unmatched.size > 0) log.warn({ unmatched: rec.killResponse.unmatched }, LOG.unmatched);
  if (matched.length === 0) {
    rec.outcome = 'nothing-to-do';
    return finish();
  }
  rec.outcome = 'killed';

  // 7. Watch every affected app concurrently, each with getApp only.
  const killedByApp = new Map<string, Set<string>>();
  const matchedSet = new Set(matched);
  for (const v of rec.victims) {
    if (!matchedSet.has(v.taskId)) continue;
    let set = killedByApp.get(v.appId);
    if (!set) killedByApp.set(v.appId, (set = new Set()));
    set.add(v.taskId);
  }
  // Marathon matches by instance: an answer may name the instance's current task under another id.
  for (const t of killed.killed) killedByApp.get(t.appId)?.add(t.id);

  const watched = await Promise.all(
    [...killedByApp.entries()].map(async ([appId, killedIds]): Promise<[string, AfterKill]> => {
      const app = rechecked.fresh.get(appId);
      const timeoutMs = app ? recoveryTimeoutMsOf(app, settings) : settings.recoveryTimeoutSeconds * 1000;
      const after = await watchRecovery(deps.apps, appId, killedIds, {
        clock,
        logger: log,
        settings,
        killAnsweredAt: tAnswered,
        timeoutMs,
        signal: ctx.signal,
        onPoll: ctx.onWatchPoll,
      });
      return [appId, after];
    }),
  );
  rec.durationsMs.watch = clock.now() - tAnswered;
  for (const [appId, after] of watched.sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    rec.after[appId] = after;
    if (after.recovered) {
      log.info({ appId, timeToRecoverMs: after.timeToRecoverMs, polls: after.polls }, LOG.recovered);
    } else if (after.aborted) {
      log.warn({ appId }, LOG.watchAborted);
    } else if (after.gone) {
      log.warn({ appId }, LOG.appGone);
    } else {
      const detail = `not back in steady state ${after.timeoutMs / 1000}s after the kill${after.lastProblem ? ` (${after.lastProblem})` : after.health === null ? ' (no successful read)' : ''}`;
      rec.weaknesses.push({ appId, reason: REASONS.notRecovered, detail });
      log.error({ appId, detail, health: after.health }, LOG.weakness);
    }
  }
  if (rec.weaknesses.length > 0) {
    rec.outcome = 'weakness';
    if (settings.haltOnWeakness) {
      rec.halted = true;
      log.error({ weaknesses: rec.weaknesses.map((w) => w.appId) }, LOG.haltedNow);
    }
  }
  return finish();
}

type Recheck = { fresh: Map<string, MarathonApp>; kept: Victim[]; dropped: Skip[] } | { error: unknown };

/**
 * Reads each victim's app again (concurrently) and applies the same guards to the fresh state:
 * the app must still pass every guard, the task must still be there and running, and the floor
 * must still allow this many kills. A read that fails (other than "app deleted") means Marathon is
 * in trouble between listing and kill: the whole kill is called off.
 */
async function recheck(reader: AppsReader, victims: readonly Victim[], gctx: GuardContext, clock: Clock): Promise<Recheck> {
  const appIds = [...new Set(victims.map((v) => v.appId))];
  const reads = await Promise.allSettled(appIds.map((id) => reader.getApp(id)));
  const fresh = new Map<string, MarathonApp>();
  const dropped: Skip[] = [];
  const gone = new Set<string>();
  for (let i = 0; i < appIds.length; i++) {
    const r = reads[i] as PromiseSettledResult<MarathonApp>;
    const appId = appIds[i] as string;
    if (r.status === 'fulfilled') fresh.set(appId, r.value);
    else if ((r.reason as { code?: unknown }).code === 'E_APP_NOT_FOUND') gone.add(appId);
    else return { error: r.reason };
  }
  const ctx: GuardContext = { ...gctx, now: clock.now() };
  const kept: Victim[] = [];
  for (const appId of appIds) {
    const mine = victims.filter((v) => v.appId === appId);
    const app = fresh.get(appId);
    if (!app) {
      for (const v of mine) dropped.push({ appId, taskId: v.taskId, reason: REASONS.appGone, detail: 'app deleted after the listing' });
      continue;
    }
    const failed = APP_GUARDS.map((g) => g.check(app, ctx)).find((v) => !v.ok);
    if (failed && !failed.ok) {
      for (const v of mine) dropped.push({ appId, taskId: v.taskId, reason: failed.reason, detail: `re-check: ${failed.detail}` });
      continue;
    }
    const running = new Set(app.tasks.filter((t) => t.state === 'TASK_RUNNING').map((t) => t.id));
    let budget = healthyCount(app) - (floorOf(app, ctx.settings) ?? Number.POSITIVE_INFINITY);
    for (const v of mine) {
      if (!running.has(v.taskId)) {
        dropped.push({ appId, taskId: v.taskId, reason: REASONS.taskGone, detail: 're-check: task no longer listed as TASK_RUNNING' });
      } else if (budget < 1) {
        dropped.push({ appId, taskId: v.taskId, reason: REASONS.belowMinHealthy, detail: 're-check: the healthy floor no longer allows this kill' });
      } else {
        budget--;
        kept.push(v);
      }
    }
  }
  return { fresh, kept, dropped };
}
