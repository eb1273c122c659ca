import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ScenarioError } from '../errors.js';

/**
 * The simulator's scenario: which Marathon/Mesos cluster to pretend to be. Parsed strictly
 * (unknown keys are errors) because a typo in a scenario would otherwise silently give a cluster
 * without the weakness the user wanted to demonstrate.
 *
 * Top-level keys: `seed`, `description`, `marathon`, `mesos`, `timings`, `agents`, `apps`,
 * `faults`, and `auth` (optional; docs/marathon-api.md §2), one of:
 *   - `{"basic": {"username": "ops", "password": "…", "realm": "Mesosphere"}}`: OSS
 *     `--http_credentials`; every Marathon path wants `Authorization: Basic …`.
 *   - `{"dcos": {"tokens": ["…"], "serviceAccounts": [{"uid": "chaos-monkey", "publicKey": "<PEM>"}
 *     or {"uid": …, "publicKeyFile": "keys/sa.pub"}], "tokenLifetimeSeconds": 432000,
 *     "forbiddenApps": ["/secret/*"]}}`: every Marathon path wants `Authorization: token=…` (a
 *     static token, or one issued by `POST /acs/api/v1/auth/login` for a service login token
 *     signed with the account's key); apps in `forbiddenApps` answer 403 to reads and kills.
 * The Mesos master routes stay open either way: real masters authenticate only when started with
 * `--authenticate_http_readonly`, which the monkey does not support.
 */

export type AttributeValue = string | number;

export interface ScenarioAgent {
  /** Mesos agent id; generated `<master-uuid>-S<n>` when absent. */
  id: string | undefined;
  hostname: string;
  /** Rendered as Mesos does: text/range/set as strings (`"[0-3]"`, `"{a,b}"`), scalars as numbers. */
  attributes: Record<string, AttributeValue>;
  region: string | undefined;
  zone: string | undefined;
  active: boolean;
  cpus: number;
  mem: number;
  disk: number;
}

export type Weakness =
  | { kind: 'none' }
  | { kind: 'never-relaunches' }
  | { kind: 'never-healthy' }
  | { kind: 'slow-recovery'; extraMs: number }
  /** The app's service endpoint keeps a killed task in rotation this long (its share of requests fails). */
  | { kind: 'lb-lag'; seconds: number }
  /** A relaunched task answers 503 this long after TASK_RUNNING (Marathon may already call it healthy). */
  | { kind: 'slow-warmup'; seconds: number }
  /** A relaunched TCP task accepts connections but never echoes. */
  | { kind: 'echo-broken' };

/**
 * What the app's tasks really serve on 127.0.0.1 while TASK_RUNNING (src/sim/serve.ts):
 * `{"http": {"path": "/health"}}` answers GET <path> as the task's health says (200 or 503);
 * `{"tcp": {"echo": true}}` accepts connections and echoes what it reads (`echo: false`: accepts
 * and reads only).
 */
export type ScenarioServe = { protocol: 'http'; path: string } | { protocol: 'tcp'; echo: boolean };

export interface ScenarioHealthCheck {
  protocol: string;
  path: string | undefined;
  portIndex: number;
  gracePeriodSeconds: number;
  intervalSeconds: number;
  timeoutSeconds: number;
  maxConsecutiveFailures: number;
  delaySeconds: number;
}

export interface ScenarioApp {
  id: string;
  instances: number;
  cmd: string | null;
  cpus: number;
  mem: number;
  disk: number;
  labels: Record<string, string>;
  healthChecks: ScenarioHealthCheck[];
  constraints: string[][];
  persistentVolumes: boolean;
  weakness: Weakness;
  /** Every task is placed on agents whose `rack` attribute has this value. */
  pinnedToRack: string | undefined;
  /** The app is mid-deployment (non-empty `deployments`, listed in /v2/deployments). */
  deploying: boolean;
  /** One task currently fails its health check (`alive:false`). */
  unhealthy: boolean;
  /** The app carries a `lastTaskFailure` from a minute before the simulator started. */
  recentFailure: boolean;
  /** Real endpoints for the app's running tasks and a service endpoint over them; absent: nothing listens. */
  serve?: ScenarioServe | undefined;
}

export interface FaultSettings {
  /** Extra delay before answering, in milliseconds. */
  latencyMs: number;
  /** Share of requests (0..1) answered with `errorStatus`; the sequence is derived from the seed. */
  errorRate: number;
  errorStatus: number;
  /** Behave as if an election were in progress: hold, then 502 HTML. */
  noLeader: boolean;
  /** 200 responses carry a body that is not JSON. */
  malformedJson: boolean;
  /** 200 responses stop half-way and the connection is closed. */
  truncatedJson: boolean;
  /** The socket is destroyed without any response. */
  dropConnections: boolean;
  /** Path prefixes the faults apply to; empty = every path. */
  routes: string[];
}

export interface ScenarioTimings {
  killGraceMs: number;
  relaunchDelayMs: number;
  stagingMs: number;
  startingMs: number;
  healthyAfterMs: number;
}

