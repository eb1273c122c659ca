/**
 * Validation and normalisation of Marathon answers into the types of types.ts. Everything that
 * differs between Marathon versions is smoothed out here (shared/marathon-api.md §4–§7), so that
 * downstream code never meets an absent collection or an old field name. Anything that cannot be
 * made sense of becomes a MarathonError E_MARATHON_BAD_RESPONSE naming the endpoint and JSON path.
 */
import { describeBodyProblem, describeValue, JsonReader, key, parseJsonText, type JsonObject } from '../http/json.js';
import { MarathonError } from './errors.js';
import type {
  HealthCheck,
  HealthCheckResult,
  IpAddress,
  MarathonApp,
  MarathonInfo,
  MarathonTask,
  TaskFailure,
  TaskState,
  Volume,
} from './types.js';

/** Which request an answer belongs to, e.g. `{method: 'GET', endpoint: '/v2/apps'}`. */
export interface ParseContext {
  method: string;
  endpoint: string;
  status?: number;
}

const TASK_STATES: ReadonlySet<string> = new Set<TaskState>([
  'TASK_STAGING',
  'TASK_STARTING',
  'TASK_RUNNING',
  'TASK_KILLING',
  'TASK_KILLED',
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_ERROR',
  'TASK_UNREACHABLE',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
  'TASK_DROPPED',
  'TASK_UNKNOWN',
  'TASK_LOST',
]);

function badResponse(ctx: ParseContext, problem: string): MarathonError {
  return new MarathonError(
    'E_MARATHON_BAD_RESPONSE',
    `${ctx.method} ${ctx.endpoint}: unexpected answer from Marathon: ${problem}`,
    ctx.status === undefined ? { method: ctx.method, endpoint: ctx.endpoint } : { method: ctx.method, endpoint: ctx.endpoint, status: ctx.status },
  );
}

function reader(ctx: ParseContext): JsonReader {
  return new JsonReader((path, problem) => {
    throw badResponse(ctx, `${path}: ${problem}`);
  });
}

/** Body text → JSON value, or E_MARATHON_BAD_RESPONSE for HTML pages, empty and truncated bodies. */
export function parseBody(text: string, contentType: string | undefined, ctx: ParseContext & { status: number }): unknown {
  const parsed = parseJsonText(text, contentType);
  if (!parsed.ok) throw badResponse(ctx, describeBodyProblem(parsed.problem, ctx.status));
  return parsed.value;
}

/** `GET /v2/apps` → `{"apps": [App…]}`. */
export function parseAppList(body: unknown, ctx: ParseContext): MarathonApp[] {
  const r = reader(ctx);
  const root = r.object(body, '$');
  return r.array(root.apps, '$.apps').map((a, i) => parseApp(r, a, `$.apps[${i}]`));
}

/** `GET /v2/apps/{id}` → `{"app": App}`. */
export function parseAppResponse(body: unknown, ctx: ParseContext): MarathonApp {
  const r = reader(ctx);
  const root = r.object(body, '$');
  return parseApp(r, root.app, '$.app');
}

/**
 * `{"tasks": [Task…]}` — the answer of `POST /v2/tasks/delete?scale=false`, `GET /v2/tasks` and
 * `GET /v2/apps/{id}/tasks`. `appId` fills in tasks that lack one (very old per-app listings).
 */
export function parseTaskList(body: unknown, ctx: ParseContext, appId?: string): MarathonTask[] {
  const r = reader(ctx);
  const root = r.object(body, '$');
  return r.array(root.tasks, '$.tasks').map((t, i) => parseTask(r, t, `$.tasks[${i}]`, appId));
}

/** `GET /v2/info`. */
export function parseInfo(body: unknown, ctx: ParseContext): MarathonInfo {
  const r = reader(ctx);
  const o = r.object(body, '$');
  const leader = o.leader === null || o.leader === undefined ? null : r.string(o.leader, '$.leader');
  const info: MarathonInfo = {
    name: r.string(o.name, '$.name'),
    version: r.string(o.version, '$.version'),
    elected: r.boolean(o.elected, '$.elected'),
    leader,
  };
  const frameworkId = r.optString(o.frameworkId, '$.frameworkId');
  if (frameworkId !== undefined) info.frameworkId = frameworkId;
  if (o.marathon_config !== undefined && o.marathon_config !== null) {
    const config = r.object(o.marathon_config, '$.marathon_config');
    const ui = r.optString(config.mesos_leader_ui_url, '$.marathon_config.mesos_leader_ui_url');
    if (ui !== undefined && ui !== '') info.mesosLeaderUiUrl = ui;
  }
  return info;
}

