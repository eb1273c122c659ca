import type { KillResult, ListAppsOptions, MarathonApp, MarathonInfo } from './marathon.js';
import type { MesosAgent } from './agent.js';
import type { Victim } from './record.js';

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
 * throws otherwise, and then nothing is killed: a MonkeyError with code E_KILL_VETOED when the
 * state says no, any other error when the intent could not be written.
 */
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
