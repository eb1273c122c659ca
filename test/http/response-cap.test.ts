/**
 * Answers are capped: a never-ending listing fails fast with a typed error instead of growing the
 * process until the request timeout, and is not asked for again.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { ResponseTooLargeError } from '../../src/http/errors.js';
import { HttpTransport } from '../../src/http/transport.js';
import { MarathonClient } from '../../src/marathon/client.js';
import { MarathonError } from '../../src/marathon/errors.js';
import { MesosClient } from '../../src/mesos/client.js';
import { sendJson, ServerPool, type Handler } from '../helpers/http-server.js';
import { app, leaderHandler, task, UUID1 } from '../marathon/fake-marathon.js';

const MB = 1024 * 1024;
/** The server never writes more than this, whatever the client does. */
const SERVER_BOUND = 64 * MB;

/** Streams `head`, then `item,` for ever (chunked, no Content-Length), honouring backpressure, until the client goes away. */
function endless(head: string, item: string, written: { bytes: number; closed: boolean }): Handler {
  return (_req, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    const piece = Buffer.from(Array.from({ length: Math.ceil(64 * 1024 / item.length) }, () => `${item},`).join(''));
    res.on('close', () => (written.closed = true));
    const pump = (): void => {
      while (!written.closed && written.bytes < SERVER_BOUND) {
        written.bytes += piece.length;
        if (!res.write(piece)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    written.bytes += head.length;
    res.write(head);
    pump();
  };
}

const appJson = JSON.stringify(app('/shop/cart', [task(`shop_cart.instance-${UUID1}._app.1`)]));

describe('response size cap', () => {
  const pool = new ServerPool();
  afterEach(() => pool.closeAll());

  it('a never-ending Marathon listing fails fast with E_MARATHON_RESPONSE_TOO_LARGE, once, without ballooning', async () => {
    const written = { bytes: 0, closed: false };
    const m = await pool.start(endless('{"apps":[', appJson, written));
    const c = new MarathonClient({ urls: [m.url], timeoutMs: 10_000, retries: 2, backoff: { baseMs: 1, maxMs: 1 }, maxResponseBytes: 1 * MB });
    const rssBefore = process.memoryUsage().rss;
    const t0 = Date.now();
    const err = await c.listApps().then(
      () => assert.fail('an endless listing cannot succeed'),
      (e: unknown) => e,
    );
    const elapsed = Date.now() - t0;
    assert.ok(err instanceof ResponseTooLargeError, String(err));
    assert.equal(err.code, 'E_MARATHON_RESPONSE_TOO_LARGE');
    assert.match(err.hint ?? '', /MONKEY_MARATHON_MAX_RESPONSE_MB/);
    assert.match(err.message, /GET \/v2\/apps on http:\/\/127\.0\.0\.1:\d+: .*past the 1 MB cap/);
    assert.equal(err.announced, false);
    assert.ok(elapsed < 2_000, `failed after ${elapsed} ms, not at the timeout`);
    assert.equal(m.requests.length, 1, 'not retried');
    for (let i = 0; i < 50 && !written.closed; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(written.closed, 'the client dropped the connection');
    assert.ok(written.bytes < 16 * MB, `the server got to write ${Math.round(written.bytes / MB)} MB`);
    assert.ok(process.memoryUsage().rss - rssBefore < 64 * MB, 'memory stayed flat');
  });

  it('a Content-Length over the cap is refused before the body is read', async () => {
    const m = await pool.start((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(2 * 1024 * MB) });
      res.write('{"apps":[');
    });
    const c = new MarathonClient({ urls: [m.url], timeoutMs: 5_000, retries: 1, backoff: { baseMs: 1, maxMs: 1 }, maxResponseBytes: 1 * MB });
    const t0 = Date.now();
    const err = await c.listApps().then(
      () => assert.fail('2 GB announced'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ResponseTooLargeError && err.code === 'E_MARATHON_RESPONSE_TOO_LARGE', String(err));
    assert.equal(err.announced, true);
    assert.equal(err.bytes, 2 * 1024 * MB);
    assert.match(err.message, /announces 2048 MB/);
    assert.ok(Date.now() - t0 < 2_000);
    assert.equal(m.requests.length, 1);
  });

  it('an answer under the cap is read as always', async () => {
    const apps = Array.from({ length: 200 }, (_, i) => app(`/a/${i}`, [task(`a_${i}.instance-${UUID1}._app.1`, { appId: `/a/${i}` })]));
    const m = await pool.start(leaderHandler({ apps }));
    const listed = await new MarathonClient({ urls: [m.url], timeoutMs: 5_000, retries: 0, maxResponseBytes: 1 * MB }).listApps();
    assert.equal(listed.length, 200);
  });

  it('a kill answered with an endless body is E_KILL_UNCERTAIN (Marathon got it), sent once', async () => {
    const written = { bytes: 0, closed: false };
    const leader = leaderHandler();
    const stream = endless('{"tasks":[', JSON.stringify(task(`shop_cart.instance-${UUID1}._app.1`)), written);
    const m = await pool.start((req, res, raw) => (req.method === 'POST' ? stream(req, res, raw) : leader(req, res, raw)));
    const c = new MarathonClient({ urls: [m.url], timeoutMs: 5_000, retries: 0, maxResponseBytes: 1 * MB });
    const err = await c.killTasks([`shop_cart.instance-${UUID1}._app.1`]).then(
      () => assert.fail('no usable answer'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof MarathonError && err.code === 'E_KILL_UNCERTAIN', String(err));
    assert.ok(err.cause instanceof ResponseTooLargeError);
    assert.equal(m.requests.filter((r) => r.method === 'POST').length, 1);
  });

  it('a never-ending Mesos /master/slaves fails with E_MESOS_RESPONSE_TOO_LARGE, not retried', async () => {
    const written = { bytes: 0, closed: false };
    const agent = JSON.stringify({ id: 'S1', hostname: '10.1.0.11', port: 5051, attributes: { rack: 'r1' }, active: true });
    const master = await pool.start(endless('{"slaves":[', agent, written));
    const t0 = Date.now();
    const err = await new MesosClient({ url: master.url, timeoutMs: 10_000, retries: 2, backoff: { baseMs: 1, maxMs: 1 }, maxResponseBytes: 1 * MB }).listAgents().then(
      () => assert.fail('endless'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ResponseTooLargeError && err.code === 'E_MESOS_RESPONSE_TOO_LARGE', String(err));
    assert.match(err.hint ?? '', /MONKEY_MARATHON_MAX_RESPONSE_MB/);
    assert.ok(Date.now() - t0 < 2_000);
    assert.equal(master.requests.length, 1);
  });

  it('the transport caps every answer by default, error pages included', async () => {
    const m = await pool.start((_req, res) => sendJson(res, 500, { message: 'x'.repeat(2 * MB) }));
    const err = await new HttpTransport()
      .request({ method: 'GET', url: new URL(`${m.url}/x`), timeoutMs: 5_000, limit: { maxBytes: MB, code: 'E_TEST_TOO_LARGE', hint: 'raise it' } })
      .then(
        () => assert.fail('2 MB error page over a 1 MB cap'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof ResponseTooLargeError && err.code === 'E_TEST_TOO_LARGE' && err.status === 500, String(err));
  });

  it('a cycle (`once`) against an endless listing ends with outcome error and kills nothing', async () => {
    const written = { bytes: 0, closed: false };
    const m = await pool.start(endless('{"apps":[', appJson, written));
    const dir = mkdtempSync(join(tmpdir(), 'monkey-cap-'));
    let out = '';
    const code = await main(['once', '--json'], {
      env: { MONKEY_MARATHON_URLS: m.url, MONKEY_MARATHON_MAX_RESPONSE_MB: '1', MONKEY_OFFICE_HOURS: 'always', MONKEY_DRY_RUN: 'false', MONKEY_JOURNAL: join(dir, 'journal.jsonl') },
      stdout: (t) => void (out += t),
      stderr: (t) => void (out += t),
      stopRequested: new Promise(() => undefined),
    });
    assert.notEqual(code, 0, out);
    assert.match(out, /"outcome":"error"/);
    assert.match(out, /E_MARATHON_RESPONSE_TOO_LARGE/);
    assert.equal(m.requests.filter((r) => r.method === 'POST').length, 0);
    assert.equal(m.requests.length, 1);
  });
});
