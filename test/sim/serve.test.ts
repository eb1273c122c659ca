/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument --
   these tests walk raw JSON from the wire on purpose: the point is to check what the simulator sends, not a typed view of it. */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { ScenarioError } from '../../src/errors.js';
import { ManualClock } from '../../src/platform/clock.js';
import { runSimCommand } from '../../src/sim/command.js';
import { loadScenario, parseScenario, startSimulator, type RunningSim, type Scenario } from '../../src/sim/index.js';
import { baseRaw, getJson, killRequest } from './helpers.js';

const start = Date.parse('2024-03-04T09:00:00.000Z');

/** The base cluster (100 ms steps) with one serving app added. */
function serving(app: Record<string, unknown>): Scenario {
  const raw = baseRaw();
  (raw.apps as Record<string, unknown>[]).push({ instances: 3, cmd: './serve', ...app });
  return parseScenario(raw, 'serve-test');
}

const HTTP_APP = {
  id: '/web/api',
  labels: { 'monkey.probe.http': '${service}', port: '${service.port}' },
  healthChecks: [{ protocol: 'MESOS_HTTP', path: '/health' }],
  serve: { http: { path: '/health' } },
};
const ECHO_APP = {
  id: '/net/echo',
  labels: { 'monkey.probe.tcp': '${service}' },
  healthChecks: [{ protocol: 'MESOS_TCP' }],
  serve: { tcp: { echo: true } },
};

interface Answer {
  status?: number;
  body?: any;
  backend?: string | undefined;
  error?: string;
}

/** One GET without connection reuse: each request sees the endpoint as it is now. */
function get(url: string): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: 1000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, body, backend: res.headers['x-sim-backend'] as string | undefined });
      });
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end();
  });
}

interface TcpResult {
  connected: boolean;
  echoed: string;
  /** The peer closed (or reset) before the wait was over. */
  closed: boolean;
  error?: string;
}

/** Connects, sends a line, collects what comes back for `waitMs` (or until the line is back). */
function tcpLine(port: number, line: string, waitMs = 150): Promise<TcpResult> {
  return new Promise((resolve) => {
    const out: TcpResult = { connected: false, echoed: '', closed: false };
    const s = connect(port, '127.0.0.1');
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve(out);
    };
    const timer = setTimeout(finish, waitMs);
    s.on('connect', () => {
      out.connected = true;
      s.write(`${line}\n`);
    });
    s.on('data', (d: Buffer) => {
      out.echoed += d.toString('utf8');
      if (out.echoed.includes('\n')) finish();
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      out.error = e.code ?? e.message;
      out.closed = true;
      finish();
    });
    s.on('close', () => {
      out.closed = true;
      finish();
    });
  });
}

