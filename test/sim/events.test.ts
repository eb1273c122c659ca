/* eslint-disable @typescript-eslint/no-unsafe-call --
   these tests walk raw JSON from the wire on purpose. */
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/platform/clock.js';
import { startSimulator, type RunningSim } from '../../src/sim/index.js';
import { getJson, killRequest, openSse, scenarioWith } from './helpers.js';

const t0 = Date.parse('2024-03-04T09:00:00.000Z');

describe('sim: GET /v2/events (docs/marathon-api.md §10)', () => {
  let sim: RunningSim;
  let clock: ManualClock;
  beforeEach(async () => {
    clock = new ManualClock(t0);
    sim = await startSimulator({ scenario: scenarioWith(), clock, sseHeartbeatMs: 30 });
  });
  afterEach(async () => sim.close());

  it('rejects anything but exactly `Accept: text/event-stream` with a 405 HTML page', async () => {
    for (const accept of ['application/json', 'text/event-stream, */*', '*/*']) {
      const res = await fetch(`${sim.marathonUrl}/v2/events`, { headers: { accept } });
      assert.equal(res.status, 405, accept);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      await res.text();
    }
  });

  it('CRLF frames, own event_stream_attached first, bare CRLF heartbeats', async () => {
    const sse = await openSse(`${sim.marathonUrl}/v2/events`);
    assert.equal(sse.status, 200);
    assert.equal(sse.headers['content-type'], 'text/event-stream;charset=UTF-8');
    assert.equal(sse.headers['x-marathon-leader'], sim.marathonUrl);
    // Wait for the first heartbeat: the bare CRLF after the attach frame.
    await sse.waitForRaw((text) => {
      const end = text.indexOf('\r\n\r\n');
      return end >= 0 && text.length >= end + 6;
    });
    sse.close();
    const raw = sse.raw();
    assert.match(raw, /^event: event_stream_attached\r\ndata: \{[^\r\n]*\}\r\n\r\n/);
    assert.equal(sse.frames[0]!.data.remoteAddress, '127.0.0.1');
    assert.ok(raw.slice(raw.indexOf('\r\n\r\n') + 4).startsWith('\r\n'), 'a heartbeat follows');
  });

  /** Kills /shop/cart's first task and moves time through its relaunch (100 ms steps). */
  async function killFirstCartTaskAndStepTime(): Promise<{ id: string }> {
    const task = (await getJson(`${sim.marathonUrl}/v2/apps/shop/cart`)).body.app.tasks[0] as { id: string };
    await killRequest(sim.marathonUrl, [task.id]);
    for (let i = 0; i < 5; i++) {
      await clock.advance(100);
      sim.cluster.advance();
    }
    return task;
  }

  it('emits the kill → relaunch sequence for the instance, in order', async () => {
    const sse = await openSse(`${sim.marathonUrl}/v2/events`);
    await sse.waitFor((f) => f.event === 'event_stream_attached');
    const task = await killFirstCartTaskAndStepTime();
    await sse.waitFor((f) => f.event === 'health_status_changed_event');
    sse.close();
    const seq = sse.frames.slice(1).map((f) => `${f.event}:${f.data.taskStatus ?? f.data.condition ?? f.data.alive ?? f.data.healthy}`);
    assert.deepEqual(seq, [
      'status_update_event:TASK_KILLING',
      'instance_changed_event:Killing',
      'status_update_event:TASK_KILLED',
      'instance_changed_event:Killed',
      'instance_health_changed_event:null',
      'instance_changed_event:Provisioned',
      'status_update_event:TASK_STARTING',
      'instance_changed_event:Starting',
      'status_update_event:TASK_RUNNING',
      'instance_changed_event:Running',
      'instance_health_changed_event:true',
      'health_status_changed_event:true',
    ]);
    const instanceId = task.id.replace(/\._app\.1$/, '');
    assert.ok(sse.frames.slice(1).every((f) => (f.data.instanceId ?? f.data.taskId).startsWith(instanceId)));
    assert.equal(sse.frames.find((f) => f.data.taskStatus === 'TASK_RUNNING')!.data.taskId, `${instanceId}._app.2`);
    assert.equal(sse.frames.find((f) => f.data.taskStatus === 'TASK_KILLED')!.data.timestamp, new Date(t0 + 100).toISOString());
  });

  it('event_type filters (repeatable, exact match)', async () => {
    const sse = await openSse(`${sim.marathonUrl}/v2/events?event_type=status_update_event&event_type=health_status_changed_event`);
    await killFirstCartTaskAndStepTime();
    await sse.waitFor((f) => f.event === 'health_status_changed_event');
    sse.close();
    assert.deepEqual([...new Set(sse.frames.map((f) => f.event))].sort(), ['health_status_changed_event', 'status_update_event']);
  });
});
