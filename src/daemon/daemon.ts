import type { Logger } from 'pino';
import { runCycle } from '../chaos/cycle.js';
import { skippedCycleRecord, type CycleRecord } from '../chaos/record.js';
import type { ChaosSettings } from '../chaos/settings.js';
import type { Clients } from '../app/wiring.js';
import { Journal } from '../journal/journal.js';
import { applyRecord, loadJournalState, type JournalState } from '../journal/state.js';
import type { MarathonRequestEvent } from '../marathon/client.js';
import type { Clock } from '../platform/clock.js';
import { judgeSlot } from '../schedule/gate.js';
import { Scheduler, type SchedulerEvent, type SlotContext } from '../schedule/scheduler.js';
import type { CompiledSchedule } from '../schedule/settings.js';
import type { HeapKeeper } from './heap-keeper.js';
import { startControlServer, type ControlEvent, type ControlServer } from './http-server.js';
import { MonkeyMetrics } from './metrics.js';
import { DaemonState } from './state.js';

/** Log messages operators (and tests) match on. */
export const DAEMON_LOG = {
  started: 'marathon-monkey started',
  safety: 'effective safety settings',
  skipped: 'cycle skipped',
  marathonDown: 'Marathon is not usable; not ready, nothing killed',
  shutdown: 'shutting down: no new kills; waiting for the recovery watch in flight',
  watchCut: 'shutdown grace period over: recovery watch cut short',
  stopped: 'marathon-monkey stopped',
  scheduler: 'scheduler event',
  heapCollected: 'idle after the cycle: heap collected',
} as const;

export interface DaemonOptions {
  settings: ChaosSettings;
  schedule: CompiledSchedule;
  clients: Clients;
  journalPath: string;
  clock: Clock;
  logger: Logger;
  server: { host: string; port: number; controlToken: string };
  /** Masked effective configuration for /status. */
  maskedConfig: Record<string, unknown>;
  version: string;
  /** How long an in-flight recovery watch may go on after shutdown began. */
  shutdownGraceMs: number;
  /** Called after each cycle is journaled (the demo prints it). */
  onCycle?: (record: CycleRecord) => void;
  metrics?: MonkeyMetrics;
  /** Collects the heap between cycles when it has grown (see heap-keeper.ts); none in tests. */
  heapKeeper?: HeapKeeper;
}

/**
 * The long-running process: scheduler → gates (paused/halted, office hours) → one chaos cycle →
 * journal, metrics, state. Knows nothing of signals or process.exit (the entry point does).
 */
export class Daemon {
  readonly state: DaemonState;
  readonly metrics: MonkeyMetrics;
  private readonly journal: Journal;
  private readonly log: Logger;
  private memory: JournalState | undefined;
  private scheduler: Scheduler | undefined;
  private server: ControlServer | undefined;
  /** Aborted once the grace period after shutdown is over: cuts the recovery watch. */
  private readonly watchAbort = new AbortController();
  private shuttingDown = false;
  private cycleInFlight: Promise<void> | undefined;

  constructor(private readonly o: DaemonOptions) {
    this.state = new DaemonState({ clock: o.clock });
    this.metrics = o.metrics ?? new MonkeyMetrics({ version: o.version });
    this.journal = new Journal(o.journalPath);
    this.log = o.logger.child({ component: 'daemon' });
  }

  /** Feeds Marathon request samples to /metrics; pass it to the clients as onRequest. */
  static requestRecorder(metrics: MonkeyMetrics): (e: MarathonRequestEvent) => void {
    return (e) => {
      const sample = { endpoint: `${e.method} ${templateEndpoint(e.endpoint)}`, durationMs: e.durationMs };
      metrics.recordMarathonRequest({
        ...sample,
        ...(e.status === undefined ? {} : { status: e.status }),
        ...(e.error === undefined ? {} : { error: e.error }),
      });
    };
  }