describe('sim: serving apps (real task and service endpoints on 127.0.0.1)', () => {
  let sim: RunningSim | undefined;
  let clock: ManualClock;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  async function boot(scenario: Scenario): Promise<RunningSim> {
    clock = new ManualClock(start);
    sim = await startSimulator({ scenario, clock });
    return sim;
  }
  async function app(s: RunningSim, id: string): Promise<any> {
    return (await getJson(`${s.marathonUrl}/v2/apps${id}`)).body.app;
  }
  const taskUrl = (t: any): string => `http://${t.host}:${t.ports[0]}/health`;
  /** Steps the clock in 100 ms (the base timings) and reads the app at each step, so transitions apply. */
  async function step(s: RunningSim, id: string, ms: number): Promise<any> {
    for (let done = 0; done < ms; done += 100) {
      await clock.advance(Math.min(100, ms - done));
      await app(s, id);
    }
    return app(s, id);
  }

  it('a running task answers at http://<host>:<ports[0]>/health; a killed task stops; its relaunch answers again', async () => {
    const s = await boot(serving(HTTP_APP));
    const a = await app(s, '/web/api');
    assert.equal(a.tasks.length, 3);
    for (const t of a.tasks) {
      assert.equal(t.host, '127.0.0.1', 'serving tasks report the host their endpoint listens on');
      assert.deepEqual(t.ipAddresses, [{ ipAddress: '127.0.0.1', protocol: 'IPv4' }]);
      assert.match(t.slaveId, /-S\d$/, 'the task stays on its simulated agent (racks, zones and the Mesos join)');
      const r = await get(taskUrl(t));
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { taskId: t.id, state: 'ready' });
    }
    assert.equal((await get(`http://127.0.0.1:${a.tasks[0].ports[0]}/other`)).status, 404);
    // An app that does not serve keeps its agent's host and ports.
    const cart = await app(s, '/shop/cart');
    assert.match(cart.tasks[0].host, /^10\.0\.0\.\d$/);

    const victim = a.tasks[0];
    await killRequest(s.marathonUrl, [victim.id]);
    assert.equal((await app(s, '/web/api')).tasks[0].state, 'TASK_KILLING');
    assert.equal((await get(taskUrl(victim))).error, 'ECONNREFUSED', 'the endpoint closes with the kill');

    let t = (await step(s, '/web/api', 200)).tasks[0];
    assert.equal(t.state, 'TASK_STAGING');
    assert.equal((await get(`http://127.0.0.1:${victim.ports[0]}/health`)).error, 'ECONNREFUSED', 'nothing listens while staged');
    t = (await step(s, '/web/api', 200)).tasks[0];
    assert.equal(t.state, 'TASK_RUNNING');
    assert.equal(t.ports[0], victim.ports[0], 'an instance keeps its port across incarnations');
    const starting = await get(taskUrl(t));
    assert.equal(starting.status, 503);
    assert.deepEqual(starting.body, { taskId: t.id, state: 'starting' });
    t = (await step(s, '/web/api', 100)).tasks[0];
    assert.equal(t.healthCheckResults[0].alive, true);
    assert.deepEqual(await get(taskUrl(t)), { status: 200, body: { taskId: t.id, state: 'ready' }, backend: undefined });
  });

  it('a wiped task is replaced by a new instance that serves on a port of its own', async () => {
    const s = await boot(serving(HTTP_APP));
    const a = await app(s, '/web/api');
    const victim = a.tasks[0];
    await killRequest(s.marathonUrl, [victim.id], '?wipe=true');
    const after = await step(s, '/web/api', 200);
    assert.equal(after.tasks.length, 3);
    const fresh = after.tasks.find((t: any) => !a.tasks.some((o: any) => o.id === t.id));
    assert.equal(fresh.state, 'TASK_STAGING');
    await new Promise((r) => setTimeout(r, 20)); // the new instance's port is taken in real time
    const running = (await step(s, '/web/api', 300)).tasks.find((t: any) => t.id === fresh.id);
    assert.equal(running.state, 'TASK_RUNNING');
    assert.notEqual(running.ports[0], victim.ports[0]);
    assert.equal((await get(taskUrl(running))).status, 200);
    assert.equal((await get(taskUrl(victim))).error, 'ECONNREFUSED');
  });

  it('answers as the health state says: unhealthy and never-healthy are 503, no health checks is 200', async () => {
    const raw = baseRaw();
    (raw.apps as Record<string, unknown>[]).push(
      { ...HTTP_APP, id: '/web/sick', instances: 2, unhealthy: true },
      { ...HTTP_APP, id: '/web/never', instances: 1, weakness: 'never-healthy' },
      { id: '/web/plain', instances: 1, serve: { http: {} } },
    );
    const s = await boot(parseScenario(raw, 'health'));
    const sick = await app(s, '/web/sick');
    assert.deepEqual((await get(taskUrl(sick.tasks[0]))).body, { taskId: sick.tasks[0].id, state: 'unhealthy' });
    assert.equal((await get(taskUrl(sick.tasks[0]))).status, 503);
    assert.equal((await get(taskUrl(sick.tasks[1]))).status, 200);
    const plain = await app(s, '/web/plain');
    assert.equal((await get(taskUrl(plain.tasks[0]))).status, 200, 'the default path is /health');

    const never = await app(s, '/web/never');
    assert.equal((await get(taskUrl(never.tasks[0]))).status, 200, 'placed at start: healthy');
    await killRequest(s.marathonUrl, [never.tasks[0].id]);
    const t = (await step(s, '/web/never', 500)).tasks[0];
    assert.equal(t.state, 'TASK_RUNNING');
    assert.equal(t.healthCheckResults[0].alive, false);
    assert.deepEqual((await get(taskUrl(t))).body, { taskId: t.id, state: 'unhealthy' });
  });

  it('the service endpoint is in the labels and balances round-robin over the tasks in rotation', async () => {
    const s = await boot(serving(HTTP_APP));
    const a = await app(s, '/web/api');
    const url = a.labels['monkey.probe.http'];
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/health$/);
    assert.equal(a.labels.port, new URL(url).port);
    const list = (await getJson(`${s.marathonUrl}/v2/apps?embed=apps.tasks`)).body.apps.find((x: any) => x.id === '/web/api');
    assert.equal(list.labels['monkey.probe.http'], url, 'the listing carries the same labels');

    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await get(url);
      assert.equal(r.status, 200);
      seen.push(r.backend as string);
    }
    const ids = a.tasks.map((t: any) => t.id);
    assert.deepEqual([...seen].sort(), [...ids, ...ids].sort(), 'each task twice');
    assert.deepEqual(seen.slice(3), seen.slice(0, 3), 'in turn');

    // Without lb-lag a killed task leaves the rotation at once; its relaunch joins once healthy.
    await killRequest(s.marathonUrl, [ids[0]]);
    for (let i = 0; i < 4; i++) {
      const r = await get(url);
      assert.equal(r.status, 200);
      assert.notEqual(r.backend, ids[0]);
    }
    const back = await step(s, '/web/api', 500);
    const relaunched = back.tasks[0].id;
    const after = new Set<string>();
    for (let i = 0; i < 3; i++) after.add((await get(url)).backend as string);
    assert.ok(after.has(relaunched), 'the relaunched task is back in rotation');
  });

  it('lb-lag: the balancer routes to the killed task for N s, errors while the listing already shows recovery', async () => {
    const s = await boot(serving({ ...HTTP_APP, weakness: { kind: 'lb-lag', seconds: 2 } }));
    const a = await app(s, '/web/api');
    const url = a.labels['monkey.probe.http'];
    const victim = a.tasks[0].id;
    await killRequest(s.marathonUrl, [victim]);
    const recovered = await step(s, '/web/api', 500);
    assert.equal(recovered.tasksRunning, 3);
    assert.equal(recovered.tasksHealthy, 3, 'Marathon reports the app recovered');

    const answers: Answer[] = [];
    for (let i = 0; i < 8; i++) answers.push(await get(url));
    const errors = answers.filter((r) => r.status === 502);
    assert.equal(errors.length, 2, 'one request in four goes to the dead task');
    for (const e of errors) assert.equal(e.backend, victim);
    assert.equal(answers.filter((r) => r.status === 200).length, 6);

    await clock.advance(1500); // 2 s after the kill
    for (let i = 0; i < 6; i++) assert.equal((await get(url)).status, 200);
  });

  /** `workers` loops sending `once()` back to back until stopped; every answer is kept. */
  function steadyTraffic<T>(workers: number, once: () => Promise<T>): { sent: () => number; stop: () => Promise<T[]> } {
    const seen: T[] = [];
    let stopped = false;
    const loops = Array.from({ length: workers }, async () => {
      while (!stopped) seen.push(await once());
    });
    return {
      sent: () => seen.length,
      stop: async () => {
        stopped = true;
        await Promise.all(loops);
        return seen;
      },
    };
  }

  /** Waits (real time, briefly) until the traffic sent `n` more requests. */
  async function more(traffic: { sent: () => number }, n: number): Promise<void> {
    const target = traffic.sent() + n;
    for (let i = 0; i < 2000 && traffic.sent() < target; i++) await new Promise<void>((r) => setTimeout(r, 1));
  }

  /** Kills one task at a time under the traffic (each kill in the middle of requests), steps until the app is whole again. */
  async function killsUnderTraffic(s: RunningSim, id: string, kills: number, traffic: { sent: () => number }): Promise<void> {
    for (let k = 0; k < kills; k++) {
      const a = await app(s, id);
      await more(traffic, 5);
      await Promise.all([killRequest(s.marathonUrl, [a.tasks[k % a.tasks.length].id]), more(traffic, 10)]);
      let now = a;
      for (let i = 0; i < 20 && !(i > 0 && now.tasksHealthy === 3 && now.tasksRunning === 3); i++) {
        now = await step(s, id, 100);
        await more(traffic, 5);
      }
      assert.equal(now.tasksHealthy, 3, `whole again after kill ${k + 1}`);
    }
  }

  it('without lb-lag, kills under steady traffic through the HTTP service cost no request: out of rotation at the SIGTERM, in-flight requests finish', async () => {
    const s = await boot(serving(HTTP_APP));
    const url = (await app(s, '/web/api')).labels['monkey.probe.http'] as string;
    const traffic = steadyTraffic(6, () => get(url));
    await killsUnderTraffic(s, '/web/api', 6, traffic);
    const answers = await traffic.stop();
    assert.ok(answers.length > 200, `${answers.length} requests`);
    assert.deepEqual(
      answers.filter((r) => r.status !== 200),
      [],
    );
  });

  it('without lb-lag, kills under steady traffic through the TCP echo service drop no connection', async () => {
    const s = await boot(serving(ECHO_APP));
    const port = Number(((await app(s, '/net/echo')).labels['monkey.probe.tcp'] as string).split(':')[1]);
    const traffic = steadyTraffic(6, () => tcpLine(port, 'hi', 500));
    await killsUnderTraffic(s, '/net/echo', 6, traffic);
    const results = await traffic.stop();
    assert.ok(results.length > 200, `${results.length} connections`);
    assert.deepEqual(
      results.filter((r) => r.echoed !== 'hi\n'),
      [],
    );
  });

  it('with lb-lag, the same traffic errs: the balancer keeps sending requests to the dead task', async () => {
    const s = await boot(serving({ ...HTTP_APP, weakness: { kind: 'lb-lag', seconds: 30 } }));
    const url = (await app(s, '/web/api')).labels['monkey.probe.http'] as string;
    const traffic = steadyTraffic(6, () => get(url));
    await killsUnderTraffic(s, '/web/api', 2, traffic);
    const answers = await traffic.stop();
    const errors = answers.filter((r) => r.status !== 200);
    assert.ok(errors.length > 0 && errors.every((r) => r.status === 502), JSON.stringify(errors.slice(0, 3)));
  });

  it('lb-lag on a TCP service: a connection routed to the killed task is dropped without an echo', async () => {
    const s = await boot(serving({ ...ECHO_APP, weakness: { kind: 'lb-lag', seconds: 1 } }));
    const a = await app(s, '/net/echo');
    const port = Number((a.labels['monkey.probe.tcp'] as string).split(':')[1]);
    await killRequest(s.marathonUrl, [a.tasks[1].id]);
    assert.equal((await step(s, '/net/echo', 500)).tasksHealthy, 3);
    const results: TcpResult[] = [];
    for (let i = 0; i < 4; i++) results.push(await tcpLine(port, 'hi', 100));
    assert.equal(results.filter((r) => r.echoed === 'hi\n').length, 3);
    const dropped = results.filter((r) => r.echoed === '');
    assert.equal(dropped.length, 1);
    assert.equal(dropped[0]?.closed, true, 'dropped, not held');
    await clock.advance(500);
    for (let i = 0; i < 4; i++) assert.equal((await tcpLine(port, 'hi')).echoed, 'hi\n');
  });

  it('a kept-alive connection to a task is cut when the task is killed', async () => {
    const s = await boot(serving(HTTP_APP));
    const t = (await app(s, '/web/api')).tasks[0];
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await new Promise<number>((resolve, reject) => {
        request(taskUrl(t), { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
          .on('error', reject)
          .end();
      });
      assert.equal(first, 200);
      await killRequest(s.marathonUrl, [t.id]);
      const second = await new Promise<string>((resolve) => {
        request(taskUrl(t), { agent }, (res) => resolve(`status ${res.statusCode ?? 0}`))
          .on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message))
          .end();
      });
      assert.match(second, /^(ECONNREFUSED|ECONNRESET|socket hang up)$/);
    } finally {
      agent.destroy();
    }
  });

  it('a graceful stop: a request the task began receiving before its kill is answered (and the connection closed); TASK_KILLED cuts what is left', async () => {
    const s = await boot(serving(HTTP_APP));
    const [t, other] = (await app(s, '/web/api')).tasks;
    const open = (task: any): Promise<{ socket: ReturnType<typeof connect>; text: () => string; closed: Promise<void> }> =>
      new Promise((resolve, reject) => {
        const socket = connect(task.ports[0], '127.0.0.1');
        let text = '';
        socket.setEncoding('utf8');
        socket.on('data', (d: string) => (text += d));
        socket.on('error', () => undefined);
        const closed = new Promise<void>((r) => socket.on('close', () => r()));
        socket.on('connect', () => resolve({ socket, text: () => text, closed }));
        socket.on('error', reject);
      });
    // Half a request each, so the server is in the middle of reading it when the kill comes.
    const inFlight = await open(t);
    inFlight.socket.write('GET /health HTTP/1.1\r\nHost: task\r\n');
    const cutLater = await open(other);
    cutLater.socket.write('GET /health HTTP/1.1\r\nHost: task\r\n');
    await new Promise((r) => setTimeout(r, 20));
    await killRequest(s.marathonUrl, [t.id, other.id]);
    assert.equal((await get(taskUrl(t))).error, 'ECONNREFUSED', 'no new connection after the SIGTERM');
    inFlight.socket.write('\r\n');
    await inFlight.closed;
    assert.match(inFlight.text(), /^HTTP\/1\.1 200 /);
    assert.match(inFlight.text(), /connection: close/i);
    assert.match(inFlight.text(), new RegExp(`"taskId":"${t.id}"`));
    // The grace period ends (TASK_KILLED): the unfinished request's connection is cut.
    await step(s, '/web/api', 100);
    await cutLater.closed;
    assert.equal(cutLater.text(), '');
  });

  it('slow-warmup: a relaunched task answers 503 for N s after TASK_RUNNING, while Marathon calls it healthy', async () => {
    const s = await boot(serving({ ...HTTP_APP, weakness: { kind: 'slow-warmup', seconds: 1 } }));
    const a = await app(s, '/web/api');
    assert.equal((await get(taskUrl(a.tasks[1]))).status, 200, 'tasks placed at start are warm');
    await killRequest(s.marathonUrl, [a.tasks[0].id]);
    const t = (await step(s, '/web/api', 500)).tasks[0];
    assert.equal(t.state, 'TASK_RUNNING');
    assert.equal(t.healthCheckResults[0].alive, true);
    const warming = await get(taskUrl(t));
    assert.equal(warming.status, 503);
    assert.deepEqual(warming.body, { taskId: t.id, state: 'warming-up' });
    const started = Date.parse(t.startedAt);
    await clock.advance(started + 999 - clock.now());
    assert.equal((await get(taskUrl(t))).status, 503);
    await clock.advance(1);
    assert.equal((await get(taskUrl(t))).status, 200);
  });

  it('a TCP echo task echoes lines, and so does its service; echo-broken: a relaunched task accepts but never echoes', async () => {
    const s = await boot(serving({ ...ECHO_APP, weakness: 'echo-broken' }));
    const a = await app(s, '/net/echo');
    const service = a.labels['monkey.probe.tcp'] as string;
    assert.match(service, /^127\.0\.0\.1:\d+$/);
    const servicePort = Number(service.split(':')[1]);
    for (const t of a.tasks) assert.deepEqual(await tcpLine(t.ports[0], 'hello'), { connected: true, echoed: 'hello\n', closed: false });
    for (let i = 0; i < 3; i++) assert.equal((await tcpLine(servicePort, `via ${i}`)).echoed, `via ${i}\n`);

    await killRequest(s.marathonUrl, [a.tasks[0].id]);
    const gone = await tcpLine(a.tasks[0].ports[0], 'x');
    assert.equal(gone.connected, false);
    assert.equal(gone.error, 'ECONNREFUSED');
    const t = (await step(s, '/net/echo', 500)).tasks[0];
    assert.equal(t.state, 'TASK_RUNNING');
    assert.equal(t.healthCheckResults[0].alive, true);
    const broken = await tcpLine(t.ports[0], 'hello', 200);
    assert.equal(broken.connected, true, 'it accepts');
    assert.equal(broken.echoed, '', 'but never echoes');
    assert.equal(broken.closed, false, 'and holds the connection');
    const viaService: string[] = [];
    for (let i = 0; i < 3; i++) viaService.push((await tcpLine(servicePort, 'ping', 100)).echoed);
    assert.deepEqual([...viaService].sort(), ['', 'ping\n', 'ping\n'], 'one task in three behind the service is silent');
  });

  it('closing the simulator closes every task and service endpoint, and open connections', async () => {
    const s = await boot(serving(ECHO_APP));
    const a = await app(s, '/net/echo');
    const ports: number[] = [...a.tasks.map((t: any) => t.ports[0] as number), Number((a.labels['monkey.probe.tcp'] as string).split(':')[1])];
    const held = connect(ports[0] as number, '127.0.0.1');
    const heldClosed = new Promise<void>((resolve) => held.on('close', () => resolve()));
    held.on('error', () => undefined);
    await new Promise<void>((resolve) => held.on('connect', () => resolve()));
    await s.close();
    sim = undefined;
    await heldClosed;
    for (const p of ports) assert.equal((await tcpLine(p, 'x')).error, 'ECONNREFUSED', `port ${p} is closed`);
  });

  it('config/scenarios/echo.json and exchange-file.json parse and serve', async () => {
    const echo = loadScenario(new URL('../../config/scenarios/echo.json', import.meta.url).pathname);
    let s = await boot(echo);
    const e = (await getJson(`${s.marathonUrl}/v2/apps?embed=apps.tasks`)).body.apps.find((x: any) => x.labels['monkey.probe.tcp'] !== undefined);
    assert.equal(e.instances, 3);
    const port = Number((e.labels['monkey.probe.tcp'] as string).split(':')[1]);
    assert.equal((await tcpLine(port, e.labels['monkey.probe.tcp.send'] as string)).echoed, `${e.labels['monkey.probe.tcp.expect'] as string}\n`);
    await s.close();

    const exchange = loadScenario(new URL('../../config/scenarios/exchange-file.json', import.meta.url).pathname);
    s = await boot(exchange);
    const x = (await getJson(`${s.marathonUrl}/v2/apps?embed=apps.tasks`)).body.apps.find((y: any) => y.labels['monkey.probe.http'] !== undefined);
    assert.equal(x.labels['monkey.probe.tolerance'], '200,503');
    assert.equal((await get(x.labels['monkey.probe.http'] as string)).status, 200);
  });

  it('the demo scenario serves three apps: a healthy one probed per task, two behind a lagging balancer', async () => {
    const demo = loadScenario(new URL('../../config/demo-scenario.json', import.meta.url).pathname);
    const servingApps = demo.apps.filter((x) => x.serve !== undefined);
    assert.deepEqual(
      servingApps.map((x) => [x.id, x.weakness.kind]),
      [
        ['/shop/catalog', 'none'],
        ['/shop/checkout', 'lb-lag'],
        ['/demo/session-cache', 'lb-lag'],
      ],
    );
    const s = await boot(demo);
    const catalog = await app(s, '/shop/catalog');
    assert.equal(catalog.labels['monkey.probe.http'], '/health');
    for (const t of catalog.tasks) assert.equal((await get(taskUrl(t))).status, 200);
    for (const id of ['/shop/checkout', '/demo/session-cache']) {
      const a = await app(s, id);
      assert.equal(a.labels['monkey.probe.http'], a.labels.service, `${id} probes its balancer`);
      assert.equal((await get(a.labels.service as string)).status, 200);
    }
  });

  it('marathon-monkey sim prints each service endpoint', async () => {
    const lines: string[] = [];
    sim = await runSimCommand({ port: 0, scenarioFile: new URL('../../config/scenarios/echo.json', import.meta.url).pathname, log: (l) => lines.push(l) });
    const echo = await app(sim, '/net/echo');
    assert.ok(lines.includes(`  service of /net/echo: ${echo.labels['monkey.probe.tcp'] as string} (its tasks at host:ports[0])`), lines.join('\n'));
  });
});

