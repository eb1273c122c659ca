import type { Logger } from 'pino';
import type { MarathonApp } from '../../domain/marathon.js';
import type { ChaosMemory } from '../../domain/memory.js';
import type { AgentsReader, AppsReader, EventsSource, KillLedger, ServiceProber, TaskKiller } from '../../domain/ports.js';
import type { Clock } from '../../platform/clock.js';
import type { WatchOptions } from '../recovery.js';
import type { Victim } from '../../domain/record.js';
import type { AgentIndex } from '../select.js';

/** A kill request that Marathon answered (or may have received). */
export interface SentKill {
  cycleId: string;
  /** ISO instant of the answer (or of the failure after sending). */
  time: string;
  outcome: 'answered' | 'uncertain';
  /** answered: the victims Marathon knew; uncertain: every victim. */
  victims: readonly Victim[];
}

/** What a cycle runs on (its ports, injected) and what the caller tells it about this run. */
export interface CycleDeps {
  apps: AppsReader;
  killer: TaskKiller;
  /** Write-ahead journal of kills: no kill request leaves before its intent is durable here. */
  ledger: KillLedger;
  /** Needed by the rack strategy only (agent attributes). */
  agents?: AgentsReader | undefined;
  clock: Clock;
  logger: Logger;
  /** Recent kills, quarantine and halt state, as rebuilt from the journal. */
  journal?: ChaosMemory | undefined;
  /** Marathon's event stream: recovery reads follow events instead of a fixed poll. Absent: polled. */
  events?: EventsSource | undefined;
  /**
   * The service probes (monkey.probe.* labels): a round before the kill for candidates, sampling
   * during it. Absent: no probes, Marathon's counts alone (and probe labels are not judged).
   */
  prober?: ServiceProber | undefined;
}

/** One sampling round of an affected app's service probes during the kill. */
export interface ProbeRoundReport {
  appId: string;
  /** Probes that passed, of `total`. */
  ok: number;
  total: number;
  /** ms since Marathon answered the kill (0 for a round before the answer). */
  sinceKillMs: number;
}

export interface CycleContext {
  scheduledAt: Date;
  /** Bounds the recovery watch and the service probes on shutdown. */
  signal?: AbortSignal | undefined;
  /** Decide only: never kill, never watch (for `plan` and benchmarks). */
  plan?: boolean | undefined;
  cycleId?: string | undefined;
  /**
   * Asked right before the kill request: the daemon withdraws permission when shutdown or a
   * pause began while the cycle was planning. False → nothing is killed.
   */
  mayKill?: (() => boolean) | undefined;
  /** Told after each recovery read (a progress line for `once` on a terminal). */
  onWatchPoll?: WatchOptions['onPoll'];
  /** Told after each sampling round of an affected app's service probes (a live line for `once`). Must not throw. */
  onProbeRound?: ((round: ProbeRoundReport) => void) | undefined;
  /**
   * Told as soon as Marathon answered a kill (the victims it knew), or the request may have reached
   * it (`uncertain`): the kill is announced then, not after the recovery watch.
   */
  onKillSent?: ((kill: SentKill) => void) | undefined;
  /** Called once the cycle starts writing its kill intent: from here it may kill and then watch. */
  onKillPhase?: (() => void) | undefined;
  /**
   * Told after each successful listing, with the agents when the strategy listed them (null
   * otherwise): the daemon assesses placement risk from the cycle's listing, no request of its own.
   */
  onListing?: ((apps: readonly MarathonApp[], agents: AgentIndex | null) => void) | undefined;
}