/** `GET /v2/leader` → `{"leader": "host:port"}`. */
export function parseLeader(body: unknown, ctx: ParseContext): string {
  const r = reader(ctx);
  return r.nonEmptyString(r.object(body, '$').leader, '$.leader');
}

/** Marathon's JSON error body `{"message": …}`; undefined when there is none (HTML pages, empty bodies). */
export function errorMessage(text: string): string | undefined {
  const parsed = parseJsonText(text, undefined);
  if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null) return undefined;
  const m = (parsed.value as JsonObject).message;
  return typeof m === 'string' ? m.slice(0, 300) : undefined;
}

// ---------------------------------------------------------------------------------------------

function parseApp(r: JsonReader, v: unknown, path: string): MarathonApp {
  const o = r.object(v, path);
  const id = r.nonEmptyString(o.id, `${path}.id`);
  const app: MarathonApp = {
    id,
    instances: r.count(o.instances, `${path}.instances`),
    labels: r.stringMap(o.labels, `${path}.labels`),
    healthChecks: r.optArray(o.healthChecks, `${path}.healthChecks`).map((h, i) => parseHealthCheck(r, h, `${path}.healthChecks[${i}]`)),
    constraints: r
      .optArray(o.constraints, `${path}.constraints`)
      .map((c, i) => r.array(c, `${path}.constraints[${i}]`).map((x, j) => r.string(x, `${path}.constraints[${i}][${j}]`))),
    volumes: parseVolumes(r, o.container, `${path}.container`),
    tasksStaged: r.count(o.tasksStaged, `${path}.tasksStaged`),
    tasksRunning: r.count(o.tasksRunning, `${path}.tasksRunning`),
    tasksHealthy: r.count(o.tasksHealthy, `${path}.tasksHealthy`),
    tasksUnhealthy: r.count(o.tasksUnhealthy, `${path}.tasksUnhealthy`),
    deployments: r.optArray(o.deployments, `${path}.deployments`).map((d, i) => ({
      id: r.nonEmptyString(r.object(d, `${path}.deployments[${i}]`).id, `${path}.deployments[${i}].id`),
    })),
    tasks: r.optArray(o.tasks, `${path}.tasks`).map((t, i) => parseTask(r, t, `${path}.tasks[${i}]`, id)),
  };
  if (o.cmd !== undefined) app.cmd = o.cmd === null ? null : r.string(o.cmd, `${path}.cmd`);
  if (o.upgradeStrategy !== undefined && o.upgradeStrategy !== null) {
    const u = r.object(o.upgradeStrategy, `${path}.upgradeStrategy`);
    // Very old Marathon omitted maximumOverCapacity; 1 is its documented default.
    app.upgradeStrategy = {
      minimumHealthCapacity: r.optNumber(u.minimumHealthCapacity, `${path}.upgradeStrategy.minimumHealthCapacity`) ?? 1,
      maximumOverCapacity: r.optNumber(u.maximumOverCapacity, `${path}.upgradeStrategy.maximumOverCapacity`) ?? 1,
    };
  }
  setNumber(app, 'backoffSeconds', r.optNumber(o.backoffSeconds, `${path}.backoffSeconds`));
  setNumber(app, 'backoffFactor', r.optNumber(o.backoffFactor, `${path}.backoffFactor`));
  setNumber(app, 'maxLaunchDelaySeconds', r.optNumber(o.maxLaunchDelaySeconds, `${path}.maxLaunchDelaySeconds`));
  if (o.taskKillGracePeriodSeconds !== undefined) {
    app.taskKillGracePeriodSeconds = o.taskKillGracePeriodSeconds === null ? null : r.number(o.taskKillGracePeriodSeconds, `${path}.taskKillGracePeriodSeconds`);
  }
  const version = r.optString(o.version, `${path}.version`);
  if (version !== undefined) app.version = version;
  if (o.lastTaskFailure !== undefined && o.lastTaskFailure !== null) {
    app.lastTaskFailure = parseTaskFailure(r, o.lastTaskFailure, `${path}.lastTaskFailure`);
  }
  return app;
}

