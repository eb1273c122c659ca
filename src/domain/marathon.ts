/**
 * Marathon's payloads as the client hands them to the rest of marathon-monkey: already validated
 * and normalised (see parse.ts), so that downstream code never meets an absent collection or an
 * old field name. Field names are Marathon's own (see docs/marathon-api.md §4–§7).
 */

export type TaskState =
  | 'TASK_STAGING'
  | 'TASK_STARTING'
  | 'TASK_RUNNING'
  | 'TASK_KILLING'
  | 'TASK_KILLED'
  | 'TASK_FINISHED'
  | 'TASK_FAILED'
  | 'TASK_ERROR'
  | 'TASK_UNREACHABLE'
  | 'TASK_GONE'
  | 'TASK_GONE_BY_OPERATOR'
  | 'TASK_DROPPED'
  | 'TASK_UNKNOWN'
  | 'TASK_LOST';

export const TERMINAL_TASK_STATES: ReadonlySet<TaskState> = new Set<TaskState>([
  'TASK_KILLED',
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_ERROR',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
  'TASK_DROPPED',
  'TASK_UNKNOWN',
  'TASK_LOST',
]);

/**
 * A task as marathon-monkey keeps it: what victim selection, guards, the kill and the journal read.
 * The client validates the rest of Marathon's task (servicePorts, ipAddresses, healthCheckResults,
 * role) but does not keep it: the steady state is judged on the app's counts, and a 50,000-task
 * listing is a third of the size without them (see parse.ts). The host ports are kept for the
 * per-task service probes.
 */
export interface MarathonTask {
  id: string;
  appId: string;
  /** Agent hostname (== Mesos agent `hostname`). */
  host: string;
  /** Mesos agent id; absent in very old payloads. */
  slaveId?: string;
  /** Absent in pre-0.8 payloads: the parser derives it from `startedAt`. */
  state: TaskState;
  stagedAt?: string;
  startedAt?: string;
  version?: string;
  /** Resident tasks' local volumes; an empty (frozen, shared) array when there are none. */
  localVolumes: readonly unknown[];
  /** Fault domain of the task's agent (Marathon ≥1.6). */
  region?: string;
  zone?: string;
  /** The task's host ports, in the app's port order (absent when it has none; may be shared and frozen). */
  ports?: readonly number[];
}

export interface HealthCheck {
  protocol?: string;
  path?: string;
  portIndex?: number;
  port?: number;
  command?: { value: string };
  gracePeriodSeconds?: number;
  intervalSeconds?: number;
  timeoutSeconds?: number;
  maxConsecutiveFailures?: number;
  delaySeconds?: number;
  ignoreHttp1xx?: boolean;
}

export interface TaskFailure {
  appId: string;
  taskId: string;
  state: string;
  message: string;
  host: string;
  slaveId?: string;
  timestamp: string;
  version: string;
}

export interface Volume {
  containerPath?: string;
  hostPath?: string;
  mode?: string;
  persistent?: { size?: number; type?: string } | undefined;
  external?: unknown;
}

export interface MarathonApp {
  id: string;
  instances: number;
  cmd?: string | null;
  labels: Record<string, string>;
  /** Always an array after parsing (1.5+ omits it when empty). */
  healthChecks: HealthCheck[];
  constraints: string[][];
  /** Persistent/external volumes from `container.volumes` (an app with any is stateful). */
  volumes: Volume[];
  upgradeStrategy?: { minimumHealthCapacity: number; maximumOverCapacity: number };
  backoffSeconds?: number;
  backoffFactor?: number;
  maxLaunchDelaySeconds?: number;
  taskKillGracePeriodSeconds?: number | null;
  version?: string;
  tasksStaged: number;
  tasksRunning: number;
  tasksHealthy: number;
  tasksUnhealthy: number;
  deployments: { id: string }[];
  /** Always an array after parsing; empty when the listing was made without `embed=apps.tasks`. */
  tasks: MarathonTask[];
  lastTaskFailure?: TaskFailure;
}

/** The answer to a kill: which of the requested ids Marathon matched, and which it silently ignored. */
export interface KillResult {
  requested: string[];
  /** Tasks Marathon listed in its 200 answer (their state is as it was before the kill). */
  killed: MarathonTask[];
  /** Requested ids that matched no task (Marathon ignores unknown ids without an error). */
  unmatched: string[];
}

export interface ListAppsOptions {
  /** Marathon label selector, e.g. `monkey.enabled==true` (server-side narrowing). */
  labelSelector?: string;
}

export interface MarathonInfo {
  name: string;
  version: string;
  elected: boolean;
  leader: string | null;
  frameworkId?: string;
  mesosLeaderUiUrl?: string;
}
