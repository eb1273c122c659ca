import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { KillLedger } from '../domain/ports.js';
import type { CycleRecord } from '../domain/record.js';
import type { JournalState } from '../journal/state.js';
import { applyCycleToShared, sharedToMemory, type SharedState, type ZkCoordinator, type ZkRole, type ZkSessionState } from '../zk/index.js';
import type { MonkeyMetrics } from './metrics.js';
import { haltedApps, rememberedQuarantine, type DaemonState, type HaltInfo, type PauseInfo, type QuarantineInfo } from './state.js';

/**
 * The daemon's side of running several instances on ZooKeeper (issue 12). The coordinator
 * (src/zk) elects the leader, keeps the shared state and fences the kills; this link turns its
 * events into what the daemon reports and decides on: the role in /status and the gauge,
 * readiness, DaemonState's pause, halt and quarantines (what canAct() and mayKill read), the
 * memory the cycle's guards read, and an abort signal that fires when this instance stops being
 * the leader (the recovery watch in flight is then cut and recorded as aborted).
 */

/** Log messages operators (and tests) match on. */
export const HA_LOG = {
  role: 'ZooKeeper role changed',
  standbySlot: 'standby: the leader runs this slot',
  deposed: 'no longer the leader: no kill from here; a recovery watch in flight is aborted',
  sharedUnwritable: 'the shared state in ZooKeeper cannot be written: not ready, nothing is killed until it can',
  sharedUnreadable: 'the shared state in ZooKeeper cannot be read: this slot is skipped',
  sharedBack: 'the shared state in ZooKeeper is writable again; chaos continues',
  membersFailed: 'ZooKeeper members could not be listed',
  stalled: 'the process stood still (stopped, swapped or starved): no kill until the ZooKeeper session is known to be ours again',
} as const;

/** Readiness reasons (/ready, /status). */
export const REASON_ZK_DISCONNECTED = 'zk-disconnected';
export const REASON_SHARED_UNWRITABLE = 'shared-state-unwritable';
/** Skip reason of a leader's slot whose shared state could not be read (journal, /status, metrics). */
export const REASON_SHARED_UNREADABLE = 'shared-state-unreadable';

/** What /status says of the instance's place among its peers. */
export interface HaStatus {
  role: ZkRole;
  zk: { url: string; session: ZkSessionState; self: string; leader: string | null; members: number | null; sessionTimeoutMs: number };
  shared: SharedSummary | null;
}

export interface SharedSummary {
  /** Last kill per app (ISO). */
  lastKillAt: Record<string, string>;
  quarantined: SharedState['quarantined'];
  halted: SharedState['halted'];
  paused: SharedState['paused'];
  /** Kill intents not settled yet (a kill in flight, or one whose instance died before the answer). */
  pendingKills: number;
  updatedBy: string | null;
  updatedAt: string | null;
}

export interface HaLinkOptions {
  coordinator: ZkCoordinator;
  /** The ZooKeeper URL with credentials masked, for /status. */
  maskedUrl: string;
  sessionTimeoutMs: number;
  identity: string;
  state: DaemonState;
  metrics: MonkeyMetrics;
  logger: Logger;
  /** Told when the instance may be ready again (connected, shared state writable): the daemon re-checks the rest. */
  onHealthy: () => void;
}

/** How often the pause detector ticks. */
const STALL_TICK_MS = 100;

export class HaLink {
  private readonly c: ZkCoordinator;
  private readonly log: Logger;
  private members: { leader: string | undefined; count: number } | undefined;
  private shared: SharedState | undefined;
  /** Why the shared state could not be written after a cycle; undefined when it can. */
  private sharedProblem: string | undefined;
  /** Cycle records whose effect on the shared state could not be written yet (retried at each slot). */
  private readonly unsent: CycleRecord[] = [];
  private flushing: Promise<void> | undefined;
  private leaderAbort = new AbortController();
  private lastRole: ZkRole;
  private readonly unsubscribe: (() => void)[] = [];
  /** Pause detector: a timer that should tick every STALL_TICK_MS; a much later tick means the process stood still. */
  private readonly stallTimer: NodeJS.Timeout;
  private lastTick = performance.now();
  /** performance.now() until which kills are refused after a stall. */
  private suspectUntil = 0;

