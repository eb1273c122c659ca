import type { Logger } from 'pino';
import { runCycle } from '../chaos/cycle.js';
import { assessRisk } from '../chaos/risk.js';
import type { AgentIndex } from '../chaos/select.js';
import type { MarathonApp } from '../domain/marathon.js';
import { makeCycleId, skippedCycleRecord } from '../chaos/record.js';
import { REASONS } from '../domain/reasons.js';
import type { ChaosSettings } from '../chaos/settings.js';
import type { CycleRecord } from '../domain/record.js';
import { Journal } from '../journal/journal.js';
import { JournalLedger } from '../journal/ledger.js';
import { JournalLock } from '../journal/lock.js';
import { applyRecord, loadJournalState, type JournalState } from '../journal/state.js';
import type { MarathonRequestEvent } from '../marathon/client.js';
import type { Clock } from '../platform/clock.js';
import { judgeSlot } from '../schedule/gate.js';
import { Scheduler, type SchedulerEvent, type SlotContext } from '../schedule/scheduler.js';
import type { CompiledSchedule } from '../schedule/settings.js';
import type { HeapKeeper } from './heap-keeper.js';
import { startControlServer, type ControlEvent, type ControlServer } from './http-server.js';
import { MonkeyMetrics } from './metrics.js';
import type { Notifier } from '../notify/notifier.js';
import { DaemonState, haltedApps, rememberedQuarantine } from './state.js';
import type { Clients, KillLedger } from '../domain/ports.js';
import type { ZkCoordinator } from '../zk/index.js';
import { HaLink, HA_LOG } from './ha.js';

/** Skip reason of a slot while the journal cannot be written (journal, /status, metrics). */
export const REASON_JOURNAL_UNWRITABLE = 'journal-unwritable';

/** Log messages operators (and tests) match on. */
export const DAEMON_LOG = {
  started: 'marathon-monkey started',
  safety: 'effective safety settings',
  skipped: 'cycle skipped',
  marathonDown: 'Marathon is not usable; not ready, nothing killed',
  shutdown: 'shutting down: no new kills',
  shutdownWaiting: 'shutting down: no new kills; waiting for the recovery watch in flight',
  journalUnwritable: 'the journal cannot be written: not ready, nothing is killed until it can',
  journalBack: 'the journal is writable again; chaos continues',
  watchCut: 'shutdown grace period over: recovery watch cut short',
  stopped: 'marathon-monkey stopped',
  scheduler: 'scheduler event',
  heapCollected: 'idle after the cycle: heap collected',
  riskFailed: 'placement risk could not be assessed',
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
  /** Webhook and Slack notifications (notify.*); none when no receiver is configured. */
  notifier?: Notifier;
  /** Several instances on ZooKeeper (state.zk); absent: a single instance, its state in the journal. */
  ha?: HaOptions;
}

