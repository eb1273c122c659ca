import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { dcosLoginUrl, ServiceAccountAuth } from '../../src/marathon/auth.js';
import { MarathonClient } from '../../src/marathon/client.js';
import { MarathonError } from '../../src/marathon/errors.js';
import { ManualClock, type Clock } from '../../src/platform/clock.js';
import { parseScenario, startSimulator, type RunningSim } from '../../src/sim/index.js';
import { basicAuth, staticTokenAuth, type AuthProvider } from '../../src/http/auth.js';

/** The client's auth paths against the simulator's (docs/marathon-api.md §2), over real HTTP. */

const aTuesdayMorning = Date.parse('2024-03-05T09:00:00.000Z');
const account = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicPem = account.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const privatePem = account.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const otherPrivatePem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

function scenario(auth: unknown): ReturnType<typeof parseScenario> {
  return parseScenario(
    {
      seed: 'auth-vs-sim',
      marathon: { instances: 2 },
      timings: { killGraceMs: 50, relaunchDelayMs: 50, stagingMs: 50, startingMs: 50, healthyAfterMs: 50 },
      agents: [
        { hostname: '10.0.0.1', attributes: { rack: 'r1' } },
        { hostname: '10.0.0.2', attributes: { rack: 'r2' } },
      ],
      apps: [
        { id: '/shop/cart', instances: 2, labels: { 'monkey.enabled': 'true' } },
        { id: '/secret/vault', instances: 1, labels: { 'monkey.enabled': 'true' } },
      ],
      auth,
    },
    'auth-vs-sim',
  );
}

const dcos = (tokenLifetimeSeconds = 3600): unknown => ({
  dcos: { tokens: ['static-token'], serviceAccounts: [{ uid: 'chaos-monkey', publicKey: publicPem }], tokenLifetimeSeconds, forbiddenApps: ['/secret/*'] },
});

async function authFailure(p: Promise<unknown>, status: number): Promise<MarathonError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof MarathonError, `expected a MarathonError, got ${String(caught)}`);
  assert.equal(caught.code, 'E_MARATHON_AUTH');
  assert.equal(caught.status, status);
  return caught;
}

