/**
 * The notification queue. A cycle hands its events over and goes on: each channel (webhook, Slack)
 * has its own bounded queue drained in the background, one delivery at a time, each with a
 * timeout and a bounded number of retries with exponential backoff on the injected Clock. A full
 * queue drops its oldest event (counted), so a dead receiver costs memory of at most `queueSize`
 * events per channel and never delays a cycle, a pause or the journal.
 */
import type { Logger } from '../log.js';
import type { CycleRecord } from '../domain/record.js';
import type { Clock } from '../platform/clock.js';
import { retryDelay } from '../http/retry.js';
import { controlEvent, cycleEvents, killEvent, type ControlChange, type NotifyEvent, type NotifyVictim } from './events.js';
import { NotifyDeliveryError, postJson, type Poster } from './post.js';
import { slackMessage } from './slack.js';
import { webhookBody } from './webhook.js';

export type ChannelName = 'webhook' | 'slack';

export type DeliveryOutcome = 'sent' | 'failed' | 'dropped';

/** A receiver: where events go (a secret URL) and how an event looks there. */
export interface Channel {
  name: ChannelName;
  /** Secret: never logged, never in an error; only its origin is. */
  url: string;
  body(event: NotifyEvent): unknown;
}

export function webhookChannel(url: string): Channel {
  return { name: 'webhook', url, body: webhookBody };
}

export function slackChannel(url: string): Channel {
  return { name: 'slack', url, body: slackMessage };
}

/** Log messages operators (and tests) match on. */
export const NOTIFY_LOG = {
  failed: 'notification not delivered: gave up after retries',
  retry: 'notification attempt failed; retrying',
  dropped: 'notification queue full: oldest event dropped',
  flushTimedOut: 'shutdown: notifications still queued were not sent',
} as const;

export interface NotifierOptions {
  channels: readonly Channel[];
  clock: Clock;
  logger: Logger;
  version: string;
  /** The daemon's seed, for pause and resume events (cycle events carry their record's). */
  seed: string;
  /** Notify dry-run cycles as `dry-run-kill` (config notify.dryRun). */
  includeDryRun: boolean;
  timeoutMs: number;
  /** Attempts after the first. */
  retries: number;
  /** Events waiting per channel (the one being delivered not counted). */
  queueSize: number;
  /** Backoff between attempts; default 1 s doubling up to 30 s. */
  backoff?: { baseMs: number; maxMs: number };
  /** How long shutdown waits for the queues to drain; default 2 s. */
  flushTimeoutMs?: number;
  post?: Poster;
  /** Each event's fate per channel (the metrics counter). */
  onDelivery?: (channel: ChannelName, outcome: DeliveryOutcome) => void;
}

interface Lane {
  channel: Channel;
  queue: NotifyEvent[];
  /** The drain loop while it runs. */
  draining: Promise<void> | undefined;
}

export class Notifier {
  private readonly lanes: Lane[];
  private readonly log: Logger;
  private readonly post: Poster;
  /** Aborted by close(): backoff sleeps and requests in flight end at once. */
  private readonly stop = new AbortController();
  private onDelivery: ((channel: ChannelName, outcome: DeliveryOutcome) => void) | undefined;
  /** Cycles whose kill was announced by killSent; their finished record does not repeat it. */
  private readonly announced = new Set<string>();

  constructor(private readonly o: NotifierOptions) {
    this.lanes = o.channels.map((channel) => ({ channel, queue: [], draining: undefined }));
    this.log = o.logger.child({ component: 'notify' });
    this.post = o.post ?? postJson;
    this.onDelivery = o.onDelivery;
  }

  /** Channel names, for the start-up log (never the URLs). */
  get channels(): ChannelName[] {
    return this.lanes.map((l) => l.channel.name);
  }

  /** Sets where delivery outcomes are counted (the daemon's metrics). */
  observe(fn: (channel: ChannelName, outcome: DeliveryOutcome) => void): void {
    this.onDelivery = fn;
  }

  /** Queues the events of a finished cycle. Never throws, never waits. */
  cycleFinished(record: CycleRecord): void {
    const killAnnounced = this.announced.delete(record.cycleId);
    this.guard(() => this.enqueue(cycleEvents(record, { version: this.o.version, includeDryRun: this.o.includeDryRun, killAnnounced })));
  }

  /**
   * Queues the kill the moment Marathon answered it, so receivers hear of it before the recovery
   * watch ends (up to the recovery timeout later); the finished cycle then does not repeat it.
   */
  killSent(kill: { cycleId: string; time: string; outcome: 'answered' | 'uncertain'; victims: readonly NotifyVictim[] }): void {
    this.guard(() => {
      this.announced.add(kill.cycleId);
      // Bounded: a cycle whose record never comes (a crash) must not pin its id for ever.
      if (this.announced.size > 100) this.announced.delete(this.announced.values().next().value as string);
      this.enqueue([killEvent({ ...kill, uncertain: kill.outcome === 'uncertain' }, { version: this.o.version, seed: this.o.seed })]);
    });
  }

