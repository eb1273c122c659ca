import type { TaskState } from '../domain/marathon.js';
import type { Clock } from '../platform/clock.js';
import { randomInt, seededRandom, type Random } from '../platform/random.js';
import { IdFactory, instanceIdOf, parseTaskId, safeAppId, taskIdOf } from './ids.js';
import type { AttributeValue, Scenario, ScenarioApp, ScenarioHealthCheck, ScenarioTimings, Weakness } from './scenario.js';
import { Timeline } from './timeline.js';

/**
 * The simulated cluster: Mesos agents, Marathon apps and their instances, deployments, and the
 * kill → relaunch timeline. Every read first calls `advance()`, which applies all transitions due
 * at `clock.now()` in time order and emits the events Marathon would have sent at those instants.
 */

export interface SimAgent {
  id: string;
  hostname: string;
  port: number;
  attributes: Record<string, AttributeValue>;
  region: string | undefined;
  zone: string | undefined;
  active: boolean;
  resources: { cpus: number; mem: number; disk: number };
  registeredTime: number;
  /** Next host port to hand out; host ports cycle through 31000–32000 like a Mesos agent's range. */
  nextPort: number;
}

export interface HealthResult {
  alive: boolean;
  consecutiveFailures: number;
  firstSuccess: string | null;
  lastSuccess: string | null;
  lastFailure: string | null;
  lastFailureCause: string | null;
  instanceId: string;
}

/** `SCHEDULED`: the instance exists but no task was placed yet (invisible in `tasks`). */
export type InstanceState = TaskState | 'SCHEDULED';

export class SimInstance {
  incarnation: number;
  agent: SimAgent | undefined;
  state: InstanceState;
  stagedAt: number | undefined;
  startedAt: number | undefined;
  ports: number[] = [];
  health: HealthResult | undefined;
  /** Bumped on every kill; transitions scheduled for an older epoch are stale and dropped. */
  epoch = 0;
  /** A kill was requested and TASK_KILLED has not arrived yet. */
  killPending = false;
  /** Killed by a scale-down deployment: removed after TASK_KILLED, never replaced. */
  decommissioned = false;
  /** Killed with wipe=true: expunged after TASK_KILLED and replaced by a new instance id. */
  wiped = false;
  /** When the instance started waiting for a (re)launch (the queue's `since`). */
  waitingSince: number | undefined;
  /** Launched by the simulator after it started (a replacement), not placed at start: serve weaknesses hit these. */
  relaunched = false;

  constructor(
    readonly app: SimApp,
    readonly uuid: string,
    readonly instanceId: string,
    incarnation: number,
    state: InstanceState,
  ) {
    this.incarnation = incarnation;
    this.state = state;
  }

  get taskId(): string {
    return taskIdOf(this.instanceId, this.incarnation);
  }

  /** Visible as a task in the API (placed at least once). */
  get hasTask(): boolean {
    return this.state !== 'SCHEDULED' && this.agent !== undefined;
  }

  get isTerminal(): boolean {
    return this.state === 'TASK_KILLED';
  }
}

export interface TaskFailureRecord {
  appId: string;
  taskId: string;
  state: string;
  message: string;
  host: string;
  slaveId: string;
  timestamp: string;
  version: string;
}

export class SimApp {
  instances: SimInstance[] = [];
  deployments: string[] = [];
  lastTaskFailure: TaskFailureRecord | undefined;
  /** Cached JSON of the app with and without tasks; any change to the app or its instances clears it. */
  cacheWithTasks: string | undefined;
  cacheWithoutTasks: string | undefined;

  constructor(
    readonly def: ScenarioApp,
    public target: number,
    public version: string,
    public lastScalingAt: string,
    public lastConfigChangeAt: string,
    readonly servicePorts: number[],
  ) {}

  get id(): string {
    return this.def.id;
  }
  get labels(): Record<string, string> {
    return this.resolvedLabels ?? this.def.labels;
  }
  get healthChecks(): ScenarioHealthCheck[] {
    return this.def.healthChecks;
  }
  get weakness(): Weakness {
    return this.def.weakness;
  }
  /** Tasks report this host instead of their agent's when the app serves for real (serve.ts), so `host:ports[0]` reaches them. */
  get taskHost(): string | undefined {
    return this.def.serve === undefined ? undefined : SERVE_HOST;
  }

