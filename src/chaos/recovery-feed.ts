import type { Logger } from 'pino';
import type { AppEvent, EventsSource } from '../domain/ports.js';

/**
 * One event stream shared by every app of a recovery watch: it tells each app's watcher when an
 * event that may complete its recovery arrived, and whether the stream is live at all (when it is
 * not, the watchers poll). Events are hints only: the watcher still reads the app and judges it.
 */
export class RecoveryFeed {
  private liveNow = false;
  /** Bumped on every transition to live: a watcher that last read under an older one may have missed events. */
  private upCount = 0;
  private readonly pending = new Set<string>();
  private readonly wakers = new Set<() => void>();
  private readonly stop = new AbortController();
  private readonly done: Promise<void>;
  private readonly healthChecked: ReadonlyMap<string, boolean>;

  /**
   * `apps`: the watched app ids, each with whether it has health checks (then only a health event
   * can complete its recovery; without, a task reaching TASK_RUNNING can).
   */
  constructor(source: EventsSource, apps: ReadonlyMap<string, boolean>, logger: Logger, signal?: AbortSignal) {
    this.healthChecked = apps;
    if (signal?.aborted) this.stop.abort();
    else signal?.addEventListener('abort', () => this.stop.abort(), { once: true });
    this.done = this.consume(source, [...apps.keys()], logger);
  }

  get live(): boolean {
    return this.liveNow;
  }

  /** Changes every time the stream (re)connects. */
  get epoch(): number {
    return this.upCount;
  }

  /** True once (then cleared) when an event that may complete `appId`'s recovery arrived. */
  take(appId: string): boolean {
    return this.pending.delete(appId);
  }

  /** Resolves on the next relevant event for any app or change of the stream's state, or when `signal` aborts. */
  changed(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) {
        resolve();
        return;
      }
      const wake = (): void => {
        this.wakers.delete(wake);
        signal.removeEventListener('abort', wake);
        resolve();
      };
      this.wakers.add(wake);
      signal.addEventListener('abort', wake, { once: true });
    });
  }

  /** Closes the stream; resolves once it is closed. */
  async close(): Promise<void> {
    this.stop.abort();
    await this.done;
  }

  private wakeAll(): void {
    for (const w of [...this.wakers]) w();
  }

  private async consume(source: EventsSource, appIds: string[], logger: Logger): Promise<void> {
    try {
      for await (const item of source.follow(appIds, this.stop.signal)) {
        if (item.kind === 'up') {
          this.liveNow = true;
          this.upCount++;
        } else if (item.kind === 'down') this.liveNow = false;
        else if (mayCompleteRecovery(item, this.healthChecked.get(item.appId))) this.pending.add(item.appId);
        else continue;
        this.wakeAll();
      }
    } catch (err) {
      // The port promises not to throw; should one still, the watch polls instead of failing.
      logger.warn({ err: { message: (err as Error).message } }, 'recovery event stream failed; polling');
    } finally {
      this.liveNow = false;
      this.wakeAll();
    }
  }
}

/**
 * Whether an event can be the last step of a recovery, so it is worth a read. Recovery needs the
 * replacement running (healthy, with health checks), no deployment, and the killed task gone; the
 * kill's own events (KILLING, KILLED, Provisioned, unhealthy) cannot complete it. A deleted app
 * ends the watch (the read answers 404). Ordering is not relied upon: the read decides.
 */
export function mayCompleteRecovery(e: AppEvent, healthChecked: boolean | undefined): boolean {
  switch (e.type) {
    case 'health_status_changed_event':
    case 'instance_health_changed_event':
      return e.healthy === true;
    case 'status_update_event':
    case 'instance_changed_event':
      // Without health checks, running is ready; with them, the health event follows.
      return healthChecked !== true && (e.state === 'TASK_RUNNING' || e.state === 'Running');
    case 'deployment_success':
    case 'deployment_failed':
    case 'deployment_step_success':
    case 'deployment_step_failure':
    case 'app_terminated_event':
      return true;
    default:
      return false;
  }
}
