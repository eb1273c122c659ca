import type { Logger } from 'pino';
import type { MarathonApp } from '../domain/marathon.js';
import type { Clock } from '../platform/clock.js';
import type { AppsReader } from '../domain/ports.js';
import type { AfterKill, HealthSnapshot } from '../domain/record.js';
import type { RecoveryFeed } from './recovery-feed.js';
import type { ChaosSettings } from './settings.js';
import { healthSnapshot, judgeSteadyState, type Verdict } from './steady-state.js';

export const LOG_RECOVERY_READ_FAILED = 'recovery read failed; retrying until the deadline';

/**
 * Recovered = steady state again AND none of the killed task ids is listed any more. In Marathon
 * 1.8+ the replacement keeps the instance id but gets the next incarnation, so a listed id that
 * equals a killed one (even TASK_KILLED) is the old task, not its replacement. The failure our own
 * kill may have recorded as lastTaskFailure is not held against the app.
 */
export function judgeRecovered(
  app: MarathonApp,
  killedIds: ReadonlySet<string>,
  now: number,
  settings: Pick<ChaosSettings, 'recentFailureMinutes'>,
): { recovered: boolean; verdict: Verdict; stillListed: string[] } {
  const verdict = judgeSteadyState(app, now, settings, killedIds);
  const stillListed = app.tasks.filter((t) => killedIds.has(t.id)).map((t) => t.id);
  return { recovered: verdict.ok && stillListed.length === 0, verdict, stillListed };
}

export interface WatchOptions {
  clock: Clock;
  logger: Logger;
  settings: Pick<ChaosSettings, 'recentFailureMinutes' | 'recoveryPollMs'>;
  /** Epoch ms of the kill answer: recovery time is measured from here. */
  killAnsweredAt: number;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Told after every read, for a progress line on a terminal. Must not throw. */
  onPoll?: ((poll: WatchPoll) => void) | undefined;
  /** The watch's shared event stream; without it (or while it is down) the app is polled. */
  feed?: RecoveryFeed | undefined;
  /** Told each app read and whether it showed the app recovered (the service probes follow the tasks). Must not throw. */
  onRead?: ((app: MarathonApp, recovered: boolean) => void) | undefined;
}

/** One recovery read as a person watching would want it. */
export interface WatchPoll {
  appId: string;
  /** ms since the kill answer. */
  elapsedMs: number;
  health: HealthSnapshot | null;
  recovered: boolean;
  /** Why it is not recovered yet (or why the read failed). */
  problem?: string;
}

/**
 * How often a watch whose app gets its events still reads it, in recoveryPollMs: a condition that
 * changes with time alone (a recent task failure ageing out) sends no event.
 */
export const LIVE_SAFETY_POLLS = 10;

/**
 * Reads one app with `getApp` (never the whole listing) until it has recovered or the deadline
 * passes. The last read happens at the deadline itself. Without a live event stream it reads every
 * recoveryPollMs; with one, right after each event that may complete the recovery (and, as a
 * safety net, every LIVE_SAFETY_POLLS × recoveryPollMs), and once more after every reconnection
 * (events may have been missed while the stream was down).
 */
