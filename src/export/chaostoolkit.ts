/**
 * A journaled cycle as a Chaos Toolkit journal (pure). The field names, statuses and timestamp
 * forms are the ones chaostoolkit-lib writes (chaoslib/run.py initialize_run_journal and
 * run_deviation_validation_hypothesis, chaoslib/activity.py execute_activity, chaoslib/hypothesis.py
 * run_steady_state_hypothesis), so `chaos report` and other journal readers take it as their own.
 *
 * The experiment was not run by the Chaos Toolkit: it is what the cycle did, told in the Chaos
 * Toolkit's terms, and it is re-runnable with `chaos run` (the probe and the kill are plain HTTP
 * activities against Marathon, addressed through the `marathon_url` configuration key).
 */
import type { AfterKill, CycleRecord, HealthSnapshot, ProbeObservation } from '../domain/record.js';

/** The run statuses Chaos Toolkit allows (chaoslib/run.py overrides anything else to completed). */
export type CtkStatus = 'completed' | 'failed' | 'aborted' | 'interrupted';

/**
 * A provider as chaoslib/activity.py validates it: `http` needs a url, `process` a path, `python` a
 * module and func. The Marathon probe and the kill are `http`; issue 11's service probes may add
 * `http` checks of a service URL or a `process`/`python` TCP check.
 */
export type CtkProvider =
  | { type: 'http'; url: string; method?: string; headers?: Record<string, string>; arguments?: Record<string, unknown>; timeout?: number }
  | { type: 'process'; path: string; arguments?: string | string[]; timeout?: number }
  | { type: 'python'; module: string; func: string; arguments?: Record<string, unknown> };

/** A tolerance as chaoslib/hypothesis.py accepts it: a scalar, a list, or a typed object. */
export type CtkTolerance =
  | boolean
  | number
  | string
  | unknown[]
  | { type: 'jsonpath'; path: string; expect?: unknown; target?: string; count?: number }
  | { type: 'regex'; pattern: string; target?: string }
  | { type: 'range'; range: [number, number]; target?: string };

export interface CtkActivity {
  type: 'probe' | 'action';
  name: string;
  provider: CtkProvider;
  tolerance?: CtkTolerance;
}

/** One activity's run (chaoslib/activity.py execute_activity; hypothesis probes add tolerance_met). */
export interface CtkRun {
  activity: CtkActivity;
  output: unknown;
  status: 'succeeded' | 'failed';
  start: string;
  end: string;
  duration: number;
  exception?: string[];
  tolerance_met?: boolean;
}

export interface CtkSteadyState {
  steady_state_met: boolean;
  probes: CtkRun[];
}

export interface CtkExperiment {
  version: string;
  title: string;
  description: string;
  tags: string[];
  configuration: Record<string, unknown>;
  'steady-state-hypothesis'?: { title: string; probes: CtkActivity[] };
  method: CtkActivity[];
  rollbacks: CtkActivity[];
  extensions: { name: string; [key: string]: unknown }[];
}

export interface CtkJournal {
  'chaoslib-version': string;
  platform: string;
  node: string;
  experiment: CtkExperiment;
  start: string;
  end: string;
  duration: number;
  status: CtkStatus;
  deviated: boolean;
  steady_states: { before: CtkSteadyState | null; after: CtkSteadyState | null; during: CtkSteadyState[] };
  run: CtkRun[];
  rollbacks: CtkRun[];
}

/**
 * One probe's observation, whatever measured it: the Marathon counts today, issue 11's HTTP/TCP
 * service probes later. `steadyState` turns a list of them into the hypothesis' result, and
 * `toChaosToolkitJournal` takes extra ones beside the Marathon probes.
 */
export interface ProbeResult {
  /** The probe's definition, with its tolerance (it goes into the experiment's hypothesis). */
  probe: CtkActivity & { type: 'probe'; tolerance: CtkTolerance };
  output: unknown;
  /** The probe itself ran (an unreachable service is `false`, and then its tolerance is not met). */
  succeeded: boolean;
  toleranceMet: boolean;
  startMs: number;
  endMs: number;
  /** Why the probe failed to run (written only then, as Chaos Toolkit does). */
  exception?: string;
}

export interface ProbeResults {
  before: ProbeResult[];
  after: ProbeResult[];
}

/** What Chaos Toolkit records about where it ran; here, the exporting host (the journal does not say). */
export interface ExportEnvironment {
  /** Written as `chaoslib-version`: the producer and its version, e.g. `marathon-monkey 0.1.0`. */
  producer: string;
  /** Like Python's platform.platform(), e.g. `Linux-6.1.0-x64`. */
  platform: string;
  /** Like Python's platform.node(): the host name. */
  node: string;
  /** The default of the `marathon_url` configuration key (MARATHON_URL overrides it at `chaos run`). */
  marathonUrl?: string;
}