function setNumber(app: MarathonApp, field: 'backoffSeconds' | 'backoffFactor' | 'maxLaunchDelaySeconds', value: number | undefined): void {
  if (value !== undefined) app[field] = value;
}

/** Only persistent and external volumes make an app stateful; host-path mounts do not. */
function parseVolumes(r: JsonReader, container: unknown, path: string): Volume[] {
  if (container === undefined || container === null) return [];
  const c = r.object(container, path);
  const out: Volume[] = [];
  r.optArray(c.volumes, `${path}.volumes`).forEach((v, i) => {
    const p = `${path}.volumes[${i}]`;
    const o = r.object(v, p);
    const hasPersistent = o.persistent !== undefined && o.persistent !== null;
    const hasExternal = o.external !== undefined && o.external !== null;
    if (!hasPersistent && !hasExternal) return;
    const vol: Volume = {};
    const containerPath = r.optString(o.containerPath, `${p}.containerPath`);
    if (containerPath !== undefined) vol.containerPath = containerPath;
    const hostPath = r.optString(o.hostPath, `${p}.hostPath`);
    if (hostPath !== undefined) vol.hostPath = hostPath;
    const mode = r.optString(o.mode, `${p}.mode`);
    if (mode !== undefined) vol.mode = mode;
    if (hasPersistent) {
      const po = r.object(o.persistent, `${p}.persistent`);
      const persistent: { size?: number; type?: string } = {};
      const size = r.optNumber(po.size, `${p}.persistent.size`);
      if (size !== undefined) persistent.size = size;
      const type = r.optString(po.type, `${p}.persistent.type`);
      if (type !== undefined) persistent.type = type;
      vol.persistent = persistent;
    }
    if (hasExternal) vol.external = o.external;
    out.push(vol);
  });
  return out;
}

function parseHealthCheck(r: JsonReader, v: unknown, path: string): HealthCheck {
  const o = r.object(v, path);
  const hc: HealthCheck = {};
  const protocol = r.optString(o.protocol, `${path}.protocol`);
  if (protocol !== undefined) hc.protocol = protocol;
  const hcPath = r.optString(o.path, `${path}.path`);
  if (hcPath !== undefined) hc.path = hcPath;
  for (const field of ['portIndex', 'port', 'gracePeriodSeconds', 'intervalSeconds', 'timeoutSeconds', 'maxConsecutiveFailures', 'delaySeconds'] as const) {
    const n = r.optNumber(o[field], `${path}.${field}`);
    if (n !== undefined) hc[field] = n;
  }
  if (o.command !== undefined && o.command !== null) {
    const c = r.object(o.command, `${path}.command`);
    hc.command = { value: r.string(c.value, `${path}.command.value`) };
  }
  const ignore = r.optBoolean(o.ignoreHttp1xx, `${path}.ignoreHttp1xx`);
  if (ignore !== undefined) hc.ignoreHttp1xx = ignore;
  return hc;
}