  constructor(private readonly o: HaLinkOptions) {
    this.c = o.coordinator;
    this.log = o.logger.child({ component: 'ha' });
    this.lastRole = this.c.role();
    if (this.lastRole !== 'leader') this.leaderAbort.abort(new Error('not the leader'));
    this.stallTimer = setInterval(() => this.tick(), STALL_TICK_MS);
    this.stallTimer.unref();
  }

  /**
   * A process stopped (SIGSTOP, a VM paused, swapped out) past its session timeout is no longer the
   * leader, but learns it only when it reads ZooKeeper's answer — after the callbacks that were
   * waiting (a kill intent just written, say) have run. So a stall longer than a third of the session
   * timeout refuses kills for one session timeout, by which time the session is settled either way.
   */
  private tick(): void {
    const now = performance.now();
    const gap = now - this.lastTick;
    this.lastTick = now;
    if (gap > this.stallLimitMs()) {
      if (this.suspectUntil < now) this.log.warn({ stalledMs: Math.round(gap) }, HA_LOG.stalled);
      this.suspectUntil = now + this.o.sessionTimeoutMs;
    }
  }

  private stallLimitMs(): number {
    return Math.max(STALL_TICK_MS * 3, this.o.sessionTimeoutMs / 3);
  }

  /** True while a stall may have cost this instance its session without it knowing yet. */
  private stalled(): boolean {
    const now = performance.now();
    // Checked here too: the tick that would notice runs only after the callbacks queued during the stall.
    return now - this.lastTick > this.stallLimitMs() || now < this.suspectUntil;
  }

  /** Subscribes to the coordinator and reads the shared state once (a failure here is fatal at start). */
  async start(memory: JournalState): Promise<void> {
    this.unsubscribe.push(this.c.onChange((e) => this.onChange(e.role, e.session)));
    this.unsubscribe.push(this.c.onShared((s) => this.adopt(s)));
    const { state } = await this.c.readShared();
    this.adopt(state);
    adoptMemory(memory, state);
    this.onChange(this.c.role(), this.c.sessionState());
    void this.refreshMembers();
  }

  role(): ZkRole {
    return this.c.role();
  }

  /** A kill may leave only from a connected leader whose shared state takes writes. */
  mayKill(): boolean {
    return this.c.isLeader() && this.c.sessionState() === 'connected' && this.sharedProblem === undefined && !this.stalled();
  }

  /** Why this instance is not ready as far as ZooKeeper goes; undefined when it is. */
  problem(): { reason: string; detail: string } | undefined {
    const session = this.c.sessionState();
    if (session !== 'connected') return { reason: REASON_ZK_DISCONNECTED, detail: `ZooKeeper session ${session}; nothing is killed from here until it is connected again` };
    if (this.sharedProblem !== undefined) return { reason: REASON_SHARED_UNWRITABLE, detail: this.sharedProblem };
    return undefined;
  }

  /** Aborted when this instance stops being the leader (a fresh signal per term). */
  leaderSignal(): AbortSignal {
    return this.leaderAbort.signal;
  }

  fencedLedger(local: KillLedger, minKillIntervalMs: number): KillLedger {
    return this.c.fencedLedger(local, { minKillIntervalMs });
  }

