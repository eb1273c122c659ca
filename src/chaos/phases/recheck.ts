import type { Logger } from 'pino';
import type { MarathonApp } from '../../domain/marathon.js';
import type { Clock } from '../../platform/clock.js';
import { APP_GUARDS, floorOf, type GuardContext } from '../guards.js';
import type { AppsReader } from '../../domain/ports.js';
import { REASONS, type Skip } from '../../domain/reasons.js';
import type { Victim, HealthSnapshot } from '../../domain/record.js';
import { healthSnapshot, healthyCount } from '../steady-state.js';
import type { CycleDeps } from './context.js';
import { LOG } from './log.js';
import { failed, type Ending } from './ending.js';

export type Rechecked = { ms: number } & (
  | { ending: Ending }
  | {
      /** Each victim app as read just now, by id. */
      fresh: Map<string, MarathonApp>;
      /** Their counts now, replacing the listing's. */
      before: Record<string, HealthSnapshot>;
      kept: Victim[];
      dropped: Skip[];
    }
);

/** Re-reads each victim's app just before the kill; a Marathon failure calls the whole kill off. */
export async function recheckVictims(deps: CycleDeps, victims: readonly Victim[], gctx: GuardContext, log: Logger): Promise<Rechecked> {
  const t = deps.clock.now();
  const r = await recheck(deps.apps, victims, gctx, deps.clock);
  const ms = deps.clock.now() - t;
  if ('error' in r) return { ms, ending: failed(log, 'recheck', r.error, LOG.recheckFailed) };
  for (const s of r.dropped) log.warn(s, LOG.recheckDropped);
  const before: Record<string, HealthSnapshot> = {};
  for (const [appId, app] of r.fresh) before[appId] = healthSnapshot(app);
  return { ms, fresh: r.fresh, before, kept: r.kept, dropped: r.dropped };
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
    const failedGuard = APP_GUARDS.map((g) => g.check(app, ctx)).find((v) => !v.ok);
    if (failedGuard && !failedGuard.ok) {
      for (const v of mine) dropped.push({ appId, taskId: v.taskId, reason: failedGuard.reason, detail: `re-check: ${failedGuard.detail}` });
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
