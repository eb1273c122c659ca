import type { MarathonApp } from '../domain/marathon.js';
import { TERMINAL_TASK_STATES } from '../domain/marathon.js';
import { EMPTY_MEMORY } from '../domain/memory.js';
import type { AppFlag, DomainLoss, FailureDomain, RiskReport } from '../domain/risk.js';
import { APP_GUARDS, floorOf, guardContext } from './guards.js';
import { agentOf, rackOf, type AgentIndex } from './select.js';
import type { ChaosSettings } from './settings.js';
import { healthyCount } from './steady-state.js';

/**
 * Placement risk, pure: one pass over the listing's tasks (O(tasks)), grouping each app's live
 * tasks by host, rack and zone. A domain is a risk for an app when losing it would take every
 * live instance, or would take the app from at or above its healthy floor to below it (an app
 * already below its floor is the guards' business, not a placement risk). Every app in the
 * listing is assessed, chaos target or not: the question is about the cluster, not about chaos.
 */

export interface RiskOptions {
  /** Why the agents are unknown (unreachable, not listed): said in the report. */
  agentsNote?: string | undefined;
}

/** The configuration-level guards that decide whether an app is a chaos target at all. */
const TARGET_GUARDS: ReadonlySet<string> = new Set(['opt-out', 'opt-in', 'include', 'exclude', 'self']);

const NO_AGENTS: AgentIndex = { byId: new Map(), byHost: new Map() };

interface Tally {
  live: number;
  running: number;
}

export function assessRisk(apps: readonly MarathonApp[], agents: AgentIndex | null, settings: ChaosSettings, options: RiskOptions = {}): RiskReport {
  const ctx = guardContext(settings, EMPTY_MEMORY, 0);
  const targetGuards = APP_GUARDS.filter((g) => TARGET_GUARDS.has(g.name));
  const index = agents ?? NO_AGENTS;
  const rackAttr = settings.rackAttribute;
  const losses: Record<FailureDomain, DomainLoss[]> = { host: [], rack: [], zone: [] };
  const singleInstance: AppFlag[] = [];
  const noHealthChecks: AppFlag[] = [];
  let assessed = 0;
  let tasks = 0;
  let rackFromAttribute = 0;
  let withoutRack = 0;
  let withoutZone = 0;

  for (const app of [...apps].sort(byAppId)) {
    if (app.instances <= 0) continue;
    assessed++;
    const chaosTarget = targetGuards.every((g) => g.check(app, ctx).ok);
    const flag: AppFlag = { appId: app.id, chaosTarget, instances: app.instances };
    if (app.instances === 1) singleInstance.push(flag);
    if (app.healthChecks.length === 0) noHealthChecks.push(flag);

    const byHost = new Map<string, Tally>();
    const byRack = new Map<string, Tally>();
    const byZone = new Map<string, Tally>();
    let live = 0;
    for (const t of app.tasks) {
      if (TERMINAL_TASK_STATES.has(t.state)) continue;
      live++;
      const running = t.state === 'TASK_RUNNING' ? 1 : 0;
      const agent = agentOf(t, index);
      if (t.host !== '') add(byHost, t.host, running);
      const rack = rackOf(t, index, rackAttr);
      if (rack === null) withoutRack++;
      else {
        if (agent?.attributes[rackAttr] !== undefined) rackFromAttribute++;
        add(byRack, rack, running);
      }
      const zone = agent?.zone ?? t.zone;
      if (zone === undefined) withoutZone++;
      else add(byZone, zone, running);
    }
    tasks += live;
    // A single instance is lost with anything: listed once, as single-instance, not in every table.
    if (app.instances === 1 || live === 0) continue;
    const floor = floorOf(app, settings) ?? null;
    const healthy = healthyCount(app);
    const base = { appId: app.id, chaosTarget, total: live, floor };
    for (const [kind, groups] of [['host', byHost], ['rack', byRack], ['zone', byZone]] as const) {
      const loss = worstLoss(groups, live, healthy, floor);
      if (loss) losses[kind].push({ ...base, ...loss });
    }
  }

  const risky = losses.host.length + losses.rack.length + losses.zone.length + singleInstance.length + noHealthChecks.length > 0;
  return {
    risky,
    apps: assessed,
    tasks,
    host: losses.host,
    rack: losses.rack,
    zone: losses.zone,
    singleInstance,
    noHealthChecks,
    placement: {
      agentsKnown: agents !== null,
      agentsNote: agents === null ? (options.agentsNote ?? 'Mesos agents not listed') : null,
      rackAttribute: rackAttr,
      rackFromAttribute,
      withoutRack,
      withoutZone,
    },
  };
}

function add(groups: Map<string, Tally>, key: string, running: number): void {
  const g = groups.get(key);
  if (g) {
    g.live++;
    g.running += running;
  } else {
    groups.set(key, { live: 1, running });
  }
}

/** The domain whose loss hurts most (most live tasks, then the smallest name), if any is a risk. */
function worstLoss(
  groups: ReadonlyMap<string, Tally>,
  live: number,
  healthy: number,
  floor: number | null,
): Omit<DomainLoss, 'appId' | 'chaosTarget' | 'total' | 'floor'> | null {
  let worst: { domain: string; tally: Tally } | null = null;
  let atRisk = 0;
  for (const [domain, tally] of groups) {
    const all = tally.live === live;
    const belowFloor = floor !== null && healthy >= floor && healthy - tally.running < floor;
    if (!all && !belowFloor) continue;
    atRisk++;
    if (worst === null || tally.live > worst.tally.live || (tally.live === worst.tally.live && domain < worst.domain)) worst = { domain, tally };
  }
  if (worst === null) return null;
  const { domain, tally } = worst;
  return {
    domain,
    domainsAtRisk: atRisk,
    lost: tally.live,
    healthyLeft: Math.max(0, healthy - tally.running),
    severity: tally.live === live ? 'all' : 'below-floor',
  };
}

function byAppId(a: MarathonApp, b: MarathonApp): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
