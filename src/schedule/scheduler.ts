import type { Clock } from '../platform/clock.js';
import { cycleRandom } from '../platform/random.js';
import { nextFire, parseCron, type CronSchedule } from './cron.js';

/**
 * The cycle loop: wait for the next cron slot (UTC) plus a seeded jitter, hand the slot to
 * `onSlot`, repeat. Modelled on graphile/worker's cron: time comes from an injected Clock, the
 * loop re-reads the wall clock after every sleep, and every irregularity (a burst of missed
 * slots after a pause or a clock jump, a slot skipped because the previous cycle overran, the
 * clock running backwards) is reported as a typed event instead of being acted on silently.
 *
 * Invariants:
 *  - slots are handled in increasing order and each at most once: the next slot is always
 *    computed strictly after the last one handled, so a clock that runs backwards makes the loop
 *    wait longer instead of firing a slot twice;
 *  - at most one cycle runs at a time; slots that pass while it runs are skipped (`overlap`);
 *  - after a pause or a forward jump, slots whose whole window (slot → next slot) has passed are
 *    skipped (`missed`); the one slot whose window we are in still runs, so a jump causes at
 *    most one catch-up run, never a burst;
 *  - the first slot after start() is the first one strictly in the future: a crash-looping
 *    daemon does not run a cycle on every restart.
 * Office hours are not judged here (see gate.ts `judgeSlot`): the cycle does it at `startedAt`
 * and journals why it did nothing.
 */

export interface SlotContext {
  /** The cron slot (UTC); the cycle derives its generator from it. */
  readonly scheduledAt: Date;
  /** When the cycle actually started: the slot plus jitter, or later after a pause. */
  readonly startedAt: Date;
  /** Planned jitter: startedAt ≈ scheduledAt + jitterMs (+ lateMs). */
  readonly jitterMs: number;
  /** How much later than planned the cycle started (0 when on time). */
  readonly lateMs: number;
  /** Aborted when stop() is called: a cycle may wind down early; stop() still waits for it. */
  readonly signal: AbortSignal;
}

export interface PlannedSlot {
  readonly scheduledAt: Date;
  /** scheduledAt + the slot's deterministic jitter. */
  readonly startsAt: Date;
  readonly jitterMs: number;
}

/** At most this many skipped slots are listed in an event; `count` has the full number. */
export const MAX_LISTED_SLOTS = 20;
/** Counting skipped slots one by one stops here (a per-second cron after a day-long pause). */
const MAX_COUNTED_SLOTS = 10_000;

export type SchedulerEvent =
  | { readonly kind: 'slot'; readonly scheduledAt: Date; readonly startedAt: Date; readonly jitterMs: number; readonly lateMs: number }
  | {
      readonly kind: 'missed';
      /** The first skipped slots (at most MAX_LISTED_SLOTS). */
      readonly slots: readonly Date[];
      /** How many slots were skipped (a lower bound when `countIsLowerBound`). */
      readonly count: number;
      readonly countIsLowerBound: boolean;
      /** `clock-jump`: the wall clock moved further than we slept; `late`: we woke late (suspend, blocked loop). */
      readonly reason: 'clock-jump' | 'late';
      readonly now: Date;
    }
  | {
      readonly kind: 'overlap';
      /** The slot whose cycle ran past the next slot(s). */
      readonly runningSlot: Date;
      readonly skipped: readonly Date[];
      readonly count: number;
      readonly countIsLowerBound: boolean;
      readonly finishedAt: Date;
    }
  | { readonly kind: 'clock-jump'; readonly direction: 'forward' | 'backward'; readonly deltaMs: number; readonly from: Date; readonly to: Date }
  | { readonly kind: 'slot-failed'; readonly scheduledAt: Date; readonly error: unknown }
  /** The loop itself failed (a bug); it has stopped. */
  | { readonly kind: 'error'; readonly error: unknown };

export type SchedulerEventKind = SchedulerEvent['kind'];

export interface SchedulerOptions {
  /** Cron expression (UTC) or a compiled one from compileSchedule. */
  readonly cron: string | CronSchedule;
  readonly clock: Clock;
  /** The configured seed; each slot's jitter is derived from (seed, slot). */
  readonly seed: string;
  /** Upper bound of the jitter; capped below the gap to the next slot. Default 0. */
  readonly jitterMs?: number;
  /** Runs one cycle. Awaited: cycles never overlap. A throw is reported as `slot-failed`. */
  readonly onSlot: (slot: SlotContext) => Promise<void> | void;
  /** Observability seam (logs, metrics). Must not throw; if it does, the throw is ignored. */
  readonly onEvent?: (event: SchedulerEvent) => void;
  /** Longest single sleep, so a wall-clock jump is noticed within this time. Default 60 s. */
  readonly maxSleepMs?: number;
  /** Clock movement beyond what we slept that counts as a jump. Default 5 s. */
  readonly clockJumpToleranceMs?: number;
}

