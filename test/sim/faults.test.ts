import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startSimulator, type RunningSim } from '../../src/sim/index.js';
import { getJson, scenarioWith } from './helpers.js';

describe('sim: fault injection', () => {
  let sim: RunningSim | undefined;
  let other: RunningSim | undefined;
  afterEach(async () => {
    await sim?.close();
    await other?.close();
    sim = other = undefined;
  });

  it('latencyMs delays answers', async () => {
    sim = await startSimulator({ scenario: scenarioWith((r) => (r.faults = { latencyMs: 80 })) });
    const started = performance.now();
    assert.equal((await getJson(`${sim.marathonUrl}/v2/apps`)).status, 200);
    assert.ok(performance.now() - started >= 75);
  });

  it('errorRate 1 answers errorStatus with an HTML page; routes limit the faults to path prefixes', async () => {
    sim = await startSimulator({ scenario: scenarioWith((r) => (r.faults = { errorRate: 1, errorStatus: 503, routes: ['/v2/apps'] })) });
    const res = await fetch(`${sim.marathonUrl}/v2/apps`);
    assert.equal(res.status, 503);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    await res.text();
    assert.equal((await getJson(`${sim.marathonUrl}/v2/info`)).status, 200, '/v2/info is outside the faulty routes');
  });

  it('a partial error rate follows a sequence derived from the seed', async () => {
    const scenario = scenarioWith((r) => (r.faults = { errorRate: 0.5 }));
    sim = await startSimulator({ scenario });
    other = await startSimulator({ scenario });
    const statuses = async (s: RunningSim): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < 20; i++) out.push((await getJson(`${s.marathonUrl}/v2/queue`)).status);
      return out;
    };
    const a = await statuses(sim);
    assert.deepEqual(await statuses(other), a);
    assert.ok(a.includes(200) && a.includes(503), a.join(','));
  });

  it('noLeader fault: 502 after the hold, even though a leader exists', async () => {
    sim = await startSimulator({ scenario: scenarioWith((r) => (r.faults = { noLeader: true })), noLeaderHoldMs: 30 });
    const res = await fetch(`${sim.marathonUrl}/v2/apps`);
    assert.equal(res.status, 502);
    assert.match(await res.text(), /Could not determine the current leader/);
    sim.setFaults({ noLeader: false });
    assert.equal((await getJson(`${sim.marathonUrl}/v2/apps`)).status, 200);
  });

  it('malformedJson: 200 with a body that does not parse', async () => {
    sim = await startSimulator({ scenario: scenarioWith() });
    sim.setFaults({ malformedJson: true });
    const res = await fetch(`${sim.marathonUrl}/v2/apps`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    await assert.rejects(res.json(), SyntaxError);
  });

  it('truncatedJson: a valid prefix, then the connection ends', async () => {
    sim = await startSimulator({ scenario: scenarioWith() });
    sim.setFaults({ truncatedJson: true });
    const url = `${sim.marathonUrl}/v2/apps?embed=apps.tasks`;
    const received = await new Promise<{ status: number; text: string; aborted: boolean }>((resolve) => {
      request(url, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('error', () => resolve({ status: res.statusCode ?? 0, text, aborted: true }));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, aborted: false }));
      }).end();
    });
    assert.equal(received.status, 200);
    assert.ok(received.aborted, 'the response ended early');
    assert.ok(received.text.startsWith('{"apps":['));
  });

  it('dropConnections: the socket closes without an answer', async () => {
    sim = await startSimulator({ scenario: scenarioWith() });
    sim.setFaults({ dropConnections: true });
    await assert.rejects(fetch(`${sim.marathonUrl}/v2/apps`));
    sim.setFaults({ dropConnections: false });
    assert.equal((await getJson(`${sim.marathonUrl}/v2/apps`)).status, 200);
  });

  it('setFaults validates its input', async () => {
    sim = await startSimulator({ scenario: scenarioWith() });
    assert.throws(() => sim!.setFaults({ errorRate: 2 }), /faults\.errorRate/);
  });

  it('a standby Mesos master answers 307 with a protocol-relative Location', async () => {
    sim = await startSimulator({ scenario: scenarioWith((r) => (r.mesos = { standbyMasters: 1 })) });
    const res = await fetch(`${sim.mesosStandbyUrls[0]}/master/slaves`, { redirect: 'manual' });
    assert.equal(res.status, 307);
    assert.equal(res.headers.get('location'), `${sim.mesosUrl.replace(/^http:/, '')}/master/slaves`);
  });
});
