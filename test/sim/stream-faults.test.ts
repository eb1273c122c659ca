import assert from 'node:assert/strict';
import { request } from 'node:http';
import { ManualClock } from '../../src/platform/clock.js';
import { startSimulator, type RunningSim } from '../../src/sim/index.js';
import { getJson, killRequest, openSse, scenarioWith, sleep, until } from './helpers.js';

const t0 = Date.parse('2024-03-04T09:00:00.000Z');

describe('sim: event-stream faults (setStreamFaults, cutStreams)', () => {
  let sim: RunningSim;
  let clock: ManualClock;
  beforeEach(async () => {
    clock = new ManualClock(t0);
    sim = await startSimulator({ scenario: scenarioWith(), clock, sseHeartbeatMs: 10_000 });
  });
  afterEach(async () => sim.close());

  it('refuseStatus answers the stream with that status (404: a Marathon without the event stream), then serves it again', async () => {
    sim.setStreamFaults({ refuseStatus: 404 });
    const refused = await openSse(`${sim.marathonUrl}/v2/events`);
    assert.equal(refused.status, 404);
    await refused.ended;
    assert.equal((await getJson(`${sim.marathonUrl}/v2/apps/shop/cart`)).status, 200, 'the rest of the API is unaffected');
    sim.setStreamFaults({ refuseStatus: null });
    const ok = await openSse(`${sim.marathonUrl}/v2/events`);
    assert.equal(ok.status, 200);
    ok.close();
    assert.throws(() => sim.setStreamFaults({ refuseStatus: 200 }), RangeError);
  });

  it('buffered: the request is accepted but not a byte arrives', async () => {
    sim.setStreamFaults({ buffered: true });
    let gotHead = false;
    const req = request(`${sim.marathonUrl}/v2/events`, { headers: { accept: 'text/event-stream' } }, () => (gotHead = true));
    req.on('error', () => undefined);
    req.end();
    // The request must have reached the simulator, or "nothing arrived" would prove nothing; then a
    // window in which an unbuffered stream would long have sent its head (it does at once).
    await until(() => sim.requestLog.some((r) => r.path === '/v2/events'), 'the stream request');
    await sleep(80);
    assert.equal(gotHead, false);
    assert.equal(sim.cutStreams(), 1);
    req.destroy();
  });

  it('cutStreams closes every open stream', async () => {
    const a = await openSse(`${sim.marathonUrl}/v2/events`);
    const b = await openSse(`${sim.marathonUrl}/v2/events`);
    await a.waitFor((f) => f.event === 'event_stream_attached');
    assert.equal(sim.cutStreams(), 2);
    await Promise.all([a.ended, b.ended]);
  });

  it('reverseWindowMs holds events and sends each window newest first', async () => {
    sim.setStreamFaults({ reverseWindowMs: 40 });
    const sse = await openSse(`${sim.marathonUrl}/v2/events?event_type=event_stream_attached&event_type=status_update_event`);
    await sse.waitFor((f) => f.event === 'event_stream_attached');
    const task = (await getJson(`${sim.marathonUrl}/v2/apps/shop/cart`)).body.app.tasks[0] as { id: string };
    await killRequest(sim.marathonUrl, [task.id]);
    for (let i = 0; i < 5; i++) {
      await clock.advance(100);
      sim.cluster.advance();
    }
    await sse.waitFor((f) => f.data.taskStatus === 'TASK_KILLING');
    sse.close();
    const statuses = sse.frames.slice(1).map((f) => f.data.taskStatus as string);
    assert.deepEqual(statuses, ['TASK_RUNNING', 'TASK_STARTING', 'TASK_KILLED', 'TASK_KILLING']);
  });
});
