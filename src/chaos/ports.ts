import type { KillResult, ListAppsOptions, MarathonApp } from '../marathon/types.js';
import type { MesosAgent } from '../mesos/types.js';

/**
 * The narrow ports the chaos cycle needs. The real implementations are MarathonClient and
 * MesosClient; tests use hand-written fakes that record their calls.
 */
export interface AppsReader {
  /** One request: every app with tasks, counts, deployments and last task failure. */
  listApps(options?: ListAppsOptions): Promise<MarathonApp[]>;
  /** One app (always with tasks, counts, deployments). Throws MarathonError code E_APP_NOT_FOUND when it is gone. */
  getApp(appId: string): Promise<MarathonApp>;
}

export interface TaskKiller {
  /** `POST /v2/tasks/delete?scale=false` with every id at once; never retried blindly. */
  killTasks(taskIds: readonly string[]): Promise<KillResult>;
}

export interface AgentsReader {
  /** The Mesos master's agents with attributes and fault domain. */
  listAgents(): Promise<MesosAgent[]>;
}
