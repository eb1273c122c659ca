import type { MarathonTask } from '../domain/marathon.js';
import type { MesosAgent } from '../domain/agent.js';
import { pick, sample, type Random } from '../platform/random.js';
import { byId, type Candidate } from './guards.js';
import { REASONS, type Skip } from '../domain/reasons.js';
import type { ChaosSettings } from './settings.js';
import type { Target, Victim } from '../domain/record.js';

export interface Selection {
  victims: Victim[];
  target: Target | null;
  /** Tasks of the target spared by the healthy floor or the global cap, and tasks with no rack. */
  spared: Skip[];
}

/** Agents indexed for the task → agent join (docs/marathon-api.md §11: slaveId == agent.id, host == hostname). */
export interface AgentIndex {
  byId: ReadonlyMap<string, MesosAgent>;
  byHost: ReadonlyMap<string, MesosAgent>;
}

export function indexAgents(agents: readonly MesosAgent[]): AgentIndex {
  const byIdMap = new Map<string, MesosAgent>();
  const byHost = new Map<string, MesosAgent>();
  for (const a of agents) {
    byIdMap.set(a.id, a);
    // Inactive agents may share a hostname with their re-registered successor; the active one wins.
    if (a.active || !byHost.has(a.hostname)) byHost.set(a.hostname, a);
  }
  return { byId: byIdMap, byHost };
}

const NO_AGENTS: AgentIndex = { byId: new Map(), byHost: new Map() };

/**
 * The task's rack: the agent attribute `rackAttribute`, else the agent's fault-domain zone, else
 * the zone Marathon reports on the task. Null when none is known.
 */
export function rackOf(task: MarathonTask, agents: AgentIndex, rackAttribute: string): string | null {
  const agent = agentOf(task, agents);
  const attr = agent?.attributes[rackAttribute];
  if (attr !== undefined) return String(attr);
  return agent?.zone ?? task.zone ?? null;
}

function agentKey(task: MarathonTask): string {
  return task.slaveId ?? `host:${task.host}`;
}

/** The task's agent: by agent id, else by hostname. */
export function agentOf(task: MarathonTask, agents: AgentIndex): MesosAgent | undefined {
  return (task.slaveId !== undefined ? agents.byId.get(task.slaveId) : undefined) ?? agents.byHost.get(task.host);
}

/**
 * A victim as journaled. Only the rack strategy reports a zone as the rack (its documented
 * fallback); the other strategies report the attribute or nothing, so "rack" never means a zone.
 */
function victimOf(task: MarathonTask, agents: AgentIndex, rackAttribute: string, rackStrategy = false): Victim {
  const agent = agentOf(task, agents);
  const attr = agent?.attributes[rackAttribute];
  const zone = agent?.zone ?? task.zone ?? null;
  const rack = attr !== undefined ? String(attr) : rackStrategy ? zone : null;
  return { appId: task.appId, taskId: task.id, host: task.host, agentId: task.slaveId ?? null, rack, zone };
}

/**
 * The victims again, with host placement (agent, rack attribute, zone) from `agents`: for the
 * strategies that pick without agents, so the journal still says which rack a kill hit.
 */