  /**
   * Before a leader's cycle: the memory the guards read becomes the shared state (another
   * instance may have killed, quarantined, halted or paused since), and the records whose effect
   * could not be shared before are sent again. False: the shared state cannot be read; skip.
   */
  async beforeCycle(memory: JournalState): Promise<{ ok: true } | { ok: false; reason: string; detail: string }> {
    void this.refreshMembers();
    await this.flushUnsent();
    if (this.sharedProblem !== undefined) return { ok: false, reason: REASON_SHARED_UNWRITABLE, detail: this.sharedProblem };
    try {
      const { state } = await this.c.readShared();
      this.adopt(state);
      adoptMemory(memory, state);
      return { ok: true };
    } catch (err) {
      const detail = `${errMessage(err)}; nothing is killed while the shared state cannot be read`;
      this.log.error({ err: errFields(err) }, HA_LOG.sharedUnreadable);
      return { ok: false, reason: REASON_SHARED_UNREADABLE, detail };
    }
  }

  /** After a cycle: its weaknesses, quarantines, halt and lifts go to the shared state. */
  async afterCycle(record: CycleRecord): Promise<void> {
    this.unsent.push(record);
    await this.flushUnsent();
  }

  /** One flush at a time (two would apply a record twice and drop the next one); each caller gets its own, after the one running. */
  private async flushUnsent(): Promise<void> {
    while (this.flushing) await this.flushing;
    this.flushing = this.flushOnce().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    while (this.unsent.length > 0) {
      const record = this.unsent[0]!;
      try {
        const next = await this.c.updateShared((s) => applyCycleToShared(s, record));
        this.adopt(next);
      } catch (err) {
        const detail = `${errMessage(err)}; the last cycle's effect (quarantines, halt) is not shared yet and nothing is killed until it is`;
        if (this.sharedProblem === undefined) this.log.error({ err: errFields(err), cycleId: record.cycleId }, HA_LOG.sharedUnwritable);
        this.sharedProblem = detail;
        // A lost session says more than its consequence: it is the reason shown while it lasts.
        const problem = this.problem();
        if (problem !== undefined) this.o.state.setNotReady(problem.reason, problem.detail);
        return;
      }
      this.unsent.shift();
    }
    if (this.sharedProblem !== undefined) {
      this.sharedProblem = undefined;
      this.log.warn({}, HA_LOG.sharedBack);
      this.o.onHealthy();
    }
  }

  /** POST /pause (whichever instance receives it): the first pause stays, as on one instance. True when the shared state changed. */
  async pause(p: { at: string; reason: string; by: string }): Promise<boolean> {
    let changed = false;
    const next = await this.c.updateShared((s) => {
      changed = s.paused === null;
      return s.paused === null ? { ...s, paused: { since: p.at, reason: p.reason, by: p.by } } : undefined;
    });
    this.adopt(next);
    return changed;
  }

  /** POST /resume, `marathon-monkey resume`: clears the pause and the halt for every instance. */
  async resume(): Promise<boolean> {
    let changed = false;
    const next = await this.c.updateShared((s) => {
      changed = s.paused !== null || s.halted !== null;
      return changed ? { ...s, paused: null, halted: null } : undefined;
    });
    this.adopt(next);
    return changed;
  }

  status(): HaStatus {
    return {
      role: this.c.role(),
      zk: {
        url: this.o.maskedUrl,
        session: this.c.sessionState(),
        self: this.o.identity,
        leader: this.members?.leader ?? null,
        members: this.members?.count ?? null,
        sessionTimeoutMs: this.o.sessionTimeoutMs,
      },
      shared: this.shared === undefined ? null : summarise(this.shared),
    };
  }

  async close(): Promise<void> {
    clearInterval(this.stallTimer);
    for (const u of this.unsubscribe.splice(0)) u();
    this.leaderAbort.abort(new Error('shutting down'));
    await this.c.close();
  }