export interface HaOptions {
  /** Joins the election; called once the journal is open. A rejection is fatal at start. */
  connect: () => Promise<ZkCoordinator>;
  /** The ZooKeeper URL with credentials masked. */
  maskedUrl: string;
  sessionTimeoutMs: number;
  /** This instance's name among its peers (Marathon's task id, or host, port and pid). */
  identity: string;
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
  private ledger: JournalLedger | undefined;
  /** With ZooKeeper: the leader, shared state and fencing; undefined for a single instance. */
  private ha: HaLink | undefined;
  /** What the cycle writes its intents through: the journal's ledger, fenced by ZooKeeper with several instances. */
  private cycleLedger: KillLedger | undefined;
  private lock: JournalLock | undefined;
  /** Why the journal cannot be trusted right now (unwritable, unreadable); undefined when it can. */
  private journalProblem: string | undefined;
  /** True from the moment the cycle in flight starts writing its kill intent until it ends. */
  private killPhase = false;
  /** The slot whose cycle is running: its id lets shutdown journal it if it is abandoned. */
  private slotInFlight: { cycleId: string; scheduledAt: Date } | undefined;
  /** A cycle shutdown stopped waiting for: whatever it returns later is not journaled again. */
  private abandonedCycleId: string | undefined;
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
    o.notifier?.observe((channel, outcome) => this.metrics.recordNotification(channel, outcome));
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
    // One writer per journal for the life of the process (E_JOURNAL_LOCKED names the holder).
    this.lock = JournalLock.acquire(o.journalPath, 'run', new Date(o.clock.now()));
    try {
      await this.openJournal();
      if (o.ha) await this.joinZk(o.ha);
    } catch (err) {
      await this.ha?.close().catch(() => undefined);
      this.lock.release();
      throw err;
    }
    return this.startServing();
  }

  /**
   * Reads the journal into memory and proves it can be written (a `start` record, synced). An
   * unreadable journal is fatal at start: without its memory every guard would be guessing.
   * An unwritable one is not: the daemon serves /health and /status, says why on /ready, kills
   * nothing, and tries again at every slot.
   */
  private async openJournal(): Promise<void> {
    const o = this.o;
    this.memory = await loadJournalState(o.journalPath, new Date(o.clock.now()), { logger: this.log });
    await this.journal.markRead();
    this.ledger = new JournalLedger(this.journal, this.memory, { minKillIntervalMs: o.settings.minKillIntervalMinutes * 60_000, logger: this.log });
    await this.probeJournal({ type: 'start', time: new Date(o.clock.now()).toISOString(), version: o.version, pid: process.pid });
  }

  /**
   * Joins the election and takes the shared state as the cycle's memory. Unreachable ZooKeeper is
   * fatal here, as an unreadable journal is: the instance would not know what the others did.
   */
  private async joinZk(ha: HaOptions): Promise<void> {
    const o = this.o;
    if (this.memory === undefined || this.ledger === undefined) throw new Error('journal not loaded');
    const coordinator = await ha.connect();
    this.ha = new HaLink({
      coordinator,
      maskedUrl: ha.maskedUrl,
      sessionTimeoutMs: ha.sessionTimeoutMs,
      identity: ha.identity,
      state: this.state,
      metrics: this.metrics,
      logger: o.logger,
      onHealthy: () => void this.probeMarathon(),
    });
    await this.ha.start(this.memory);
    this.cycleLedger = this.ha.fencedLedger(this.ledger, o.settings.minKillIntervalMinutes * 60_000);
  }

  /** Appends `record`; the journal's health (readiness, metric, log) follows the result. */
  private async probeJournal<T extends { type: string }>(record: T): Promise<void> {
    try {
      await this.journal.append(record);
    } catch (err) {
      this.markJournalProblem(err);
      return;
    }
    if (this.journalProblem !== undefined) {
      this.journalProblem = undefined;
      this.log.warn({ journal: this.o.journalPath }, DAEMON_LOG.journalBack);
      if (this.state.getReadiness().reason === 'journal-unwritable') await this.probeMarathon();
    }
    this.metrics.setJournalWritable(true);
  }

  private markJournalProblem(err: unknown): void {
    const e = err as { code?: string; message?: string };
    if (this.shuttingDown) {
      // A cycle abandoned at shutdown finds the journal closed: expected, and nothing was killed.
      if (!this.journal.isClosed) this.log.error({ err: { code: e.code, message: e.message } }, 'journal append failed during shutdown');
      return;
    }
    const detail = `${e.message ?? String(err)}; nothing is killed until the journal can be written (check the disk, the path and its permissions)`;
    if (this.journalProblem === undefined) this.log.error({ err: { code: e.code, message: e.message }, journal: this.o.journalPath }, DAEMON_LOG.journalUnwritable);
    this.journalProblem = detail;
    this.state.setNotReady('journal-unwritable', detail);
    this.metrics.setJournalWritable(false);
  }

  private async startServing(): Promise<{ url: string }> {
    const o = this.o;
    if (this.memory === undefined) throw new Error('journal not loaded');
    const halted = this.memory.halted;
    // With ZooKeeper, HaLink has set pause, halt and quarantines from the shared state already.
    if (halted && !this.ha) {
      const apps = haltedApps(halted, this.memory.quarantined);
      this.state.halt({
        appId: apps.length > 0 ? apps.join(', ') : 'unknown (see the journal)',
        reason: halted.reason,
        since: halted.since,
        ...(halted.cycleId === undefined ? {} : { cycleId: halted.cycleId }),
      });
    }
    if (this.memory.paused && !this.ha) {
      this.state.pause({ by: 'journal', reason: this.memory.paused.reason ?? 'paused before restart' });
    }
    if (!this.ha) this.state.setQuarantined([...this.memory.quarantined].map(([appId, q]) => [appId, rememberedQuarantine(q)]));

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
        timezone: o.schedule.timezone,
        config: o.maskedConfig,
        nextCycles: this.scheduler?.nextSlots(5).map((s) => s.startsAt.toISOString()) ?? [],
        journal: o.journalPath,
        ...(this.ha ? this.ha.status() : { role: 'single' }),
      }),
      onPause: (e) => this.control(e),
      onResume: (e) => this.control(e),
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
    // Only a cycle that has begun to kill is waited for: one still listing or planning can never
    // kill now (mayKill says no), so its reads and their retries are not worth the wait.
    const waitForCycle = this.killPhase ? this.cycleInFlight : undefined;
    this.log.warn({ reason, ...(waitForCycle ? { graceMs: this.o.shutdownGraceMs } : {}) }, waitForCycle ? DAEMON_LOG.shutdownWaiting : DAEMON_LOG.shutdown);
    const grace = new AbortController();
    const graceOver = this.o.clock.sleep(this.o.shutdownGraceMs, grace.signal).then(() => {
      if (this.cycleInFlight) this.log.warn({}, DAEMON_LOG.watchCut);
      this.watchAbort.abort(new Error('shutdown grace period over'));
    });
    void graceOver.catch(() => undefined);
    const stopped = this.scheduler?.stop();
    if (waitForCycle || !this.cycleInFlight) {
      await stopped;
    } else {
      void stopped?.catch(() => undefined);
      await this.abandonSlot();
    }
    await waitForCycle;
    grace.abort();
    // The last cycle's events get a short, bounded chance to go out; then they are dropped.
    await this.o.notifier?.close();
    // Leaving the election at once lets a standby take over without waiting for the session to expire.
    await this.ha?.close().catch((err: unknown) => this.log.warn({ err: { message: (err as Error).message } }, 'leaving ZooKeeper failed; the session expires by itself'));
    await this.journal.close();
    this.lock?.release();
    await this.server?.close();
    this.log.info({}, DAEMON_LOG.stopped);
  }

  /** Journals the slot whose cycle was still listing or planning at shutdown: it can no longer kill. */
  private async abandonSlot(): Promise<void> {
    const slot = this.slotInFlight;
    if (!slot) return;
    this.abandonedCycleId = slot.cycleId;
    const record = skippedCycleRecord(REASONS.killVetoed, 'the daemon shut down while this cycle was listing or planning; nothing killed', {
      settings: this.o.settings,
      scheduledAt: slot.scheduledAt,
      now: this.o.clock.now(),
      cycleId: slot.cycleId,
    });
    await this.probeJournal(record);
    this.state.recordCycle(record);
    this.o.onCycle?.(record);
  }

  private async probeMarathon(): Promise<void> {
    try {
      await this.o.clients.marathon.info();
      this.markReady();
    } catch (err) {
      const e = err as { code?: string; message?: string };
      this.state.setNotReady('marathon-unusable', e.message ?? String(err));
      this.log.error({ err: { code: e.code, message: e.message } }, DAEMON_LOG.marathonDown);
    }
  }

  /** Ready only when Marathon, the journal and (with several instances) ZooKeeper are usable. */
  private markReady(): void {
    if (this.journalProblem !== undefined) return;
    const zk = this.ha?.problem();
    if (zk !== undefined) this.state.setNotReady(zk.reason, zk.detail);
    else this.state.setReady();
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
      this.slotInFlight = undefined;
      this.killPhase = false;
    }
  }

  private async runSlot(slot: SlotContext): Promise<void> {
    if (this.shuttingDown) return;
    const o = this.o;
    if (this.ha && this.ha.role() !== 'leader') {
      // The leader runs and journals this slot; a standby's journal holds only what it did.
      this.log.debug({ role: this.ha.role(), scheduledAt: slot.scheduledAt.toISOString() }, HA_LOG.standbySlot);
      await this.reprobeIfUnusable();
      return;
    }
    const skip = (reason: string, detail: string): Promise<void> => this.finishCycle(skippedCycleRecord(reason, detail, { settings: o.settings, scheduledAt: slot.scheduledAt, now: o.clock.now() }));
    const verdict = this.state.canAct();
    if (!verdict.ok) {
      await this.reprobeIfUnusable();
      await skip(verdict.reason, verdict.detail);
      return;
    }
    const judged = judgeSlot(slot, o.schedule);
    if (!judged.ok) {
      await this.reprobeIfUnusable();
      await skip(judged.reason, judged.detail);
      return;
    }
    if (this.journalProblem !== undefined || this.ledger === undefined) {
      // Fail closed: no cycle while the journal is unusable. Writing this slot's record is the
      // test of whether it is usable again (then the next slot runs).
      await skip(REASON_JOURNAL_UNWRITABLE, this.journalProblem ?? 'the journal is not open');
      return;
    }
    if (this.ha && this.memory) {
      // The guards read the shared state: another instance may have killed, halted or paused since.
      const fresh = await this.ha.beforeCycle(this.memory);
      // A pause or halt read just now holds for this slot.
      const now = fresh.ok ? this.state.canAct() : fresh;
      if (!now.ok) {
        await skip(now.reason, now.detail);
        return;
      }
    }
    const cycleId = makeCycleId(slot.scheduledAt, o.clock.now());
    this.slotInFlight = { cycleId, scheduledAt: slot.scheduledAt };
    let listing: { apps: readonly MarathonApp[]; agents: AgentIndex | null } | undefined;
    const record = await runCycle(
      {
        apps: o.clients.marathon,
        killer: o.clients.marathon,
        ledger: this.cycleLedger ?? this.ledger,
        agents: o.clients.agents,
        events: o.clients.events,
        prober: o.clients.prober,
        clock: o.clock,
        logger: o.logger.child({ component: 'cycle' }),
        journal: this.memory,
      },
      o.settings,
      // A pause, halt or shutdown that began while the cycle was listing and planning withdraws the kill.
      {
        scheduledAt: slot.scheduledAt,
        cycleId,
        // With ZooKeeper, losing the leadership cuts the watch too: it is recorded as aborted.
        signal: this.ha ? AbortSignal.any([this.watchAbort.signal, this.ha.leaderSignal()]) : this.watchAbort.signal,
        mayKill: () => !this.shuttingDown && this.journalProblem === undefined && this.state.canAct().ok && (this.ha?.mayKill() ?? true),
        onKillPhase: () => {
          this.killPhase = true;
        },
        // Kept for the placement-risk assessment after the cycle (the cycle holds the listing until it ends anyway).
        onListing: (apps, agents) => {
          listing = { apps, agents };
        },
        // Receivers hear of a kill when Marathon answers it, not when the recovery watch ends.
        onKillSent: (kill) => this.o.notifier?.killSent(kill),
      },
    );
    // Off the kill path: the assessment (O(tasks)) runs once the cycle is over.
    if (listing) this.assessRisk(listing.apps, listing.agents);
    await this.finishCycle(record);
  }

  /** Placement risk from the cycle's listing, kept for /status (O(tasks): ~20 ms on 50,000 tasks). */
  private assessRisk(apps: readonly MarathonApp[], agents: AgentIndex | null): void {
    try {
      const agentsNote = agents === null ? `Mesos agents not listed by this cycle (strategy ${this.o.settings.strategy}; the rack strategy lists them)` : undefined;
      this.state.setRisk(assessRisk(apps, agents, this.o.settings, { agentsNote }));
    } catch (err) {
      // A report for the operator: never a reason for the cycle to fail.
      this.log.warn({ err }, DAEMON_LOG.riskFailed);
    }
  }

  private async finishCycle(record: CycleRecord): Promise<void> {
    if (record.cycleId === this.abandonedCycleId) return;
    if (record.outcome === 'skipped') this.log.info({ cycleId: record.cycleId, gate: record.gate }, DAEMON_LOG.skipped);
    // The record still reaches logs, /status and metrics when it cannot be written; the daemon
    // then stops killing until the journal takes records again.
    await this.probeJournal(record);
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
      if (this.journalProblem === undefined) this.state.setNotReady('marathon-unusable', record.error.message);
    } else if (record.outcome === 'error' && record.error?.stage === 'journal') {
      this.markJournalProblem(record.error);
    } else if (record.outcome !== 'skipped' && !this.shuttingDown) {
      this.markReady();
    }
    this.metrics.setPaused(this.state.paused !== undefined);
    this.metrics.setHalted(this.state.halted !== undefined);
    // Weaknesses, quarantines, halt and lifts reach the other instances (a failure: not ready, no kill until it works).
    if (this.ha && record.outcome !== 'skipped') await this.ha.afterCycle(record);
    this.o.onCycle?.(record);
    // Queued, not sent: a slow or dead receiver never delays the next cycle.
    this.o.notifier?.cycleFinished(record);
    const collected = this.o.heapKeeper?.afterCycle();
    if (collected) this.log.debug({ heapUsedMb: { before: mb(collected.before), after: mb(collected.after) } }, DAEMON_LOG.heapCollected);
  }

  /**
   * POST /pause and /resume. With ZooKeeper they act on the shared state, whichever instance
   * receives them (compare-and-set: two pauses at once lose nothing), and are journaled here.
   */
  private async control(e: ControlEvent): Promise<void> {
    if (this.ha) {
      if (e.type === 'pause') await this.ha.pause({ at: e.at, reason: e.reason, by: e.by });
      else await this.ha.resume();
    }
    // With several instances each journal records every request it received: whether it changed
    // anything depends on what the others did at the same moment (the shared state tells).
    await this.journalControl(e, this.ha !== undefined);
  }

  private async journalControl(e: ControlEvent, always = false): Promise<void> {
    if (!e.changed && !always) return;
    // In effect whether or not the journal takes it below: receivers hear of it either way (once).
    if (e.changed) this.o.notifier?.control(e);
    const record =
      e.type === 'pause'
        ? { type: 'pause' as const, time: e.at, reason: e.reason, by: e.by }
        : { type: 'resume' as const, time: e.at, by: e.by, reason: e.reason, ...(e.clearedHalt ? { clearedHalt: e.clearedHalt } : {}) };
    try {
      await this.journal.append(record);
    } catch (err) {
      this.markJournalProblem(err);
      throw err;
    }
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