describe('sim: serve in scenario files (every bad field named)', () => {
  function problems(apps: Record<string, unknown>[]): readonly string[] {
    const raw = baseRaw();
    raw.apps = apps;
    try {
      parseScenario(raw, 'bad.json');
      return [];
    } catch (e) {
      assert.ok(e instanceof ScenarioError, String(e));
      assert.equal(e.code, 'E_SCENARIO');
      return e.problems;
    }
  }

  it('names each bad serve field and weakness', () => {
    assert.deepEqual(
      problems([
        { id: '/a', instances: 1, serve: { http: { path: '/x' }, tcp: {} } },
        { id: '/b', instances: 1, serve: {} },
        { id: '/c', instances: 1, serve: { http: { path: 'health', port: 1 } } },
        { id: '/d', instances: 1, serve: { tcp: { echo: 'yes' } } },
        { id: '/e', instances: 1, weakness: { kind: 'lb-lag', seconds: 5 } },
        { id: '/f', instances: 1, serve: { http: {} }, weakness: 'echo-broken' },
        { id: '/g', instances: 1, serve: { tcp: {} }, weakness: { kind: 'slow-warmup', seconds: -1, extraMs: 5 } },
        { id: '/h', instances: 1, labels: { 'monkey.probe.http': '${service}' } },
        { id: '/i', instances: 1, serve: { http: {} }, labels: { x: '${service.url}' } },
        { id: '/j', instances: 1, serve: 'http' },
      ]),
      [
        'apps[0].serve: names both http and tcp; give exactly one: {"http":{"path":"/health"}} or {"tcp":{"echo":true}}',
        'apps[1].serve: names no protocol; give exactly one: {"http":{"path":"/health"}} or {"tcp":{"echo":true}}',
        'apps[2].serve.http.port: unknown key (allowed keys: path); remove it or fix its spelling',
        'apps[2].serve.http.path: expected a path starting with "/", e.g. "/health", got "health"',
        'apps[3].serve.tcp.echo: expected true or false, got "yes"',
        'apps[6].weakness.extraMs: only "slow-recovery" takes extraMs; remove it',
        'apps[6].weakness.seconds: expected a number between 0 and 3600, got -1',
        'apps[9].serve: expected an object, got "http"',
        'apps[4].weakness: "lb-lag" is a weakness of what the tasks serve, and the app serves nothing; add "serve": {"http":{"path":"/health"}} or {"tcp":{"echo":true}}',
        'apps[5].weakness: "echo-broken" needs a TCP echo server; use "serve": {"tcp":{"echo":true}}',
        "apps[7].labels.monkey.probe.http: ${service} names the app's service endpoint, and the app serves nothing; add \"serve\" or remove the placeholder",
        'apps[8].labels.x: unknown placeholder ${service.url}; use one of ${service}, ${service.host}, ${service.port}',
      ],
    );
  });

  it('at most 2,000 serving ports (one per instance, one per service) per scenario', () => {
    const apps = [
      { id: '/big/a', instances: 1500, serve: { tcp: {} } },
      { id: '/big/b', instances: 499, serve: { http: {} } },
    ];
    assert.deepEqual(problems(apps), [
      'apps: the apps with "serve" need 2,001 real ports (one per instance and one per app for its service endpoint); the simulator allows at most 2,000; lower their instances or remove "serve" from some',
    ]);
    apps[1] = { id: '/big/b', instances: 498, serve: { http: {} } };
    assert.deepEqual(problems(apps), []);
  });
});