  /** Queues a pause or resume that changed something. Never throws, never waits. */
  control(change: ControlChange): void {
    this.guard(() => this.enqueue([controlEvent(change, { version: this.o.version, seed: this.o.seed })]));
  }

  /** Queues events on every channel; a full queue drops its oldest. */
  enqueue(events: readonly NotifyEvent[]): void {
    if (this.stop.signal.aborted) return;
    for (const lane of this.lanes) {
      for (const event of events) {
        lane.queue.push(event);
        if (lane.queue.length > this.o.queueSize) {
          const dropped = lane.queue.shift();
          this.count(lane.channel.name, 'dropped');
          this.log.warn({ channel: lane.channel.name, event: dropped?.type, cycleId: dropped?.cycleId, queueSize: this.o.queueSize }, NOTIFY_LOG.dropped);
        }
      }
      this.kick(lane);
    }
  }

  /** Starts the lane's drain loop unless it runs; an event queued as the loop ended starts it again. */
  private kick(lane: Lane): void {
    if (lane.draining !== undefined) return;
    lane.draining = this.drain(lane).finally(() => {
      lane.draining = undefined;
      if (lane.queue.length > 0 && !this.stop.signal.aborted) this.kick(lane);
    });
  }

  /** The drain loops running now. */
  private running(): Promise<void>[] {
    return this.lanes.flatMap((l) => (l.draining === undefined ? [] : [l.draining]));
  }

  private async idle(): Promise<true> {
    for (let busy = this.running(); busy.length > 0; busy = this.running()) await Promise.all(busy);
    return true;
  }

  /** Events waiting, per channel (in flight not counted). */
  pending(): Record<string, number> {
    return Object.fromEntries(this.lanes.map((l) => [l.channel.name, l.queue.length]));
  }

  /** Resolves once every queue is empty, or after `timeoutMs`; true when everything was delivered (or given up on). */
  async flush(timeoutMs = this.o.flushTimeoutMs ?? 2000): Promise<boolean> {
    const idle = this.idle();
    const giveUp = new AbortController();
    const timedOut = this.o.clock.sleep(timeoutMs, giveUp.signal).then(
      () => false,
      () => false,
    );
    const drained = await Promise.race([idle, timedOut]);
    giveUp.abort();
    return drained;
  }

  /** Shutdown: waits up to the flush timeout, then abandons what is left (logged, not counted as failed). */
  async close(): Promise<void> {
    const drained = await this.flush();
    if (!drained) this.log.warn({ pending: this.pending() }, NOTIFY_LOG.flushTimedOut);
    for (const lane of this.lanes) lane.queue.length = 0;
    this.stop.abort(new Error('notifier closed'));
    await Promise.all(this.running().map((p) => p.catch(() => undefined)));
  }

  private async drain(lane: Lane): Promise<void> {
    for (let event = lane.queue.shift(); event !== undefined && !this.stop.signal.aborted; event = lane.queue.shift()) {
      await this.deliver(lane.channel, event);
    }
  }

  private async deliver(channel: Channel, event: NotifyEvent): Promise<void> {
    const backoff = this.o.backoff ?? { baseMs: 1000, maxMs: 30_000 };
    const attempts = 1 + Math.max(0, this.o.retries);
    let last: NotifyDeliveryError | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (this.stop.signal.aborted) return;
      try {
        await this.post({
          channel: channel.name,
          url: channel.url,
          body: channel.body(event),
          timeoutMs: this.o.timeoutMs,
          clock: this.o.clock,
          userAgent: `marathon-monkey/${this.o.version}`,
          signal: this.stop.signal,
        });
        this.count(channel.name, 'sent');
        return;
      } catch (err) {
        if (this.stop.signal.aborted) return;
        last = err instanceof NotifyDeliveryError ? err : undefined;
        const retryable = last?.retryable ?? true;
        const fields = { channel: channel.name, event: event.type, cycleId: event.cycleId, attempt, ...failureFields(err) };
        if (!retryable || attempt === attempts) {
          this.count(channel.name, 'failed');
          this.log.error({ ...fields, attempts: attempt }, NOTIFY_LOG.failed);
          return;
        }
        const delayMs = retryDelay(attempt, backoff);
        this.log.warn({ ...fields, retryInMs: delayMs }, NOTIFY_LOG.retry);
        try {
          await this.o.clock.sleep(delayMs, this.stop.signal);
        } catch {
          return;
        }
      }
    }
  }

  private count(channel: ChannelName, outcome: DeliveryOutcome): void {
    try {
      this.onDelivery?.(channel, outcome);
    } catch {
      // A counter must not break delivery.
    }
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      // Notifications are a side channel: a bug here must never fail a cycle or a /resume.
      this.log.error({ err: { message: (err as Error).message } }, 'notification events could not be built');
    }
  }
}

/** What a failed attempt may log: code, status and the receiver's origin. Never the URL. */
function failureFields(err: unknown): Record<string, unknown> {
  if (err instanceof NotifyDeliveryError) {
    return { code: err.code, target: err.target, ...(err.status === undefined ? {} : { status: err.status }) };
  }
  return { code: 'E_NOTIFY_UNKNOWN' };
}