  /** The labels with `${service}`, `${service.host}`, `${service.port}` replaced once the service endpoint listens. */
  setService(url: string, port: number): void {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.def.labels)) {
      out[k] = v.replaceAll('${service}', url).replaceAll('${service.host}', SERVE_HOST).replaceAll('${service.port}', String(port));
    }
    this.resolvedLabels = out;
    this.serviceAddress = url;
    this.touch();
  }
  /** `${service}`: the HTTP URL of the health path, or `host:port` for TCP; set by serve.ts. */
  serviceAddress: string | undefined;
  private resolvedLabels: Record<string, string> | undefined;

  touch(): void {
    this.cacheWithTasks = undefined;
    this.cacheWithoutTasks = undefined;
  }
}

export interface SimDeployment {
  id: string;
  version: string;
  affectedApps: string[];
  action: 'ScaleApplication' | 'RestartApplication';
  /** Scenario deployments never finish; kill-and-scale deployments end when their kills have. */
  permanent: boolean;
}

export interface SimEvent {
  eventType: string;
  /** The JSON payload, including `eventType` and `timestamp`. */
  payload: Record<string, unknown>;
}

/** Where serving tasks listen (and what they report as their host). */
export const SERVE_HOST = '127.0.0.1';

/**
 * Told when a task starts and stops running, synchronously inside `advance()` or `kill()`, so real
 * endpoints (serve.ts) open and close with the model. `portFor` gives a relaunched task the port
 * it will serve on, or undefined for an agent port.
 */
export interface TaskObserver {
  running(inst: SimInstance, at: number): void;
  stopped(inst: SimInstance, at: number): void;
  portFor(inst: SimInstance): number | undefined;
}

type Step = 'killed' | 'relaunch' | 'starting' | 'running' | 'health';
type Transition = { kind: 'instance'; step: Step; inst: SimInstance; epoch: number } | { kind: 'deployment-done'; deploymentId: string };

export interface KillOutcome {
  /** Matched instances' tasks as they were before the kill (rendered lazily by the caller). */
  matched: SimInstance[];
}

export class SimCluster {
  readonly agents: SimAgent[] = [];
  readonly apps = new Map<string, SimApp>();
  readonly deployments = new Map<string, SimDeployment>();
  readonly frameworkId: string;
  readonly masterId: string;
  readonly startedAt: number;
  timings: ScenarioTimings;
  taskKilling: boolean;
  private readonly ids: IdFactory;
  private readonly placementRandom: Random;
  private readonly timeline = new Timeline<Transition>();
  private readonly byUuid = new Map<string, SimInstance>();
  private readonly listeners = new Set<(e: SimEvent) => void>();
  private lastAdvance = -Infinity;
  private observer: TaskObserver | undefined;

  constructor(
    readonly scenario: Scenario,
    readonly clock: Clock,
  ) {
    this.ids = new IdFactory(scenario.seed);
    this.placementRandom = seededRandom(`${scenario.seed}\u241fsim-placement`);
    this.timings = { ...scenario.timings };
    this.taskKilling = scenario.marathon.taskKilling;
    const now = clock.now();
    this.startedAt = now;
    this.lastAdvance = now;
    const masterUuid = this.ids.uuid();
    this.masterId = masterUuid;
    this.frameworkId = `${masterUuid}-0001`;

    scenario.agents.forEach((a, i) => {
      this.agents.push({
        id: a.id ?? `${masterUuid}-S${i}`,
        hostname: a.hostname,
        port: 5051,
        attributes: a.attributes,
        region: a.region,
        zone: a.zone,
        active: a.active,
        resources: { cpus: a.cpus, mem: a.mem, disk: a.disk },
        registeredTime: (now - 7 * 86_400_000 + i * 1000) / 1000,
        nextPort: 31000 + ((i * 97) % 900),
      });
    });

    const appVersion = iso(now - 86_400_000);
    let servicePort = 10000;
    scenario.apps.forEach((def, appIndex) => {
      const app = new SimApp(def, def.instances, appVersion, appVersion, appVersion, [servicePort++]);
      this.apps.set(def.id, app);
      this.initialPlacement(app, appIndex, now);
      if (def.deploying) {
        const dep: SimDeployment = { id: this.ids.uuid(), version: iso(now - 30_000), affectedApps: [def.id], action: 'RestartApplication', permanent: true };
        this.deployments.set(dep.id, dep);
        app.deployments.push(dep.id);
      }
      if (def.recentFailure) {
        const agent = app.instances[0]?.agent ?? this.agents[0];
        const failedInstance = instanceIdOf(def.id, this.ids.uuid());
        app.lastTaskFailure = {
          appId: def.id,
          taskId: taskIdOf(failedInstance, 1),
          state: 'TASK_FAILED',
          message: 'Command exited with status 137',
          host: agent?.hostname ?? 'unknown',
          slaveId: agent?.id ?? 'unknown',
          timestamp: iso(now - 60_000),
          version: appVersion,
        };
      }
    });
  }