  async start(): Promise<{ url: string }> {
    const o = this.o;
    this.memory = await loadJournalState(o.journalPath, new Date(o.clock.now()), { logger: this.log });
    const halted = this.memory.halted;
    if (halted) {
      // The journal keeps the halting cycle, not the app: the apps are the ones that cycle quarantined.
      const apps = [...this.memory.quarantined].filter(([, q]) => halted.cycleId !== undefined && q.cycleId === halted.cycleId).map(([appId]) => appId);
      this.state.halt({
        appId: apps.length > 0 ? apps.join(', ') : 'unknown (see the journal)',
        reason: halted.reason,
        since: halted.since,
        ...(halted.cycleId === undefined ? {} : { cycleId: halted.cycleId }),
      });
    }
    if (this.memory.paused) {
      this.state.pause({ by: 'journal', reason: this.memory.paused.reason ?? 'paused before restart' });
    }
    this.state.setQuarantined([...this.memory.quarantined].map(([appId, q]) => [appId, { since: q.since, reason: 'weakness', detail: q.detail, cycleId: q.cycleId }]));

    this.server = await startControlServer({
      host: o.server.host,
      port: o.server.port,
      state: this.state,
      metrics: this.metrics,
      controlToken: o.server.controlToken,
      logger: o.logger,
      clock: o.clock,
      status: () => ({
        version: o.version,
        dryRun: o.settings.dryRun,
        seed: o.settings.seed,
        strategy: o.settings.strategy,
        schedule: o.schedule.description,
        config: o.maskedConfig,
        nextCycles: this.scheduler?.nextSlots(5).map((s) => s.startsAt.toISOString()) ?? [],
        journal: o.journalPath,
      }),
      onPause: (e) => this.journalControl(e),
      onResume: (e) => this.journalControl(e),
    });

    await this.probeMarathon();
    this.scheduler = new Scheduler({
      cron: o.schedule.cron,
      clock: o.clock,
      seed: o.settings.seed,
      jitterMs: o.schedule.jitterMs,
      onSlot: (slot) => this.onSlot(slot),
      onEvent: (e) => this.onSchedulerEvent(e),
    });
    this.scheduler.start();
    this.log.info({ url: this.server.url, journal: o.journalPath, next: this.scheduler.nextSlots(3).map((s) => s.startsAt.toISOString()) }, DAEMON_LOG.started);
    return { url: this.server.url };
  }