export const MARATHON_PROBE = 'marathon-app-healthy';
/** The service probes' error rate during the kill, against the app's budget (issue 11). */
export const SERVICE_ERROR_RATE_PROBE = 'service-error-rate';
/** A whole round of the service probes passed (before: the round before the kill; after: once Marathon reported the app back). */
export const SERVICE_PASSES_PROBE = 'service-probes-pass';
export const KILL_ACTION = 'marathon-kill-tasks';
export const DEFAULT_MARATHON_URL = 'http://marathon.mesos:8080';

/** Chaos Toolkit's instants: Python's datetime.utcnow().isoformat(), UTC with microseconds and no zone. */
export function ctkTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, -1)}000`;
}

const seconds = (ms: number): number => Math.max(0, ms) / 1000;

/** A hypothesis' result from its probes; null when there are none (Chaos Toolkit: no hypothesis). */
export function steadyState(results: readonly ProbeResult[]): CtkSteadyState | null {
  if (results.length === 0) return null;
  return {
    steady_state_met: results.every((r) => r.succeeded && r.toleranceMet),
    probes: results.map((r) => ({
      activity: r.probe,
      output: r.output,
      status: r.succeeded ? 'succeeded' : 'failed',
      start: ctkTime(r.startMs),
      end: ctkTime(r.endMs),
      duration: seconds(r.endMs - r.startMs),
      ...(r.succeeded || r.exception === undefined ? {} : { exception: [r.exception] }),
      tolerance_met: r.succeeded && r.toleranceMet,
    })),
  };
}

/**
 * The figure "all instances healthy" is judged on: tasksHealthy, or tasksRunning for an app without
 * health checks (Marathon reports tasksHealthy 0 for those forever; docs/marathon-api.md §6). The
 * record does not keep the health checks, but the monkey only kills an app in steady state, so an
 * app with instances and 0 healthy before the kill is one without health checks.
 */
function judgedField(before: HealthSnapshot | undefined): 'tasksHealthy' | 'tasksRunning' {
  return before !== undefined && before.instances > 0 && before.tasksHealthy === 0 ? 'tasksRunning' : 'tasksHealthy';
}

function probeName(appId: string, many: boolean): string {
  return many ? `${MARATHON_PROBE} ${appId}` : MARATHON_PROBE;
}

/**
 * The probe: GET /v2/apps/{id} with a jsonpath tolerance `$.app.tasksHealthy` = instances (what
 * chaoslib's http provider and jsonpath tolerance can re-check on `chaos run`). Its recorded output
 * has the http provider's shape ({status, headers, body}) with the journaled counts as the body.
 */
function marathonProbe(appId: string, before: HealthSnapshot | undefined, many: boolean): ProbeResult['probe'] {
  const field = judgedField(before);
  return {
    type: 'probe',
    name: probeName(appId, many),
    tolerance: { type: 'jsonpath', path: `$.app.${field}`, expect: before?.instances ?? 0, target: 'body' },
    provider: { type: 'http', url: `\${marathon_url}/v2/apps${appId}`, method: 'GET', timeout: 10 },
  };
}

function appBody(appId: string, h: HealthSnapshot): { status: number; headers: Record<string, string>; body: unknown } {
  return { status: 200, headers: { 'Content-Type': 'application/json' }, body: { app: { id: appId, ...h } } };
}

/** The Marathon steady state before (the listing) and after (the recovery watch) as probe results. */
export function marathonProbeResults(record: CycleRecord): ProbeResults {
  const t0 = Date.parse(record.time);
  const killedAt = record.killedAt === null ? null : Date.parse(record.killedAt);
  const apps = [...new Set([...record.victims.map((v) => v.appId), ...Object.keys(record.before), ...Object.keys(record.after)])];
  const many = apps.length > 1;
  const before: ProbeResult[] = [];
  const after: ProbeResult[] = [];
  for (const appId of apps) {
    const b = record.before[appId];
    const probe = marathonProbe(appId, b, many);
    if (b !== undefined) {
      const field = judgedField(b);
      before.push({ probe, output: appBody(appId, b), succeeded: true, toleranceMet: b[field] >= b.instances, startMs: t0, endMs: t0 + record.durationsMs.list });
    }
    const a: AfterKill | undefined = record.after[appId];
    // A deleted app is not a weakness (the monkey does not judge it), and an interrupted watch judged nothing.
    if (a === undefined || a.gone === true || a.aborted === true || killedAt === null) continue;
    const endMs = killedAt + (a.timeToRecoverMs ?? a.timeoutMs);
    if (a.health === null) {
      after.push({ probe, output: null, succeeded: false, toleranceMet: false, startMs: killedAt, endMs, exception: `no read of ${appId} succeeded during the recovery watch (${a.polls} tried)` });
    } else {
      // Judged on Marathon's counts alone: an app Marathon reported back whose service probes then
      // never passed is out of tolerance on the service probes, not on this one.
      const marathonMs = a.marathonRecoveredMs;
      const back = a.recovered || marathonMs !== undefined;
      // Out of tolerance is not an exception in Chaos Toolkit's terms (the probe ran); why is in the extension's recovery.
      after.push({ probe, output: appBody(appId, a.health), succeeded: true, toleranceMet: back, startMs: killedAt, endMs: marathonMs === undefined ? endMs : killedAt + marathonMs });
    }
  }
  return { before, after };
}

/**
 * The service probes (issue 11) of the killed apps as probe results: per probed app, its error rate
 * (a `range` tolerance on `errorRate` from 0 to the app's budget, `monkey.probe.max-error-rate`)
 * and whether a whole round passed (tolerance `true`). Before: the round the cycle ran before the
 * kill (`probesBefore`). After: the sampling from just before the kill until the app was back (the
 * figures of `after[app].probe` are the output), judged as the cycle judges `service-degraded`.
 *
 * These are records of what the monkey measured: its probes reach the app's tasks or service with
 * their own timing and judge figures over the whole kill, which no Chaos Toolkit provider repeats.
 * So they are hypothesis results (the journal's `steady_states`) and stay out of the experiment's
 * `steady-state-hypothesis`, which keeps what `chaos run` can run again; their activity names the
 * monkey and the app's checks as a `process` provider.
 */
export function serviceProbeResults(record: CycleRecord): ProbeResults {
  const t0 = Date.parse(record.time);
  const killedAt = record.killedAt === null ? null : Date.parse(record.killedAt);
  const apps = [...new Set(record.victims.map((v) => v.appId))].filter((a) => record.probesBefore?.[a] !== undefined || record.after[a]?.probe !== undefined);
  const many = apps.length > 1;
  const before: ProbeResult[] = [];
  const after: ProbeResult[] = [];
  for (const appId of apps) {
    const v = record.probesBefore?.[appId];
    const a: AfterKill | undefined = record.after[appId];
    const seen = a?.probe;
    const probes = serviceProbes(appId, seen?.checks ?? [], seen?.maxErrorRate ?? 0, many);
    if (v !== undefined) {
      const startMs = t0 + record.durationsMs.list;
      const endMs = startMs + record.durationsMs.plan;
      const errorRate = v.samples === 0 ? 0 : v.failures / v.samples;
      const output = { ok: v.ok, samples: v.samples, failures: v.failures, errorRate, detail: v.detail };
      before.push({ probe: probes.errorRate, output, succeeded: true, toleranceMet: errorRate <= (seen?.maxErrorRate ?? 0), startMs, endMs });
      before.push({ probe: probes.passes, output: v.ok, succeeded: true, toleranceMet: v.ok, startMs, endMs });
    }
    if (seen === undefined || a === undefined || a.gone === true || a.aborted === true || killedAt === null) continue;
    const endMs = killedAt + (seen.serviceRecoveredMs ?? a.timeoutMs);
    const output: ProbeObservation = { ...seen, failureKinds: { ...seen.failureKinds }, checks: [...seen.checks] };
    after.push({ probe: probes.errorRate, output, succeeded: true, toleranceMet: seen.errorRate <= seen.maxErrorRate, startMs: killedAt, endMs });
    after.push({ probe: probes.passes, output: seen.passedAgain, succeeded: true, toleranceMet: seen.passedAgain, startMs: killedAt, endMs });
  }
  return { before, after };
}

function serviceProbes(appId: string, checks: readonly string[], maxErrorRate: number, many: boolean): { errorRate: ProbeResult['probe']; passes: ProbeResult['probe'] } {
  const provider: CtkProvider = { type: 'process', path: 'marathon-monkey', arguments: [appId, ...checks] };
  const name = (base: string): string => (many ? `${base} ${appId}` : base);
  return {
    errorRate: { type: 'probe', name: name(SERVICE_ERROR_RATE_PROBE), tolerance: { type: 'range', range: [0, maxErrorRate], target: 'errorRate' }, provider },
    passes: { type: 'probe', name: name(SERVICE_PASSES_PROBE), tolerance: true, provider },
  };
}

function killRun(record: CycleRecord, action: CtkActivity): CtkRun {
  const d = record.durationsMs;
  const end = record.killedAt === null ? Date.parse(record.time) + d.list + d.plan + d.recheck + d.kill : Date.parse(record.killedAt);
  const start = end - d.kill;
  const answered = record.killResponse !== null;
  return {
    activity: action,
    output: answered ? { status: 200, headers: { 'Content-Type': 'application/json' }, body: record.killResponse } : null,
    status: answered ? 'succeeded' : 'failed',
    start: ctkTime(start),
    end: ctkTime(end),
    duration: seconds(end - start),
    ...(answered ? {} : { exception: [`${record.error?.code ?? 'E_KILL'}: ${record.error?.message ?? 'the kill request got no usable answer'} (it may have reached Marathon)`] }),
  };
}

/** Deduplicated probe definitions, in first-seen order. */
function probeDefinitions(results: readonly ProbeResult[]): CtkActivity[] {
  const seen = new Map<string, CtkActivity>();
  for (const r of results) if (!seen.has(r.probe.name)) seen.set(r.probe.name, r.probe);
  return [...seen.values()];
}

/**
 * The journal for one cycle that killed (see `killMayHaveHappened` in src/domain/record.ts). The
 * service probes the cycle recorded (issue 11) are judged beside Marathon's counts, and `extra`
 * holds more probe results: any after-probe out of tolerance — an app that did not recover, or a
 * service over its error budget or never passing again (`service-degraded`) — makes the
 * experiment deviate (`deviated`, `status: failed`, `steady_states.after.steady_state_met: false`).
 */
export function toChaosToolkitJournal(record: CycleRecord, env: ExportEnvironment, extra: ProbeResults = { before: [], after: [] }): CtkJournal {
  const marathon = marathonProbeResults(record);
  const service = serviceProbeResults(record);
  const beforeResults = [...marathon.before, ...service.before, ...extra.before];
  const afterResults = [...marathon.after, ...service.after, ...extra.after];
  const ids = record.killRequest?.body.ids ?? record.victims.map((v) => v.taskId);
  const apps = [...new Set(record.victims.map((v) => v.appId))];
  const action: CtkActivity = {
    type: 'action',
    name: KILL_ACTION,
    provider: {
      type: 'http',
      url: '${marathon_url}/v2/tasks/delete?scale=false',
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      arguments: { ids: [...ids] },
      timeout: 30,
    },
  };
  const run = killRun(record, action);
  const watched = Object.values(record.after);
  const interrupted = watched.some((a) => a.aborted === true);
  const before = steadyState(beforeResults);
  // Chaos Toolkit runs the after-hypothesis only when the method ran to its end.
  const after = run.status === 'failed' || interrupted ? null : steadyState(afterResults);
  const deviated = after !== null && !after.steady_state_met;
  const status: CtkStatus = run.status === 'failed' ? 'aborted' : interrupted ? 'interrupted' : deviated || before?.steady_state_met === false ? 'failed' : 'completed';
  const start = Date.parse(record.time);
  const end = start + record.durationsMs.total;
  // The service probes' results are in the steady states but not in the experiment (see serviceProbeResults).
  const recordOnly = new Set([...service.before, ...service.after].map((r) => r.probe));
  const hypothesisProbes = probeDefinitions([...beforeResults, ...afterResults].filter((r) => !recordOnly.has(r.probe)));
  const experiment: CtkExperiment = {
    version: '1.0.0',
    title: `${apps.join(', ')} ${apps.length === 1 ? 'recovers' : 'recover'} from losing ${ids.length === 1 ? 'a task' : `${ids.length} tasks`}`,
    description:
      `marathon-monkey cycle ${record.cycleId} (strategy ${record.strategy}, scheduled ${record.scheduledAt}) killed ` +
      `${ids.join(', ')} with POST /v2/tasks/delete?scale=false and watched the affected apps until all their instances ` +
      'were healthy again or their recovery deadline passed. Exported from the marathon-monkey journal, not run by the Chaos Toolkit.',
    tags: ['marathon', 'mesos', 'marathon-monkey', `strategy:${record.strategy}`],
    configuration: { marathon_url: { type: 'env', key: 'MARATHON_URL', default: env.marathonUrl ?? DEFAULT_MARATHON_URL } },
    ...(hypothesisProbes.length === 0 ? {} : { 'steady-state-hypothesis': { title: 'Every affected Marathon app has all its instances healthy', probes: hypothesisProbes } }),
    method: [action],
    rollbacks: [],
    extensions: [
      {
        name: 'marathon-monkey',
        cycleId: record.cycleId,
        scheduledAt: record.scheduledAt,
        seed: record.seed,
        cycleSeed: record.cycleSeed,
        strategy: record.strategy,
        outcome: record.outcome,
        killStatus: record.killStatus ?? (record.killResponse === null ? null : 'answered'),
        target: record.target,
        victims: record.victims,
        recovery: record.after,
        weaknesses: record.weaknesses,
      },
    ],
  };
  return {
    'chaoslib-version': env.producer,
    platform: env.platform,
    node: env.node,
    experiment,
    start: ctkTime(start),
    end: ctkTime(end),
    duration: seconds(end - start),
    status,
    deviated,
    steady_states: { before, after, during: [] },
    run: [run],
    rollbacks: [],
  };
}