/**
 * The jitter of one slot: uniform in [0, min(maxJitterMs, gapMs)), so it is always less than
 * the gap to the next slot. Derived from (seed, "jitter", slot) — its own stream, so the start
 * minute an observer can see says nothing about the victims the cycle's own generator
 * (cycleRandom(seed, slot)) picks.
 */
export function slotJitterMs(seed: string, scheduledAt: Date, maxJitterMs: number, gapMs: number): number {
  const bound = Math.floor(Math.min(maxJitterMs, gapMs));
  if (!(bound > 0)) return 0;
  const random = cycleRandom(`${seed}\u241fjitter`, scheduledAt);
  return Math.min(bound - 1, Math.floor(random.next() * bound));
}

class SchedulerStopped extends Error {
  override readonly name = 'SchedulerStopped';
}

export class Scheduler {
  private readonly cron: CronSchedule;
  private readonly clock: Clock;
  private readonly seed: string;
  private readonly jitterMs: number;
  private readonly maxSleepMs: number;
  private readonly toleranceMs: number;
  private readonly onSlot: SchedulerOptions['onSlot'];
  private readonly onEvent: SchedulerOptions['onEvent'];

  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  private lastSeen = 0;
  private pending: Date | undefined;
  private lastHandled: Date | undefined;

  constructor(options: SchedulerOptions) {
    this.cron = typeof options.cron === 'string' ? parseCron(options.cron) : options.cron;
    this.clock = options.clock;
    this.seed = options.seed;
    this.jitterMs = Math.max(0, options.jitterMs ?? 0);
    this.maxSleepMs = Math.max(1, options.maxSleepMs ?? 60_000);
    this.toleranceMs = Math.max(0, options.clockJumpToleranceMs ?? 5_000);
    this.onSlot = options.onSlot;
    this.onEvent = options.onEvent;
  }

  get running(): boolean {
    return this.loop !== undefined;
  }

  /** The last slot run or skipped, if any. */
  get lastSlot(): Date | undefined {
    return this.lastHandled;
  }