function parseTask(r: JsonReader, v: unknown, path: string, appIdFallback: string | undefined): MarathonTask {
  const o = r.object(v, path);
  const stagedAt = r.optString(o.stagedAt, `${path}.stagedAt`);
  const startedAt = r.optString(o.startedAt, `${path}.startedAt`);
  let state: TaskState;
  if (o.state === undefined || o.state === null) {
    // Pre-0.8 Marathon had no state: a task that started is running, one that did not is staging.
    state = startedAt !== undefined ? 'TASK_RUNNING' : 'TASK_STAGING';
  } else {
    const s = r.string(o.state, `${path}.state`);
    if (!TASK_STATES.has(s)) {
      r.fail(`${path}.state`, `expected a Mesos task state (TASK_RUNNING, TASK_STAGING, …), got ${describeValue(s)}`);
    }
    state = s as TaskState;
  }
  const appId = o.appId === undefined && appIdFallback !== undefined ? appIdFallback : r.nonEmptyString(o.appId, `${path}.appId`);
  const task: MarathonTask = {
    id: r.nonEmptyString(o.id, `${path}.id`),
    appId,
    host: r.string(o.host, `${path}.host`),
    state,
    ports: r.numbers(o.ports, `${path}.ports`),
    servicePorts: r.numbers(o.servicePorts, `${path}.servicePorts`),
    ipAddresses: r.optArray(o.ipAddresses, `${path}.ipAddresses`).map((a, i) => parseIp(r, a, `${path}.ipAddresses[${i}]`)),
    healthCheckResults: r
      .optArray(o.healthCheckResults, `${path}.healthCheckResults`)
      .map((h, i) => parseHealthResult(r, h, `${path}.healthCheckResults[${i}]`)),
    localVolumes: r.optArray(o.localVolumes, `${path}.localVolumes`),
  };
  const slaveId = r.optString(o.slaveId, `${path}.slaveId`);
  if (slaveId !== undefined) task.slaveId = slaveId;
  if (stagedAt !== undefined) task.stagedAt = stagedAt;
  if (startedAt !== undefined) task.startedAt = startedAt;
  for (const field of ['version', 'region', 'zone', 'role'] as const) {
    const s = r.optString(o[field], `${path}.${field}`);
    if (s !== undefined) task[field] = s;
  }
  return task;
}

function parseIp(r: JsonReader, v: unknown, path: string): IpAddress {
  const o = r.object(v, path);
  return { ipAddress: r.string(o.ipAddress, `${path}.ipAddress`), protocol: r.string(o.protocol, `${path}.protocol`) };
}

function parseHealthResult(r: JsonReader, v: unknown, path: string): HealthCheckResult {
  const o = r.object(v, path);
  const result: HealthCheckResult = {
    alive: r.boolean(o.alive, `${path}.alive`),
    consecutiveFailures: r.optNumber(o.consecutiveFailures, `${path}.consecutiveFailures`) ?? 0,
  };
  for (const field of ['firstSuccess', 'lastSuccess', 'lastFailure', 'lastFailureCause'] as const) {
    if (o[field] === null) result[field] = null;
    else {
      const s = r.optString(o[field], `${path}${key(field)}`);
      if (s !== undefined) result[field] = s;
    }
  }
  const taskId = r.optString(o.taskId, `${path}.taskId`);
  const instanceId = r.optString(o.instanceId, `${path}.instanceId`);
  if (taskId !== undefined) result.taskId = taskId;
  // Marathon <1.4 names the (task == instance) id `taskId`; downstream code only reads instanceId.
  const effective = instanceId ?? taskId;
  if (effective !== undefined) result.instanceId = effective;
  return result;
}

function parseTaskFailure(r: JsonReader, v: unknown, path: string): TaskFailure {
  const o = r.object(v, path);
  const failure: TaskFailure = {
    appId: r.string(o.appId, `${path}.appId`),
    taskId: r.string(o.taskId, `${path}.taskId`),
    state: r.string(o.state, `${path}.state`),
    // Informational only: tolerate their absence rather than failing the whole listing.
    message: r.optString(o.message, `${path}.message`) ?? '',
    host: r.optString(o.host, `${path}.host`) ?? '',
    timestamp: r.string(o.timestamp, `${path}.timestamp`),
    version: r.optString(o.version, `${path}.version`) ?? '',
  };
  const slaveId = r.optString(o.slaveId, `${path}.slaveId`);
  if (slaveId !== undefined) failure.slaveId = slaveId;
  return failure;
}

// ---------------------------------------------------------------------------------------------

/**
 * The instance a task id belongs to. Marathon reduces kill ids to instances (an old incarnation's
 * id kills the current task), so kill answers are compared on this key:
 * `app.instance-<uuid>._app.3` → `app.instance-<uuid>`; `app.marathon-<uuid>` stays as is;
 * pre-1.4 ids (`app.<uuid>`) are their own instance.
 */
export function instanceKey(taskId: string): string {
  const m = /^(.+\.(?:instance|marathon)-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?:\..+)?$/.exec(taskId);
  return m?.[1] ?? taskId;
}