  /**
   * Graceful stop: readiness drops at once, no kill starts after this point, an in-flight
   * recovery watch may finish within the grace period, the journal is flushed (appends are
   * awaited), then the HTTP server closes. Liveness stays up until the process exits.
   */
  async shutdown(reason = 'signal'): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.state.beginShutdown(`shutting down (${reason})`);
    this.log.warn({ reason, graceMs: this.o.shutdownGraceMs }, DAEMON_LOG.shutdown);
    const grace = this.o.clock.sleep(this.o.shutdownGraceMs).then(() => {
      if (this.cycleInFlight) this.log.warn({}, DAEMON_LOG.watchCut);
      this.watchAbort.abort(new Error('shutdown grace period over'));
    });
    await this.scheduler?.stop();
    await this.cycleInFlight;
    void grace.catch(() => undefined);
    await this.server?.close();
    this.log.info({}, DAEMON_LOG.stopped);
  }

  private async probeMarathon(): Promise<void> {
    try {
      await this.o.clients.marathon.info();
      this.state.setReady();
    } catch (err) {
      const e = err as { code?: string; message?: string };
      this.state.setNotReady('marathon-unusable', e.message ?? String(err));
      this.log.error({ err: { code: e.code, message: e.message } }, DAEMON_LOG.marathonDown);
    }
  }

  /**
   * A skipped slot never lists apps, so only a cheap /v2/info tells whether Marathon is back;
   * without it /ready would stay 503 until the next slot that runs (after a weekend, or a pause).
   */
  private async reprobeIfUnusable(): Promise<void> {
    if (this.state.getReadiness().reason === 'marathon-unusable') await this.probeMarathon();
  }

  private async onSlot(slot: SlotContext): Promise<void> {
    const run = this.runSlot(slot);
    this.cycleInFlight = run;
    try {
      await run;
    } finally {
      this.cycleInFlight = undefined;
    }
  }

  private async runSlot(slot: SlotContext): Promise<void> {
    if (this.shuttingDown) return;
    const o = this.o;
    const verdict = this.state.canAct();
    if (!verdict.ok) {
      await this.reprobeIfUnusable();
      await this.finishCycle(skippedCycleRecord(verdict.reason, verdict.detail, { settings: o.settings, scheduledAt: slot.scheduledAt, now: o.clock.now() }));
      return;
    }
    const judged = judgeSlot(slot, o.schedule);
    if (!judged.ok) {
      await this.reprobeIfUnusable();
      await this.finishCycle(skippedCycleRecord(judged.reason, judged.detail, { settings: o.settings, scheduledAt: slot.scheduledAt, now: o.clock.now() }));
      return;
    }
    const record = await runCycle(
      {
        apps: o.clients.marathon,
        killer: o.clients.marathon,
        agents: o.clients.agents,
        clock: o.clock,
        logger: o.logger.child({ component: 'cycle' }),
        journal: this.memory,
      },
      o.settings,
      // A pause, halt or shutdown that began while the cycle was listing and planning withdraws the kill.
      { scheduledAt: slot.scheduledAt, signal: this.watchAbort.signal, mayKill: () => !this.shuttingDown && this.state.canAct().ok },
    );
    await this.finishCycle(record);
  }

  private async finishCycle(record: CycleRecord): Promise<void> {
    if (record.outcome === 'skipped') this.log.info({ cycleId: record.cycleId, gate: record.gate }, DAEMON_LOG.skipped);
    try {
      await this.journal.append(record);
    } catch (err) {
      // The record still reaches logs, /status and metrics; the journal error is loud.
      this.log.error({ err: { code: (err as { code?: string }).code, message: (err as Error).message } }, 'journal append failed');
    }
    if (this.memory) applyRecord(this.memory, record);
    this.state.recordCycle(record);
    this.metrics.recordCycle(record);
    for (const w of record.weaknesses) this.state.quarantineApp(w.appId, { reason: w.reason, detail: w.detail, cycleId: record.cycleId, since: record.time });
    for (const lifted of record.quarantineLifted) this.state.releaseApp(lifted.appId);
    if (record.halted === true) {
      const w = record.weaknesses[0];
      this.state.halt({ appId: w?.appId ?? '', reason: w?.reason ?? 'weakness', detail: w?.detail ?? '', cycleId: record.cycleId, since: record.time });
    }
    if (record.outcome === 'error' && record.error?.code.startsWith('E_MARATHON')) {
      this.state.setNotReady('marathon-unusable', record.error.message);
    } else if (record.outcome !== 'skipped' && !this.shuttingDown) {
      this.state.setReady();
    }
    this.metrics.setPaused(this.state.paused !== undefined);
    this.metrics.setHalted(this.state.halted !== undefined);
    this.o.onCycle?.(record);
    const collected = this.o.heapKeeper?.afterCycle();
    if (collected) this.log.debug({ heapUsedMb: { before: mb(collected.before), after: mb(collected.after) } }, DAEMON_LOG.heapCollected);
  }

  private async journalControl(e: ControlEvent): Promise<void> {
    if (!e.changed) return;
    const record =
      e.type === 'pause'
        ? { type: 'pause' as const, time: e.at, reason: e.reason, by: e.by }
        : { type: 'resume' as const, time: e.at, by: e.by, reason: e.reason, ...(e.clearedHalt ? { clearedHalt: e.clearedHalt } : {}) };
    await this.journal.append(record);
    if (this.memory) applyRecord(this.memory, record);
  }

  private onSchedulerEvent(e: SchedulerEvent): void {
    if (e.kind === 'slot') return;
    const level = e.kind === 'error' || e.kind === 'slot-failed' ? 'error' : 'warn';
    const detail = 'error' in e ? { ...e, error: String(e.error) } : e;
    this.log[level]({ event: detail }, DAEMON_LOG.scheduler);
  }
}

function mb(bytes: number): number {
  return Math.round((bytes / (1024 * 1024)) * 10) / 10;
}

/** `/v2/apps/shop/cart` → `/v2/apps/{id}`: metric labels stay bounded whatever the app ids. */
export function templateEndpoint(endpoint: string): string {
  const path = endpoint.split('?')[0] ?? endpoint;
  if (/^\/v2\/apps\/.+\/tasks/.test(path)) return '/v2/apps/{id}/tasks';
  if (path.startsWith('/v2/apps/')) return '/v2/apps/{id}';
  return path;
}