  /** Starts the loop. Calling it while running does nothing. */
  start(): void {
    if (this.loop) return;
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal).finally(() => {
      this.loop = undefined;
      // A restart recomputes from the clock (never before lastSlot); a stale plan must not show on /status.
      this.pending = undefined;
    });
  }

  /** Stops the loop: aborts the current sleep and resolves once an in-flight cycle has finished. */
  async stop(): Promise<void> {
    const loop = this.loop;
    if (!loop) return;
    this.abort.abort(new SchedulerStopped('scheduler stopped'));
    await loop;
  }

  /** The next `n` slots with their jittered starts, for /status. */
  nextSlots(n: number): PlannedSlot[] {
    const out: PlannedSlot[] = [];
    let slot = this.pending ?? this.firstSlotAfter(this.clock.now());
    for (let i = 0; i < n; i++) {
      out.push(this.plan(slot));
      slot = nextFire(this.cron, slot);
    }
    return out;
  }

  private firstSlotAfter(nowMs: number): Date {
    // Never at or before a slot already handled, whatever the clock says now.
    const floor = this.lastHandled && this.lastHandled.getTime() > nowMs ? this.lastHandled.getTime() : nowMs;
    return nextFire(this.cron, new Date(floor));
  }

  private plan(scheduledAt: Date): PlannedSlot {
    const gap = nextFire(this.cron, scheduledAt).getTime() - scheduledAt.getTime();
    const jitterMs = slotJitterMs(this.seed, scheduledAt, this.jitterMs, gap);
    return { scheduledAt, startsAt: new Date(scheduledAt.getTime() + jitterMs), jitterMs };
  }

  private emit(event: SchedulerEvent): void {
    try {
      this.onEvent?.(event);
    } catch {
      // A logging or metrics bug must not stop chaos scheduling (or make it fire twice).
    }
  }

  /** Reads the clock and reports it if it ran backwards since the last reading. */
  private observe(): number {
    const now = this.clock.now();
    if (now < this.lastSeen - this.toleranceMs) {
      this.emit({ kind: 'clock-jump', direction: 'backward', deltaMs: now - this.lastSeen, from: new Date(this.lastSeen), to: new Date(now) });
    }
    this.lastSeen = now;
    return now;
  }

  /**
   * Walks slots from `first` (inclusive), listing (capped) and counting each one that is over:
   * in mode `window-over` a slot is over when its successor is ≤ untilMs (missed slots); in mode
   * `due` when the slot itself is ≤ untilMs (slots that came due during a cycle). `stop` is the
   * first slot that is not over.
   */
  private walk(
    first: Date,
    untilMs: number,
    mode: 'window-over' | 'due',
  ): { listed: Date[]; count: number; lowerBound: boolean; last: Date | undefined; stop: Date } {
    const listed: Date[] = [];
    let count = 0;
    let last: Date | undefined;
    let slot = first;
    for (;;) {
      const next = nextFire(this.cron, slot);
      const over = (mode === 'due' ? slot : next).getTime() <= untilMs;
      if (!over) break;
      if (count >= MAX_COUNTED_SLOTS) {
        // Give up counting (a per-second cron after a long pause); resume at the first future slot.
        return { listed, count, lowerBound: true, last, stop: nextFire(this.cron, new Date(untilMs)) };
      }
      count++;
      if (listed.length < MAX_LISTED_SLOTS) listed.push(slot);
      last = slot;
      slot = next;
    }
    return { listed, count, lowerBound: false, last, stop: slot };
  }

  private async run(signal: AbortSignal): Promise<void> {
    try {
      this.lastSeen = this.clock.now();
      this.pending = this.firstSlotAfter(this.lastSeen);
      while (!signal.aborted) {
        const slot = this.pending;
        const plan = this.plan(slot);
        const waited = await this.waitUntil(plan.startsAt.getTime(), signal);
        if (!waited) return;

        // Slots whose whole window (slot → next slot) is over are missed: running them now would
        // be a burst of kills at times nobody planned. The slot whose window we are in is then
        // planned as usual — it runs at once if its jittered start has passed: one catch-up at most.
        const missed = this.walk(slot, waited.now, 'window-over');
        if (missed.count > 0) {
          this.emit({
            kind: 'missed',
            slots: missed.listed,
            count: missed.count,
            countIsLowerBound: missed.lowerBound,
            reason: waited.jumped ? 'clock-jump' : 'late',
            now: new Date(waited.now),
          });
          this.lastHandled = missed.last;
          this.pending = missed.stop;
          continue;
        }

        await this.runSlot(plan, waited.now, signal);
        this.lastHandled = slot;
        // Slots that came due while the cycle ran are skipped, not queued: cycles never overlap
        // and never run back to back to catch up.
        const finishedAt = this.observe();
        const skipped = this.walk(nextFire(this.cron, slot), finishedAt, 'due');
        if (skipped.count > 0) {
          this.emit({
            kind: 'overlap',
            runningSlot: slot,
            skipped: skipped.listed,
            count: skipped.count,
            countIsLowerBound: skipped.lowerBound,
            finishedAt: new Date(finishedAt),
          });
          this.lastHandled = skipped.last ?? slot;
        }
        this.pending = skipped.stop;
      }
    } catch (error) {
      if (error instanceof SchedulerStopped || signal.aborted) return;
      this.emit({ kind: 'error', error });
    }
  }

  /**
   * Sleeps until the wall clock reads `targetMs`, in chunks of at most maxSleepMs, re-reading the
   * clock after each: a timer that fires early just sleeps again, and a jump shows up as more
   * time passing than we slept. Returns undefined when stopped.
   */
  private async waitUntil(targetMs: number, signal: AbortSignal): Promise<{ now: number; jumped: boolean } | undefined> {
    let jumped = false;
    let now = this.observe();
    while (now < targetMs) {
      const chunk = Math.min(targetMs - now, this.maxSleepMs);
      // A fresh signal per chunk: a Clock may leave its abort listener on the signal it was
      // given until that signal aborts, and a long-lived loop sleeps thousands of times.
      const chunkAbort = new AbortController();
      const relay = (): void => chunkAbort.abort(signal.reason);
      signal.addEventListener('abort', relay, { once: true });
      try {
        await this.clock.sleep(chunk, chunkAbort.signal);
      } catch (err) {
        if (signal.aborted) return undefined;
        throw err;
      } finally {
        signal.removeEventListener('abort', relay);
      }
      const before = now;
      now = this.observe();
      if (now - before > chunk + this.toleranceMs) {
        jumped = true;
        this.emit({ kind: 'clock-jump', direction: 'forward', deltaMs: now - before - chunk, from: new Date(before + chunk), to: new Date(now) });
      }
    }
    return signal.aborted ? undefined : { now, jumped };
  }

  private async runSlot(plan: PlannedSlot, now: number, signal: AbortSignal): Promise<void> {
    const context: SlotContext = {
      scheduledAt: plan.scheduledAt,
      startedAt: new Date(now),
      jitterMs: plan.jitterMs,
      lateMs: Math.max(0, now - plan.startsAt.getTime()),
      signal,
    };
    this.emit({ kind: 'slot', scheduledAt: context.scheduledAt, startedAt: context.startedAt, jitterMs: context.jitterMs, lateMs: context.lateMs });
    try {
      await this.onSlot(context);
    } catch (error) {
      this.emit({ kind: 'slot-failed', scheduledAt: plan.scheduledAt, error });
    }
  }
}
