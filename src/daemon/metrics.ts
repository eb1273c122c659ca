import { createHistogram, performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { killOutcome } from '../chaos/record.js';
import { isDryRun, killMayHaveHappened } from '../domain/record.js';
import type { CycleRecord } from '../domain/record.js';

export const METRIC_PREFIX = 'marathon_monkey_';

/**
 * Recovery takes from about a second (a restarted container) to the recovery timeout (up to
 * half an hour), so the buckets are spread over that range roughly logarithmically.
 */
export const RECOVERY_BUCKETS_SECONDS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 300, 600, 900, 1200, 1800];

/**
 * The longest run of failed service probes of one app during one kill: from a blip of one failed
 * probe (half a second at the default interval) to a load balancer that keeps a dead task for
 * minutes; past two minutes the exact figure is in the journal.
 */
export const PROBE_OUTAGE_BUCKETS_SECONDS = [0.5, 1, 2, 5, 10, 15, 30, 60, 120];

/** Marathon answers in milliseconds when healthy and in tens of seconds when its leader is busy. */
export const REQUEST_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * How often the event loop is sampled: a timer due every 20 ms records how late it ran. prom-client
 * samples with perf_hooks.monitorEventLoopDelay, which records the whole time between two ticks
 * (an idle loop read the 100 ms it was given as a 0.1 s lag) and, after each per-scrape reset,
 * drops the first tick, so a stall just after a scrape went unseen. 20 ms sees every stall a
 * health check could notice for 50 cheap wakeups a second.
 */
export const EVENT_LOOP_RESOLUTION_MS = 20;

/**
 * The time-to-recover histogram is 17 series per label set, so it keeps its own `app` label for
 * the first apps that recover after the daemon starts and puts every later app under
 * app="other" (kills_total{app} and the journal keep the per-app detail).
 */
export const MAX_RECOVERY_APP_LABELS = 20;
export const OTHER_APP_LABEL = 'other';

/**
 * prom-client gauges that promtool rejects (a gauge must not end in _total); the per-type gauges
 * nodejs_active_handles{type}, nodejs_active_requests{type} and nodejs_active_resources{type}
 * carry the same counts, summed by sum().
 */
const DROPPED_DEFAULT_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

const LAG_STATS = ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'] as const;

export interface MarathonRequestSample {
  /**
   * A templated endpoint name, never a concrete path: `GET /v2/apps/{id}`, not the app id, so the
   * label stays bounded. A query string is cut off if one slips in.
   */
  endpoint: string;
  status?: number;
  durationMs: number;
  /** An error code (`E_TIMEOUT`), an error with a `code`, or `true`. Absent: success unless status >= 400. */
  error?: unknown;
}

export interface MonkeyMetricsOptions {
  /** Exposed as marathon_monkey_build_info{version}. */
  version?: string;
  /**
   * Default process metrics (CPU, memory, event loop lag, …) under their usual unprefixed names
   * (process_*, nodejs_*), as Node.js dashboards expect; on by default.
   */
  defaultMetrics?: boolean;
}

/**
 * The monkey's Prometheus metrics in a private registry (the global default registry is shared
 * with whatever else is loaded into the process and makes tests leak into each other).
 * Labels are bounded: app ids, strategies, reason codes, endpoint templates; never task ids.
 */
export class MonkeyMetrics {
  readonly registry: Registry;
  private readonly cycles: Counter<'outcome'>;
  private readonly cycleErrors: Counter<'code'>;
  private readonly kills: Counter<'app' | 'strategy' | 'outcome'>;
  private readonly dryRunKills: Counter<'app' | 'strategy'>;
  private readonly skips: Counter<'scope' | 'reason'>;
  private readonly timeToRecover: Histogram<'app' | 'strategy'>;
  private readonly recoveryApps = new Set<string>();
  private stopSampler: () => void = () => {};
  private readonly weaknesses: Counter<'app' | 'reason'>;
  private readonly probeOutage: Histogram;
  private readonly probeResults: Counter<'app' | 'outcome'>;
  private readonly marathonErrors: Counter<'endpoint' | 'code'>;
  private readonly notifications: Counter<'channel' | 'outcome'>;
  private readonly marathonLatency: Histogram<'endpoint'>;
  private readonly pausedGauge: Gauge;
  private readonly haltedGauge: Gauge;
  private readonly journalWritableGauge: Gauge;
  private readonly quarantinedGauge: Gauge;
  private readonly lastCycle: Gauge;
  private readonly leaderGauge: Gauge;
  /** Only with ZooKeeper (state.zk): created at the first setZkSessionUp, absent from a single instance's metrics. */
  private zkSessionGauge: Gauge | undefined;