describe('MarathonClient auth against the simulator', () => {
  let sim: RunningSim | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  const start = async (auth: unknown, clock?: Clock): Promise<RunningSim> => {
    sim = await startSimulator({ scenario: scenario(auth), noLeaderHoldMs: 30, ...(clock === undefined ? {} : { clock }) });
    return sim;
  };
  const client = (s: RunningSim, auth: AuthProvider | undefined, clock?: Clock, urls = s.marathonUrls): MarathonClient =>
    new MarathonClient({ urls, timeoutMs: 1000, retries: 0, backoff: { baseMs: 1, maxMs: 5 }, ...(auth === undefined ? {} : { auth }), ...(clock === undefined ? {} : { clock }) });
  const serviceAccount = (s: RunningSim, clock?: Clock, privateKey = privatePem): ServiceAccountAuth =>
    new ServiceAccountAuth({ uid: 'chaos-monkey', privateKey, loginUrl: dcosLoginUrl(s.marathonUrl), timeoutMs: 1000, ...(clock === undefined ? {} : { clock }) });
  const okLogins = (s: RunningSim): number => s.logins.filter((l) => l.ok).length;
  const requestsTo = (s: RunningSim, path: string): number => s.requestLog.filter((r) => r.path === path).length;

  it('basic auth lists apps, also through the non-leader; user:pass in the URL works too', async () => {
    const s = await start({ basic: { username: 'ops', password: 'p@ss:word' } });
    const apps = await client(s, basicAuth('ops', 'p@ss:word'), undefined, [s.marathonUrls[1]!, s.marathonUrls[0]!]).listApps();
    assert.deepEqual(apps.map((a) => a.id).sort(), ['/secret/vault', '/shop/cart']);
    const fromUrl = client(s, undefined, undefined, [s.marathonUrl.replace('http://', 'http://ops:p%40ss%3Aword@')]);
    assert.equal((await fromUrl.getApp('/shop/cart')).instances, 2);
  });

  it('basic auth with a wrong password → E_MARATHON_AUTH (401), no secret in the message, no retry', async () => {
    const s = await start({ basic: { username: 'ops', password: 'right-one' } });
    const err = await authFailure(client(s, basicAuth('ops', 'hunter2-wrong')).listApps(), 401);
    const text = `${err.message} ${err.hint ?? ''} ${JSON.stringify(err)}`;
    for (const secret of ['hunter2-wrong', 'right-one', Buffer.from('ops:hunter2-wrong').toString('base64')]) assert.ok(!text.includes(secret), text);
    assert.equal(requestsTo(s, '/v2/apps'), 1, 'a fixed credential is not retried');
  });

  it('a static DC/OS token reads and kills; a forbidden app → E_MARATHON_AUTH (403) and is left out of lists', async () => {
    const s = await start(dcos());
    const c = client(s, staticTokenAuth('static-token'));
    assert.deepEqual((await c.listApps()).map((a) => a.id), ['/shop/cart']);
    await authFailure(c.getApp('/secret/vault'), 403);
    const secretTask = s.cluster.app('/secret/vault')!.instances[0]!.taskId;
    await authFailure(c.killTasks([secretTask]), 403);
    assert.equal(s.cluster.instanceForTaskId(secretTask)?.killPending, false);
    const cart = await c.getApp('/shop/cart');
    const result = await c.killTasks([cart.tasks[0]!.id]);
    assert.deepEqual(result.killed.map((t) => t.id), [cart.tasks[0]!.id]);
    await authFailure(client(s, staticTokenAuth('not-a-token')).listApps(), 401);
  });

  it('a service account logs in through the ACS endpoint once and kills a task', async () => {
    const s = await start(dcos());
    const c = client(s, serviceAccount(s));
    const cart = await c.getApp('/shop/cart');
    await c.listApps();
    const result = await c.killTasks([cart.tasks[0]!.id]);
    assert.deepEqual(result.killed.map((t) => t.id), [cart.tasks[0]!.id]);
    assert.equal(okLogins(s), 1, 'one login serves every request while the token is valid');
  });

  it('after revokeTokens() the next read and the next kill get 401, log in again once each and succeed', async () => {
    const s = await start(dcos());
    const c = client(s, serviceAccount(s));
    const cart = await c.getApp('/shop/cart');
    s.revokeTokens();
    assert.equal((await c.listApps()).length, 1);
    assert.equal(okLogins(s), 2);
    assert.equal(requestsTo(s, '/v2/apps'), 2, 'the 401 and the retry');

    s.revokeTokens();
    const result = await c.killTasks([cart.tasks[1]!.id]);
    assert.deepEqual(result.killed.map((t) => t.id), [cart.tasks[1]!.id]);
    assert.equal(okLogins(s), 3);
    assert.equal(s.requestLog.filter((r) => r.path === '/v2/tasks/delete').length, 2, 'the refused kill (401: nothing done) and its one retry');
  });

  it('a service account whose key the cluster does not know → E_MARATHON_AUTH naming the ACS code, no key in the message', async () => {
    const s = await start(dcos());
    const err = await authFailure(client(s, serviceAccount(s, undefined, otherPrivatePem)).listApps(), 401);
    assert.match(err.message, /ERR_INVALID_SERVICE_LOGIN_TOKEN/);
    assert.ok(!err.message.includes('PRIVATE KEY'));
    assert.deepEqual(s.logins.map((l) => l.ok), [false]);
  });

  it('with a shared ManualClock the token is renewed before it expires, never after a 401', async () => {
    const clock = new ManualClock(aTuesdayMorning);
    const s = await start(dcos(3600), clock);
    const c = client(s, serviceAccount(s, clock), clock);
    await c.listApps();
    assert.equal(okLogins(s), 1);
    await clock.advance(50 * 60_000);
    await c.listApps();
    assert.equal(okLogins(s), 1, 'still well inside the lifetime');
    await clock.advance(6 * 60_000); // 56 min: inside the 5-minute refresh margin, the old token still valid
    await c.listApps();
    assert.equal(okLogins(s), 2, 'renewed ahead of expiry');
    await clock.advance(5 * 60_000); // 61 min: the first token has expired; the second is used
    await c.listApps();
    assert.equal(okLogins(s), 2);
    assert.equal(requestsTo(s, '/v2/apps'), 4, 'one request per listApps: no 401 on the way');
    assert.deepEqual(s.logins.map((l) => l.at), [aTuesdayMorning, aTuesdayMorning + 56 * 60_000]);
  });
});