export async function watchRecovery(apps: AppsReader, appId: string, killedIds: ReadonlySet<string>, o: WatchOptions): Promise<AfterKill> {
  const deadline = o.killAnsweredAt + o.timeoutMs;
  const result: AfterKill = { recovered: false, timeToRecoverMs: null, health: null, timeoutMs: o.timeoutMs, polls: 0 };
  const pollMs = Math.max(1, o.settings.recoveryPollMs);
  const feed = o.feed;
  const via = new Set<'events' | 'polling'>();
  let lastReadAt = o.clock.now();
  let seenEpoch = 0;

  /** Waits for the next read; 'events' or 'polling' names what timed it, null when the watch was aborted. */
  const nextRead = async (): Promise<'events' | 'polling' | null> => {
    for (;;) {
      if (o.signal?.aborted) return null;
      const now = o.clock.now();
      const live = feed?.live === true;
      if (feed !== undefined && live) {
        if (feed.epoch !== seenEpoch) {
          // The first connection, before any read, missed only the kill's own events.
          const resync = seenEpoch !== 0 || result.polls > 0;
          seenEpoch = feed.epoch;
          if (resync) {
            feed.take(appId);
            return 'events';
          }
        }
        if (feed.take(appId)) return 'events';
      }
      const due = Math.min(deadline, lastReadAt + (live ? pollMs * LIVE_SAFETY_POLLS : pollMs));
      if (now >= due) return live ? 'events' : 'polling';
      const woke = await sleepOrChange(o.clock, due - now, feed, o.signal);
      if (woke === 'aborted') return null;
    }
  };

  for (;;) {
    const mode = await nextRead();
    if (mode === null) {
      result.aborted = true;
      return result;
    }
    via.add(mode);
    result.recoveredVia = via.size === 2 ? 'events+polling' : mode;
    result.polls++;
    let app: MarathonApp | undefined;
    let readProblem: string | undefined;
    try {
      app = await apps.getApp(appId);
    } catch (err) {
      if ((err as { code?: unknown }).code === 'E_APP_NOT_FOUND') {
        result.gone = true;
        return result;
      }
      readProblem = `read failed: ${safeError(err).message}`;
      o.logger.warn({ appId, err: safeError(err) }, LOG_RECOVERY_READ_FAILED);
    }
    const now = o.clock.now();
    lastReadAt = now;
    const tell = (recovered: boolean, problem?: string): void => {
      o.onPoll?.({ appId, elapsedMs: Math.max(0, now - o.killAnsweredAt), health: result.health, recovered, ...(problem === undefined ? {} : { problem }) });
    };
    if (!app) tell(false, readProblem);
    if (app) {
      const judged = judgeRecovered(app, killedIds, now, o.settings);
      o.onRead?.(app, judged.recovered);
      result.health = healthSnapshot(app);
      if (judged.recovered) {
        result.recovered = true;
        result.timeToRecoverMs = Math.max(0, now - o.killAnsweredAt);
        delete result.killedStillListed;
        delete result.lastProblem;
        tell(true);
        return result;
      }
      const problems: string[] = [];
      if (!judged.verdict.ok) problems.push(`${judged.verdict.reason}: ${judged.verdict.detail}`);
      if (judged.stillListed.length > 0) {
        result.killedStillListed = judged.stillListed;
        problems.push(`killed task(s) still listed: ${judged.stillListed.join(', ')}`);
      } else delete result.killedStillListed;
      result.lastProblem = problems.join('; ');
      tell(false, result.lastProblem);
    }
    if (now >= deadline) return result;
    if (o.signal?.aborted) {
      result.aborted = true;
      return result;
    }
  }
}

/** Sleeps `ms`, cut short by a change on the feed; 'aborted' when the watch's signal aborted. */
async function sleepOrChange(clock: Clock, ms: number, feed: RecoveryFeed | undefined, signal: AbortSignal | undefined): Promise<'timer' | 'feed' | 'aborted'> {
  const cut = new AbortController();
  const onAbort = (): void => cut.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const timer = clock.sleep(ms, cut.signal).then(
      () => 'timer' as const,
      () => 'aborted' as const,
    );
    const woke = await (feed === undefined ? timer : Promise.race([timer, feed.changed(cut.signal).then(() => 'feed' as const)]));
    return signal?.aborted === true ? 'aborted' : woke;
  } finally {
    cut.abort();
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Only the safe fields of an error (habit 7: a raw HTTP error can carry credentials). */
export function safeError(err: unknown): { code: string; message: string } {
  const e = err as { code?: unknown; message?: unknown };
  return {
    code: typeof e.code === 'string' ? e.code : 'E_UNKNOWN',
    message: typeof e.message === 'string' ? e.message : String(err),
  };
}