  private onChange(role: ZkRole, session: ZkSessionState): void {
    this.o.metrics.setRole(role);
    this.o.metrics.setZkSessionUp(session === 'connected');
    if (role !== this.lastRole) {
      this.log.warn({ role, was: this.lastRole, session }, HA_LOG.role);
      if (role === 'leader') this.leaderAbort = new AbortController();
      else if (this.lastRole === 'leader') {
        this.log.warn({ role, session }, HA_LOG.deposed);
        this.leaderAbort.abort(new Error(`no longer the ZooKeeper leader (${role})`));
      }
      this.lastRole = role;
      void this.refreshMembers();
    }
    // Back with ZooKeeper, whatever role: a cycle's effect not shared yet is written now (a weakness
    // found by a leader that lost its session must still reach the next leader).
    if (session === 'connected' && this.unsent.length > 0) void this.flushUnsent();
    const problem = this.problem();
    if (problem !== undefined) this.o.state.setNotReady(problem.reason, problem.detail);
    else if (this.o.state.getReadiness().reason === REASON_ZK_DISCONNECTED) this.o.onHealthy();
  }

  /** Pause, halt and quarantines as the shared state says: a pause on another instance holds here too. */
  private adopt(s: SharedState): void {
    this.shared = s;
    const st = this.o.state;
    const paused: PauseInfo | undefined =
      s.paused === null ? undefined : { since: s.paused.since, reason: s.paused.reason ?? 'no reason given', by: s.paused.by ?? 'unknown' };
    let halted: HaltInfo | undefined;
    if (s.halted !== null) {
      const h = s.halted;
      const apps = haltedApps(h, Object.entries(s.quarantined));
      const known = st.halted;
      halted = {
        since: h.since,
        appId: apps.length > 0 ? apps.join(', ') : (known?.appId ?? 'unknown (see the shared state)'),
        reason: h.reason,
        ...(known?.detail !== undefined && known.cycleId === h.cycleId ? { detail: known.detail } : {}),
        ...(h.cycleId === undefined ? {} : { cycleId: h.cycleId }),
      };
    }
    const quarantined: [string, QuarantineInfo][] = Object.entries(s.quarantined).map(([appId, q]) => [appId, rememberedQuarantine(q)]);
    st.adoptShared({ paused, halted, quarantined });
    this.o.metrics.setPaused(paused !== undefined);
    this.o.metrics.setHalted(halted !== undefined);
    this.o.metrics.setQuarantined(quarantined.length);
  }

  private async refreshMembers(): Promise<void> {
    try {
      const m = await this.c.members();
      this.members = { leader: m.leader, count: m.count };
    } catch (err) {
      this.log.debug({ err: errFields(err) }, HA_LOG.membersFailed);
    }
  }
}

/**
 * The memory the cycle's guards and the local ledger read, from the shared state: last kills
 * (pending intents count), quarantines, halt and pause. The object stays (the cycle holds it); the
 * local journal's own bookkeeping (intents of this instance, record count) stays too.
 */
export function adoptMemory(target: JournalState, shared: SharedState): void {
  const m = sharedToMemory(shared);
  target.lastKillAt.clear();
  for (const [appId, at] of m.lastKillAt) target.lastKillAt.set(appId, at);
  target.quarantined.clear();
  for (const [appId, q] of m.quarantined) target.quarantined.set(appId, q);
  target.halted = m.halted;
  target.paused = m.paused;
}

function summarise(s: SharedState): SharedSummary {
  return {
    lastKillAt: Object.fromEntries(Object.entries(s.lastKillAt).map(([appId, at]) => [appId, new Date(at).toISOString()])),
    quarantined: s.quarantined,
    halted: s.halted,
    paused: s.paused,
    pendingKills: Object.keys(s.pending).length,
    updatedBy: s.updatedBy ?? null,
    updatedAt: s.updatedAt ?? null,
  };
}

function errMessage(err: unknown): string {
  return (err as { message?: string }).message ?? String(err);
}

function errFields(err: unknown): { code: string | undefined; message: string } {
  return { code: (err as { code?: string }).code, message: errMessage(err) };
}
