import assert from 'node:assert/strict';
import { mayCompleteRecovery, RecoveryFeed } from '../../src/chaos/recovery-feed.js';
import { LIVE_SAFETY_POLLS, watchRecovery } from '../../src/chaos/recovery.js';
import type { AppEvent, EventsItem, EventsSource } from '../../src/domain/ports.js';
import type { AfterKill } from '../../src/domain/record.js';
import { ManualClock } from '../../src/platform/clock.js';
import { testSettings } from '../helpers/settings.js';
import { aTuesdayMorning, app, captureLogger, FakeApps, killedButNotReplaced, replaced } from './fixtures.js';

const ev = (appId: string, type: string, more: Partial<AppEvent> = {}): AppEvent => ({ kind: 'event', appId, type, at: 0, ...more });

describe('mayCompleteRecovery: which events are worth a read', () => {
  const cases: [AppEvent, boolean | undefined, boolean][] = [
    [ev('/a', 'health_status_changed_event', { healthy: true }), true, true],
    [ev('/a', 'health_status_changed_event', { healthy: false }), true, false],
    [ev('/a', 'instance_health_changed_event', { healthy: null }), true, false],
    [ev('/a', 'status_update_event', { state: 'TASK_RUNNING' }), true, false],
    [ev('/a', 'status_update_event', { state: 'TASK_RUNNING' }), false, true],
    [ev('/a', 'instance_changed_event', { state: 'Running' }), undefined, true],
    [ev('/a', 'status_update_event', { state: 'TASK_KILLED' }), false, false],
    [ev('/a', 'instance_changed_event', { state: 'Provisioned' }), false, false],
    [ev('/a', 'deployment_success'), true, true],
    [ev('/a', 'deployment_info'), true, false],
    [ev('/a', 'app_terminated_event'), true, true],
  ];
  for (const [e, hc, want] of cases) {
    it(`${e.type} ${e.state ?? String(e.healthy ?? '')} (health checks: ${String(hc)}) → ${want}`, () => {
      assert.equal(mayCompleteRecovery(e, hc), want);
    });
  }
});

/** An EventsSource the test drives item by item. */
class FakeSource implements EventsSource {
  private push: ((item: EventsItem | undefined) => void) | undefined;
  private queue: (EventsItem | undefined)[] = [];
  follows: string[][] = [];
  failWith: Error | undefined;

  send(item: EventsItem | undefined): void {
    if (this.push) {
      const p = this.push;
      this.push = undefined;
      p(item);
    } else this.queue.push(item);
  }

