import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { pino, type Logger } from 'pino';
import { ServiceAccountAuth } from '../../src/marathon/auth.js';
import { MarathonClient } from '../../src/marathon/client.js';
import { MesosClient } from '../../src/mesos/client.js';
import { hang, refusedUrl, sendJson, sendText, ServerPool } from '../helpers/http-server.js';
import { leaderHandler, noLeader } from './fake-marathon.js';
import { basicAuth, staticTokenAuth, type AuthProvider } from '../../src/http/auth.js';

const USER = 'chaos-operator';
const PASSWORD = 'Tr0ub4dor-and-3';
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2VuLXZhbHVl.U0lHTkFUVVJFLXNlY3JldA';
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

/** Strings that must never show up: the secrets themselves and what they turn into on the wire. */
const forbidden = [
  PASSWORD,
  encodeURIComponent(PASSWORD),
  Buffer.from(`${USER}:${PASSWORD}`).toString('base64'),
  TOKEN,
  'c2VjcmV0LXRva2VuLXZhbHVl',
  // Slices of the key body (a PEM line is 64 characters).
  ...PEM.split('\n').filter((l) => l.length === 64).slice(0, 5).map((l) => l.slice(8, 40)),
];

class Sink extends Writable {
  lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
    cb();
  }
}

function leaks(text: string): string[] {
  return forbidden.filter((s) => text.includes(s));
}

describe('secrets never reach logs or errors', () => {
  const pool = new ServerPool();
  let sink: Sink;
  let logger: Logger;
  const failures: unknown[] = [];

  beforeEach(() => {
    sink = new Sink();
    logger = pino({ level: 'trace' }, sink);
    failures.length = 0;
  });
  afterEach(async () => {
    // Log every captured error the way the daemon would, then check everything that was written.
    for (const e of failures) logger.error({ err: e }, 'operation failed');
    await new Promise((r) => setImmediate(r));
    const everything = [
      ...sink.lines,
      ...failures.flatMap((e) => [String(e), (e as Error).stack ?? '', inspect(e, { depth: 10 }), JSON.stringify(e)]),
    ].join('\n');
    await pool.closeAll();
    assert.deepEqual(leaks(everything), [], 'a secret leaked');
    assert.ok(sink.lines.length > 0, 'the test produced log lines to check');
  });

  async function capture(p: Promise<unknown>): Promise<void> {
    try {
      await p;
    } catch (e) {
      failures.push(e);
    }
  }

  function client(urls: string[], auth?: AuthProvider, extra: Partial<ConstructorParameters<typeof MarathonClient>[0]> = {}): MarathonClient {
    return new MarathonClient({ urls, timeoutMs: 150, retries: 1, backoff: { baseMs: 1, maxMs: 2 }, logger, ...(auth === undefined ? {} : { auth }), ...extra });
  }

  it('credentials in URLs: refused, timed out, 401, no leader, malformed, kill uncertain', async () => {
    const withCreds = (u: string): string => u.replace('http://', `http://${USER}:${encodeURIComponent(PASSWORD)}@`);
    const dead = await refusedUrl();
    const slow = await pool.start(hang);
    const denied = await pool.start((_req, res) => sendText(res, 401, '<html>401 Unauthorized</html>', 'text/html', { 'WWW-Authenticate': 'Basic realm="Mesosphere"' }));
    const leaderless = await pool.start((_req, res) => noLeader(res));
    const broken = await pool.start((_req, res) => sendText(res, 200, '{"apps": [', 'application/json'));
    await capture(client([withCreds(dead), withCreds(slow.url)]).listApps());
    await capture(client([withCreds(denied.url)]).listApps());
    await capture(client([withCreds(leaderless.url)]).killTasks(['a.instance-1f2e3d4c-0000-11ee-8000-000000000001._app.1']));
    await capture(client([withCreds(broken.url)]).getApp('/x'));
    const m = await pool.start(leaderHandler());
    const c = client([withCreds(m.url)]);
    await c.listApps();
    m.setHandler(hang);
    await capture(c.killTasks(['shop_cart.instance-1f2e3d4c-0000-11ee-8000-000000000001._app.1']));
    assert.equal(failures.length, 5);
  });

  it('basic and token auth on failures', async () => {
    const forbiddenServer = await pool.start((_req, res) => sendJson(res, 403, { message: 'Not Authorized to perform this action!' }));
    await capture(client([forbiddenServer.url], basicAuth(USER, PASSWORD)).listApps());
    await capture(client([forbiddenServer.url], staticTokenAuth(TOKEN)).killTasks(['x']));
    const slow = await pool.start(hang);
    await capture(client([slow.url], staticTokenAuth(TOKEN)).listApps());
    logger.info({ auth: basicAuth(USER, PASSWORD), token: staticTokenAuth(TOKEN) }, 'providers logged by mistake');
    assert.equal(failures.length, 3);
  });

  it('service account: login refused, login unreachable, key logged by mistake', async () => {
    const acs = await pool.start((_req, res) => sendJson(res, 401, { title: 'Unauthorized', description: 'Service login token validation failed', code: 'ERR_INVALID_SERVICE_LOGIN_TOKEN' }));
    const m = await pool.start(leaderHandler());
    const sa = new ServiceAccountAuth({ uid: 'chaos-monkey', privateKey: PEM, loginUrl: `${acs.url}/acs/api/v1/auth/login`, timeoutMs: 150 });
    await capture(client([m.url], sa).listApps());
    const dead = await refusedUrl();
    const sa2 = new ServiceAccountAuth({ uid: 'chaos-monkey', privateKey: PEM, loginUrl: `${dead.replace('http://', `http://${USER}:${PASSWORD}@`)}/acs/api/v1/auth/login`, timeoutMs: 150 });
    await capture(client([m.url], sa2).killTasks(['x']));
    logger.info({ auth: sa }, 'provider logged by mistake');
    // The service login token is itself a credential for 5 minutes: it is never logged either.
    assert.ok(acs.requests.length > 0);
    for (const r of acs.requests) {
      const loginToken = (JSON.parse(r.body) as { token: string }).token;
      assert.ok(!sink.lines.join('\n').includes(loginToken.split('.')[2]!));
    }
    assert.equal(failures.length, 2);
  });

  it('Mesos client with credentials in the URL', async () => {
    const dead = await refusedUrl();
    await capture(new MesosClient({ url: dead.replace('http://', `http://${USER}:${PASSWORD}@`), timeoutMs: 150, retries: 0, logger }).listAgents());
    const denied = await pool.start((_req, res) => sendText(res, 401, 'Unauthorized'));
    await capture(new MesosClient({ url: denied.url.replace('http://', `http://${USER}:${PASSWORD}@`), timeoutMs: 150, retries: 0, logger }).listAgents());
    assert.equal(failures.length, 2);
  });
});
