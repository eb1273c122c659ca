import assert from 'node:assert/strict';
import { startSimulator, type RunningSim } from '../../src/sim/index.js';
import { getJson, killRequest, openSse, scenarioWith, until } from './helpers.js';

describe('sim: HA Marathon leader behaviour (docs/marathon-api.md §3)', () => {
  let sim: RunningSim;
  beforeEach(async () => {
    sim = await startSimulator({ scenario: scenarioWith((r) => (r.marathon = { instances: 3 })), noLeaderHoldMs: 60 });
  });
  afterEach(async () => sim.close());

  it('serves on the leader with X-Marathon-Leader and no-cache headers', async () => {
    assert.equal(sim.marathonUrls.length, 3);
    assert.equal(sim.marathonUrl, sim.marathonUrls[0]);
    const res = await getJson(`${sim.marathonUrl}/v2/apps`);
    assert.equal(res.headers.get('x-marathon-leader'), sim.marathonUrl);
    assert.equal(res.headers.get('cache-control'), 'no-cache, no-store, must-revalidate');
    assert.equal(res.headers.get('pragma'), 'no-cache');
    assert.equal(res.headers.get('expires'), '0');
    assert.equal(res.headers.get('x-marathon-via'), null);
  });

  it('a standby proxies to the leader (X-Marathon-Via) including kills with a body', async () => {
    const standby = sim.marathonUrls[2]!;
    const res = await getJson(`${standby}/v2/apps/shop/cart`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-marathon-leader'), sim.marathonUrl);
    assert.match(res.headers.get('x-marathon-via') ?? '', /^1\.1 127\.0\.0\.1:\d+$/);
    const kill = await killRequest(standby, [res.body.app.tasks[0].id]);
    assert.equal(kill.status, 200);
    assert.equal(kill.body.tasks.length, 1);
    assert.deepEqual(
      sim.requestLog.filter((r) => r.path === '/v2/tasks/delete').map((r) => r.instance),
      [2, 0],
      'received by the standby, served by the leader',
    );
    const info = (await getJson(`${standby}/v2/info`)).body;
    assert.equal(info.elected, true, 'elected refers to the instance that answered (the leader)');
    assert.equal(`http://${info.leader}`, sim.marathonUrl);
  });

  it('setLeader moves leadership; /v2/leader and the header follow', async () => {
    sim.setLeader(1);
    const res = await getJson(`${sim.marathonUrls[0]}/v2/leader`);
    assert.equal(`http://${res.body.leader}`, sim.marathonUrls[1]);
    assert.equal(res.headers.get('x-marathon-leader'), sim.marathonUrls[1]);
    assert.throws(() => sim.setLeader(7), RangeError);
  });

  it('standby answers /v2/events with 302 to the leader', async () => {
    const res = await fetch(`${sim.marathonUrls[1]}/v2/events?event_type=status_update_event`, { headers: { accept: 'text/event-stream' }, redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), `${sim.marathonUrl}/v2/events?event_type=status_update_event`);
    await res.body?.cancel();
  });

  it('no leader: holds the request, then 502 HTML "Could not determine the current leader"', async () => {
    sim.setLeader(null);
    for (const url of sim.marathonUrls) {
      const started = performance.now();
      const res = await fetch(`${url}/v2/apps`);
      const took = performance.now() - started;
      assert.equal(res.status, 502);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(await res.text(), /Could not determine the current leader/);
      assert.ok(took >= 50, `held for ${took} ms`);
    }
  });

  it('a leader elected during the hold answers the held request', async () => {
    sim.setLeader(null);
    const pending = getJson(`${sim.marathonUrls[2]}/v2/info`);
    await until(() => sim.requestLog.some((r) => r.path === '/v2/info' && r.instance === 2), 'the request to be held');
    sim.setLeader(1);
    const res = await pending;
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-marathon-leader'), sim.marathonUrls[1]);
  });

  it('abdication closes the old leader\'s event streams', async () => {
    const sse = await openSse(`${sim.marathonUrl}/v2/events`);
    await sse.waitFor((f) => f.event === 'event_stream_attached');
    sim.setLeader(2);
    await sse.ended;
    sse.close();
  });
});