  follow(appIds: readonly string[], signal: AbortSignal): AsyncIterable<EventsItem> {
    this.follows.push([...appIds]);
    signal.addEventListener('abort', () => this.send(undefined), { once: true });
    const next = (): Promise<EventsItem | undefined> => (this.queue.length > 0 ? Promise.resolve(this.queue.shift()) : new Promise((r) => (this.push = r)));
    const fail = this.failWith;
    return {
      async *[Symbol.asyncIterator]() {
        if (fail) throw fail;
        for (;;) {
          const item = await next();
          if (item === undefined) return;
          yield item;
        }
      },
    };
  }
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

describe('watchRecovery with a RecoveryFeed (ManualClock, fake stream)', () => {
  const POLL = 1000;
  const settings = testSettings({ recoveryPollMs: POLL, recentFailureMinutes: 10 });
  let clock: ManualClock;
  let source: FakeSource;
  let apps: FakeApps;
  let feed: RecoveryFeed;
  const healthy = app('/a');
  const killedId = healthy.tasks[0]!.id;
  const killedIds = new Set([killedId]);
  let recovered = false;

  beforeEach(() => {
    clock = new ManualClock(aTuesdayMorning);
    source = new FakeSource();
    apps = new FakeApps([healthy]);
    recovered = false;
    apps.getAppScript.set('/a', () => (recovered ? replaced(healthy, [killedId]) : killedButNotReplaced(healthy, [killedId])));
    feed = new RecoveryFeed(source, new Map([['/a', true]]), captureLogger().logger);
  });
  afterEach(async () => feed.close());

  const watch = (): Promise<AfterKill> =>
    watchRecovery(apps, '/a', killedIds, { clock, logger: captureLogger().logger, settings, killAnsweredAt: clock.now(), timeoutMs: 60_000, feed });

  it('live: reads only on an event that may complete the recovery (not on others, not on other apps)', async () => {
    source.send({ kind: 'up', at: 0 });
    await flush();
    const done = watch();
    await flush();
    assert.equal(apps.getCalls('/a'), 0, 'the first connection needs no re-sync read');
    source.send(ev('/a', 'status_update_event', { state: 'TASK_KILLED' }));
    source.send(ev('/b', 'health_status_changed_event', { healthy: true }));
    await clock.advance(3 * POLL);
    await flush();
    assert.equal(apps.getCalls('/a'), 0);
    source.send(ev('/a', 'health_status_changed_event', { healthy: true }));
    await flush();
    assert.equal(apps.getCalls('/a'), 1, 'not recovered yet: the read decides, not the event');
    recovered = true;
    await clock.advance(500);
    source.send(ev('/a', 'instance_health_changed_event', { healthy: true }));
    const after = await done;
    assert.equal(after.recovered, true);
    assert.equal(after.timeToRecoverMs, 3 * POLL + 500);
    assert.equal(after.polls, 2);
    assert.equal(after.recoveredVia, 'events');
  });

  it('live: a safety read every LIVE_SAFETY_POLLS × recoveryPollMs without events', async () => {
    source.send({ kind: 'up', at: 0 });
    await flush();
    const done = watch();
    await flush();
    recovered = true;
    await clock.advance(LIVE_SAFETY_POLLS * POLL - 1);
    await flush();
    assert.equal(apps.getCalls('/a'), 0);
    await clock.advance(1);
    const after = await done;
    assert.equal(after.timeToRecoverMs, LIVE_SAFETY_POLLS * POLL);
    assert.equal(after.recoveredVia, 'events');
  });

  it('down → polls every recoveryPollMs; up again → one re-sync read, then events: events+polling', async () => {
    source.send({ kind: 'down', at: 0, reason: 'answered 404' });
    await flush();
    const done = watch();
    await clock.advance(POLL);
    await flush();
    assert.equal(apps.getCalls('/a'), 1);
    await clock.advance(POLL / 2);
    source.send({ kind: 'up', at: 0 });
    await flush();
    assert.equal(apps.getCalls('/a'), 2, 'a re-sync read as soon as the stream is up (events may have been missed)');
    await clock.advance(POLL);
    await flush();
    assert.equal(apps.getCalls('/a'), 2, 'no polling while live');
    recovered = true;
    source.send(ev('/a', 'health_status_changed_event', { healthy: true }));
    const after = await done;
    assert.equal(after.recovered, true);
    assert.equal(after.recoveredVia, 'events+polling');
    assert.equal(after.polls, 3);
  });

  it('a stream lost mid-watch: polling resumes at once', async () => {
    source.send({ kind: 'up', at: 0 });
    await flush();
    const done = watch();
    await clock.advance(2 * POLL);
    source.send({ kind: 'down', at: 0, reason: 'the stream ended' });
    await flush();
    assert.equal(apps.getCalls('/a'), 1, 'the last read was long enough ago');
    recovered = true;
    await clock.advance(POLL);
    const after = await done;
    assert.equal(after.recovered, true);
    assert.equal(after.recoveredVia, 'polling');
  });

  it('a source that throws leaves the watch polling', async () => {
    await feed.close();
    source = new FakeSource();
    source.failWith = new Error('boom');
    feed = new RecoveryFeed(source, new Map([['/a', true]]), captureLogger().logger);
    await flush();
    assert.equal(feed.live, false);
    const done = watch();
    recovered = true;
    await clock.advance(POLL);
    const after = await done;
    assert.equal(after.recovered, true);
    assert.equal(after.recoveredVia, 'polling');
  });
});