export function placeVictims(victims: readonly Victim[], candidates: readonly Candidate[], agents: AgentIndex, rackAttribute: string): Victim[] {
  const tasks = new Map<string, MarathonTask>();
  for (const c of candidates) for (const t of c.tasks) tasks.set(t.id, t);
  return victims.map((v) => {
    const task = tasks.get(v.taskId);
    return task ? victimOf(task, agents, rackAttribute) : v;
  });
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Picks victims among candidates (already sorted canonically by filterApps). Every random draw is
 * made over a canonically sorted list, so Marathon's response order cannot change a pick; all
 * sampling is without replacement.
 */
export function selectVictims(
  candidates: readonly Candidate[],
  settings: Pick<ChaosSettings, 'strategy' | 'fraction' | 'maxKills' | 'rackAttribute'>,
  random: Random,
  agents: AgentIndex = NO_AGENTS,
): Selection {
  const cap = Math.max(0, Math.floor(settings.maxKills));
  if (cap === 0 || candidates.length === 0) return { victims: [], target: null, spared: [] };
  const rackAttr = settings.rackAttribute;

  switch (settings.strategy) {
    case 'task': {
      const c = pick(random, candidates) as Candidate;
      const task = pick(random, c.tasks) as MarathonTask;
      return { victims: [victimOf(task, agents, rackAttr)], target: { kind: 'app', value: c.app.id }, spared: [] };
    }
    case 'fraction': {
      const c = pick(random, candidates) as Candidate;
      const wanted = Math.ceil(settings.fraction * c.app.instances);
      const n = Math.min(wanted, c.budget, cap, c.tasks.length);
      const spared: Skip[] = [];
      if (n < wanted) {
        const why = n === c.budget ? REASONS.belowMinHealthy : n === cap ? REASONS.maxKills : REASONS.tooYoung;
        spared.push({
          appId: c.app.id,
          reason: why,
          detail: `fraction wanted ${wanted} of ${c.app.instances}; floor allows ${c.budget}, cap ${cap}, ${c.tasks.length} old-enough running tasks`,
        });
      }
      const victims = sample(random, c.tasks, n).sort(byId).map((t) => victimOf(t, agents, rackAttr));
      return { victims, target: { kind: 'app', value: c.app.id }, spared };
    }
    case 'host':
      return selectGroup({ candidates, kind: 'agent', keyOf: agentKey, cap, random, agents, rackAttribute: rackAttr });
    case 'rack':
      return selectGroup({ candidates, kind: 'rack', keyOf: (t) => rackOf(t, agents, rackAttr), cap, random, agents, rackAttribute: rackAttr });
  }
}

/** What the host and rack strategies group by, and what they pick with. */
export interface GroupSelection {
  /** Sorted canonically (filterApps). */
  candidates: readonly Candidate[];
  /** The target kind the chosen group is reported as: `agent` for host, `rack` for rack. */
  kind: 'agent' | 'rack';
  /** The group a task belongs to; null when it has none (counted as a no-rack skip). */
  keyOf: (t: MarathonTask) => string | null;
  /** The global cap on kills this cycle. */
  cap: number;
  random: Random;
  /** For the victims' placement (agent, rack attribute, zone). */
  agents: AgentIndex;
  rackAttribute: string;
}

/**
 * Host and rack: one group uniformly among groups holding candidate tasks, then all of its
 * candidate tasks, cut so that every app keeps its floor and the total stays within the cap.
 */
function selectGroup({ candidates, kind, keyOf, cap, random, agents, rackAttribute: rackAttr }: GroupSelection): Selection {
  const groups = new Map<string, MarathonTask[]>();
  const spared: Skip[] = [];
  for (const c of candidates) {
    let unknown = 0;
    for (const t of c.tasks) {
      const key = keyOf(t);
      if (key === null) {
        unknown++;
        continue;
      }
      let g = groups.get(key);
      if (!g) groups.set(key, (g = []));
      g.push(t);
    }
    if (unknown > 0) {
      spared.push({ appId: c.app.id, reason: REASONS.noRack, detail: `${unknown} task(s) on agents with no ${rackAttr} attribute or zone` });
    }
  }
  const key = pick(random, [...groups.keys()].sort(compareKeys));
  if (key === undefined) return { victims: [], target: null, spared };
  // Tasks in a group are in candidate order: by app id, then task id.
  const inGroup = groups.get(key) as MarathonTask[];
  const budgets = new Map(candidates.map((c) => [c.app.id, c.budget]));

  const kept: MarathonTask[] = [];
  for (let i = 0; i < inGroup.length; ) {
    const appId = (inGroup[i] as MarathonTask).appId;
    let j = i;
    while (j < inGroup.length && (inGroup[j] as MarathonTask).appId === appId) j++;
    const ofApp = inGroup.slice(i, j);
    const budget = budgets.get(appId) ?? 0;
    if (ofApp.length > budget) {
      const chosen = sample(random, ofApp, budget);
      const chosenIds = new Set(chosen.map((t) => t.id));
      for (const t of ofApp) {
        if (!chosenIds.has(t.id)) {
          spared.push({ appId, taskId: t.id, reason: REASONS.belowMinHealthy, detail: `spared so the app keeps its healthy floor` });
        }
      }
      kept.push(...chosen.sort(byId));
    } else {
      kept.push(...ofApp);
    }
    i = j;
  }
  let victims = kept;
  if (kept.length > cap) {
    const chosen = sample(random, kept, cap);
    const chosenIds = new Set(chosen.map((t) => t.id));
    for (const t of kept) {
      if (!chosenIds.has(t.id)) spared.push({ appId: t.appId, taskId: t.id, reason: REASONS.maxKills, detail: `global cap of ${cap} kills per cycle` });
    }
    victims = chosen;
  }
  victims.sort((a, b) => (a.appId < b.appId ? -1 : a.appId > b.appId ? 1 : byId(a, b)));
  return { victims: victims.map((t) => victimOf(t, agents, rackAttr, kind === 'rack')), target: { kind, value: key }, spared };
}
