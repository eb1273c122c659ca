/**
 * Validation and normalisation of Marathon answers into the types of types.ts. Everything that
 * differs between Marathon versions is smoothed out here (docs/marathon-api.md §4–§7), so that
 * downstream code never meets an absent collection or an old field name. Anything that cannot be
 * made sense of becomes a MarathonError E_MARATHON_BAD_RESPONSE naming the endpoint and JSON path.
 */
import { describeBodyProblem, describeValue, parseJsonText, PathReader, type JsonObject } from '../http/json.js';
import { MarathonError } from './errors.js';
import type {
  HealthCheck,
  MarathonApp,
  MarathonInfo,
  MarathonTask,
  TaskFailure,
  TaskState,
  Volume,
} from '../domain/marathon.js';

/** Which request an answer belongs to, e.g. `{method: 'GET', endpoint: '/v2/apps'}`. */
export interface ParseContext {
  method: string;
  endpoint: string;
  status?: number;
}

/** Each state as one shared string: a listing holds tens of thousands of tasks, each naming its state. */
const TASK_STATES: ReadonlyMap<string, TaskState> = new Map(
  ([
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
] as TaskState[]).map((state) => [state, state]),
);

function badResponse(ctx: ParseContext, problem: string): MarathonError {
  return new MarathonError(
    'E_MARATHON_BAD_RESPONSE',
    `${ctx.method} ${ctx.endpoint}: unexpected answer from Marathon: ${problem}`,
    ctx.status === undefined ? { method: ctx.method, endpoint: ctx.endpoint } : { method: ctx.method, endpoint: ctx.endpoint, status: ctx.status },
  );
}

function reader(ctx: ParseContext): PathReader {
  return new PathReader((path, problem) => {
    throw badResponse(ctx, `${path}: ${problem}`);
  });
}

/** Body text → JSON value, or E_MARATHON_BAD_RESPONSE for HTML pages, empty and truncated bodies. */
export function parseBody(text: string, contentType: string | undefined, ctx: ParseContext & { status: number }): unknown {
  const parsed = parseJsonText(text, contentType);
  if (!parsed.ok) throw badResponse(ctx, describeBodyProblem(parsed.problem, ctx.status));
  return parsed.value;
}

// Validation builds no path strings on the way (a 50,000-task listing has over a million fields):
// PathReader keeps the position as a stack of keys and indexes and spells it out only on failure.
// Every field Marathon documents is validated, but the normalised objects are fresh, compact copies
// holding only what marathon-monkey reads (types.ts): the parsed JSON is garbage at once and dies
// young, and only the copies outlive the parse. On the cycle benchmark's 50,000-task listing that
// is ~15 MB kept instead of ~45 MB (tasks fixed up in place, with service ports, addresses and health
// results), and the garbage collector's copying of what survives was most of the listing's cost.

/**
 * `GET /v2/apps` → `{"apps": [App…]}`, from the parsed whole body: the listing's fallback
 * (listing/index.ts, which is how the client reads a listing) and what it is held to.
 */
export function parseAppList(body: unknown, ctx: ParseContext): MarathonApp[] {
  const r = reader(ctx);
  const items = r.array(r.object(body).apps, 'apps');
  const apps = new Array<MarathonApp>(items.length);
  const shared = new Map<string, string>();
  r.enter('apps');
  for (let i = 0; i < items.length; i++) {
    r.enter(i);
    apps[i] = parseApp(r, items[i], shared);
    r.leave();
  }
  r.leave();
  return apps;
}

/** `GET /v2/apps/{id}` → `{"app": App}`. */
export function parseAppResponse(body: unknown, ctx: ParseContext): MarathonApp {
  const r = reader(ctx);
  const root = r.object(body);
  r.enter('app');
  return parseApp(r, root.app);
}

/**
 * `{"tasks": [Task…]}` — the answer of `POST /v2/tasks/delete?scale=false`, `GET /v2/tasks` and
 * `GET /v2/apps/{id}/tasks`. `appId` fills in tasks that lack one (very old per-app listings).
 */
