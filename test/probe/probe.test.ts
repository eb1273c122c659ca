import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../../src/platform/clock.js';
import { parseHostAllowList, type HostAllowList } from '../../src/platform/host-allow.js';
import { checkAllowed, MAX_PROBE_BODY_BYTES, probe, ProbeNotAllowedError, targetAllowed } from '../../src/probe/probe.js';
import type { HttpTarget, TcpTarget } from '../../src/probe/targets.js';
import { hang, refusedUrl, sendText, ServerPool } from '../helpers/http-server.js';

function allowList(entries: string[]): HostAllowList {
  const parsed = parseHostAllowList(entries);
  assert.ok(parsed.ok);
  return parsed.list;
}

const anyHost = allowList([]);
const opts = { timeoutMs: 1000, allow: anyHost, clock: systemClock };

function http(url: string, tolerance: [number, number][] = [[200, 399]]): HttpTarget {
  const u = new URL(url);
  return { protocol: 'http', url, host: u.hostname, port: Number(u.port), tolerance, name: url };
}

describe('probe: HTTP against a real loopback server', () => {
  const pool = new ServerPool();
  afterEach(() => pool.closeAll());

  it('a 200 is ok, with status and latency; a plain GET', async () => {
    const s = await pool.start((_req, res) => sendText(res, 200, 'fine'));
    const r = await probe(http(`${s.url}/health?x=1`), opts);
    assert.equal(r.ok, true);
    assert.equal(r.status, 200);
    assert.ok(r.latencyMs >= 0 && r.latencyMs < 1000);
    assert.equal(s.requests[0]?.method, 'GET');
    assert.equal(s.requests[0]?.path, '/health');
    assert.equal(s.requests[0]?.rawQuery, 'x=1');
  });

  it('a 503 inside the tolerance is ok; a 500 outside it fails with its status', async () => {
    const s = await pool.start((req, res) => sendText(res, req.path === '/busy' ? 503 : 500, 'x'));
    const tolerance: [number, number][] = [[200, 299], [503, 503]];
    assert.deepEqual(await probe(http(`${s.url}/busy`, tolerance), opts).then((r) => [r.ok, r.status]), [true, 503]);
    const failed = await probe(http(`${s.url}/broken`, tolerance), opts);
    assert.deepEqual([failed.ok, failed.status, failed.error], [false, 500, 'status 500']);
  });

  it('a redirect is not followed: the 3xx is judged by its status', async () => {
    const s = await pool.start((req, res) => {
      if (req.path === '/moved') {
        res.writeHead(302, { location: '/elsewhere' });
        res.end();
      } else sendText(res, 500, 'should not be reached');
    });
    const r = await probe(http(`${s.url}/moved`), opts);
    assert.deepEqual([r.ok, r.status], [true, 302]);
    const strict = await probe(http(`${s.url}/moved`, [[200, 299]]), opts);
    assert.deepEqual([strict.ok, strict.status], [false, 302]);
    assert.deepEqual(s.requests.map((q) => q.path), ['/moved', '/moved']);
  });

  it('an endless body is read only up to the bound, then the connection is closed', async () => {
    let written = 0;
    let closed!: () => void;
    const serverSawClose = new Promise<void>((resolve) => (closed = resolve));
    const s = await pool.start((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(1024, 'x');
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk)) written += chunk.length;
        if (!res.destroyed) res.once('drain', pump);
      };
      res.on('close', () => closed());
      pump();
    });
    const r = await probe(http(s.url), opts);
    assert.equal(r.ok, true);
    await serverSawClose;
    assert.ok(written < 2048 * MAX_PROBE_BODY_BYTES, `wrote ${written}`);
  });

  it('no answer within the timeout fails, without waiting longer', async () => {
    const s = await pool.start(hang);
    const r = await probe(http(s.url), { ...opts, timeoutMs: 80 });
    assert.equal(r.ok, false);
    assert.equal(r.error, 'no verdict within 80 ms');
    assert.ok(r.latencyMs >= 70 && r.latencyMs < 800, String(r.latencyMs));
  });

  it('never sends credentials: no Authorization or Cookie header, even from a URL with user:password', async () => {
    const s = await pool.start((_req, res) => sendText(res, 200, 'ok'));
    const withCredentials = `http://user:secret@127.0.0.1:${s.port}/h`;
    await probe(http(withCredentials), opts);
    await probe(http(`${s.url}/h`), opts);
    assert.equal(s.requests.length, 2);
    for (const req of s.requests) {
      assert.equal(req.headers.authorization, undefined);
      assert.equal(req.headers.cookie, undefined);
      assert.equal(req.headers['user-agent'], 'marathon-monkey-probe');
    }
  });

  it('a refused connection is a failed probe, not an exception', async () => {
    const r = await probe(http(await refusedUrl()), opts);
    assert.deepEqual([r.ok, r.error], [false, 'ECONNREFUSED']);
  });

  it('an aborted probe answers at once and is marked aborted', async () => {
    const s = await pool.start(hang);
    const controller = new AbortController();
    const pending = probe(http(s.url), { ...opts, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const r = await pending;
    assert.deepEqual([r.ok, r.aborted], [false, true]);
  });
});

