import { iso, stepsOf, type SimAgent, type SimApp, type SimCluster, type SimDeployment, type SimInstance } from './cluster.js';

/**
 * Marathon's and Mesos' JSON, built from the model. App listings are cached per app as JSON text
 * (the model clears the cache on every change), so listing 5,000 apps / 50,000 tasks is a string
 * join, not 50,000 object serialisations per request.
 */

export interface Counts {
  tasksStaged: number;
  tasksRunning: number;
  tasksHealthy: number;
  tasksUnhealthy: number;
}

/** Counts exactly as Marathon computes them (docs/marathon-api.md §6). */
export function countsOf(app: SimApp): Counts {
  const c: Counts = { tasksStaged: 0, tasksRunning: 0, tasksHealthy: 0, tasksUnhealthy: 0 };
  const hc = app.healthChecks.length > 0;
  for (const inst of app.instances) {
    if (!inst.hasTask || inst.isTerminal) continue;
    if (inst.state === 'TASK_STAGING') c.tasksStaged++;
    if (inst.state === 'TASK_RUNNING') c.tasksRunning++;
    if (hc && inst.health) {
      if (inst.health.alive) c.tasksHealthy++;
      else c.tasksUnhealthy++;
    }
  }
  return c;
}

export function renderTask(inst: SimInstance): Record<string, unknown> {
  const agent = inst.agent as SimAgent;
  const terminal = inst.isTerminal;
  const task: Record<string, unknown> = {
    id: inst.taskId,
    appId: inst.app.id,
    host: inst.app.taskHost ?? agent.hostname,
    slaveId: agent.id,
    state: inst.state,
  };
  // A terminal task waiting for its replacement has no timestamps, version or ports.
  if (!terminal) {
    if (inst.stagedAt !== undefined) task.stagedAt = iso(inst.stagedAt);
    if (inst.startedAt !== undefined) task.startedAt = iso(inst.startedAt);
    task.version = inst.app.version;
  }
  task.ports = terminal ? [] : inst.ports;
  task.servicePorts = inst.app.servicePorts;
  task.ipAddresses = [{ ipAddress: inst.app.taskHost ?? agent.hostname, protocol: 'IPv4' }];
  task.healthCheckResults = inst.health && !terminal ? [inst.health] : [];
  task.localVolumes = inst.app.def.persistentVolumes ? [{ containerPath: 'data', persistenceId: `${inst.instanceId}#data` }] : [];
  task.role = '*';
  if (agent.region !== undefined) task.region = agent.region;
  if (agent.zone !== undefined) task.zone = agent.zone;
  return task;
}

export function tasksOf(app: SimApp): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const inst of app.instances) if (inst.hasTask) out.push(renderTask(inst));
  return out;
}

const q = JSON.stringify;

/**
 * renderTask as JSON text, written out by hand: the first listing of a 50,000-task cluster is
 * dominated by task serialisation, and a template is several times faster than object + stringify.
 * Must stay key-for-key equal to JSON.stringify(renderTask(inst)) (a test checks this).
 */
export function taskJson(inst: SimInstance): string {
  const agent = inst.agent as SimAgent;
  const app = inst.app;
  const terminal = inst.isTerminal;
  const host = app.taskHost ?? agent.hostname;
  let s = `{"id":${q(inst.taskId)},"appId":${q(app.id)},"host":${q(host)},"slaveId":${q(agent.id)},"state":"${inst.state}"`;
  if (!terminal) {
    if (inst.stagedAt !== undefined) s += `,"stagedAt":"${iso(inst.stagedAt)}"`;
    if (inst.startedAt !== undefined) s += `,"startedAt":"${iso(inst.startedAt)}"`;
    s += `,"version":"${app.version}"`;
  }
  s += `,"ports":[${terminal ? '' : inst.ports.join(',')}],"servicePorts":[${app.servicePorts.join(',')}]`;
  s += `,"ipAddresses":[{"ipAddress":${q(host)},"protocol":"IPv4"}]`;
  s += `,"healthCheckResults":${inst.health && !terminal ? `[${q(inst.health)}]` : '[]'}`;
  s += `,"localVolumes":${app.def.persistentVolumes ? `[{"containerPath":"data","persistenceId":${q(`${inst.instanceId}#data`)}}]` : '[]'},"role":"*"`;
  if (agent.region !== undefined) s += `,"region":${q(agent.region)}`;
  if (agent.zone !== undefined) s += `,"zone":${q(agent.zone)}`;
  return `${s}}`;
}

