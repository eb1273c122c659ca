import type { MarathonApp } from '../domain/marathon.js';
import { REASONS, type Reason } from '../domain/reasons.js';
import type { ChaosSettings } from './settings.js';
import type { HealthSnapshot } from '../domain/record.js';

export type Verdict = { ok: true } | { ok: false; reason: Reason; detail: string };

const OK: Verdict = Object.freeze({ ok: true });

export function healthSnapshot(app: MarathonApp): HealthSnapshot {
  return {
    instances: app.instances,
    tasksRunning: app.tasksRunning,
    tasksHealthy: app.tasksHealthy,
    tasksUnhealthy: app.tasksUnhealthy,
  };
}

/**
 * Healthy instances as the blast-radius floor counts them. Apps without health checks report
 * tasksHealthy = 0 forever (docs/marathon-api.md §6), so they are judged by running tasks.
 */
export function healthyCount(app: MarathonApp): number {
  return app.healthChecks.length > 0 ? app.tasksHealthy : app.tasksRunning;
}

/**
 * The steady-state hypothesis before a kill (docs/marathon-api.md §6 "healthy app"): no deployment,
 * fully replicated, healthy when checked, and no task failure in the last recentFailureMinutes.
 * `ignoreFailuresOf` lets the recovery watch ignore the failure our own kill may have recorded.
 */
export function judgeSteadyState(
  app: MarathonApp,
  now: number,
  settings: Pick<ChaosSettings, 'recentFailureMinutes'>,
  ignoreFailuresOf?: ReadonlySet<string>,
): Verdict {
  if (app.deployments.length > 0) {
    return { ok: false, reason: REASONS.deploying, detail: `deployment ${app.deployments.map((d) => d.id).join(', ')} running` };
  }
  if (app.tasksRunning < app.instances) {
    return { ok: false, reason: REASONS.underReplicated, detail: `${app.tasksRunning} of ${app.instances} instances running` };
  }
  if (app.healthChecks.length > 0 && (app.tasksHealthy < app.instances || app.tasksUnhealthy > 0)) {
    return {
      ok: false,
      reason: REASONS.unhealthy,
      detail: `${app.tasksHealthy} of ${app.instances} healthy, ${app.tasksUnhealthy} unhealthy`,
    };
  }
  const failure = app.lastTaskFailure;
  if (failure && settings.recentFailureMinutes > 0 && !ignoreFailuresOf?.has(failure.taskId)) {
    const at = Date.parse(failure.timestamp);
    const ageMs = now - at;
    // A timestamp we cannot read is treated as recent: when in doubt, do not kill.
    if (Number.isNaN(at) || ageMs < settings.recentFailureMinutes * 60_000) {
      return {
        ok: false,
        reason: REASONS.recentFailure,
        detail: `task ${failure.taskId} ${failure.state} at ${failure.timestamp}${failure.message ? `: ${failure.message}` : ''}`,
      };
    }
  }
  return OK;
}
