import assert from 'node:assert/strict';
import { generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { dcosLoginUrl, jwtExpiry, ServiceAccountAuth } from '../../src/marathon/auth.js';
import { MarathonClient } from '../../src/marathon/client.js';
import { MarathonError } from '../../src/marathon/errors.js';
import { ManualClock } from '../../src/platform/clock.js';
import { sendJson, ServerPool, type RecordedRequest, type TestServer } from '../helpers/http-server.js';
import { leaderHandler } from './fake-marathon.js';
import { basicAuth, staticTokenAuth } from '../../src/http/auth.js';

const aTuesdayMorning = Date.parse('2024-03-05T09:00:00.000Z');
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

function b64json(o: unknown): string {
  return Buffer.from(JSON.stringify(o)).toString('base64url');
}

/** An auth token shaped like DC/OS's (a JWT with uid and exp); the fake does not sign it. */
function authToken(uid: string, expSeconds: number, n: number): string {
  return `${b64json({ alg: 'RS256', typ: 'JWT' })}.${b64json({ uid, exp: expSeconds, n })}.c2ln`;
}

interface Acs {
  server: TestServer;
  issued: string[];
  problems: string[];
}

/** Fake ACS: verifies the RS256 service login token with the account's public key and its claims. */
async function startAcs(pool: ServerPool, clock: ManualClock, opts: { key?: KeyObject; lifetimeS?: number; opaque?: boolean } = {}): Promise<Acs> {
  const acs: Acs = { server: undefined as unknown as TestServer, issued: [], problems: [] };
  acs.server = await pool.start((req, res) => {
    if (req.method !== 'POST' || req.path !== '/acs/api/v1/auth/login') return sendJson(res, 404, {});
    const body = JSON.parse(req.body) as { uid: string; token: string };
    const [h, c, s] = body.token.split('.');
    const header = JSON.parse(Buffer.from(h!, 'base64url').toString()) as Record<string, unknown>;
    const claims = JSON.parse(Buffer.from(c!, 'base64url').toString()) as Record<string, unknown>;
    const valid = verify('sha256', Buffer.from(`${h}.${c}`), opts.key ?? publicKey, Buffer.from(s!, 'base64url'));
    if (!valid) acs.problems.push('bad signature');
    if (header.alg !== 'RS256' || header.typ !== 'JWT') acs.problems.push('bad header');
    if (claims.uid !== body.uid || body.uid !== 'chaos-monkey') acs.problems.push('bad uid');
    if (claims.exp !== Math.floor(clock.now() / 1000) + 300) acs.problems.push(`bad exp ${String(claims.exp)}`);
    if (!valid) return sendJson(res, 401, { title: 'Unauthorized', description: 'Service login token validation failed', code: 'ERR_INVALID_SERVICE_LOGIN_TOKEN' });
    const n = acs.issued.length + 1;
    const token = opts.opaque === true ? `opaque-${n}` : authToken(body.uid, Math.floor(clock.now() / 1000) + (opts.lifetimeS ?? 3600), n);
    acs.issued.push(token);
    return sendJson(res, 200, { token });
  });
  return acs;
}

/** Marathon that accepts only the newest token ACS issued (older ones count as revoked). */
async function startSecuredMarathon(pool: ServerPool, acs: Acs): Promise<TestServer> {
  const inner = leaderHandler();
  return pool.start((req: RecordedRequest, res, raw) => {
    const newest = acs.issued.at(-1);
    if (newest === undefined || req.headers.authorization !== `token=${newest}`) {
      return sendJson(res, 401, { message: 'Invalid username or password.' }, { 'WWW-Authenticate': 'acsjwt' });
    }
    return inner(req, res, raw);
  });
}

describe('auth providers', () => {
  const pool = new ServerPool();
  afterEach(() => pool.closeAll());

  it('basic auth sends Authorization: Basic base64(user:pass) on every request', async () => {
    const m = await pool.start(leaderHandler());
    const c = new MarathonClient({ urls: [m.url], auth: basicAuth('ops', 'p@ss:word'), timeoutMs: 500, retries: 0 });
    await c.listApps();
    await c.getApp('/shop/cart');
    for (const r of m.requests) assert.equal(r.headers.authorization, `Basic ${Buffer.from('ops:p@ss:word').toString('base64')}`);
  });

  it('credentials in the URL become basic auth and leave the URL', async () => {
    const m = await pool.start(leaderHandler());
    const c = new MarathonClient({ urls: [m.url.replace('http://', 'http://ops:s%3Acret@')], timeoutMs: 500, retries: 0 });
    await c.listApps();
    assert.equal(m.requests[0]!.headers.authorization, `Basic ${Buffer.from('ops:s:cret').toString('base64')}`);
    assert.equal(c.baseUrl(), m.url);
  });

  it('a static DC/OS token is sent as Authorization: token=…', async () => {
    const m = await pool.start(leaderHandler());
    await new MarathonClient({ urls: [m.url], auth: staticTokenAuth('abc.def.ghi'), timeoutMs: 500, retries: 0 }).listApps();
    assert.equal(m.requests[0]!.headers.authorization, 'token=abc.def.ghi');
  });

  it('dcosLoginUrl points at the cluster origin', () => {
    assert.equal(dcosLoginUrl('https://u:p@cluster.example.com/service/marathon'), 'https://cluster.example.com/acs/api/v1/auth/login');
  });

  it('jwtExpiry reads exp, undefined for opaque tokens', () => {
    assert.equal(jwtExpiry(authToken('x', 1700000000, 1)), 1700000000_000);
    assert.equal(jwtExpiry('opaque'), undefined);
    assert.equal(jwtExpiry('a.!!!.c'), undefined);
  });
});

describe('DC/OS service account', () => {
  const pool = new ServerPool();
  afterEach(() => pool.closeAll());

  function serviceAccount(acs: Acs, clock: ManualClock, extra: Partial<ConstructorParameters<typeof ServiceAccountAuth>[0]> = {}): ServiceAccountAuth {
    return new ServiceAccountAuth({ uid: 'chaos-monkey', privateKey: privatePem, loginUrl: `${acs.server.url}/acs/api/v1/auth/login`, timeoutMs: 500, clock, ...extra });
  }

  it('logs in with an RS256 service login token {uid, exp: now+300} and reuses the auth token', async () => {
    const clock = new ManualClock(aTuesdayMorning);
    const acs = await startAcs(pool, clock);
    const m = await startSecuredMarathon(pool, acs);
    const c = new MarathonClient({ urls: [m.url], auth: serviceAccount(acs, clock), timeoutMs: 500, retries: 0, clock });
    await c.listApps();
    await c.getApp('/shop/cart');
    assert.deepEqual(acs.problems, []);
    assert.equal(acs.issued.length, 1);
    const login = acs.server.requests[0]!;
    assert.match(String(login.headers['content-type']), /^application\/json/);
    assert.deepEqual(Object.keys(JSON.parse(login.body) as object).sort(), ['token', 'uid']);
    assert.ok(m.requests.every((r) => r.headers.authorization === `token=${acs.issued[0]}`));
  });

  it('refreshes the token 5 minutes before its exp', async () => {
    const clock = new ManualClock(aTuesdayMorning);
    const acs = await startAcs(pool, clock, { lifetimeS: 3600 });
    const m = await startSecuredMarathon(pool, acs);
    const c = new MarathonClient({ urls: [m.url], auth: serviceAccount(acs, clock), timeoutMs: 500, retries: 0, clock });
    await c.listApps();
    await clock.advance((3600 - 300 - 1) * 1000);
    await c.listApps();
    assert.equal(acs.issued.length, 1);
    await clock.advance(2000);
    await c.listApps();
    assert.equal(acs.issued.length, 2);
    assert.deepEqual(acs.problems, []);
    // No request was ever sent with an expiring token, so none was rejected.
    assert.ok(m.requests.every((r) => r.headers.authorization !== undefined));
    assert.equal(m.requests.length, 3);
  });

  it('assumes a 1 h lifetime when the token is not a readable JWT', async () => {
    const clock = new ManualClock(aTuesdayMorning);
    const acs = await startAcs(pool, clock, { opaque: true });
    const auth = serviceAccount(acs, clock);
    assert.equal(await auth.header(), 'token=opaque-1');
    await clock.advance(55 * 60_000 - 1);
    assert.equal(await auth.header(), 'token=opaque-1');
    await clock.advance(1);
    assert.equal(await auth.header(), 'token=opaque-2');
  });

  it('concurrent callers share one login', async () => {
    const clock = new ManualClock(aTuesdayMorning);
    const acs = await startAcs(pool, clock);
    const auth = serviceAccount(acs, clock);
    const headers = await Promise.all([auth.header(), auth.header(), auth.header()]);
    assert.equal(new Set(headers).size, 1);
    assert.equal(acs.server.requests.length, 1);
  });

  it('a 401 from Marathon re-logs in once and retries that request once', async () => {
    const clock = new ManualClock(aTuesdayMorning);
    const acs = await startAcs(pool, clock);
    const m = await startSecuredMarathon(pool, acs);
    const auth = serviceAccount(acs, clock);
    const c = new MarathonClient({ urls: [m.url], auth, timeoutMs: 500, retries: 0, clock });
    await c.listApps();
    // The cluster revokes the cached token (e.g. the IAM was restored from backup).
    acs.issued.push('revoked-by-the-test');
    acs.issued.push(authToken('chaos-monkey', Math.floor(clock.now() / 1000) + 3600, 99));
    const before = acs.server.requests.length;
    const result = await c.killTasks([`shop_cart.instance-1f2e3d4c-0000-11ee-8000-000000000001._app.1`]);
    assert.equal(result.killed.length, 1);
    assert.equal(acs.server.requests.length, before + 1);
    const posts = m.requests.filter((r) => r.method === 'POST');
    assert.equal(posts.length, 2, 'the rejected kill (401, nothing done) and its one retry');
  });

  it('a persistent 401 → E_MARATHON_AUTH after exactly one re-login', async () => {
    const clock = new ManualClock(aTuesdayMorning);
    const acs = await startAcs(pool, clock);
    const m = await pool.start((_req, res) => sendJson(res, 401, { message: 'Invalid username or password.' }));
    const c = new MarathonClient({ urls: [m.url], auth: serviceAccount(acs, clock), timeoutMs: 500, retries: 2, clock });
    await assert.rejects(c.listApps(), (e: unknown) => e instanceof MarathonError && e.code === 'E_MARATHON_AUTH' && e.status === 401);
    assert.equal(m.requests.length, 2);
    assert.equal(acs.issued.length, 2);
  });

  it('ACS refusing the login → E_MARATHON_AUTH naming the ACS code, nothing sent to Marathon', async () => {
    const clock = new ManualClock(aTuesdayMorning);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const acs = await startAcs(pool, clock, { key: other.publicKey });
    const m = await pool.start(leaderHandler());
    const c = new MarathonClient({ urls: [m.url], auth: serviceAccount(acs, clock), timeoutMs: 500, retries: 0, clock });
    await assert.rejects(
      c.listApps(),
      (e: unknown) => e instanceof MarathonError && e.code === 'E_MARATHON_AUTH' && /ERR_INVALID_SERVICE_LOGIN_TOKEN/.test(e.message) && /public key/.test(e.hint ?? ''),
    );
    assert.equal(m.requests.length, 0);
  });

  it('an unreadable or non-RSA private key is rejected at construction', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    for (const key of ['not a key', ec]) {
      assert.throws(
        () => new ServiceAccountAuth({ uid: 'chaos-monkey', privateKey: key, loginUrl: 'http://127.0.0.1:1/acs/api/v1/auth/login', timeoutMs: 100 }),
        (e: unknown) => e instanceof MarathonError && e.code === 'E_MARATHON_AUTH' && !e.message.includes(key),
      );
    }
  });
});