/** The app definition (what `/v2/queue` embeds and what every app listing starts with). */
export function renderDefinition(app: SimApp): Record<string, unknown> {
  const d = app.def;
  const def: Record<string, unknown> = {
    id: d.id,
    backoffFactor: 1.15,
    backoffSeconds: 1,
    cpus: d.cpus,
    disk: d.disk,
    executor: '',
    instances: app.target,
    labels: app.labels,
    maxLaunchDelaySeconds: 300,
    mem: d.mem,
    gpus: 0,
    networks: [{ mode: 'host' }],
    portDefinitions: [{ port: app.servicePorts[0] ?? 0, name: 'http', protocol: 'tcp' }],
    requirePorts: false,
    upgradeStrategy: d.persistentVolumes ? { maximumOverCapacity: 0, minimumHealthCapacity: 0.5 } : { maximumOverCapacity: 1, minimumHealthCapacity: 1 },
    version: app.version,
    versionInfo: { lastScalingAt: app.lastScalingAt, lastConfigChangeAt: app.lastConfigChangeAt },
    killSelection: 'YOUNGEST_FIRST',
    unreachableStrategy: d.persistentVolumes ? 'disabled' : { inactiveAfterSeconds: 300, expungeAfterSeconds: 600 },
    taskKillGracePeriodSeconds: null,
    role: '*',
  };
  // Marathon 1.5+ leaves unset fields and empty collections out of the app JSON.
  if (d.cmd !== null) def.cmd = d.cmd;
  if (d.constraints.length > 0) def.constraints = d.constraints;
  if (d.healthChecks.length > 0) {
    def.healthChecks = d.healthChecks.map((h) => {
      const out: Record<string, unknown> = {
        gracePeriodSeconds: h.gracePeriodSeconds,
        intervalSeconds: h.intervalSeconds,
        maxConsecutiveFailures: h.maxConsecutiveFailures,
        portIndex: h.portIndex,
        protocol: h.protocol,
        timeoutSeconds: h.timeoutSeconds,
        delaySeconds: h.delaySeconds,
      };
      if (h.path !== undefined) out.path = h.path;
      return out;
    });
  }
  if (d.persistentVolumes) {
    def.container = {
      type: 'MESOS',
      volumes: [{ containerPath: 'data', mode: 'RW', persistent: { size: 1024, type: 'root', constraints: [] } }],
    };
  }
  return def;
}

function appObject(app: SimApp): Record<string, unknown> {
  const out = renderDefinition(app);
  Object.assign(out, countsOf(app));
  out.deployments = app.deployments.map((id) => ({ id }));
  return out;
}

/** One app's JSON text for `/v2/apps` (cached until the app changes). */
export function appJson(app: SimApp, withTasks: boolean): string {
  if (withTasks) {
    if (app.cacheWithTasks !== undefined) return app.cacheWithTasks;
    const head = appJson(app, false);
    const parts: string[] = [];
    for (const inst of app.instances) if (inst.hasTask) parts.push(taskJson(inst));
    // tasks go before lastTaskFailure, which is already at the end of the cached head
    const failure = app.lastTaskFailure ? `,"lastTaskFailure":${q(app.lastTaskFailure)}` : '';
    const base = failure === '' ? head.slice(0, -1) : head.slice(0, -1 - failure.length);
    return (app.cacheWithTasks = `${base},"tasks":[${parts.join(',')}]${failure}}`);
  }
  if (app.cacheWithoutTasks !== undefined) return app.cacheWithoutTasks;
  const obj = appObject(app);
  if (app.lastTaskFailure) obj.lastTaskFailure = app.lastTaskFailure;
  return (app.cacheWithoutTasks = q(obj));
}

export function appsListJson(apps: Iterable<SimApp>, withTasks: boolean): string {
  const parts: string[] = [];
  for (const app of apps) parts.push(appJson(app, withTasks));
  return `{"apps":[${parts.join(',')}]}`;
}

