import type { KillResult, ListAppsOptions, MarathonApp, MarathonInfo, MarathonTask } from './marathon.js';
import type { MesosAgent } from './agent.js';
import type { ProbeObservation, ProbeVerdict, Victim } from './record.js';

/**
 * The narrow ports the chaos cycle needs. The real implementations are MarathonClient and
 * MesosClient; tests use hand-written fakes that record their calls.
 */
export interface AppsReader {
  /** One request: every app with tasks, counts, deployments and last task failure. */
  listApps(options?: ListAppsOptions): Promise<MarathonApp[]>;
  /** One app (always with tasks, counts, deployments). Throws MarathonError code E_APP_NOT_FOUND when it is gone. */
  getApp(appId: string): Promise<MarathonApp>;
}

export interface TaskKiller {
  /** `POST /v2/tasks/delete?scale=false` with every id at once; never retried blindly. */
  killTasks(taskIds: readonly string[]): Promise<KillResult>;
}

export interface AgentsReader {
  /** The Mesos master's agents with attributes and fault domain. */
  listAgents(): Promise<MesosAgent[]>;
}

/** The decision about to be carried out, as written ahead of the kill request. */
export interface KillIntent {
  cycleId: string;
  /** ISO instant the intent is recorded: the victims' apps count as killed from here. */
  time: string;
  scheduledAt: string;
  seed: string;
  cycleSeed: string;
  strategy: string;
  victims: Victim[];
  taskIds: string[];
}

export interface KillAnswer {
  cycleId: string;
  time: string;
  outcome: 'answered' | 'uncertain' | 'rejected' | 'withdrawn';
  /** Apps with at least one task Marathon knew (answered only). */
  killedAppIds?: string[];
  matched?: string[];
  unmatched?: string[];
  error?: { code: string; message: string };
}

/**
 * Write-ahead record of kills. `recordIntent` resolves only once the intent is durable and the
 * kill is still allowed by the latest recorded state (pause, halt, another writer's kill); it
 * throws otherwise, and then nothing is killed: a MonkeyError with a code of KILL_REFUSED_CODES
 * when the state says no (E_KILL_VETOED) or this instance may not kill (E_ZK_FENCED: no longer the
 * ZooKeeper leader), any other error when the intent could not be written.
 */
/** Codes of a ledger's refusal to record a kill: the cycle ends `skipped` (kill-vetoed), not in error. */
export const KILL_REFUSED_CODES: ReadonlySet<string> = new Set(['E_KILL_VETOED', 'E_ZK_FENCED']);

export interface KillLedger {
  recordIntent(intent: KillIntent): Promise<void>;
  recordAnswer(answer: KillAnswer): Promise<void>;
}

/** What the daemon and the commands need of Marathon: the chaos ports plus /v2/info (readiness). */
export type MarathonPort = AppsReader & TaskKiller & { info(): Promise<MarathonInfo> };

export interface Clients {
  marathon: MarathonPort;
  /** Agents for the rack strategy; resolved lazily from Marathon's /v2/info when no Mesos URL is configured. */
  agents: AgentsReader;
  /** Marathon's event stream, for recovery watches (absent: recovery is polled; recovery.events=false). */
  events?: EventsSource | undefined;
  /** The service probes of apps that declare them (absent: no probes, Marathon's counts alone). */
  prober?: ServiceProber | undefined;
}

/** What an app's `monkey.probe.*` labels declare: nothing, probes, or a bad label (the app is excluded). */
export type DeclaredProbes = { kind: 'none' } | { kind: 'probes'; checks: readonly string[] } | { kind: 'bad-label'; label: string; detail: string };

/** One sampling round of one app's probes during a kill. */
export interface ProbeRound {
  /** Probes that passed, of `total`. */
  ok: number;
  total: number;
  /** When the round's verdicts were in (the prober's clock, epoch ms). */
  endedAt: number;
}

export interface ProbeWatchOptions {
  /**
   * The app's tasks in service now, asked before every round: per-task probes go to these (the
   * chaos core leaves out the killed tasks, and replacements until Marathon reports the app back).
   */
  inService: () => readonly MarathonTask[];
  /** Stops the sampling for good (shutdown); stop() still answers what was seen. */
  signal?: AbortSignal | undefined;
  /** Told after each round. Must not throw. */
  onRound?: ((round: ProbeRound) => void) | undefined;
  /**
   * Where this app's rounds fall in its interval, a fraction in (0, 1] (default 1): the first round
   * starts at once (before the kill leaves), the second `phase × interval` after it, then one every
   * interval. The apps of one kill get different phases, so their probes are spread over the
   * interval instead of all opening at one instant each round.
   */
  phase?: number | undefined;
}

/** The sampling of one app's probes, from just before a kill until the cycle stops it. */
export interface ProbeWatch {
  /**
   * Resolves with the instant (epoch ms) a round that started at or after `since` ended with every
   * probe passed; null when none did by `until` (epoch ms) or the sampling stopped first.
   */
  passedSince(since: number, until: number, signal?: AbortSignal): Promise<number | null>;
  /**
   * Stops sampling (nothing of it runs once this resolves) and answers the figures; later calls
   * answer the same. `passedAgain` and `serviceRecoveredMs` are the cycle's to fill in.
   */
  stop(): Promise<Omit<ProbeObservation, 'passedAgain' | 'serviceRecoveredMs'>>;
}

/**
 * The service probes of an app as users see it (issue 11): plain HTTP GETs and TCP connects that
 * never carry the monkey's credentials. The real one is src/probe's ServiceProbes; tests use
 * hand-written fakes. No I/O in `declared`.
 */
export interface ServiceProber {
  /** What the app's probe labels declare (cheap, cached per labels object). */
  declared(app: MarathonApp): DeclaredProbes;
  /**
   * One round of every probe of the app now, at its running tasks or its service. A target outside
   * the allow-list is a failed verdict naming it (nothing is connected). Never throws.
   */
  check(app: MarathonApp, signal?: AbortSignal): Promise<ProbeVerdict>;
  /** Starts sampling the app's probes every interval; undefined when it declares none. */
  watch(app: MarathonApp, options: ProbeWatchOptions): ProbeWatch | undefined;
}

/** An event about one followed app, as a hint that its state changed (confirm by reading the app). */
export interface AppEvent {
  kind: 'event';
  appId: string;
  /** Marathon's eventType, e.g. status_update_event. */
  type: string;
  /** When it was received (the follower's Clock, epoch ms): Marathon's own timestamps come from another clock. */
  at: number;
  /** Task status or instance condition (status_update_event, instance_changed_event), when the event has one. */
  state?: string;
  /** Health flag (health_status_changed_event alive, instance_health_changed_event healthy), when the event has one. */
  healthy?: boolean | null;
}

/** The stream's state: `up` once it delivered its first event, `down` when it failed or ended (it reconnects by itself). */
export type StreamState = { kind: 'up'; at: number } | { kind: 'down'; at: number; reason: string };

export type EventsItem = AppEvent | StreamState;

/**
 * Marathon's event stream (GET /v2/events). `follow` opens one stream for the given apps and keeps
 * it open, reconnecting with backoff, until `signal` aborts; then the iteration ends. It never
 * throws: a stream that cannot be opened or breaks is a `down` item, and the reader polls meanwhile.
 */
export interface EventsSource {
  follow(appIds: readonly string[], signal: AbortSignal): AsyncIterable<EventsItem>;
}