export type SimAuthConfig =
  | { kind: 'none' }
  | { kind: 'basic'; username: string; password: string; realm: string }
  | {
      kind: 'dcos';
      /** Opaque tokens accepted as they are, forever (like a long-lived token handed out by an admin). */
      tokens: string[];
      /** Service accounts that may log in; `publicKey` is PEM (read from publicKeyFile at parse time). */
      serviceAccounts: { uid: string; publicKey: string }[];
      tokenLifetimeSeconds: number;
      /** App ids, or groups ending in `/*` (everything below), the credentials may not read or kill. */
      forbiddenApps: string[];
    };

export const DEFAULT_AUTH_REALM = 'Mesosphere';
/** DC/OS OSS issues auth tokens valid for 5 days. */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 432_000;

export interface Scenario {
  seed: string;
  marathon: {
    instances: number;
    version: string;
    taskKilling: boolean;
    /** Index of the leading instance at start; null = election in progress. */
    leader: number | null;
    /** Fixed ports per instance (null = ephemeral). The leader's port option overrides index 0. */
    ports: (number | null)[];
  };
  mesos: {
    port: number | null;
    /** Extra non-leading masters that answer 307 to the leader. */
    standbyMasters: number;
    version: string;
  };
  timings: ScenarioTimings;
  agents: ScenarioAgent[];
  apps: ScenarioApp[];
  faults: FaultSettings;
  auth: SimAuthConfig;
}

export const DEFAULT_TIMINGS: ScenarioTimings = {
  killGraceMs: 200,
  relaunchDelayMs: 300,
  stagingMs: 200,
  startingMs: 200,
  healthyAfterMs: 500,
};

export const DEFAULT_FAULTS: FaultSettings = {
  latencyMs: 0,
  errorRate: 0,
  errorStatus: 503,
  noLeader: false,
  malformedJson: false,
  truncatedJson: false,
  dropConnections: false,
  routes: [],
};

export const DEFAULT_SLOW_RECOVERY_EXTRA_MS = 5000;
export const DEFAULT_LB_LAG_SECONDS = 10;
export const DEFAULT_SLOW_WARMUP_SECONDS = 10;
export const DEFAULT_SERVE_HTTP_PATH = '/health';
/** Label placeholders replaced by the app's service endpoint (serve.ts) once it listens. */
export const SERVICE_PLACEHOLDERS = ['${service}', '${service.host}', '${service.port}'] as const;

/**
 * Sizes the simulator accepts from a scenario file. Every task is an object with a history, so an
 * absurd count ("instances": 100000000) would exhaust the heap and crash with a stack trace instead
 * of naming the field. The largest benchmark cluster is 50,000 tasks (5,000 apps × 10), which
 * fits with room to spare; generateSyntheticScenario builds clusters directly and is not bound.
 */
export const SCENARIO_LIMITS = {
  /** Instances of one app (Marathon itself has no hard cap, but real apps rarely pass a few thousand). */
  instancesPerApp: 10_000,
  /** Tasks of all apps together. */
  totalTasks: 100_000,
  /**
   * Real 127.0.0.1 ports of `serve` apps: one per instance and one for each app's service
   * endpoint. Each is a listening socket (and a file descriptor) in the simulator's process.
   */
  servingPorts: 2_000,
} as const;

/** Collects every problem with its path, so one run of the validator reports all of them. */
class Checker {
  readonly problems: string[] = [];

  problem(path: string, message: string): void {
    this.problems.push(`${path === '' ? '(top level)' : path}: ${message}`);
  }

  object(path: string, v: unknown, allowed: readonly string[]): Record<string, unknown> | undefined {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      this.problem(path, `expected an object, got ${describe(v)}`);
      return undefined;
    }
    const o = v as Record<string, unknown>;
    for (const key of Object.keys(o)) {
      if (!allowed.includes(key)) {
        this.problem(join(path, key), `unknown key (allowed keys: ${allowed.join(', ')}); remove it or fix its spelling`);
      }
    }
    return o;
  }

  string(path: string, v: unknown, fallback?: string): string | undefined {
    if (v === undefined) {
      if (fallback === undefined) this.problem(path, 'missing; add a string');
      return fallback;
    }
    if (typeof v !== 'string' || v.length === 0) {
      this.problem(path, `expected a non-empty string, got ${describe(v)}`);
      return fallback;
    }
    return v;
  }

  optString(path: string, v: unknown): string | undefined {
    return v === undefined ? undefined : this.string(path, v);
  }

  number(path: string, v: unknown, fallback: number | undefined, opts: { min?: number; max?: number; integer?: boolean } = {}): number | undefined {
    if (v === undefined) {
      if (fallback === undefined) this.problem(path, `missing; add a ${opts.integer ? 'whole number' : 'number'}`);
      return fallback;
    }
    const what = `${opts.integer ? 'a whole number' : 'a number'}${rangeText(opts)}`;
    if (typeof v !== 'number' || !Number.isFinite(v) || (opts.integer && !Number.isInteger(v))) {
      this.problem(path, `expected ${what}, got ${describe(v)}`);
      return fallback;
    }
    if ((opts.min !== undefined && v < opts.min) || (opts.max !== undefined && v > opts.max)) {
      this.problem(path, `expected ${what}, got ${v}`);
      return fallback;
    }
    return v;
  }

  boolean(path: string, v: unknown, fallback: boolean): boolean {
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') {
      this.problem(path, `expected true or false, got ${describe(v)}`);
      return fallback;
    }
    return v;
  }

  array(path: string, v: unknown): unknown[] | undefined {
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) {
      this.problem(path, `expected an array, got ${describe(v)}`);
      return undefined;
    }
    return v as unknown[];
  }

  stringMap(path: string, v: unknown): Record<string, string> {
    if (v === undefined) return {};
    const o = this.object(path, v, Object.keys((v ?? {})));
    const out: Record<string, string> = {};
    if (!o) return out;
    for (const [k, val] of Object.entries(o)) {
      if (typeof val !== 'string') this.problem(join(path, k), `expected a string value (labels are strings: write "${String(val)}"), got ${describe(val)}`);
      else out[k] = val;
    }
    return out;
  }
}