  // ---------------------------------------------------------------- time

  /** Applies every transition due at `clock.now()`. Cheap when nothing is due. */
  advance(): void {
    const now = this.clock.now();
    // A clock that jumps backwards must not replay or reorder the past.
    if (now < this.lastAdvance) return;
    this.lastAdvance = now;
    for (;;) {
      const due = this.timeline.popDue(now);
      if (!due) break;
      this.apply(due.item, due.at);
    }
  }

  now(): number {
    return this.clock.now();
  }

  /** One observer (the simulator's endpoints); replaces any earlier one. */
  setTaskObserver(observer: TaskObserver | undefined): void {
    this.observer = observer;
  }

  onEvent(listener: (e: SimEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(eventType: string, at: number, fields: Record<string, unknown>): void {
    if (this.listeners.size === 0) return;
    const payload = { ...fields, eventType, timestamp: iso(at) };
    for (const l of this.listeners) l({ eventType, payload });
  }

  /** Emits an event stamped now (used by the server for `event_stream_attached`). */
  eventNow(eventType: string, fields: Record<string, unknown>): SimEvent {
    return { eventType, payload: { ...fields, eventType, timestamp: iso(this.clock.now()) } };
  }

  private schedule(at: number, t: Transition): void {
    this.timeline.push(at, t);
  }

  // ---------------------------------------------------------------- lookups

  app(id: string): SimApp | undefined {
    return this.apps.get(id);
  }

  agentById(id: string): SimAgent | undefined {
    return this.agents.find((a) => a.id === id);
  }

  /** The instance a task id refers to (any incarnation, or a legacy id with the same uuid). */
  instanceForTaskId(taskId: string): SimInstance | undefined {
    const parsed = parseTaskId(taskId);
    if (!parsed.ok) return undefined;
    const inst = this.byUuid.get(parsed.uuid);
    if (!inst || safeAppId(inst.app.id) !== parsed.safeRunSpecId) return undefined;
    if (!inst.app.instances.includes(inst)) return undefined;
    return inst;
  }

  /** Instances waiting for a launch, grouped by app, for `/v2/queue`. */
  queue(): { app: SimApp; count: number; since: number }[] {
    const out: { app: SimApp; count: number; since: number }[] = [];
    for (const app of this.apps.values()) {
      let count = 0;
      let since = Infinity;
      for (const inst of app.instances) {
        if (inst.decommissioned) continue;
        if (inst.state === 'TASK_KILLED' || inst.state === 'SCHEDULED') {
          count++;
          since = Math.min(since, inst.waitingSince ?? this.startedAt);
        }
      }
      if (count > 0) out.push({ app, count, since });
    }
    return out;
  }

  // ---------------------------------------------------------------- control

  /**
   * Kills the instances (fire-and-forget, like Marathon): TASK_KILLING now when task_killing is on,
   * TASK_KILLED after the grace period, then a relaunch unless the app never relaunches. Already
   * terminal or already-killing instances are left alone.
   */
  kill(instances: readonly SimInstance[], opts: { decommission?: boolean; wipe?: boolean } = {}): SimInstance[] {
    const now = this.clock.now();
    const killed: SimInstance[] = [];
    for (const inst of instances) {
      if (!inst.hasTask || inst.isTerminal || inst.killPending) continue;
      if (opts.decommission) inst.decommissioned = true;
      if (opts.wipe) inst.wiped = true;
      inst.epoch++;
      inst.killPending = true;
      killed.push(inst);
      // The process gets its SIGTERM now: it stops serving before TASK_KILLED.
      this.observer?.stopped(inst, now);
      if (this.taskKilling) {
        inst.state = 'TASK_KILLING';
        this.emitStatus(inst, now, 'TASK_KILLING', 'Killing');
      }
      inst.app.touch();
      this.schedule(now + this.timings.killGraceMs, { kind: 'instance', step: 'killed', inst, epoch: inst.epoch });
    }
    return killed;
  }

  /** The scale part of `scale=true`: lowers the target by the tasks that will really die, in one deployment. */
  scaleDownDeployment(byApp: Map<SimApp, SimInstance[]>): SimDeployment {
    const now = this.clock.now();
    const dep: SimDeployment = { id: this.ids.uuid(), version: iso(now), affectedApps: [], action: 'ScaleApplication', permanent: false };
    for (const [app, insts] of byApp) {
      const dying = this.kill(insts, { decommission: true }).length;
      app.target = Math.max(0, app.target - dying);
      app.version = dep.version;
      app.lastScalingAt = dep.version;
      // force=true: the new plan replaces the ones that locked the app.
      for (const other of [...app.deployments]) this.cancelDeployment(other);
      app.deployments = [dep.id];
      dep.affectedApps.push(app.id);
      app.touch();
    }
    this.deployments.set(dep.id, dep);
    this.schedule(now + this.timings.killGraceMs, { kind: 'deployment-done', deploymentId: dep.id });
    return dep;
  }

  /** Removes a deployment (rollback/cancel): the app is no longer locked. */
  cancelDeployment(id: string): void {
    const dep = this.deployments.get(id);
    if (!dep) return;
    this.deployments.delete(id);
    for (const appId of dep.affectedApps) {
      const app = this.apps.get(appId);
      if (!app) continue;
      app.deployments = app.deployments.filter((d) => d !== id);
      app.touch();
    }
  }

  /** Switches an agent on or off (an inactive agent receives no new tasks and shows `active:false`). */
  setAgentActive(agentId: string, active: boolean): void {
    const agent = this.agentById(agentId);
    if (agent) agent.active = active;
  }

  // ---------------------------------------------------------------- transitions

  private apply(t: Transition, at: number): void {
    if (t.kind === 'deployment-done') {
      const dep = this.deployments.get(t.deploymentId);
      if (!dep) return;
      this.cancelDeployment(dep.id);
      this.emit('deployment_success', at, { id: dep.id, plan: { id: dep.id, version: dep.version, steps: stepsOf(dep) } });
      return;
    }
    const { inst, step } = t;
    if (t.epoch !== inst.epoch) return;
    const app = inst.app;
    if (!app.instances.includes(inst)) return;
    app.touch();
    switch (step) {
      case 'killed': {
        const hadHealth = app.healthChecks.length > 0 && inst.health !== undefined;
        inst.killPending = false;
        inst.state = 'TASK_KILLED';
        this.observer?.stopped(inst, at);
        this.emitStatus(inst, at, 'TASK_KILLED', 'Killed');
        if (hadHealth) this.emit('instance_health_changed_event', at, { instanceId: inst.instanceId, runSpecId: app.id, healthy: null, runSpecVersion: app.version });
        inst.stagedAt = undefined;
        inst.startedAt = undefined;
        inst.ports = [];
        inst.health = undefined;
        inst.waitingSince = at;
        if (inst.decommissioned || inst.wiped) {
          app.instances = app.instances.filter((i) => i !== inst);
          this.byUuid.delete(inst.uuid);
          if (inst.wiped && !inst.decommissioned) this.addScheduledInstance(app, at, at + this.timings.relaunchDelayMs);
          return;
        }
        if (app.weakness.kind === 'never-relaunches') return;
        const extra = app.weakness.kind === 'slow-recovery' ? app.weakness.extraMs : 0;
        // Kills are not failures: no launch backoff, only the time to get a matching offer.
        this.schedule(at + this.timings.relaunchDelayMs + extra, { kind: 'instance', step: 'relaunch', inst, epoch: inst.epoch });
        return;
      }
      case 'relaunch': {
        const agent = this.place(app, inst);
        if (!agent) {
          // No agent satisfies the placement rules right now: keep waiting in the queue, like unmatched offers.
          this.schedule(at + Math.max(100, this.timings.relaunchDelayMs), { kind: 'instance', step: 'relaunch', inst, epoch: inst.epoch });
          return;
        }
        if (inst.state !== 'SCHEDULED') inst.incarnation++;
        inst.agent = agent;
        inst.state = 'TASK_STAGING';
        inst.stagedAt = at;
        inst.startedAt = undefined;
        inst.health = undefined;
        inst.waitingSince = undefined;
        inst.relaunched = true;
        inst.ports = [this.observer?.portFor(inst) ?? this.allocatePort(agent)];
        this.emit('instance_changed_event', at, instanceChanged(inst, 'Provisioned'));
        this.schedule(at + this.timings.stagingMs, { kind: 'instance', step: 'starting', inst, epoch: inst.epoch });
        return;
      }
      case 'starting':
        inst.state = 'TASK_STARTING';
        this.emitStatus(inst, at, 'TASK_STARTING', 'Starting');
        this.schedule(at + this.timings.startingMs, { kind: 'instance', step: 'running', inst, epoch: inst.epoch });
        return;
      case 'running':
        inst.state = 'TASK_RUNNING';
        inst.startedAt = at;
        this.observer?.running(inst, at);
        this.emitStatus(inst, at, 'TASK_RUNNING', 'Running');
        if (app.healthChecks.length > 0) {
          this.schedule(at + this.timings.healthyAfterMs, { kind: 'instance', step: 'health', inst, epoch: inst.epoch });
        }
        return;
      case 'health': {
        const alive = app.weakness.kind !== 'never-healthy';
        const stamp = iso(at);
        inst.health = alive
          ? { alive: true, consecutiveFailures: 0, firstSuccess: stamp, lastSuccess: stamp, lastFailure: null, lastFailureCause: null, instanceId: inst.instanceId }
          : { alive: false, consecutiveFailures: 1, firstSuccess: null, lastSuccess: null, lastFailure: stamp, lastFailureCause: 'ConnectionRefused: connection refused', instanceId: inst.instanceId };
        this.emit('instance_health_changed_event', at, { instanceId: inst.instanceId, runSpecId: app.id, healthy: alive, runSpecVersion: app.version });
        this.emit('health_status_changed_event', at, { appId: app.id, instanceId: inst.instanceId, version: app.version, alive });
        return;
      }
    }
  }

  private emitStatus(inst: SimInstance, at: number, taskStatus: TaskState, condition: string): void {
    if (this.listeners.size === 0) return;
    const agent = inst.agent;
    this.emit('status_update_event', at, {
      slaveId: agent?.id ?? '',
      taskId: inst.taskId,
      taskStatus,
      message: taskStatus === 'TASK_KILLED' ? 'Command terminated with signal Terminated' : '',
      appId: inst.app.id,
      host: agent ? (inst.app.taskHost ?? agent.hostname) : '',
      ipAddresses: agent ? [{ ipAddress: inst.app.taskHost ?? agent.hostname, protocol: 'IPv4' }] : [],
      ports: taskStatus === 'TASK_KILLED' ? [] : inst.ports,
      version: inst.app.version,
    });
    this.emit('instance_changed_event', at, instanceChanged(inst, condition));
  }

  // ---------------------------------------------------------------- placement

  /** A brand-new instance (new id) waiting for its first launch. */
  private addScheduledInstance(app: SimApp, since: number, launchAt: number): SimInstance {
    const uuid = this.ids.uuid();
    const inst = new SimInstance(app, uuid, instanceIdOf(app.id, uuid), 1, 'SCHEDULED');
    this.byUuid.set(uuid, inst);
    app.instances.push(inst);
    inst.waitingSince = since;
    this.emit('instance_changed_event', since, instanceChanged(inst, 'Scheduled'));
    this.schedule(launchAt, { kind: 'instance', step: 'relaunch', inst, epoch: inst.epoch });
    return inst;
  }

  private initialPlacement(app: SimApp, appIndex: number, now: number): void {
    const eligible = this.staticEligible(app);
    const groupBy = app.def.constraints.find((c) => c[1] === 'GROUP_BY')?.[0];
    let groups: SimAgent[][] = [eligible];
    if (groupBy !== undefined) {
      const byValue = new Map<string, SimAgent[]>();
      for (const a of eligible) {
        const v = fieldValue(a, groupBy) ?? '';
        const list = byValue.get(v) ?? [];
        list.push(a);
        byValue.set(v, list);
      }
      groups = [...byValue.keys()].sort().map((k) => byValue.get(k) as SimAgent[]);
    }
    const hc = app.healthChecks.length > 0;
    for (let k = 0; k < app.target; k++) {
      const uuid = this.ids.uuid();
      const inst = new SimInstance(app, uuid, instanceIdOf(app.id, uuid), 1, 'SCHEDULED');
      this.byUuid.set(uuid, inst);
      app.instances.push(inst);
      const g = groups.length > 0 ? groups[(k + appIndex) % groups.length] : undefined;
      const agent = g && g.length > 0 ? g[(Math.floor(k / groups.length) + appIndex) % g.length] : undefined;
      if (!agent) {
        inst.waitingSince = now;
        this.schedule(now + this.timings.relaunchDelayMs, { kind: 'instance', step: 'relaunch', inst, epoch: inst.epoch });
        continue;
      }
      inst.agent = agent;
      inst.state = 'TASK_RUNNING';
      // Spread start times so the listing looks like a cluster that has been up for a while.
      inst.stagedAt = now - 3_600_000 - ((appIndex * 7919 + k * 104_729) % 3_000_000);
      inst.startedAt = inst.stagedAt + 4_000 + (k % 7) * 311;
      inst.ports = [this.allocatePort(agent)];
      if (hc) {
        const first = iso(inst.startedAt + 10_000);
        const last = iso(now - 1_000 - ((k * 1_733) % 9_000));
        if (app.def.unhealthy && k === 0) {
          inst.health = { alive: false, consecutiveFailures: 2, firstSuccess: first, lastSuccess: iso(now - 30_000), lastFailure: iso(now - 2_000), lastFailureCause: 'ConnectTimeoutException: connection timed out', instanceId: inst.instanceId };
        } else {
          inst.health = { alive: true, consecutiveFailures: 0, firstSuccess: first, lastSuccess: last, lastFailure: null, lastFailureCause: null, instanceId: inst.instanceId };
        }
      }
    }
  }

  /** Agents allowed by rules that do not depend on where the app's other tasks run. */
  private staticEligible(app: SimApp): SimAgent[] {
    const pin = app.def.pinnedToRack;
    return this.agents.filter((a) => {
      if (!a.active) return false;
      if (pin !== undefined && String(a.attributes.rack) !== pin) return false;
      for (const [field, op, value] of app.def.constraints) {
        if (field === undefined) continue;
        const v = fieldValue(a, field);
        if ((op === 'CLUSTER' || op === 'IS') && value !== undefined && v !== value) return false;
        if (op === 'LIKE' && value !== undefined && (v === undefined || !fullMatch(value, v))) return false;
        if (op === 'UNLIKE' && value !== undefined && v !== undefined && fullMatch(value, v)) return false;
      }
      return true;
    });
  }

  /** Where a relaunched task goes: resident tasks return to their agent, others follow the constraints. */
  private place(app: SimApp, inst: SimInstance): SimAgent | undefined {
    if (app.def.persistentVolumes && inst.agent) return inst.agent.active ? inst.agent : undefined;
    let candidates = this.staticEligible(app);
    const others = app.instances.filter((i) => i !== inst && i.hasTask && !i.isTerminal && i.agent);
    for (const [field, op, value] of app.def.constraints) {
      if (field === undefined) continue;
      const counts = new Map<string, number>();
      for (const o of others) {
        const v = fieldValue(o.agent as SimAgent, field) ?? '';
        counts.set(v, (counts.get(v) ?? 0) + 1);
      }
      if (op === 'UNIQUE') candidates = candidates.filter((a) => !counts.has(fieldValue(a, field) ?? ''));
      else if (op === 'MAX_PER') candidates = candidates.filter((a) => (counts.get(fieldValue(a, field) ?? '') ?? 0) < Number(value ?? 1));
      else if (op === 'GROUP_BY') {
        const min = Math.min(...candidates.map((a) => counts.get(fieldValue(a, field) ?? '') ?? 0));
        candidates = candidates.filter((a) => (counts.get(fieldValue(a, field) ?? '') ?? 0) === min);
      }
    }
    if (candidates.length === 0) return undefined;
    return candidates[randomInt(this.placementRandom, candidates.length)];
  }

  private allocatePort(agent: SimAgent): number {
    const port = agent.nextPort;
    agent.nextPort = port >= 32000 ? 31000 : port + 1;
    return port;
  }
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function stepsOf(dep: SimDeployment): { actions: { action: string; app: string }[] }[] {
  return [{ actions: dep.affectedApps.map((app) => ({ action: dep.action, app })) }];
}

function instanceChanged(inst: SimInstance, condition: string): Record<string, unknown> {
  return {
    instanceId: inst.instanceId,
    condition,
    runSpecId: inst.app.id,
    agentId: inst.agent?.id ?? null,
    host: inst.agent ? (inst.app.taskHost ?? inst.agent.hostname) : null,
    runSpecVersion: inst.app.version,
  };
}

/** A constraint field's value on an agent: hostname, fault domain, or an attribute (as text). */
export function fieldValue(agent: SimAgent, field: string): string | undefined {
  if (field === 'hostname' || field === '@hostname') return agent.hostname;
  if (field === '@region') return agent.region;
  if (field === '@zone') return agent.zone;
  const v = agent.attributes[field];
  return v === undefined ? undefined : String(v);
}

function fullMatch(pattern: string, value: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    return false;
  }
}
