import assert from 'node:assert/strict';
import { ManualClock } from '../../src/platform/clock.js';
import { nextFire, parseCron } from '../../src/schedule/cron.js';
import { Scheduler, slotJitterMs, type SchedulerEvent, type SchedulerOptions, type SlotContext } from '../../src/schedule/scheduler.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
// Named instants (UTC): a Friday morning, half a minute past a ten-minute slot.
const aFridayMorning = new Date('2026-03-27T10:00:30Z');
const iso = (d: Date): string => d.toISOString();

/** A scheduler under a ManualClock that records every slot and event. */
function harness(overrides: Partial<SchedulerOptions> & { start?: Date } = {}) {
  const clock = new ManualClock(overrides.start ?? aFridayMorning);
  const slots: SlotContext[] = [];
  const events: SchedulerEvent[] = [];
  const scheduler = new Scheduler({
    cron: '*/10 * * * *',
    clock,
    seed: 'test-seed',
    jitterMs: 0,
    onSlot: (slot) => {
      slots.push(slot);
    },
    onEvent: (e) => events.push(e),
    ...overrides,
  });
  const kinds = (kind: SchedulerEvent['kind']) => events.filter((e) => e.kind === kind);
  return { clock, slots, events, scheduler, kinds };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
}

describe('schedule/scheduler', () => {
  it('fires at each slot, jittered within bounds, in order', async () => {
    const h = harness({ jitterMs: 2 * MINUTE });
    h.scheduler.start();
    await h.clock.advance(35 * MINUTE);
    await h.scheduler.stop();
    assert.deepEqual(h.slots.map((s) => iso(s.scheduledAt)), ['2026-03-27T10:10:00.000Z', '2026-03-27T10:20:00.000Z', '2026-03-27T10:30:00.000Z']);
    for (const s of h.slots) {
      assert.ok(s.jitterMs >= 0 && s.jitterMs < 2 * MINUTE, `jitter ${s.jitterMs} within [0, 2 min)`);
      assert.equal(s.startedAt.getTime(), s.scheduledAt.getTime() + s.jitterMs, 'started exactly at slot + jitter');
      assert.equal(s.lateMs, 0);
      assert.equal(s.jitterMs, slotJitterMs('test-seed', s.scheduledAt, 2 * MINUTE, 10 * MINUTE));
    }
    assert.equal(h.kinds('slot').length, 3);
    assert.equal(new Set(h.slots.map((s) => s.jitterMs)).size, 3, 'jitter differs per slot');
  });

  it('is deterministic for the same seed and different for another', async () => {
    const run = async (seed: string) => {
      const h = harness({ jitterMs: 5 * MINUTE, seed });
      h.scheduler.start();
      await h.clock.advance(HOUR + 5 * MINUTE);
      await h.scheduler.stop();
      return h.slots.map((s) => iso(s.startedAt));
    };
    const a = await run('alpha');
    assert.equal(a.length, 6);
    assert.deepEqual(await run('alpha'), a);
    assert.notDeepEqual(await run('beta'), a);
  });

  it('keeps the jitter below the gap to the next slot', () => {
    // A one-minute cron with an hour of configured jitter: every start stays inside its minute.
    const everyMinute = parseCron('* * * * *');
    let slot = new Date('2026-03-27T10:00:00Z');
    for (let i = 0; i < 200; i++) {
      const gap = nextFire(everyMinute, slot).getTime() - slot.getTime();
      const j = slotJitterMs('s', slot, HOUR, gap);
      assert.ok(j >= 0 && j < gap);
      slot = new Date(slot.getTime() + gap);
    }
    assert.equal(slotJitterMs('s', slot, 0, MINUTE), 0);
  });

  it('sleeps in chunks of at most 60 s and sleeps again when a timer fires early', async () => {
    const clock = new ManualClock(aFridayMorning);
    const asked: number[] = [];
    let early = 3;
    // A clock whose first timers fire at half their time, as timers may after a suspend or on a busy host.
    const earlyClock = {
      now: () => clock.now(),
      sleep: (ms: number, signal?: AbortSignal) => {
        asked.push(ms);
        return clock.sleep(early-- > 0 ? Math.floor(ms / 2) : ms, signal);
      },
    };
    const slots: SlotContext[] = [];
    const scheduler = new Scheduler({ cron: '*/10 * * * *', clock: earlyClock, seed: 's', onSlot: (s) => void slots.push(s) });
    scheduler.start();
    await clock.advance(10 * MINUTE);
    await scheduler.stop();
    assert.ok(asked.every((ms) => ms > 0 && ms <= 60_000), `chunks: ${asked.join(',')}`);
    assert.deepEqual(slots.map((s) => iso(s.startedAt)), ['2026-03-27T10:10:00.000Z'], 'not early, exactly once');
  });

  it('stop() during a sleep resolves promptly and leaves no timer behind', async () => {
    const h = harness();
    h.scheduler.start();
    assert.equal(h.scheduler.running, true);
    assert.equal(h.clock.pending, 1);
    await h.scheduler.stop();
    assert.equal(h.scheduler.running, false);
    assert.equal(h.clock.pending, 0);
    assert.equal(h.slots.length, 0);
    await h.scheduler.stop(); // idempotent
  });

  it('stop() waits for the in-flight cycle, which sees the abort signal', async () => {
    let release!: () => void;
    let sawAbort = false;
    let finished = false;
    const h = harness({
      onSlot: async (slot) => {
        await new Promise<void>((r) => (release = r));
        sawAbort = slot.signal.aborted;
        finished = true;
      },
    });
    h.scheduler.start();
    await h.clock.advance(10 * MINUTE);
    let stopped = false;
    const stopping = h.scheduler.stop().then(() => (stopped = true));
    await settle();
    assert.equal(stopped, false, 'stop() has not resolved while the cycle runs');
    release();
    await stopping;
    assert.ok(finished && sawAbort);
  });

  it('a forward clock jump of hours causes no burst: missed slots are reported, one slot runs', async () => {
    const h = harness();
    h.scheduler.start();
    await h.clock.advance(4 * MINUTE + 30_000); // 10:05, asleep until 10:10
    h.clock.set(new Date('2026-03-27T13:05:30Z'));
    await h.clock.advance(0); // the pending chunk timer fires; the wall clock now reads 13:05:30
    const missed = h.kinds('missed');
    assert.equal(missed.length, 1);
    const m = missed[0]!;
    assert.ok(m.kind === 'missed');
    // 10:10 … 12:50: their windows are over. 13:00's window (13:00-13:10) is still open.
    assert.equal(m.count, 17);
    assert.equal(m.reason, 'clock-jump');
    assert.equal(iso(m.slots[0]!), '2026-03-27T10:10:00.000Z');
    assert.equal(iso(m.slots[16]!), '2026-03-27T12:50:00.000Z');
    assert.equal(h.kinds('clock-jump')[0]?.kind, 'clock-jump');
    // One catch-up: the current slot runs now, late.
    assert.deepEqual(h.slots.map((s) => iso(s.scheduledAt)), ['2026-03-27T13:00:00.000Z']);
    assert.equal(h.slots[0]!.lateMs, 5 * MINUTE + 30_000);
    await h.clock.advance(10 * MINUTE);
    await h.scheduler.stop();
    assert.deepEqual(h.slots.map((s) => iso(s.scheduledAt)), ['2026-03-27T13:00:00.000Z', '2026-03-27T13:10:00.000Z']);
  });

  it('a per-second cron after a day-long jump: counting stops at a cap, still no burst', async () => {
    const h = harness({ cron: '* * * * * *' });
    h.scheduler.start();
    h.clock.set(new Date(aFridayMorning.getTime() + 24 * HOUR));
    await h.clock.advance(0);
    await h.clock.advance(1000);
    await h.scheduler.stop();
    const m = h.kinds('missed')[0];
    assert.ok(m?.kind === 'missed' && m.countIsLowerBound && m.count === 10_000 && m.slots.length === 20);
    assert.deepEqual(h.slots.map((s) => iso(s.scheduledAt)), ['2026-03-28T10:00:31.000Z']);
  });

  it('a timer late by less than a slot still runs its slot (late), nothing missed', async () => {
    const h = harness();
    h.scheduler.start();
    await h.clock.advance(9 * MINUTE); // 10:09:30
    h.clock.set(new Date('2026-03-27T10:13:00Z')); // suspended for a few minutes
    await h.clock.advance(0);
    await h.scheduler.stop();
    assert.equal(h.kinds('missed').length, 0);
    assert.deepEqual(h.slots.map((s) => [iso(s.scheduledAt), s.lateMs]), [['2026-03-27T10:10:00.000Z', 3 * MINUTE]]);
  });

  it('a clock running backwards during a cycle does not fire the same slot twice', async () => {
    let release: (() => void) | undefined;
    const h = harness({
      onSlot: async (slot) => {
        h.slots.push(slot);
        if (h.slots.length === 1) await new Promise<void>((r) => (release = r));
      },
    });
    h.scheduler.start();
    await h.clock.advance(10 * MINUTE); // the 10:10 cycle starts and waits
    h.clock.set(new Date('2026-03-27T09:40:00Z')); // NTP steps the clock back 30 minutes meanwhile
    release!();
    await settle();
    await h.clock.advance(45 * MINUTE); // the wall clock passes 10:10 again, then 10:20
    await h.scheduler.stop();
    assert.deepEqual(h.slots.map((s) => iso(s.scheduledAt)), ['2026-03-27T10:10:00.000Z', '2026-03-27T10:20:00.000Z']);
    const jump = h.kinds('clock-jump')[0];
    assert.ok(jump?.kind === 'clock-jump' && jump.direction === 'backward');
    assert.equal(jump.deltaMs, -30 * MINUTE); // last reading 10:10:00, next 09:40:00
    assert.equal(h.kinds('missed').length, 0);
  });

  it('a clock running backwards during a sleep does not fire the same slot twice', async () => {
    const h = harness();
    h.scheduler.start();
    await h.clock.advance(10 * MINUTE); // 10:10 fires
    h.clock.set(new Date('2026-03-27T09:55:00Z'));
    await h.clock.advance(30 * MINUTE); // wall clock 10:25: passes 10:00 and 10:10 again, then 10:20
    await h.scheduler.stop();
    assert.deepEqual(h.slots.map((s) => iso(s.scheduledAt)), ['2026-03-27T10:10:00.000Z', '2026-03-27T10:20:00.000Z']);
  });

  it('a cycle that runs past the next slots: overlap reported, those slots skipped', async () => {
    const h = harness({
      onSlot: async (slot) => {
        // The 10:10 cycle takes 25 minutes (recovery waits, say).
        if (slot.scheduledAt.getUTCMinutes() === 10) await h.clock.sleep(25 * MINUTE);
        h.slots.push(slot);
      },
    });
    h.scheduler.start();
    await h.clock.advance(45 * MINUTE); // to 10:45:30
    await h.scheduler.stop();
    assert.deepEqual(h.slots.map((s) => iso(s.scheduledAt)), ['2026-03-27T10:10:00.000Z', '2026-03-27T10:40:00.000Z']);
    const overlap = h.kinds('overlap');
    assert.equal(overlap.length, 1);
    const o = overlap[0]!;
    assert.ok(o.kind === 'overlap');
    assert.equal(iso(o.runningSlot), '2026-03-27T10:10:00.000Z');
    assert.deepEqual(o.skipped.map(iso), ['2026-03-27T10:20:00.000Z', '2026-03-27T10:30:00.000Z']);
    assert.equal(iso(o.finishedAt), '2026-03-27T10:35:00.000Z');
  });

  it('a cycle that throws is reported and the loop goes on', async () => {
    let calls = 0;
    const h = harness({
      onSlot: () => {
        calls++;
        throw new Error('boom');
      },
      onEvent: () => {
        throw new Error('a broken logger must not stop the loop either');
      },
    });
    h.scheduler.start();
    await h.clock.advance(25 * MINUTE);
    await h.scheduler.stop();
    assert.equal(calls, 2);
  });

  it('reports slot-failed with the error', async () => {
    const h = harness({ onSlot: () => Promise.reject(new Error('boom')) });
    h.scheduler.start();
    await h.clock.advance(10 * MINUTE);
    await h.scheduler.stop();
    const failed = h.kinds('slot-failed')[0];
    assert.ok(failed?.kind === 'slot-failed' && failed.error instanceof Error && failed.error.message === 'boom');
  });

  it('nextSlots lists the upcoming slots with their jittered starts', async () => {
    const h = harness({ jitterMs: MINUTE });
    const before = h.scheduler.nextSlots(3);
    assert.deepEqual(before.map((s) => iso(s.scheduledAt)), ['2026-03-27T10:10:00.000Z', '2026-03-27T10:20:00.000Z', '2026-03-27T10:30:00.000Z']);
    for (const s of before) assert.equal(s.startsAt.getTime() - s.scheduledAt.getTime(), s.jitterMs);
    h.scheduler.start();
    await h.clock.advance(15 * MINUTE);
    assert.equal(iso(h.scheduler.nextSlots(1)[0]!.scheduledAt), '2026-03-27T10:20:00.000Z');
    assert.equal(iso(h.scheduler.lastSlot!), '2026-03-27T10:10:00.000Z');
    // The plan shown is the plan run.
    await h.clock.advance(10 * MINUTE);
    await h.scheduler.stop();
    assert.equal(iso(h.slots[1]!.startedAt), iso(before[1]!.startsAt));
  });

  it('does not run a slot at start-up: the first slot is strictly in the future', async () => {
    const h = harness({ start: new Date('2026-03-27T10:10:00Z') });
    h.scheduler.start();
    await h.clock.advance(0);
    assert.equal(h.slots.length, 0);
    await h.clock.advance(10 * MINUTE);
    await h.scheduler.stop();
    assert.deepEqual(h.slots.map((s) => iso(s.scheduledAt)), ['2026-03-27T10:20:00.000Z']);
  });
});