function rangeText(opts: { min?: number; max?: number }): string {
  if (opts.min !== undefined && opts.max !== undefined) return ` between ${opts.min} and ${opts.max}`;
  if (opts.min !== undefined) return ` >= ${opts.min}`;
  if (opts.max !== undefined) return ` <= ${opts.max}`;
  return '';
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v} ${v.toString()}`;
  return typeof v;
}

const TOP_KEYS = ['seed', 'marathon', 'mesos', 'timings', 'agents', 'apps', 'faults', 'auth', 'description'];
const MARATHON_KEYS = ['instances', 'version', 'taskKilling', 'leader', 'ports'];
const MESOS_KEYS = ['port', 'standbyMasters', 'version'];
const TIMING_KEYS = Object.keys(DEFAULT_TIMINGS);
const AGENT_KEYS = ['id', 'hostname', 'attributes', 'region', 'zone', 'active', 'cpus', 'mem', 'disk'];
const APP_KEYS = [
  'id', 'instances', 'cmd', 'cpus', 'mem', 'disk', 'labels', 'healthChecks', 'constraints', 'persistentVolumes',
  'weakness', 'pinnedToRack', 'deploying', 'unhealthy', 'recentFailure', 'serve',
];
const SERVE_KEYS = ['http', 'tcp'];
const HC_KEYS = ['protocol', 'path', 'portIndex', 'gracePeriodSeconds', 'intervalSeconds', 'timeoutSeconds', 'maxConsecutiveFailures', 'delaySeconds'];
const FAULT_KEYS = Object.keys(DEFAULT_FAULTS);
const WEAKNESS_KINDS = ['none', 'never-relaunches', 'never-healthy', 'slow-recovery', 'lb-lag', 'slow-warmup', 'echo-broken'];
/** Weaknesses of what a task serves: they need `serve`. */
const SERVE_WEAKNESSES = ['lb-lag', 'slow-warmup', 'echo-broken'];
const HC_PROTOCOLS = ['HTTP', 'HTTPS', 'TCP', 'COMMAND', 'MESOS_HTTP', 'MESOS_HTTPS', 'MESOS_TCP'];
const CONSTRAINT_OPS = ['UNIQUE', 'CLUSTER', 'GROUP_BY', 'LIKE', 'UNLIKE', 'MAX_PER', 'IS'];
const APP_ID = /^(\/[a-z0-9]([a-z0-9.-]*[a-z0-9])?)+$/;

/**
 * Validates a parsed JSON scenario; throws ScenarioError naming every bad field. `baseDir` is
 * where relative file names in the scenario (auth `publicKeyFile`) are resolved; default: cwd.
 */
export function parseScenario(raw: unknown, source: string, options: { baseDir?: string } = {}): Scenario {
  const c = new Checker();
  const top = c.object('', raw, TOP_KEYS);
  if (!top) throw new ScenarioError(source, c.problems);
  if (top.description !== undefined && typeof top.description !== 'string') c.problem('description', `expected a string, got ${describe(top.description)}`);

  const seed = c.string('seed', top.seed, 'marathon-monkey-sim') ?? 'marathon-monkey-sim';
  const marathon = parseMarathon(c, top.marathon);
  const mesos = parseMesos(c, top.mesos);
  const timings = parseTimings(c, top.timings);
  const agents = (c.array('agents', top.agents) ?? []).map((a, i) => parseAgent(c, `agents[${i}]`, a));
  const apps = (c.array('apps', top.apps) ?? []).map((a, i) => parseApp(c, `apps[${i}]`, a));
  const faults = parseFaults(c, 'faults', top.faults, DEFAULT_FAULTS);
  const auth = parseAuth(c, top.auth, options.baseDir ?? process.cwd());
  if (top.agents === undefined) c.problem('agents', 'missing; add at least one agent, e.g. [{"hostname":"10.1.0.11","attributes":{"rack":"r1"}}]');
  if (top.apps === undefined) c.problem('apps', 'missing; add an array of apps (it may be empty)');

  crossCheck(c, marathon, agents, apps);
  if (c.problems.length > 0) throw new ScenarioError(source, c.problems);
  return { seed, marathon, mesos, timings, agents, apps, faults, auth };
}

function parseMarathon(c: Checker, v: unknown): Scenario['marathon'] {
  const def: Scenario['marathon'] = { instances: 1, version: '1.10.17', taskKilling: true, leader: 0, ports: [] };
  if (v === undefined) return def;
  const o = c.object('marathon', v, MARATHON_KEYS);
  if (!o) return def;
  const instances = c.number('marathon.instances', o.instances, 1, { integer: true, min: 1, max: 9 }) ?? 1;
  let leader: number | null = 0;
  if (o.leader === null) leader = null;
  else leader = c.number('marathon.leader', o.leader, 0, { integer: true, min: 0 }) ?? 0;
  if (leader !== null && leader >= instances) c.problem('marathon.leader', `index ${leader} is out of range; use 0..${instances - 1} or null for no leader`);
  const ports: (number | null)[] = [];
  (c.array('marathon.ports', o.ports) ?? []).forEach((p, i) => {
    ports.push(p === null ? null : (c.number(`marathon.ports[${i}]`, p, 0, { integer: true, min: 0, max: 65535 }) ?? null));
  });
  return {
    instances,
    version: c.string('marathon.version', o.version, def.version) ?? def.version,
    taskKilling: c.boolean('marathon.taskKilling', o.taskKilling, true),
    leader,
    ports,
  };
}

function parseMesos(c: Checker, v: unknown): Scenario['mesos'] {
  const def: Scenario['mesos'] = { port: null, standbyMasters: 0, version: '1.11.0' };
  if (v === undefined) return def;
  const o = c.object('mesos', v, MESOS_KEYS);
  if (!o) return def;
  return {
    port: o.port === undefined || o.port === null ? null : (c.number('mesos.port', o.port, 0, { integer: true, min: 0, max: 65535 }) ?? null),
    standbyMasters: c.number('mesos.standbyMasters', o.standbyMasters, 0, { integer: true, min: 0, max: 4 }) ?? 0,
    version: c.string('mesos.version', o.version, def.version) ?? def.version,
  };
}

function parseTimings(c: Checker, v: unknown): ScenarioTimings {
  if (v === undefined) return { ...DEFAULT_TIMINGS };
  const o = c.object('timings', v, TIMING_KEYS);
  const out = { ...DEFAULT_TIMINGS };
  if (!o) return out;
  for (const key of TIMING_KEYS as (keyof ScenarioTimings)[]) {
    out[key] = c.number(`timings.${key}`, o[key], DEFAULT_TIMINGS[key], { integer: true, min: 0 }) ?? DEFAULT_TIMINGS[key];
  }
  return out;
}

function parseAgent(c: Checker, path: string, v: unknown): ScenarioAgent {
  const o = c.object(path, v, AGENT_KEYS) ?? {};
  const attributes: Record<string, AttributeValue> = {};
  if (o.attributes !== undefined) {
    const attrs = c.object(`${path}.attributes`, o.attributes, Object.keys((o.attributes ?? {})));
    for (const [k, val] of Object.entries(attrs ?? {})) {
      if (typeof val === 'string' || (typeof val === 'number' && Number.isFinite(val))) attributes[k] = val;
      else c.problem(`${path}.attributes.${k}`, `expected a string (text, "[0-3]" range, "{a,b}" set) or a number (scalar), got ${describe(val)}`);
    }
  }
  return {
    id: c.optString(`${path}.id`, o.id),
    hostname: c.string(`${path}.hostname`, o.hostname) ?? '',
    attributes,
    region: c.optString(`${path}.region`, o.region),
    zone: c.optString(`${path}.zone`, o.zone),
    active: c.boolean(`${path}.active`, o.active, true),
    cpus: c.number(`${path}.cpus`, o.cpus, 8, { min: 0 }) ?? 8,
    mem: c.number(`${path}.mem`, o.mem, 30000, { min: 0 }) ?? 30000,
    disk: c.number(`${path}.disk`, o.disk, 400000, { min: 0 }) ?? 400000,
  };
}

function parseApp(c: Checker, path: string, v: unknown): ScenarioApp {
  const o = c.object(path, v, APP_KEYS) ?? {};
  const id = c.string(`${path}.id`, o.id) ?? '';
  if (id !== '' && !APP_ID.test(id)) c.problem(`${path}.id`, `"${id}" is not a Marathon app id; use an absolute path of lowercase words, e.g. "/shop/cart"`);
  let cmd: string | null = null;
  if (o.cmd !== undefined && o.cmd !== null) cmd = c.string(`${path}.cmd`, o.cmd) ?? null;
  const healthChecks = (c.array(`${path}.healthChecks`, o.healthChecks) ?? []).map((h, i) => parseHealthCheck(c, `${path}.healthChecks[${i}]`, h));
  const constraints: string[][] = [];
  (c.array(`${path}.constraints`, o.constraints) ?? []).forEach((con, i) => {
    const p = `${path}.constraints[${i}]`;
    if (!Array.isArray(con) || con.length < 2 || con.length > 3 || !con.every((x) => typeof x === 'string')) {
      c.problem(p, `expected [field, operator] or [field, operator, value] of strings, got ${describe(con)}`);
      return;
    }
    const parts = con;
    if (!CONSTRAINT_OPS.includes(parts[1] ?? '')) c.problem(`${p}[1]`, `unknown operator "${parts[1]}"; use one of ${CONSTRAINT_OPS.join(', ')}`);
    constraints.push(parts);
  });
  return {
    id,
    instances: appInstances(c, path, id, o.instances),
    cmd,
    cpus: c.number(`${path}.cpus`, o.cpus, 0.1, { min: 0 }) ?? 0.1,
    mem: c.number(`${path}.mem`, o.mem, 128, { min: 0 }) ?? 128,
    disk: c.number(`${path}.disk`, o.disk, 0, { min: 0 }) ?? 0,
    labels: c.stringMap(`${path}.labels`, o.labels),
    healthChecks,
    constraints,
    persistentVolumes: c.boolean(`${path}.persistentVolumes`, o.persistentVolumes, false),
    weakness: parseWeakness(c, `${path}.weakness`, o.weakness),
    pinnedToRack: c.optString(`${path}.pinnedToRack`, o.pinnedToRack),
    deploying: c.boolean(`${path}.deploying`, o.deploying, false),
    unhealthy: c.boolean(`${path}.unhealthy`, o.unhealthy, false),
    recentFailure: c.boolean(`${path}.recentFailure`, o.recentFailure, false),
    serve: parseServe(c, `${path}.serve`, o.serve),
  };
}

function parseServe(c: Checker, path: string, v: unknown): ScenarioServe | undefined {
  if (v === undefined) return undefined;
  const o = c.object(path, v, SERVE_KEYS);
  if (!o) return undefined;
  const chosen = SERVE_KEYS.filter((k) => o[k] !== undefined);
  if (chosen.length !== 1) {
    c.problem(path, `${chosen.length === 0 ? 'names no protocol' : 'names both http and tcp'}; give exactly one: {"http":{"path":"/health"}} or {"tcp":{"echo":true}}`);
    return undefined;
  }
  if (o.http !== undefined) {
    const h = c.object(`${path}.http`, o.http, ['path']) ?? {};
    const p = c.string(`${path}.http.path`, h.path, DEFAULT_SERVE_HTTP_PATH) ?? DEFAULT_SERVE_HTTP_PATH;
    if (!p.startsWith('/')) c.problem(`${path}.http.path`, `expected a path starting with "/", e.g. "/health", got ${describe(p)}`);
    return { protocol: 'http', path: p };
  }
  const t = c.object(`${path}.tcp`, o.tcp, ['echo']) ?? {};
  return { protocol: 'tcp', echo: c.boolean(`${path}.tcp.echo`, t.echo, true) };
}

function appInstances(c: Checker, path: string, id: string, v: unknown): number {
  const n = c.number(`${path}.instances`, v, undefined, { integer: true, min: 0 }) ?? 0;
  const max = SCENARIO_LIMITS.instancesPerApp;
  if (n <= max) return n;
  c.problem(
    `${path}.instances`,
    `app ${id === '' ? '(no id)' : `"${id}"`} asks for ${formatCount(n)} instances; the simulator allows at most ${formatCount(max)} per app ` +
      `(and ${formatCount(SCENARIO_LIMITS.totalTasks)} tasks in all); lower it`,
  );
  return 0;
}

function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

function parseHealthCheck(c: Checker, path: string, v: unknown): ScenarioHealthCheck {
  const o = c.object(path, v, HC_KEYS) ?? {};
  const protocol = c.string(`${path}.protocol`, o.protocol, 'HTTP') ?? 'HTTP';
  if (!HC_PROTOCOLS.includes(protocol)) c.problem(`${path}.protocol`, `unknown protocol "${protocol}"; use one of ${HC_PROTOCOLS.join(', ')}`);
  return {
    protocol,
    path: c.optString(`${path}.path`, o.path),
    portIndex: c.number(`${path}.portIndex`, o.portIndex, 0, { integer: true, min: 0 }) ?? 0,
    gracePeriodSeconds: c.number(`${path}.gracePeriodSeconds`, o.gracePeriodSeconds, 300, { integer: true, min: 0 }) ?? 300,
    intervalSeconds: c.number(`${path}.intervalSeconds`, o.intervalSeconds, 60, { integer: true, min: 1 }) ?? 60,
    timeoutSeconds: c.number(`${path}.timeoutSeconds`, o.timeoutSeconds, 20, { integer: true, min: 1 }) ?? 20,
    maxConsecutiveFailures: c.number(`${path}.maxConsecutiveFailures`, o.maxConsecutiveFailures, 3, { integer: true, min: 0 }) ?? 3,
    delaySeconds: c.number(`${path}.delaySeconds`, o.delaySeconds, 15, { integer: true, min: 0 }) ?? 15,
  };
}

function parseWeakness(c: Checker, path: string, v: unknown): Weakness {
  if (v === undefined) return { kind: 'none' };
  const fix =
    `use one of ${WEAKNESS_KINDS.map((k) => `"${k}"`).join(', ')}, {"kind":"slow-recovery","extraMs":5000}, ` +
    `{"kind":"lb-lag","seconds":10} or {"kind":"slow-warmup","seconds":10}`;
  let kind: unknown = v;
  let extra: unknown;
  let seconds: unknown;
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const o = c.object(path, v, ['kind', 'extraMs', 'seconds']) ?? {};
    kind = o.kind;
    extra = o.extraMs;
    seconds = o.seconds;
  }
  if (typeof kind !== 'string' || !WEAKNESS_KINDS.includes(kind)) {
    c.problem(path, `unknown weakness ${describe(kind)}; ${fix}`);
    return { kind: 'none' };
  }
  if (kind !== 'slow-recovery' && extra !== undefined) c.problem(`${path}.extraMs`, `only "slow-recovery" takes extraMs; remove it`);
  if (kind !== 'lb-lag' && kind !== 'slow-warmup' && seconds !== undefined) c.problem(`${path}.seconds`, `only "lb-lag" and "slow-warmup" take seconds; remove it`);
  if (kind === 'slow-recovery') {
    return { kind, extraMs: c.number(`${path}.extraMs`, extra, DEFAULT_SLOW_RECOVERY_EXTRA_MS, { integer: true, min: 0 }) ?? DEFAULT_SLOW_RECOVERY_EXTRA_MS };
  }
  if (kind === 'lb-lag' || kind === 'slow-warmup') {
    const def = kind === 'lb-lag' ? DEFAULT_LB_LAG_SECONDS : DEFAULT_SLOW_WARMUP_SECONDS;
    return { kind, seconds: c.number(`${path}.seconds`, seconds, def, { min: 0, max: 3600 }) ?? def };
  }
  return { kind } as Weakness;
}

/** Parses a `faults` object over a base (the scenario's, or the current settings at runtime). */
export function parseFaults(c: Checker | undefined, path: string, v: unknown, base: FaultSettings): FaultSettings {
  const checker = c ?? new Checker();
  const out: FaultSettings = { ...base, routes: [...base.routes] };
  if (v !== undefined) {
    const o = checker.object(path, v, FAULT_KEYS);
    if (o) {
      out.latencyMs = checker.number(`${path}.latencyMs`, o.latencyMs, base.latencyMs, { integer: true, min: 0 }) ?? base.latencyMs;
      out.errorRate = checker.number(`${path}.errorRate`, o.errorRate, base.errorRate, { min: 0, max: 1 }) ?? base.errorRate;
      out.errorStatus = checker.number(`${path}.errorStatus`, o.errorStatus, base.errorStatus, { integer: true, min: 400, max: 599 }) ?? base.errorStatus;
      out.noLeader = checker.boolean(`${path}.noLeader`, o.noLeader, base.noLeader);
      out.malformedJson = checker.boolean(`${path}.malformedJson`, o.malformedJson, base.malformedJson);
      out.truncatedJson = checker.boolean(`${path}.truncatedJson`, o.truncatedJson, base.truncatedJson);
      out.dropConnections = checker.boolean(`${path}.dropConnections`, o.dropConnections, base.dropConnections);
      if (o.routes !== undefined) {
        out.routes = [];
        (checker.array(`${path}.routes`, o.routes) ?? []).forEach((r, i) => {
          if (typeof r !== 'string' || !r.startsWith('/')) checker.problem(`${path}.routes[${i}]`, `expected a path prefix starting with "/", e.g. "/v2/apps", got ${describe(r)}`);
          else out.routes.push(r);
        });
      }
    }
  }
  if (!c && checker.problems.length > 0) throw new ScenarioError('(runtime faults)', checker.problems);
  return out;
}

const AUTH_KEYS = ['basic', 'dcos'];
const BASIC_KEYS = ['username', 'password', 'realm'];
const DCOS_KEYS = ['tokens', 'serviceAccounts', 'tokenLifetimeSeconds', 'forbiddenApps'];
const ACCOUNT_KEYS = ['uid', 'publicKey', 'publicKeyFile'];
const FORBIDDEN_APP = /^(\/[a-z0-9]([a-z0-9.-]*[a-z0-9])?)+(\/\*)?$|^\/\*$/;

function parseAuth(c: Checker, v: unknown, baseDir: string): SimAuthConfig {
  if (v === undefined || v === null) return { kind: 'none' };
  const o = c.object('auth', v, AUTH_KEYS);
  if (!o) return { kind: 'none' };
  const chosen = AUTH_KEYS.filter((k) => o[k] !== undefined);
  if (chosen.length !== 1) {
    c.problem('auth', `${chosen.length === 0 ? 'names no method' : 'names both basic and dcos'}; give exactly one: {"basic":{"username":"ops","password":"…"}} or {"dcos":{"tokens":["…"]}}`);
    return { kind: 'none' };
  }
  if (o.basic !== undefined) {
    const b = c.object('auth.basic', o.basic, BASIC_KEYS) ?? {};
    const username = c.string('auth.basic.username', b.username) ?? '';
    // Basic credentials are "user:pass" split at the first colon, so a colon cannot be part of the user.
    if (username.includes(':')) c.problem('auth.basic.username', 'must not contain ":" (basic auth splits user and password at the first colon); choose another name');
    return {
      kind: 'basic',
      username,
      password: c.string('auth.basic.password', b.password) ?? '',
      realm: c.string('auth.basic.realm', b.realm, DEFAULT_AUTH_REALM) ?? DEFAULT_AUTH_REALM,
    };
  }
  const d = c.object('auth.dcos', o.dcos, DCOS_KEYS) ?? {};
  const tokens: string[] = [];
  (c.array('auth.dcos.tokens', d.tokens) ?? []).forEach((t, i) => {
    const p = `auth.dcos.tokens[${i}]`;
    if (typeof t !== 'string' || t.length === 0) c.problem(p, `expected a non-empty string, got ${describe(t)}`);
    else if (/\s/.test(t)) c.problem(p, 'must not contain whitespace (it travels in the Authorization header as token=<t>); remove it');
    else tokens.push(t);
  });
  const serviceAccounts: { uid: string; publicKey: string }[] = [];
  (c.array('auth.dcos.serviceAccounts', d.serviceAccounts) ?? []).forEach((a, i) => {
    const p = `auth.dcos.serviceAccounts[${i}]`;
    const acc = c.object(p, a, ACCOUNT_KEYS);
    if (!acc) return;
    const uid = c.string(`${p}.uid`, acc.uid) ?? '';
    if (uid !== '' && serviceAccounts.some((s) => s.uid === uid)) c.problem(`${p}.uid`, `duplicate service account "${uid}"; uids must be unique`);
    const publicKey = parsePublicKey(c, p, acc, baseDir);
    if (uid !== '' && publicKey !== undefined) serviceAccounts.push({ uid, publicKey });
  });
  if (d.tokens === undefined && d.serviceAccounts === undefined) {
    c.problem('auth.dcos', 'accepts no credentials; add "tokens": ["…"] and/or "serviceAccounts": [{"uid":"chaos-monkey","publicKeyFile":"chaos-monkey.pub.pem"}]');
  }
  const forbiddenApps: string[] = [];
  (c.array('auth.dcos.forbiddenApps', d.forbiddenApps) ?? []).forEach((f, i) => {
    if (typeof f !== 'string' || !FORBIDDEN_APP.test(f)) {
      c.problem(`auth.dcos.forbiddenApps[${i}]`, `expected an app id or a group ending in "/*", e.g. "/secret/db" or "/secret/*", got ${describe(f)}`);
    } else forbiddenApps.push(f);
  });
  return {
    kind: 'dcos',
    tokens,
    serviceAccounts,
    tokenLifetimeSeconds: c.number('auth.dcos.tokenLifetimeSeconds', d.tokenLifetimeSeconds, DEFAULT_TOKEN_LIFETIME_SECONDS, { integer: true, min: 1 }) ?? DEFAULT_TOKEN_LIFETIME_SECONDS,
    forbiddenApps,
  };
}

/** The account's RSA public key as PEM, from `publicKey` or `publicKeyFile` (exactly one). */
function parsePublicKey(c: Checker, path: string, acc: Record<string, unknown>, baseDir: string): string | undefined {
  if ((acc.publicKey === undefined) === (acc.publicKeyFile === undefined)) {
    c.problem(path, 'give exactly one of "publicKey" (PEM text) or "publicKeyFile" (a path, relative to the scenario file)');
    return undefined;
  }
  let pem: string | undefined;
  let where = `${path}.publicKey`;
  if (acc.publicKey !== undefined) {
    pem = c.string(where, acc.publicKey);
  } else {
    where = `${path}.publicKeyFile`;
    const file = c.string(where, acc.publicKeyFile);
    if (file === undefined) return undefined;
    try {
      pem = readFileSync(resolve(baseDir, file), 'utf8');
    } catch (err) {
      c.problem(where, `cannot read ${JSON.stringify(file)} (${(err as NodeJS.ErrnoException).code ?? String(err)}); give a path relative to the scenario file`);
      return undefined;
    }
  }
  if (pem === undefined) return undefined;
  if (pem.includes('PRIVATE KEY')) {
    // createPublicKey would accept it, but a private key has no business in a scenario file.
    c.problem(where, 'holds a private key; put the public key here (openssl rsa -in key.pem -pubout) and give the private key to the monkey only');
    return undefined;
  }
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'rsa') {
      c.problem(where, `is a ${key.asymmetricKeyType ?? 'non-asymmetric'} key; DC/OS service accounts use RSA keys (dcos security org service-accounts keypair)`);
      return undefined;
    }
  } catch {
    c.problem(where, 'is not a PEM public key; give "-----BEGIN PUBLIC KEY-----…" (the private key stays with the monkey)');
    return undefined;
  }
  return pem;
}

function crossCheck(c: Checker, marathon: Scenario['marathon'], agents: ScenarioAgent[], apps: ScenarioApp[]): void {
  if (marathon.ports.length > marathon.instances) c.problem('marathon.ports', `lists ${marathon.ports.length} ports for ${marathon.instances} instance(s); give at most one per instance`);
  const agentIds = new Set<string>();
  const hostnames = new Set<string>();
  agents.forEach((a, i) => {
    if (a.id !== undefined) {
      if (agentIds.has(a.id)) c.problem(`agents[${i}].id`, `duplicate agent id "${a.id}"; ids must be unique`);
      agentIds.add(a.id);
    }
    if (a.hostname !== '' && hostnames.has(a.hostname)) c.problem(`agents[${i}].hostname`, `duplicate hostname "${a.hostname}"; hostnames must be unique`);
    hostnames.add(a.hostname);
  });
  const racks = new Set(agents.map((a) => a.attributes.rack).filter((r) => r !== undefined).map(String));
  const appIds = new Set<string>();
  apps.forEach((app, i) => {
    if (appIds.has(app.id)) c.problem(`apps[${i}].id`, `duplicate app id "${app.id}"`);
    appIds.add(app.id);
    if (app.pinnedToRack !== undefined && !racks.has(app.pinnedToRack)) {
      c.problem(`apps[${i}].pinnedToRack`, `no agent has attribute rack="${app.pinnedToRack}"; use one of ${[...racks].sort().join(', ') || '(none: add a rack attribute to the agents)'}`);
    }
    if (app.instances > 0 && agents.length === 0) c.problem(`apps[${i}].instances`, 'the app has instances but there are no agents to run them; add agents');
    checkServe(c, `apps[${i}]`, app);
  });
  const servingPorts = apps.reduce((n, a) => n + (a.serve ? a.instances + 1 : 0), 0);
  if (servingPorts > SCENARIO_LIMITS.servingPorts) {
    c.problem(
      'apps',
      `the apps with "serve" need ${formatCount(servingPorts)} real ports (one per instance and one per app for its service endpoint); ` +
        `the simulator allows at most ${formatCount(SCENARIO_LIMITS.servingPorts)}; lower their instances or remove "serve" from some`,
    );
  }
  const total = apps.reduce((n, a) => n + a.instances, 0);
  if (total > SCENARIO_LIMITS.totalTasks) {
    const largest = apps.reduce((a, b) => (b.instances > a.instances ? b : a));
    c.problem(
      'apps',
      `the apps ask for ${formatCount(total)} tasks in all; the simulator allows at most ${formatCount(SCENARIO_LIMITS.totalTasks)} ` +
        `(the largest is "${largest.id}" with ${formatCount(largest.instances)}); lower the instances`,
    );
  }
}

/** Serve weaknesses need a serve that can show them; placeholders need a service to name. */
function checkServe(c: Checker, path: string, app: ScenarioApp): void {
  const kind = app.weakness.kind;
  if (SERVE_WEAKNESSES.includes(kind) && app.serve === undefined) {
    c.problem(`${path}.weakness`, `"${kind}" is a weakness of what the tasks serve, and the app serves nothing; add "serve": {"http":{"path":"/health"}} or {"tcp":{"echo":true}}`);
  }
  if (kind === 'echo-broken' && app.serve !== undefined && !(app.serve.protocol === 'tcp' && app.serve.echo)) {
    c.problem(`${path}.weakness`, '"echo-broken" needs a TCP echo server; use "serve": {"tcp":{"echo":true}}');
  }
  for (const [key, value] of Object.entries(app.labels)) {
    for (const m of value.matchAll(/\$\{service[^}]*\}/g)) {
      if (!(SERVICE_PLACEHOLDERS as readonly string[]).includes(m[0])) {
        c.problem(`${path}.labels.${key}`, `unknown placeholder ${m[0]}; use one of ${SERVICE_PLACEHOLDERS.join(', ')}`);
      } else if (app.serve === undefined) {
        c.problem(`${path}.labels.${key}`, `${m[0]} names the app's service endpoint, and the app serves nothing; add "serve" or remove the placeholder`);
      }
    }
  }
}