export function parseTaskList(body: unknown, ctx: ParseContext, appId?: string): MarathonTask[] {
  const r = reader(ctx);
  const items = r.array(r.object(body).tasks, 'tasks');
  r.enter('tasks');
  return parseTasks(r, items, appId, new Map());
}

/** `GET /v2/info`. */
export function parseInfo(body: unknown, ctx: ParseContext): MarathonInfo {
  const r = reader(ctx);
  const o = r.object(body);
  const leader = o.leader === null || o.leader === undefined ? null : r.string(o.leader, 'leader');
  const info: MarathonInfo = {
    name: r.string(o.name, 'name'),
    version: r.string(o.version, 'version'),
    elected: r.boolean(o.elected, 'elected'),
    leader,
  };
  const frameworkId = r.optString(o.frameworkId, 'frameworkId');
  if (frameworkId !== undefined) info.frameworkId = frameworkId;
  if (o.marathon_config !== undefined && o.marathon_config !== null) {
    const config = r.object(o.marathon_config, 'marathon_config');
    r.enter('marathon_config');
    const ui = r.optString(config.mesos_leader_ui_url, 'mesos_leader_ui_url');
    if (ui !== undefined && ui !== '') info.mesosLeaderUiUrl = ui;
  }
  return info;
}

/** `GET /v2/leader` → `{"leader": "host:port"}`. */
export function parseLeader(body: unknown, ctx: ParseContext): string {
  const r = reader(ctx);
  return r.nonEmptyString(r.object(body).leader, 'leader');
}

/** Marathon's JSON error body `{"message": …}`; undefined when there is none (HTML pages, empty bodies). */
export function errorMessage(text: string): string | undefined {
  const parsed = parseJsonText(text, undefined);
  if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null) return undefined;
  const m = (parsed.value as JsonObject).message;
  return typeof m === 'string' ? m.slice(0, 300) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Each parser below reads the value at the reader's current position and leaves the position as it found it.

/**
 * One app, also for the streamed listing (listing/reader.ts). `shared` keeps equal strings once
 * across a listing (agent names and ids, versions, zones).
 */
