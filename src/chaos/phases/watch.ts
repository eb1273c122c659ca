import type { Logger } from 'pino';
import type { MarathonApp } from '../../domain/marathon.js';
import { recoveryTimeoutMsOf } from '../guards.js';
import { REASONS } from '../../domain/reasons.js';
import type { AfterKill, Weakness, Victim } from '../../domain/record.js';
import { watchRecovery } from '../recovery.js';
import { RecoveryFeed } from '../recovery-feed.js';
import type { ChaosSettings } from '../settings.js';
import type { CycleContext, CycleDeps } from './context.js';
import type { MarathonAnswer } from './kill.js';
import { LOG } from './log.js';
import { serviceDegraded, type ProbeWatches } from './probes.js';

export interface Watched {
  /** Per killed app, by app id. */
  after: Record<string, AfterKill>;
  ms: number;
}

export interface Verdict {
  weaknesses: Weakness[];
  /** A weakness with chaos.haltOnWeakness on. */
  halted: boolean;
}

/**
 * Watches every affected app concurrently, each with getApp only, until it recovers or its
 * deadline; with an event source, each read follows an event about the app (polling meanwhile).
 * An app with service probes is back only once a whole round of them passed too (`probing`).
 */
export async function watch(
  deps: CycleDeps,
  settings: ChaosSettings,
  ctx: CycleContext,
  victims: readonly Victim[],
  answer: MarathonAnswer,
  fresh: ReadonlyMap<string, MarathonApp>,
  log: Logger,
  probing?: ProbeWatches,
): Promise<Watched> {
  const byApp = killedByApp(victims, answer);
  probing?.answered(answer.at, byApp);
  // One stream for every app of the watch, opened only now (after the kill answer) and closed
  // with it; whatever becomes of it, the watch goes on (polling).
  const feed =
    deps.events === undefined || byApp.size === 0
      ? undefined
      : new RecoveryFeed(deps.events, new Map([...byApp.keys()].map((id) => [id, (fresh.get(id)?.healthChecks.length ?? 0) > 0])), log, ctx.signal);
  const watched = await Promise.all(
    [...byApp].map(async ([appId, killedIds]): Promise<[string, AfterKill]> => {
      const app = fresh.get(appId);
      const timeoutMs = app ? recoveryTimeoutMsOf(app, settings) : settings.recoveryTimeoutSeconds * 1000;
      const after = await watchRecovery(deps.apps, appId, killedIds, {
        clock: deps.clock,
        logger: log,
        settings,
        killAnsweredAt: answer.at,
        timeoutMs,
        signal: ctx.signal,
        onPoll: ctx.onWatchPoll,
        feed,
        onRead: probing?.reader(appId),
      });
      await probing?.settle(appId, after, answer.at, ctx.signal);
      return [appId, after];
    }),
  ).finally(() => feed?.close());
  const ms = deps.clock.now() - answer.at;
  const after: Record<string, AfterKill> = {};
  for (const [appId, a] of watched.sort((x, y) => (x[0] < y[0] ? -1 : 1))) after[appId] = a;
  return { after, ms };
}

/** The killed task ids per app: the matched victims, and whatever ids Marathon's answer named. */
function killedByApp(victims: readonly Victim[], answer: MarathonAnswer): Map<string, Set<string>> {
  const byApp = new Map<string, Set<string>>();
  const matched = new Set(answer.matched);
  for (const v of victims) {
    if (!matched.has(v.taskId)) continue;
    let set = byApp.get(v.appId);
    if (!set) byApp.set(v.appId, (set = new Set()));
    set.add(v.taskId);
  }
  // Marathon matches by instance: an answer may name the instance's current task under another id.
  for (const t of answer.tasks) byApp.get(t.appId)?.add(t.id);
  return byApp;
}

/**
 * An app that did not return to steady state by its deadline is a weakness, and so is one Marathon
 * recovered while its service probes failed beyond its budget or never passed again
 * (service-degraded); shutdown and deletion are not.
 */
export function judge(after: Readonly<Record<string, AfterKill>>, settings: Pick<ChaosSettings, 'haltOnWeakness'>, log: Logger): Verdict {
  const weaknesses: Weakness[] = [];
  for (const [appId, a] of Object.entries(after)) {
    const degraded = serviceDegraded(a);
    if (degraded !== undefined) {
      weaknesses.push({ appId, reason: REASONS.serviceDegraded, detail: degraded });
      log.error({ appId, detail: degraded, probe: a.probe }, LOG.serviceDegraded);
    } else if (a.recovered) {
      log.info({ appId, timeToRecoverMs: a.timeToRecoverMs, polls: a.polls }, LOG.recovered);
    } else if (a.aborted) {
      log.warn({ appId }, LOG.watchAborted);
    } else if (a.gone) {
      log.warn({ appId }, LOG.appGone);
    } else {
      const detail = `not back in steady state ${a.timeoutMs / 1000}s after the kill${a.lastProblem ? ` (${a.lastProblem})` : a.health === null ? ' (no successful read)' : ''}`;
      weaknesses.push({ appId, reason: REASONS.notRecovered, detail });
      log.error({ appId, detail, health: a.health }, LOG.weakness);
    }
  }
  const halted = weaknesses.length > 0 && settings.haltOnWeakness;
  if (halted) log.error({ weaknesses: weaknesses.map((w) => w.appId) }, LOG.haltedNow);
  return { weaknesses, halted };
}