/** Reads and validates a scenario file. */
export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ScenarioError(file, [`cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)}); check the path`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ScenarioError(file, [`not valid JSON (${(err as Error).message}); fix the syntax`]);
  }
  return parseScenario(raw, file, { baseDir: dirname(resolve(file)) });
}

/**
 * A large, uniform, healthy cluster for benchmarks: every app opted in, every task running and
 * healthy since long before the start. Built directly (not through the validator) because 5,000
 * apps would make validation the slowest part of a benchmark set-up.
 */
export function generateSyntheticScenario(opts: { apps: number; tasksPerApp: number; agents: number; racks: number; seed?: string }): Scenario {
  const racks = Math.max(1, opts.racks);
  const agents: ScenarioAgent[] = [];
  for (let i = 0; i < opts.agents; i++) {
    const rack = `r${(i % racks) + 1}`;
    agents.push({
      id: undefined,
      hostname: `10.${Math.floor(i / 250) + 10}.${(i % 250) + 1}.${(i % racks) + 10}`,
      attributes: { rack, zone: `z${(i % racks) % 3}` },
      region: 'region-1',
      zone: `region-1${'abc'[(i % racks) % 3] ?? 'a'}`,
      active: true,
      cpus: 64,
      mem: 262144,
      disk: 1000000,
    });
  }
  const apps: ScenarioApp[] = [];
  for (let i = 0; i < opts.apps; i++) {
    apps.push({
      id: `/bench/team-${Math.floor(i / 100)}/app-${i}`,
      instances: opts.tasksPerApp,
      cmd: './serve --port $PORT0',
      cpus: 0.1,
      mem: 128,
      disk: 0,
      labels: { 'monkey.enabled': 'true', team: `team-${Math.floor(i / 100)}` },
      healthChecks: [
        { protocol: 'MESOS_HTTP', path: '/health', portIndex: 0, gracePeriodSeconds: 60, intervalSeconds: 10, timeoutSeconds: 5, maxConsecutiveFailures: 3, delaySeconds: 15 },
      ],
      constraints: [],
      persistentVolumes: false,
      weakness: { kind: 'none' },
      pinnedToRack: undefined,
      deploying: false,
      unhealthy: false,
      recentFailure: false,
    });
  }
  return {
    seed: opts.seed ?? 'synthetic',
    marathon: { instances: 1, version: '1.10.17', taskKilling: true, leader: 0, ports: [] },
    mesos: { port: null, standbyMasters: 0, version: '1.11.0' },
    timings: { ...DEFAULT_TIMINGS },
    agents,
    apps,
    faults: { ...DEFAULT_FAULTS, routes: [] },
    auth: { kind: 'none' },
  };
}
