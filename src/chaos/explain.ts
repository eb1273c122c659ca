import type { MarathonApp } from '../domain/marathon.js';
import type { MesosAgent } from '../domain/agent.js';
import { APP_GUARDS, eligibleTasks, floorOf, guardContext } from './guards.js';
import type { ChaosMemory } from '../domain/memory.js';
import type { ServiceProber } from '../domain/ports.js';
import { REASONS, type Reason } from '../domain/reasons.js';
import type { ProbeVerdict } from '../domain/record.js';
import { indexAgents, rackOf } from './select.js';
import type { ChaosSettings } from './settings.js';
import { healthyCount, judgeSteadyState } from './steady-state.js';
import { verdictOf } from './phases/probes.js';

export interface GuardResult {
  guard: string;
  ok: boolean;
  reason?: Reason;
  detail: string;
}

export interface Explanation {
  appId: string;
  eligible: boolean;
  guards: GuardResult[];
  /** Task ids that could be victims (running, old enough), sorted. */
  candidateTasks: string[];
  /** Kills the app can take this cycle while keeping its healthy floor. */
  budget: number;
  /** The round of its service probes, when it declares some and passes every other guard (never run otherwise). */
  probes?: ProbeVerdict;
}

/** What explain knows of the service probes: the label judge, and a round's verdict when one ran. */
export interface ExplainProbes {
  prober?: Pick<ServiceProber, 'declared'> | undefined;
  verdict?: ProbeVerdict | undefined;
}

/**
 * Every guard for one app, not just the first that fails, so `marathon-monkey explain APP_ID`
 * shows an operator the full picture. Same pure functions as the cycle.
 */
export function explainApp(
  appId: string,
  apps: readonly MarathonApp[],
  agents: readonly MesosAgent[] | null,
  settings: ChaosSettings,
  memory: ChaosMemory,
  now: number | Date,
  probes: ExplainProbes = {},
): Explanation {
  const nowMs = typeof now === 'number' ? now : now.getTime();
  const app = apps.find((a) => a.id === appId);
  if (!app) {
    return {
      appId,
      eligible: false,
      guards: [{ guard: 'exists', ok: false, detail: `Marathon lists no app ${appId} (ids are absolute, e.g. /shop/cart)` }],
      candidateTasks: [],
      budget: 0,
    };
  }
  // The cycle lifts a quarantine when it sees the app steady again; explain says the same.
  let effective = memory;
  if (memory.quarantined.has(appId) && judgeSteadyState(app, nowMs, settings).ok) {
    const quarantined = new Map(memory.quarantined);
    quarantined.delete(appId);
    effective = { ...memory, quarantined };
  }
  const ctx = guardContext(settings, effective, nowMs, probes.prober);
  const guards: GuardResult[] = [{ guard: 'exists', ok: true, detail: `${app.instances} instances, ${app.tasks.length} tasks listed` }];
  for (const g of APP_GUARDS) {
    const v = g.check(app, ctx);
    guards.push(v.ok ? { guard: g.name, ok: true, detail: g.doc } : { guard: g.name, ok: false, reason: v.reason, detail: v.detail });
  }
  const { tasks, verdict } = eligibleTasks(app, ctx);
  guards.push(
    verdict.ok
      ? { guard: 'tasks', ok: true, detail: `${tasks.length} running task(s) older than ${settings.minTaskAgeSeconds}s` }
      : { guard: 'tasks', ok: false, reason: verdict.reason, detail: verdict.detail },
  );
  if (settings.strategy === 'rack') {
    const index = indexAgents(agents ?? []);
    const racks = [...new Set(tasks.map((t) => rackOf(t, index, settings.rackAttribute) ?? '(none)'))].sort();
    const known = racks.filter((r) => r !== '(none)');
    guards.push(
      known.length > 0
        ? { guard: 'rack', ok: true, detail: `tasks on ${settings.rackAttribute} ${racks.join(', ')}` }
        : { guard: 'rack', ok: false, reason: 'no-rack', detail: `no task runs on an agent with attribute ${settings.rackAttribute} or a zone` },
    );
  }
  const declared = probes.prober?.declared(app);
  const v = probes.verdict;
  if (v !== undefined) {
    guards.push(v.ok ? { guard: 'probes', ok: true, detail: v.detail } : { guard: 'probes', ok: false, reason: REASONS.probeFailed, detail: v.detail });
  } else if (declared?.kind === 'probes') {
    guards.push({ guard: 'probes', ok: true, detail: `not run: an earlier guard already excludes the app (${declared.checks.join('; ')})` });
  }
  const floor = floorOf(app, settings);
  const budget = floor === undefined ? 0 : Math.max(0, healthyCount(app) - floor);
  return { appId, eligible: guards.every((g) => g.ok), guards, candidateTasks: tasks.map((t) => t.id), budget, ...(v === undefined ? {} : { probes: v }) };
}

/**
 * explainApp with the service probes: when the app passes every other guard and declares probes,
 * one round of them runs now, as the cycle would before a kill (`probe-failed` when it fails).
 */
export async function explainAppProbed(
  appId: string,
  apps: readonly MarathonApp[],
  agents: readonly MesosAgent[] | null,
  settings: ChaosSettings,
  memory: ChaosMemory,
  now: number | Date,
  prober: ServiceProber | undefined,
  signal?: AbortSignal,
): Promise<Explanation> {
  const first = explainApp(appId, apps, agents, settings, memory, now, { prober });
  const app = apps.find((a) => a.id === appId);
  if (prober === undefined || app === undefined || !first.eligible || prober.declared(app).kind !== 'probes') return first;
  return explainApp(appId, apps, agents, settings, memory, now, { prober, verdict: await verdictOf(prober, app, signal) });
}