  constructor(options: MonkeyMetricsOptions = {}) {
    this.registry = new Registry();
    const registers = [this.registry];
    if (options.defaultMetrics !== false) {
      // prom-client's own lag histogram only feeds the gauges replaced below; a coarse one is cheapest.
      collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 1000 });
      for (const name of DROPPED_DEFAULT_METRICS) this.registry.removeSingleMetric(name);
      this.stopSampler = registerEventLoopLag(this.registry, EVENT_LOOP_RESOLUTION_MS);
    }
    const p = METRIC_PREFIX;

    this.cycles = new Counter({ name: `${p}cycles_total`, help: 'Chaos cycles run, by outcome (killed, dry-run, nothing-to-do, weakness, error, skipped).', labelNames: ['outcome'], registers });
    this.cycleErrors = new Counter({ name: `${p}cycle_errors_total`, help: 'Cycles that ended in an error, by error code.', labelNames: ['code'], registers });
    this.kills = new Counter({
      name: `${p}kills_total`,
      help: 'Tasks killed for real, by app, strategy and outcome: recovered, not-recovered, unmatched (Marathon no longer knew the task), unverified (not watched), aborted (watch cut by shutdown), app-gone.',
      labelNames: ['app', 'strategy', 'outcome'],
      registers,
    });
    this.dryRunKills = new Counter({ name: `${p}dry_run_kills_total`, help: 'Tasks that would have been killed had dry-run been off, by app and strategy.', labelNames: ['app', 'strategy'], registers });
    this.skips = new Counter({
      name: `${p}skips_total`,
      help: 'Why chaos did not happen: scope=app counts apps a cycle passed over, scope=cycle counts whole cycles skipped, by reason code.',
      labelNames: ['scope', 'reason'],
      registers,
    });
    this.timeToRecover = new Histogram({
      name: `${p}time_to_recover_seconds`,
      help: `Time from the kill until the app was back to its steady state; apps after the first ${MAX_RECOVERY_APP_LABELS} to recover are labelled app="${OTHER_APP_LABEL}".`,
      labelNames: ['app', 'strategy'],
      buckets: RECOVERY_BUCKETS_SECONDS,
      registers,
    });
    this.weaknesses = new Counter({ name: `${p}weaknesses_total`, help: 'Weaknesses found (an app that did not return to steady state), by app and reason.', labelNames: ['app', 'reason'], registers });
    // No app label: 10 series per app would be the biggest family on a big cluster; the journal has each app's outage.
    this.probeOutage = new Histogram({
      name: `${p}probe_outage_seconds`,
      help: 'Longest run of consecutive failed service probes (monkey.probe.* labels) of one app during one kill, one observation per probed app per kill.',
      buckets: PROBE_OUTAGE_BUCKETS_SECONDS,
      registers,
    });
    this.probeResults = new Counter({
      name: `${p}probe_results_total`,
      help: 'Service probes run (before the kill, and during it until the app was back), by app and outcome: ok, failed.',
      labelNames: ['app', 'outcome'],
      registers,
    });
    this.notifications = new Counter({
      name: `${p}notifications_total`,
      help: 'Notification events by channel (webhook, slack) and outcome: sent, failed (given up after retries), dropped (the queue was full).',
      labelNames: ['channel', 'outcome'],
      registers,
    });
    this.marathonErrors = new Counter({ name: `${p}marathon_request_errors_total`, help: 'Failed Marathon/Mesos requests, by endpoint template and error code.', labelNames: ['endpoint', 'code'], registers });
    this.marathonLatency = new Histogram({
      name: `${p}marathon_request_duration_seconds`,
      help: 'Marathon/Mesos request latency, by endpoint template (failures included).',
      labelNames: ['endpoint'],
      buckets: REQUEST_BUCKETS_SECONDS,
      registers,
    });
    this.pausedGauge = new Gauge({ name: `${p}paused`, help: '1 while an operator has paused the monkey (POST /pause).', registers });
    this.journalWritableGauge = new Gauge({ name: `${p}journal_writable`, help: '1 while the journal takes records; 0 while it cannot be written (nothing is killed then).', registers });
    this.haltedGauge = new Gauge({ name: `${p}halted`, help: '1 while chaos is halted because a cycle found a weakness (POST /resume clears it).', registers });
    this.quarantinedGauge = new Gauge({ name: `${p}quarantined_apps`, help: 'Apps excluded from chaos because a kill exposed a weakness in them.', registers });
    this.lastCycle = new Gauge({ name: `${p}last_cycle_timestamp_seconds`, help: 'When the last cycle ran (Unix seconds), to alert on a monkey that stopped running.', registers });
    this.leaderGauge = new Gauge({
      name: `${p}leader`,
      help: '1 while this instance may run cycles: the ZooKeeper leader, or a single instance (no MONKEY_ZK); 0 for a standby or an instance cut off from ZooKeeper.',
      registers,
    });
    this.leaderGauge.set(1);
    const build = new Gauge({ name: `${p}build_info`, help: 'Always 1; the version is a label.', labelNames: ['version'], registers });
    build.set({ version: options.version ?? 'unknown' }, 1);

    this.pausedGauge.set(0);
    this.haltedGauge.set(0);
    this.quarantinedGauge.set(0);
  }

  /** Counts one finished cycle record. */
  recordCycle(record: CycleRecord): void {
    const { outcome } = record;
    const strategy = label(record.strategy, 'unknown');
    this.cycles.inc({ outcome });
    if (outcome === 'error') this.cycleErrors.inc({ code: codeLabel(record.error?.code) });

    const time = Date.parse(record.time);
    if (Number.isFinite(time)) this.lastCycle.set(time / 1000);

    // The complete tally: it includes the not-opted-in apps the record does not list.
    for (const [reason, n] of Object.entries(record.counts.skippedByReason)) if (n !== undefined && n > 0) this.skips.inc({ scope: 'app', reason }, n);
    if (outcome === 'skipped') this.skips.inc({ scope: 'cycle', reason: label(record.gate?.reason, 'unknown') });

    for (const w of record.weaknesses) this.weaknesses.inc({ app: label(w.appId, 'unknown'), reason: label(w.reason, 'unknown') });

    this.recordProbes(record);

    if (isDryRun(record)) {
      for (const v of record.victims) this.dryRunKills.inc({ app: label(v.appId, 'unknown'), strategy });
      return;
    }
    // An error cycle without a kill response never reached the kill; its victims were only planned.
    if (killMayHaveHappened(record)) {
      for (const v of record.victims) this.kills.inc({ app: label(v.appId, 'unknown'), strategy, outcome: killOutcome(record, v) });
    }

    for (const [appId, after] of Object.entries(record.after)) {
      if (after.recovered && typeof after.timeToRecoverMs === 'number' && Number.isFinite(after.timeToRecoverMs)) {
        this.timeToRecover.observe({ app: this.recoveryAppLabel(label(appId, 'unknown')), strategy }, Math.max(0, after.timeToRecoverMs) / 1000);
      }
    }
  }

  /** Before-probes run in dry runs too; the probes during a kill exist only where a kill was watched. */
  private recordProbes(record: CycleRecord): void {
    const count = (appId: string, samples: number, failures: number): void => {
      if (!(samples >= 0 && failures >= 0)) return;
      const app = label(appId, 'unknown');
      const failed = Math.min(failures, samples);
      if (samples - failed > 0) this.probeResults.inc({ app, outcome: 'ok' }, samples - failed);
      if (failed > 0) this.probeResults.inc({ app, outcome: 'failed' }, failed);
    };
    for (const [appId, verdict] of Object.entries(record.probesBefore ?? {})) count(appId, verdict.samples, verdict.failures);
    for (const [appId, after] of Object.entries(record.after)) {
      const probe = after.probe;
      if (probe === undefined) continue;
      count(appId, probe.samples, probe.failures);
      if (probe.samples > 0 && Number.isFinite(probe.outageMs)) this.probeOutage.observe(Math.max(0, probe.outageMs) / 1000);
    }
  }

  private recoveryAppLabel(app: string): string {
    if (this.recoveryApps.has(app)) return app;
    if (this.recoveryApps.size >= MAX_RECOVERY_APP_LABELS) return OTHER_APP_LABEL;
    this.recoveryApps.add(app);
    return app;
  }

  recordMarathonRequest(sample: MarathonRequestSample): void {
    const endpoint = endpointLabel(sample.endpoint);
    if (Number.isFinite(sample.durationMs)) this.marathonLatency.observe({ endpoint }, Math.max(0, sample.durationMs) / 1000);
    const failed = (sample.error !== undefined && sample.error !== false) || (sample.status !== undefined && sample.status >= 400);
    if (!failed) return;
    this.marathonErrors.inc({ endpoint, code: errorCode(sample.error, sample.status) });
  }

  /** One notification event's fate on one channel (src/notify). */
  recordNotification(channel: string, outcome: 'sent' | 'failed' | 'dropped'): void {
    this.notifications.inc({ channel: label(channel, 'unknown'), outcome });
  }

  setPaused(paused: boolean): void {
    this.pausedGauge.set(paused ? 1 : 0);
  }

  /** The instance's role: `single` (no ZooKeeper) and `leader` run cycles and count 1. */
  setRole(role: 'single' | 'leader' | 'standby' | 'disconnected'): void {
    this.leaderGauge.set(role === 'single' || role === 'leader' ? 1 : 0);
  }

  setZkSessionUp(up: boolean): void {
    this.zkSessionGauge ??= new Gauge({
      name: `${METRIC_PREFIX}zk_session_up`,
      help: '1 while the ZooKeeper session is connected; 0 while it is connecting, suspended or lost (nothing is killed then).',
      registers: [this.registry],
    });
    this.zkSessionGauge.set(up ? 1 : 0);
  }

  setJournalWritable(writable: boolean): void {
    this.journalWritableGauge.set(writable ? 1 : 0);
  }

  setHalted(halted: boolean): void {
    this.haltedGauge.set(halted ? 1 : 0);
  }

  /** Stops the event-loop sampler; for tests, as a daemon's metrics live as long as its process. */
  stop(): void {
    this.stopSampler();
  }

  setQuarantined(count: number): void {
    this.quarantinedGauge.set(count);
  }

  /** The exposition text and its content type, for GET /metrics. */
  async expose(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/**
 * Replaces prom-client's nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds (same
 * names, so dashboards keep working) with how late a timer due every `resolutionMs` ran, over the
 * time since the previous scrape. prom-client's nodejs_eventloop_lag_seconds (how long a
 * setImmediate waited at the previous scrape) stays.
 */
function registerEventLoopLag(registry: Registry, resolutionMs: number): () => void {
  for (const stat of LAG_STATS) registry.removeSingleMetric(`nodejs_eventloop_lag_${stat}_seconds`);
  const histogram = createHistogram();
  // performance.now(): a monotonic interval timer, not wall-clock time (which is the Clock's).
  let last = performance.now();
  const sampler = setInterval(() => {
    const now = performance.now();
    // Nanoseconds, at least 1: the histogram records positive integers only.
    histogram.record(Math.max(1, Math.round((now - last - resolutionMs) * 1e6)));
    last = now;
  }, resolutionMs);
  sampler.unref();

  const gauges = new Map<(typeof LAG_STATS)[number], Gauge>();
  for (const stat of LAG_STATS) {
    const what = stat === 'stddev' ? 'standard deviation' : stat.startsWith('p') ? `${stat.slice(1)}th percentile` : stat;
    gauges.set(stat, new Gauge({
      name: `nodejs_eventloop_lag_${stat}_seconds`,
      help: `The ${what} of how late a timer due every ${resolutionMs} ms ran, since the previous scrape.`,
      registers: [registry],
      // The first gauge reads and resets the histogram for all of them, once per scrape.
      ...(stat === 'min' ? { collect: () => readLag() } : {}),
    }));
  }
  function readLag(): void {
    // No tick since the last scrape (two scrapes within one interval): the last window's figures stand.
    if (histogram.count === 0) return;
    const s = (ns: number) => ns / 1e9;
    const values: Record<(typeof LAG_STATS)[number], number> = {
      min: s(histogram.min),
      max: s(histogram.max),
      mean: s(histogram.mean),
      stddev: s(histogram.stddev),
      p50: s(histogram.percentile(50)),
      p90: s(histogram.percentile(90)),
      p99: s(histogram.percentile(99)),
    };
    for (const stat of LAG_STATS) gauges.get(stat)!.set(values[stat]);
    histogram.reset();
  }
  return () => clearInterval(sampler);
}

function label(value: string | undefined, fallback: string): string {
  return value === undefined || value === '' ? fallback : value;
}

/** Error codes are stable identifiers; anything else (a message, a stack) would explode the label. */
function codeLabel(code: string | undefined): string {
  return code !== undefined && /^[A-Za-z0-9_.-]{1,48}$/.test(code) ? code : 'other';
}

function errorCode(error: unknown, status: number | undefined): string {
  if (typeof error === 'string') return codeLabel(error);
  if (error !== null && typeof error === 'object' && 'code' in error && typeof error.code === 'string') return codeLabel(error.code);
  if (status !== undefined && status >= 400) return `HTTP_${status}`;
  return 'other';
}

function endpointLabel(endpoint: string): string {
  const cut = endpoint.split('?')[0] ?? '';
  return cut === '' ? 'unknown' : cut.slice(0, 80);
}