export function parseApp(r: PathReader, v: unknown, shared: Map<string, string> = new Map()): MarathonApp {
  const o = r.object(v);
  const id = r.nonEmptyString(o.id, 'id');
  const instances = r.count(o.instances, 'instances');
  const labels = r.stringMap(o.labels, 'labels');
  const healthChecksIn = r.optArray(o.healthChecks, 'healthChecks');
  const healthChecks = new Array<HealthCheck>(healthChecksIn.length);
  if (healthChecksIn.length > 0) {
    r.enter('healthChecks');
    for (let i = 0; i < healthChecksIn.length; i++) {
      r.enter(i);
      healthChecks[i] = parseHealthCheck(r, healthChecksIn[i]);
      r.leave();
    }
    r.leave();
  }
  const constraintsIn = r.optArray(o.constraints, 'constraints');
  const constraints = new Array<string[]>(constraintsIn.length);
  if (constraintsIn.length > 0) {
    r.enter('constraints');
    for (let i = 0; i < constraintsIn.length; i++) constraints[i] = r.strings(r.array(constraintsIn[i], i), i);
    r.leave();
  }
  let volumes: Volume[] = [];
  if (o.container !== undefined && o.container !== null) {
    r.enter('container');
    volumes = parseVolumes(r, o.container);
    r.leave();
  }
  const tasksStaged = r.count(o.tasksStaged, 'tasksStaged');
  const tasksRunning = r.count(o.tasksRunning, 'tasksRunning');
  const tasksHealthy = r.count(o.tasksHealthy, 'tasksHealthy');
  const tasksUnhealthy = r.count(o.tasksUnhealthy, 'tasksUnhealthy');
  const deploymentsIn = r.optArray(o.deployments, 'deployments');
  const deployments = new Array<{ id: string }>(deploymentsIn.length);
  if (deploymentsIn.length > 0) {
    r.enter('deployments');
    for (let i = 0; i < deploymentsIn.length; i++) {
      const d = r.object(deploymentsIn[i], i);
      r.enter(i);
      deployments[i] = { id: r.nonEmptyString(d.id, 'id') };
      r.leave();
    }
    r.leave();
  }
  const tasksIn = r.optArray(o.tasks, 'tasks');
  let tasks: MarathonTask[] = [];
  if (tasksIn.length > 0) {
    r.enter('tasks');
    tasks = parseTasks(r, tasksIn, id, shared);
    r.leave();
  }
  const app: MarathonApp = {
    id,
    instances,
    labels,
    healthChecks,
    constraints,
    volumes,
    tasksStaged,
    tasksRunning,
    tasksHealthy,
    tasksUnhealthy,
    deployments,
    tasks,
  };
  if (o.cmd !== undefined) app.cmd = o.cmd === null ? null : r.string(o.cmd, 'cmd');
  if (o.upgradeStrategy !== undefined && o.upgradeStrategy !== null) {
    const u = r.object(o.upgradeStrategy, 'upgradeStrategy');
    r.enter('upgradeStrategy');
    // Very old Marathon omitted maximumOverCapacity; 1 is its documented default.
    app.upgradeStrategy = {
      minimumHealthCapacity: r.optNumber(u.minimumHealthCapacity, 'minimumHealthCapacity') ?? 1,
      maximumOverCapacity: r.optNumber(u.maximumOverCapacity, 'maximumOverCapacity') ?? 1,
    };
    r.leave();
  }
  const backoffSeconds = r.optNumber(o.backoffSeconds, 'backoffSeconds');
  if (backoffSeconds !== undefined) app.backoffSeconds = backoffSeconds;
  const backoffFactor = r.optNumber(o.backoffFactor, 'backoffFactor');
  if (backoffFactor !== undefined) app.backoffFactor = backoffFactor;
  const maxLaunchDelaySeconds = r.optNumber(o.maxLaunchDelaySeconds, 'maxLaunchDelaySeconds');
  if (maxLaunchDelaySeconds !== undefined) app.maxLaunchDelaySeconds = maxLaunchDelaySeconds;
  if (o.taskKillGracePeriodSeconds !== undefined) {
    app.taskKillGracePeriodSeconds = o.taskKillGracePeriodSeconds === null ? null : r.number(o.taskKillGracePeriodSeconds, 'taskKillGracePeriodSeconds');
  }
  const version = r.optString(o.version, 'version');
  if (version !== undefined) app.version = version;
  if (o.lastTaskFailure !== undefined && o.lastTaskFailure !== null) {
    r.enter('lastTaskFailure');
    app.lastTaskFailure = parseTaskFailure(r, o.lastTaskFailure);
    r.leave();
  }
  return app;
}

/** Only persistent and external volumes make an app stateful; host-path mounts do not. */
function parseVolumes(r: PathReader, container: unknown): Volume[] {
  const c = r.object(container);
  const items = r.optArray(c.volumes, 'volumes');
  const out: Volume[] = [];
  if (items.length === 0) return out;
  r.enter('volumes');
  for (let i = 0; i < items.length; i++) {
    const o = r.object(items[i], i);
    const hasPersistent = o.persistent !== undefined && o.persistent !== null;
    const hasExternal = o.external !== undefined && o.external !== null;
    if (!hasPersistent && !hasExternal) continue;
    r.enter(i);
    const vol: Volume = {};
    const containerPath = r.optString(o.containerPath, 'containerPath');
    if (containerPath !== undefined) vol.containerPath = containerPath;
    const hostPath = r.optString(o.hostPath, 'hostPath');
    if (hostPath !== undefined) vol.hostPath = hostPath;
    const mode = r.optString(o.mode, 'mode');
    if (mode !== undefined) vol.mode = mode;
    if (hasPersistent) {
      const po = r.object(o.persistent, 'persistent');
      r.enter('persistent');
      const persistent: { size?: number; type?: string } = {};
      const size = r.optNumber(po.size, 'size');
      if (size !== undefined) persistent.size = size;
      const type = r.optString(po.type, 'type');
      if (type !== undefined) persistent.type = type;
      vol.persistent = persistent;
      r.leave();
    }
    if (hasExternal) vol.external = o.external;
    out.push(vol);
    r.leave();
  }
  r.leave();
  return out;
}