interface ListingEntry {
  /** The per-app texts the body was joined from, in order. */
  parts: string[];
  body: Buffer;
}

/** Listings kept per cluster and request key; a handful of distinct queries is all a client sends. */
const listingCaches = new WeakMap<SimCluster, Map<string, ListingEntry>>();
const MAX_CACHED_LISTINGS = 4;

/**
 * appsListJson as the UTF-8 bytes of the response body, reused while nothing in it changed. Joining
 * and encoding a 50,000-task listing takes ~100 ms even with every app's text cached, and a
 * benchmark lists an unchanged cluster again and again. There is no version to forget to bump: the
 * body is reused only when every app's text is the very string it was joined from, and each app's
 * text is re-rendered after any change to the app (SimApp.touch: kills, transitions applied by
 * advance(), health, deployments), so a changed app, an app added or dropped, or another app
 * order or filter all rebuild the body.
 */
export function appsListBody(cluster: SimCluster, key: string, apps: Iterable<SimApp>, withTasks: boolean): Buffer {
  const parts: string[] = [];
  for (const app of apps) parts.push(appJson(app, withTasks));
  let cache = listingCaches.get(cluster);
  if (cache === undefined) listingCaches.set(cluster, (cache = new Map<string, ListingEntry>()));
  const cacheKey = `${withTasks ? 't' : 'f'}${key}`;
  const hit = cache.get(cacheKey);
  if (hit !== undefined && sameStrings(hit.parts, parts)) return hit.body;
  const body = Buffer.from(`{"apps":[${parts.join(',')}]}`, 'utf8');
  cache.delete(cacheKey);
  if (cache.size >= MAX_CACHED_LISTINGS) cache.delete(cache.keys().next().value as string);
  cache.set(cacheKey, { parts, body });
  return body;
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `GET /v2/apps/{id}`: always with tasks, counts, deployments and lastTaskFailure. */
export function singleAppJson(app: SimApp): string {
  return `{"app":${appJson(app, true)}}`;
}

export function renderDeployment(dep: SimDeployment): Record<string, unknown> {
  return {
    id: dep.id,
    version: dep.version,
    affectedApps: dep.affectedApps,
    affectedPods: [],
    steps: stepsOf(dep),
    currentActions: dep.affectedApps.map((app) => ({ action: dep.action, app, readinessCheckResults: [] })),
    currentStep: 1,
    totalSteps: 1,
  };
}

export function renderQueue(cluster: SimCluster): Record<string, unknown> {
  return {
    queue: cluster.queue().map(({ app, count, since }) => ({
      app: renderDefinition(app),
      count,
      role: '*',
      delay: { timeLeftSeconds: 0, overdue: true },
      since: iso(since),
      processedOffersSummary: { processedOffersCount: 0, unusedOffersCount: 0, rejectSummaryLastOffers: [] },
    })),
  };
}

// ---------------------------------------------------------------- Mesos

export function renderAgent(agent: SimAgent, used: { cpus: number; mem: number; disk: number; ports: number[] }, mesosVersion: string): Record<string, unknown> {
  const res = { cpus: agent.resources.cpus, gpus: 0, mem: agent.resources.mem, disk: agent.resources.disk, ports: '[31000-32000]' };
  const out: Record<string, unknown> = {
    id: agent.id,
    hostname: agent.hostname,
    port: agent.port,
    attributes: agent.attributes,
  };
  if (agent.region !== undefined || agent.zone !== undefined) {
    const fd: Record<string, unknown> = {};
    if (agent.region !== undefined) fd.region = { name: agent.region };
    if (agent.zone !== undefined) fd.zone = { name: agent.zone };
    out.domain = { fault_domain: fd };
  }
  Object.assign(out, {
    pid: `slave(1)@${agent.hostname}:${agent.port}`,
    registered_time: agent.registeredTime,
    resources: res,
    used_resources: { cpus: round(used.cpus), gpus: 0, mem: used.mem, disk: used.disk, ports: portRanges(used.ports) },
    offered_resources: { cpus: 0, gpus: 0, mem: 0, disk: 0 },
    reserved_resources: {},
    unreserved_resources: res,
    active: agent.active,
    deactivated: !agent.active,
    version: mesosVersion,
    capabilities: ['MULTI_ROLE', 'HIERARCHICAL_ROLE', 'RESERVATION_REFINEMENT', 'RESOURCE_PROVIDER', 'RESIZE_VOLUME', 'AGENT_OPERATION_FEEDBACK', 'AGENT_DRAINING', 'TASK_RESOURCE_LIMITS'],
    reserved_resources_full: {},
    unreserved_resources_full: [],
    used_resources_full: [],
    offered_resources_full: [],
  });
  return out;
}

/** Resources used per agent by live tasks, for `used_resources`. */
export function usageByAgent(cluster: SimCluster): Map<string, { cpus: number; mem: number; disk: number; ports: number[] }> {
  const usage = new Map<string, { cpus: number; mem: number; disk: number; ports: number[] }>();
  for (const agent of cluster.agents) usage.set(agent.id, { cpus: 0, mem: 0, disk: 0, ports: [] });
  for (const app of cluster.apps.values()) {
    for (const inst of app.instances) {
      if (!inst.hasTask || inst.isTerminal || !inst.agent) continue;
      const u = usage.get(inst.agent.id);
      if (!u) continue;
      u.cpus += app.def.cpus;
      u.mem += app.def.mem;
      u.disk += app.def.disk;
      u.ports.push(...inst.ports);
    }
  }
  return usage;
}

export function slavesJson(cluster: SimCluster, mesosVersion: string): Record<string, unknown> {
  const usage = usageByAgent(cluster);
  return {
    slaves: cluster.agents.map((a) => renderAgent(a, usage.get(a.id) ?? { cpus: 0, mem: 0, disk: 0, ports: [] }, mesosVersion)),
    recovered_slaves: [],
  };
}

export function stateJson(cluster: SimCluster, mesosVersion: string, masterHostPort: string): Record<string, unknown> {
  const { slaves } = slavesJson(cluster, mesosVersion) as { slaves: unknown[] };
  const tasks: Record<string, unknown>[] = [];
  for (const app of cluster.apps.values()) {
    for (const inst of app.instances) {
      if (!inst.hasTask || inst.isTerminal || !inst.agent) continue;
      const state = inst.state;
      tasks.push({
        id: inst.taskId,
        name: app.id.split('/').filter(Boolean).reverse().join('.'),
        framework_id: cluster.frameworkId,
        executor_id: '',
        slave_id: inst.agent.id,
        state,
        resources: { cpus: app.def.cpus, gpus: 0, mem: app.def.mem, disk: app.def.disk, ports: portRanges(inst.ports) },
        statuses: [{ state, timestamp: (inst.startedAt ?? inst.stagedAt ?? cluster.startedAt) / 1000 }],
      });
    }
  }
  const active = cluster.agents.filter((a) => a.active).length;
  return {
    version: mesosVersion,
    id: cluster.masterId,
    pid: `master@${masterHostPort}`,
    hostname: masterHostPort.split(':')[0],
    start_time: cluster.startedAt / 1000 - 7 * 86400,
    elected_time: cluster.startedAt / 1000 - 7 * 86400,
    activated_slaves: active,
    deactivated_slaves: cluster.agents.length - active,
    leader: `master@${masterHostPort}`,
    slaves,
    frameworks: [
      {
        id: cluster.frameworkId,
        name: 'marathon',
        active: true,
        connected: true,
        recovered: false,
        role: '*',
        hostname: masterHostPort.split(':')[0],
        tasks,
        completed_tasks: [],
        unreachable_tasks: [],
        offers: [],
        executors: [],
      },
    ],
    completed_frameworks: [],
    unregistered_frameworks: [],
  };
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** Mesos renders port sets as merged ranges: `[31044-31044, 31050-31052]`. */
export function portRanges(ports: readonly number[]): string {
  if (ports.length === 0) return '[]';
  const sorted = [...ports].sort((a, b) => a - b);
  const ranges: string[] = [];
  let start = sorted[0] as number;
  let prev = start;
  for (let i = 1; i <= sorted.length; i++) {
    const p = sorted[i];
    if (p !== undefined && p <= prev + 1) {
      prev = Math.max(prev, p);
      continue;
    }
    ranges.push(`${start}-${prev}`);
    if (p !== undefined) {
      start = p;
      prev = p;
    }
  }
  return `[${ranges.join(', ')}]`;
}
