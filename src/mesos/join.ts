import type { MarathonTask } from '../domain/marathon.js';
import type { MesosAgent } from '../domain/agent.js';

export interface TaskOnAgent {
  task: MarathonTask;
  /** Undefined when the agent is not (or no longer) registered with the master. */
  agent: MesosAgent | undefined;
}

/**
 * Pairs each task with its agent: by `task.slaveId == agent.id`, else (old Marathon without
 * slaveId, or an id the master no longer lists) by `task.host == agent.hostname` when that names
 * exactly one agent, preferring active ones. An ambiguous host gives no agent rather than a guess,
 * because a wrong agent means a wrong rack in rack-targeted chaos.
 */
export function joinTasksToAgents(tasks: readonly MarathonTask[], agents: readonly MesosAgent[]): TaskOnAgent[] {
  const byId = new Map(agents.map((a) => [a.id, a]));
  const byHost = new Map<string, MesosAgent[]>();
  for (const a of agents) byHost.set(a.hostname, [...(byHost.get(a.hostname) ?? []), a]);
  return tasks.map((task) => {
    const direct = task.slaveId === undefined ? undefined : byId.get(task.slaveId);
    if (direct !== undefined) return { task, agent: direct };
    const sameHost = byHost.get(task.host) ?? [];
    const active = sameHost.filter((a) => a.active);
    const candidates = active.length > 0 ? active : sameHost;
    return { task, agent: candidates.length === 1 ? candidates[0] : undefined };
  });
}