const HEALTH_CHECK_NUMBERS = ['portIndex', 'port', 'gracePeriodSeconds', 'intervalSeconds', 'timeoutSeconds', 'maxConsecutiveFailures', 'delaySeconds'] as const;

function parseHealthCheck(r: PathReader, v: unknown): HealthCheck {
  const o = r.object(v);
  const hc: HealthCheck = {};
  const protocol = r.optString(o.protocol, 'protocol');
  if (protocol !== undefined) hc.protocol = protocol;
  const hcPath = r.optString(o.path, 'path');
  if (hcPath !== undefined) hc.path = hcPath;
  for (const field of HEALTH_CHECK_NUMBERS) {
    const n = r.optNumber(o[field], field);
    if (n !== undefined) hc[field] = n;
  }
  if (o.command !== undefined && o.command !== null) {
    const c = r.object(o.command, 'command');
    r.enter('command');
    hc.command = { value: r.string(c.value, 'value') };
    r.leave();
  }
  const ignore = r.optBoolean(o.ignoreHttp1xx, 'ignoreHttp1xx');
  if (ignore !== undefined) hc.ignoreHttp1xx = ignore;
  return hc;
}

/** The tasks of an array at the current position, validated, as compact normalised tasks. */
function parseTasks(r: PathReader, items: unknown[], appIdFallback: string | undefined, shared: Map<string, string>): MarathonTask[] {
  const tasks = new Array<MarathonTask>(items.length);
  let previous: MarathonTask | undefined;
  for (let i = 0; i < items.length; i++) {
    r.enter(i);
    previous = tasks[i] = parseTask(r, items[i], appIdFallback, shared, previous);
    r.leave();
  }
  return tasks;
}

/** The local volumes of the (many) tasks that have none: one frozen array. */
const NO_VOLUMES: readonly unknown[] = Object.freeze([]);

function parseTask(r: PathReader, v: unknown, appIdFallback: string | undefined, shared: Map<string, string>, previous: MarathonTask | undefined): MarathonTask {
  const o = r.object(v);
  const stagedAt = r.optString(o.stagedAt, 'stagedAt');
  const startedAt = r.optString(o.startedAt, 'startedAt');
  let state: TaskState;
  if (o.state === undefined || o.state === null) {
    // Pre-0.8 Marathon had no state: a task that started is running, one that did not is staging.
    state = startedAt !== undefined ? 'TASK_RUNNING' : 'TASK_STAGING';
  } else {
    const s = r.string(o.state, 'state');
    const known = TASK_STATES.get(s);
    if (known === undefined) r.fail('state', `expected a Mesos task state (TASK_RUNNING, TASK_STAGING, …), got ${describeValue(s)}`);
    state = known;
  }
  // Equal strings are kept once (the app's id, the host, …): the normalised listing outlives the
  // parse, and its size is what the garbage collector copies.
  const ownAppId = o.appId === undefined && appIdFallback !== undefined ? appIdFallback : r.nonEmptyString(o.appId, 'appId');
  const appId = ownAppId === appIdFallback ? appIdFallback : ownAppId;
  const id = r.nonEmptyString(o.id, 'id');
  const host = once(shared, r.string(o.host, 'host'));
  // The host ports are what a per-task service probe connects to (src/probe); servicePorts is
  // validated although nothing downstream reads it: a listing with it wrong is not to be trusted.
  const ports = r.numbers(o.ports, 'ports');
  r.numbers(o.servicePorts, 'servicePorts');
  const ipAddresses = r.optArray(o.ipAddresses, 'ipAddresses');
  if (ipAddresses.length > 0) {
    r.enter('ipAddresses');
    for (let i = 0; i < ipAddresses.length; i++) {
      const a = r.object(ipAddresses[i], i);
      r.enter(i);
      r.string(a.ipAddress, 'ipAddress');
      r.string(a.protocol, 'protocol');
      r.leave();
    }
    r.leave();
  }
  const healthCheckResults = r.optArray(o.healthCheckResults, 'healthCheckResults');
  if (healthCheckResults.length > 0) {
    r.enter('healthCheckResults');
    for (let i = 0; i < healthCheckResults.length; i++) {
      r.enter(i);
      checkHealthResult(r, healthCheckResults[i]);
      r.leave();
    }
    r.leave();
  }
  const localVolumes = r.optArray(o.localVolumes, 'localVolumes');
  const slaveId = r.optString(o.slaveId, 'slaveId');
  const version = r.optString(o.version, 'version');
  const region = r.optString(o.region, 'region');
  const zone = r.optString(o.zone, 'zone');
  r.optString(o.role, 'role');
  // Optional keys are added in one order, so tasks of one listing share one shape.
  const task: MarathonTask = { id, appId, host, state, localVolumes: localVolumes.length === 0 ? NO_VOLUMES : localVolumes };
  if (slaveId !== undefined) task.slaveId = once(shared, slaveId);
  if (stagedAt !== undefined) task.stagedAt = stagedAt;
  if (startedAt !== undefined) task.startedAt = startedAt;
  // An app's tasks mostly share version, region and zone: the previous task's string spares a lookup.
  if (version !== undefined) task.version = version === previous?.version ? previous.version : once(shared, version);
  if (region !== undefined) task.region = region === previous?.region ? previous.region : once(shared, region);
  if (zone !== undefined) task.zone = zone === previous?.zone ? previous.zone : once(shared, zone);
  if (ports.length > 0) task.ports = ports.length === 1 ? singlePort(ports[0]!) : ports;
  return task;
}