/** A TCP server on 127.0.0.1:0 whose behaviour each test chooses. */
async function tcpServer(onSocket: (socket: Socket) => void): Promise<{ port: number; connections: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const state = { connections: 0 };
  const server: Server = createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return state.connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function tcp(port: number, extra: { send?: string; expect?: string; taskId?: string } = {}, host = '127.0.0.1'): TcpTarget {
  return { protocol: 'tcp', host, port, name: `${host}:${port}`, ...extra };
}

describe('probe: TCP against a real loopback server', () => {
  const servers: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  async function start(onSocket: (socket: Socket) => void): Promise<{ port: number; connections: number }> {
    const s = await tcpServer(onSocket);
    servers.push(s);
    return s;
  }

  it('connecting is the test', async () => {
    const s = await start(() => undefined);
    const r = await probe(tcp(s.port), opts);
    assert.equal(r.ok, true);
  });

  it('an echo with the expected text is ok', async () => {
    const s = await start((socket) => socket.on('data', (d: Buffer) => socket.write(`+${d.toString('utf8').trim().replace('PING', 'PONG')}\r\n`)));
    const r = await probe(tcp(s.port, { send: 'PING', expect: 'PONG' }), opts);
    assert.equal(r.ok, true, r.error);
  });

  it('a wrong answer fails, when the server closes and when it keeps quiet', async () => {
    const closes = await start((socket) => socket.on('data', () => socket.end('-ERR nope\r\n')));
    const r = await probe(tcp(closes.port, { send: 'PING', expect: 'PONG' }), opts);
    assert.deepEqual([r.ok, r.error], [false, 'closed before the expected text']);
    const quiet = await start((socket) => socket.on('data', () => socket.write('-ERR nope\r\n')));
    const q = await probe(tcp(quiet.port, { send: 'PING', expect: 'PONG' }), { ...opts, timeoutMs: 80 });
    assert.deepEqual([q.ok, q.error], [false, 'no verdict within 80 ms']);
  });

  it('a refused connection fails', async () => {
    const port = Number(new URL(await refusedUrl()).port);
    const r = await probe(tcp(port), opts);
    assert.deepEqual([r.ok, r.error], [false, 'ECONNREFUSED']);
  });

  it('a server that accepts and never answers the expected text times out', async () => {
    const s = await start(() => undefined);
    const r = await probe(tcp(s.port, { expect: 'READY' }), { ...opts, timeoutMs: 60 });
    assert.deepEqual([r.ok, r.error], [false, 'no verdict within 60 ms']);
  });
});

describe('probe: the allow-list is checked before connecting', () => {
  const servers: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('a target outside the CIDRs is a configuration problem, and nothing connects', async () => {
    const s = await tcpServer(() => undefined);
    servers.push(s);
    const allow = allowList(['10.0.0.0/8']);
    await assert.rejects(probe(tcp(s.port), { ...opts, allow }), (e: unknown) => e instanceof ProbeNotAllowedError && e.code === 'E_PROBE_NOT_ALLOWED' && /MONKEY_PROBE_ALLOW/.test(e.hint ?? ''));
    assert.equal(s.connections, 0);
    assert.equal((await probe(tcp(s.port), { ...opts, allow: allowList(['127.0.0.0/8']) })).ok, true);
  });

  it("a task's own host is always allowed", async () => {
    const s = await tcpServer(() => undefined);
    servers.push(s);
    const r = await probe(tcp(s.port, { taskId: 'a.t1' }), { ...opts, allow: allowList(['*.svc.example.com']) });
    assert.equal(r.ok, true);
  });

  it('host-name globs: checkAllowed names every refused target', () => {
    const allow = allowList(['*.svc.example.com', '10.0.0.0/8']);
    assert.equal(targetAllowed(tcp(1, {}, 'api.svc.example.com'), allow), true);
    assert.equal(targetAllowed(tcp(1, {}, '10.2.3.4'), allow), true);
    assert.throws(
      () => checkAllowed([tcp(1, {}, 'api.svc.example.com'), tcp(2, {}, 'evil.example.org'), http('http://11.0.0.1:8080/h')], allow),
      (e: unknown) => e instanceof ProbeNotAllowedError && e.targets.join(' ') === 'evil.example.org:2 http://11.0.0.1:8080/h',
    );
  });
});
