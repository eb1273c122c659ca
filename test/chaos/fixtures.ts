import { pino, type Logger } from 'pino';
import type { AgentsReader, AppsReader, KillAnswer, KillIntent, KillLedger, TaskKiller } from '../../src/domain/ports.js';
import type { KillResult, MarathonApp, MarathonTask } from '../../src/domain/marathon.js';
import type { MesosAgent } from '../../src/domain/agent.js';

/** Tuesday 5 March 2024, 10:00 UTC: the instant most tests pin the clock to. */
export const aTuesdayMorning = new Date('2024-03-05T10:00:00.000Z');
export const HOUR = 3_600_000;
export const MINUTE = 60_000;

function uuid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** Task fields to override; `undefined` removes the field (e.g. a task with no startedAt). */
export type TaskOverrides = { [K in keyof MarathonTask]?: MarathonTask[K] | undefined };

export function task(appId: string, i: number, overrides: TaskOverrides = {}): MarathonTask {
  const safe = appId.replace(/^\//, '').replace(/\//g, '_');
  const t: Record<string, unknown> = {
    id: `${safe}.instance-${uuid(i + 1)}._app.1`,
    appId,
    host: `10.0.0.${(i % 250) + 1}`,
    slaveId: `agent-S${i}`,
    state: 'TASK_RUNNING',
    stagedAt: new Date(aTuesdayMorning.getTime() - 2 * HOUR).toISOString(),
    startedAt: new Date(aTuesdayMorning.getTime() - 2 * HOUR + 5000).toISOString(),
    version: '2024-03-01T08:00:00.000Z',
    localVolumes: [],
    ...overrides,
  };
  for (const k of Object.keys(t)) if (t[k] === undefined) delete t[k];
  return t as unknown as MarathonTask;
}

export interface AppOptions {
  instances?: number;
  labels?: Record<string, string>;
  healthChecks?: boolean;
  tasks?: MarathonTask[];
  /** Overrides applied to every generated task (e.g. host placement). */
  taskOverrides?: (i: number) => TaskOverrides;
  app?: Partial<MarathonApp>;
}

/** An opted-in, fully healthy app with `instances` running tasks started two hours ago. */
export function app(id: string, o: AppOptions = {}): MarathonApp {
  const instances = o.instances ?? 3;
  const hc = o.healthChecks ?? true;
  const tasks = o.tasks ?? Array.from({ length: instances }, (_, i) => task(id, i, o.taskOverrides?.(i) ?? {}));
  const running = tasks.filter((t) => t.state === 'TASK_RUNNING').length;
  return {
    id,
    instances,
    labels: { 'monkey.enabled': 'true', ...o.labels },
    healthChecks: hc ? [{ protocol: 'MESOS_HTTP', path: '/health' }] : [],
    constraints: [],
    volumes: [],
    tasksStaged: 0,
    tasksRunning: running,
    tasksHealthy: hc ? running : 0,
    tasksUnhealthy: 0,
    deployments: [],
    tasks,
    ...o.app,
  };
}

export function agent(id: string, hostname: string, attributes: MesosAgent['attributes'] = {}, zone?: string): MesosAgent {
  return { id, hostname, attributes, active: true, ...(zone === undefined ? {} : { zone }) };
}

/**
 * A hand-written AppsReader: `listApps` returns `apps`; `getApp` answers from `getAppScript`
 * (per call) or else from `apps`. Every call is recorded.
 */
export class FakeApps implements AppsReader {
  calls: string[] = [];
  listError: Error | undefined;
  /** Per app id, answers for successive getApp calls (the last one repeats). */
  getAppScript = new Map<string, ((n: number) => MarathonApp | Error)>();
  private getCounts = new Map<string, number>();

  constructor(public apps: MarathonApp[]) {}

  listApps(): Promise<MarathonApp[]> {
    this.calls.push('listApps');
    if (this.listError) return Promise.reject(this.listError);
    return Promise.resolve(structuredClone(this.apps));
  }

  getApp(appId: string): Promise<MarathonApp> {
    this.calls.push(`getApp ${appId}`);
    const n = (this.getCounts.get(appId) ?? 0) + 1;
    this.getCounts.set(appId, n);
    const script = this.getAppScript.get(appId);
    const answer = script ? script(n) : this.apps.find((a) => a.id === appId);
    if (answer === undefined) return Promise.reject(codedError('E_APP_NOT_FOUND', `App '${appId}' does not exist`));
    if (answer instanceof Error) return Promise.reject(answer);
    return Promise.resolve(structuredClone(answer));
  }

  getCalls(appId: string): number {
    return this.getCounts.get(appId) ?? 0;
  }
}

export class FakeKiller implements TaskKiller {
  calls: string[][] = [];
  unknown = new Set<string>();
  error: Error | undefined;
  constructor(private readonly apps?: FakeApps) {}

  killTasks(taskIds: readonly string[]): Promise<KillResult> {
    this.calls.push([...taskIds]);
    if (this.error) return Promise.reject(this.error);
    const all = (this.apps?.apps ?? []).flatMap((a) => a.tasks);
    const killed = taskIds.filter((id) => !this.unknown.has(id)).map((id) => all.find((t) => t.id === id) ?? task('/x', 0, { id }));
    return Promise.resolve({ requested: [...taskIds], killed, unmatched: taskIds.filter((id) => this.unknown.has(id)) });
  }
}

/**
 * A kill ledger that records intents and answers in memory. `events` is shared with a killer
 * (pass it to `orderedKiller`) so tests can assert the intent came before the request. `failWith`
 * makes recordIntent fail as a full disk would; `vetoWith` as the journal's state would.
 */
export class RecordingLedger implements KillLedger {
  intents: KillIntent[] = [];
  answers: KillAnswer[] = [];
  failWith: Error | undefined;
  vetoWith: string | undefined;
  constructor(readonly events: string[] = []) {}

  recordIntent(intent: KillIntent): Promise<void> {
    if (this.failWith) return Promise.reject(this.failWith);
    if (this.vetoWith !== undefined) return Promise.reject(codedError('E_KILL_VETOED', this.vetoWith));
    this.intents.push(intent);
    this.events.push(`intent ${intent.taskIds.join(',')}`);
    return Promise.resolve();
  }

  recordAnswer(answer: KillAnswer): Promise<void> {
    this.answers.push(answer);
    this.events.push(`answer ${answer.outcome}`);
    return Promise.resolve();
  }
}

/** Wraps a killer so each request is logged into the same event list as a RecordingLedger. */
export function orderedKiller(killer: TaskKiller, events: string[]): TaskKiller {
  return {
    killTasks(ids) {
      events.push(`kill ${ids.join(',')}`);
      return killer.killTasks(ids);
    },
  };
}

export class FakeAgents implements AgentsReader {
  calls = 0;
  constructor(public agents: MesosAgent[]) {}
  listAgents(): Promise<MesosAgent[]> {
    this.calls++;
    return Promise.resolve(this.agents);
  }
}

export function codedError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/** A pino logger writing into an array of parsed lines. */
export function captureLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = {
    write(chunk: string): void {
      for (const l of chunk.split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
    },
  };
  return { logger: pino({ level: 'debug' }, sink), lines };
}

/** An app after a kill: the killed tasks replaced by next incarnations, all running and healthy. */
export function replaced(a: MarathonApp, killedIds: readonly string[]): MarathonApp {
  return {
    ...a,
    tasks: a.tasks.map((t) => (killedIds.includes(t.id) ? { ...t, id: t.id.replace(/\._app\.(\d+)$/, (_, n: string) => `._app.${Number(n) + 1}`) } : t)),
  };
}

/** An app mid-recovery: the killed tasks still listed as TASK_KILLED, counts one short. */
export function killedButNotReplaced(a: MarathonApp, killedIds: readonly string[]): MarathonApp {
  return {
    ...a,
    tasksRunning: a.tasksRunning - killedIds.length,
    tasksHealthy: a.healthChecks.length > 0 ? a.tasksHealthy - killedIds.length : 0,
    tasks: a.tasks.map((t) => (killedIds.includes(t.id) ? { ...t, state: 'TASK_KILLED' as const } : t)),
  };
}