/**
 * Frozen one-port arrays, one per port number for the life of the process. Most tasks have one
 * host port from Mesos's small range (31000-32000 by default), so 50,000 tasks share about a
 * thousand arrays instead of each keeping its own (~3 MB on the cycle benchmark's listing), and
 * the shared ones never become garbage. Tasks with several ports keep their parsed array.
 */
const SINGLE_PORTS = new Map<number, readonly number[]>();

function singlePort(port: number): readonly number[] {
  let ports = SINGLE_PORTS.get(port);
  if (ports === undefined) {
    ports = Object.freeze([port]);
    // A hostile listing of fractional or huge "ports" must not grow the map without bound.
    if (Number.isInteger(port) && port >= 0 && port <= 65535) SINGLE_PORTS.set(port, ports);
  }
  return ports;
}

/** The string equal to `s` seen first in this listing. */
function once(shared: Map<string, string>, s: string): string {
  const seen = shared.get(s);
  if (seen !== undefined) return seen;
  shared.set(s, s);
  return s;
}

/** A health check result at the current position: validated only (steady state reads the app's counts). */
function checkHealthResult(r: PathReader, v: unknown): void {
  const o = r.object(v);
  r.boolean(o.alive, 'alive');
  r.optNumber(o.consecutiveFailures, 'consecutiveFailures');
  for (const field of HEALTH_RESULT_TEXTS) {
    const text = o[field];
    if (text !== null && text !== undefined) r.string(text, field);
  }
}

const HEALTH_RESULT_TEXTS = ['firstSuccess', 'lastSuccess', 'lastFailure', 'lastFailureCause', 'taskId', 'instanceId'] as const;

function parseTaskFailure(r: PathReader, v: unknown): TaskFailure {
  const o = r.object(v);
  const failure: TaskFailure = {
    appId: r.string(o.appId, 'appId'),
    taskId: r.string(o.taskId, 'taskId'),
    state: r.string(o.state, 'state'),
    // Informational only: tolerate their absence rather than failing the whole listing.
    message: r.optString(o.message, 'message') ?? '',
    host: r.optString(o.host, 'host') ?? '',
    timestamp: r.string(o.timestamp, 'timestamp'),
    version: r.optString(o.version, 'version') ?? '',
  };
  const slaveId = r.optString(o.slaveId, 'slaveId');
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
