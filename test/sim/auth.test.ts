/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return --
   these tests walk raw JSON from the wire on purpose. */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScenarioError } from '../../src/errors.js';
import { ManualClock } from '../../src/platform/clock.js';
import { runSimCommand } from '../../src/sim/command.js';
import { loadScenario, parseScenario, startSimulator, type RunningSim } from '../../src/sim/index.js';
import { baseRaw, getJson, killRequest, scenarioWith } from './helpers.js';

const aMondayMorning = Date.parse('2024-03-04T09:00:00.000Z');
const account = generateKeyPairSync('rsa', { modulusLength: 2048 });
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicPem = account.publicKey.export({ type: 'spki', format: 'pem' }).toString();

const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

function b64json(o: unknown): string {
  return Buffer.from(JSON.stringify(o)).toString('base64url');
}

/** A service login token as DC/OS expects it, with claims and header under the test's control. */
function loginToken(claims: Record<string, unknown>, key: KeyObject = account.privateKey, header: Record<string, unknown> = { alg: 'RS256', typ: 'JWT' }): string {
  const signed = `${b64json(header)}.${b64json(claims)}`;
  return `${signed}.${sign('sha256', Buffer.from(signed), key).toString('base64url')}`;
}

function claimsOf(jwt: string): any {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());
}

const dcosAuth = {
  dcos: {
    tokens: ['static-token'],
    serviceAccounts: [{ uid: 'chaos-monkey', publicKey: publicPem }],
    tokenLifetimeSeconds: 3600,
    forbiddenApps: ['/secret/*'],
  },
};

function withSecretApp(raw: Record<string, unknown>): void {
  (raw.apps as unknown[]).push({ id: '/secret/db', instances: 1 });
}

describe('sim: basic auth', () => {
  let sim: RunningSim;
  beforeEach(async () => {
    sim = await startSimulator({
      scenario: scenarioWith((r) => {
        r.marathon = { instances: 2 };
        r.auth = { basic: { username: 'ops', password: 's3cret' } };
      }),
      noLeaderHoldMs: 30,
    });
  });
  afterEach(async () => sim.close());

  for (const path of ['/v2/apps', '/ping', '/v2/info', '/v2/events']) {
    it(`${path} without credentials → 401, Basic challenge for realm Mesosphere, Jetty HTML body`, async () => {
      const r = await getJson(`${sim.marathonUrl}${path}`, { headers: { accept: 'text/event-stream' } });
      assert.equal(r.status, 401);
      assert.equal(r.headers.get('www-authenticate'), 'Basic realm="Mesosphere"');
      assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(String(r.body), /HTTP ERROR 401/);
    });
  }

  it('wrong password, wrong user or another scheme → 401; the right ones → 200, also through a non-leader', async () => {
    for (const authorization of [basic('ops', 'wrong'), basic('root', 's3cret'), 'token=s3cret', 'Basic !!!']) {
      const r = await getJson(`${sim.marathonUrl}/v2/apps`, { headers: { authorization } });
      assert.equal(r.status, 401, authorization);
    }
    const ok = await getJson(`${sim.marathonUrl}/v2/apps`, { headers: { authorization: basic('ops', 's3cret') } });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.apps.length, 2);
    const viaStandby = await getJson(`${sim.marathonUrls[1]}/v2/apps`, { headers: { authorization: basic('ops', 's3cret') } });
    assert.equal(viaStandby.status, 200, 'the proxied request carries the header to the leader');
    assert.ok(viaStandby.headers.get('x-marathon-via'));
    const ping = await fetch(`${sim.marathonUrl}/ping`, { headers: { authorization: basic('ops', 's3cret') } });
    assert.equal(await ping.text(), 'pong');
  });

  it('Mesos master routes stay open (masters authenticate only when configured to)', async () => {
    assert.equal((await getJson(`${sim.mesosUrl}/master/slaves`)).status, 200);
    assert.equal((await getJson(`${sim.marathonUrl}/master/slaves`)).status, 200);
  });

  it('the realm comes from the scenario; there is no ACS login endpoint without DC/OS auth', async () => {
    const other = await startSimulator({ scenario: scenarioWith((r) => (r.auth = { basic: { username: 'ops', password: 'pw', realm: 'Marathon' } })) });
    try {
      const r = await getJson(`${other.marathonUrl}/v2/apps`);
      assert.equal(r.headers.get('www-authenticate'), 'Basic realm="Marathon"');
      const login = await getJson(`${other.marathonUrl}/acs/api/v1/auth/login`, { method: 'POST', body: '{}', headers: { authorization: basic('ops', 'pw') } });
      assert.equal(login.status, 404);
    } finally {
      await other.close();
    }
  });
});

describe('sim: DC/OS auth', () => {
  let sim: RunningSim;
  let clock: ManualClock;
  beforeEach(async () => {
    clock = new ManualClock(aMondayMorning);
    sim = await startSimulator({
      scenario: scenarioWith((r) => {
        withSecretApp(r);
        r.auth = dcosAuth;
      }),
      clock,
    });
  });
  afterEach(async () => sim.close());

  const get = (path: string, token?: string): ReturnType<typeof getJson> =>
    getJson(`${sim.marathonUrl}${path}`, token === undefined ? {} : { headers: { authorization: `token=${token}` } });
  const login = (body: unknown): ReturnType<typeof getJson> =>
    getJson(`${sim.marathonUrl}/acs/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const validLogin = (): ReturnType<typeof getJson> => login({ uid: 'chaos-monkey', token: loginToken({ uid: 'chaos-monkey', exp: aMondayMorning / 1000 + 300 }) });

  it('no token, an unknown token, or a Basic header → 401 with WWW-Authenticate: acsjwt and a JSON message', async () => {
    for (const r of [await get('/v2/apps'), await get('/ping', 'nope'), await getJson(`${sim.marathonUrl}/v2/info`, { headers: { authorization: basic('a', 'b') } })]) {
      assert.equal(r.status, 401);
      assert.equal(r.headers.get('www-authenticate'), 'acsjwt');
      assert.deepEqual(r.body, { message: 'Invalid username or password.' });
    }
  });

  it('a static token reads; forbidden apps are left out of lists and answer 403 to reads and kills', async () => {
    const apps = await get('/v2/apps?embed=apps.tasks', 'static-token');
    assert.equal(apps.status, 200);
    assert.deepEqual(apps.body.apps.map((a: any) => a.id).sort(), ['/plain', '/shop/cart']);
    const tasks = await get('/v2/tasks', 'static-token');
    assert.ok(tasks.body.tasks.every((t: any) => t.appId !== '/secret/db'));
    assert.deepEqual((await get('/v2/apps/secret/*', 'static-token')).body, { '*': [] });

    for (const path of ['/v2/apps/secret/db', '/v2/apps/secret/db/tasks']) {
      const r = await get(path, 'static-token');
      assert.equal(r.status, 403, path);
      assert.deepEqual(r.body, { message: 'Not Authorized to perform this action!' });
    }
    const secretTask = sim.cluster.app('/secret/db')!.instances[0]!.taskId;
    const cartTask = sim.cluster.app('/shop/cart')!.instances[0]!.taskId;
    const kill = await getJson(`${sim.marathonUrl}/v2/tasks/delete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'token=static-token' },
      body: JSON.stringify({ ids: [cartTask, secretTask] }),
    });
    assert.equal(kill.status, 403, 'one forbidden task rejects the whole request');
    assert.deepEqual(kill.body, { message: 'Not Authorized to perform this action!' });
    assert.equal(sim.cluster.instanceForTaskId(cartTask)?.killPending, false, 'nothing was killed');
    const killOne = await getJson(`${sim.marathonUrl}/v2/apps/secret/db/tasks/${secretTask}`, { method: 'DELETE', headers: { authorization: 'token=static-token' } });
    assert.equal(killOne.status, 403);
    const allowed = await getJson(`${sim.marathonUrl}/v2/tasks/delete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'token=static-token' },
      body: JSON.stringify({ ids: [cartTask] }),
    });
    assert.equal(allowed.status, 200);
    assert.equal(sim.cluster.instanceForTaskId(cartTask)?.killPending, true);
    // Without a token the kill never reaches the authorizer.
    assert.equal((await killRequest(sim.marathonUrl, [cartTask])).status, 401);
  });

  it('login with a valid service login token → an RS256 auth token with uid and exp that Marathon accepts', async () => {
    const r = await validLogin();
    assert.equal(r.status, 200);
    const token = r.body.token as string;
    const [header] = token.split('.');
    assert.deepEqual(JSON.parse(Buffer.from(header!, 'base64url').toString()), { alg: 'RS256', typ: 'JWT' });
    assert.deepEqual(claimsOf(token), { uid: 'chaos-monkey', exp: aMondayMorning / 1000 + 3600 });
    assert.equal((await get('/v2/apps', token)).status, 200);
    assert.equal((await get('/v2/apps/secret/db', token)).status, 403, 'forbiddenApps apply to issued tokens too');
    assert.deepEqual(sim.logins, [{ uid: 'chaos-monkey', ok: true, at: aMondayMorning }]);
  });

  const refusals: { name: string; body: () => unknown; status: number; code: string }[] = [
    { name: 'signed with another key', body: () => ({ uid: 'chaos-monkey', token: loginToken({ uid: 'chaos-monkey', exp: aMondayMorning / 1000 + 300 }, stranger.privateKey) }), status: 401, code: 'ERR_INVALID_SERVICE_LOGIN_TOKEN' },
    { name: 'expired', body: () => ({ uid: 'chaos-monkey', token: loginToken({ uid: 'chaos-monkey', exp: aMondayMorning / 1000 - 1 }) }), status: 401, code: 'ERR_INVALID_SERVICE_LOGIN_TOKEN' },
    { name: 'without exp', body: () => ({ uid: 'chaos-monkey', token: loginToken({ uid: 'chaos-monkey' }) }), status: 401, code: 'ERR_INVALID_SERVICE_LOGIN_TOKEN' },
    { name: 'uid claim of another account', body: () => ({ uid: 'chaos-monkey', token: loginToken({ uid: 'admin', exp: aMondayMorning / 1000 + 300 }) }), status: 401, code: 'ERR_INVALID_SERVICE_LOGIN_TOKEN' },
    { name: 'alg other than RS256', body: () => ({ uid: 'chaos-monkey', token: loginToken({ uid: 'chaos-monkey', exp: aMondayMorning / 1000 + 300 }, account.privateKey, { alg: 'none' }) }), status: 401, code: 'ERR_INVALID_SERVICE_LOGIN_TOKEN' },
    { name: 'not a JWT', body: () => ({ uid: 'chaos-monkey', token: 'abc' }), status: 401, code: 'ERR_INVALID_SERVICE_LOGIN_TOKEN' },
    { name: 'unknown account', body: () => ({ uid: 'nobody', token: loginToken({ uid: 'nobody', exp: aMondayMorning / 1000 + 300 }) }), status: 401, code: 'ERR_INVALID_CREDENTIALS' },
    { name: 'a password (no user accounts in the sim)', body: () => ({ uid: 'chaos-monkey', password: 'x' }), status: 401, code: 'ERR_INVALID_CREDENTIALS' },
    { name: 'a body that is not JSON', body: () => 'uid=chaos-monkey', status: 400, code: 'ERR_INVALID_DATA' },
  ];
  for (const row of refusals) {
    it(`login refused: ${row.name} → ${row.status} ${row.code}`, async () => {
      const r = await login(row.body());
      assert.equal(r.status, row.status);
      assert.equal(r.body.code, row.code);
      assert.equal(typeof r.body.title, 'string');
      assert.equal(typeof r.body.description, 'string');
      assert.ok(!sim.logins.some((l) => l.ok));
    });
  }

  it('an issued token expires by the injected clock; revokeTokens() invalidates issued tokens but not static ones', async () => {
    const first = (await validLogin()).body.token as string;
    await clock.advance(3599_000);
    assert.equal((await get('/v2/apps', first)).status, 200);
    await clock.advance(1_000);
    const expired = await get('/v2/apps', first);
    assert.equal(expired.status, 401);
    assert.equal(expired.headers.get('www-authenticate'), 'acsjwt');

    const second = (await login({ uid: 'chaos-monkey', token: loginToken({ uid: 'chaos-monkey', exp: clock.now() / 1000 + 300 }) })).body.token as string;
    assert.equal((await get('/v2/apps', second)).status, 200);
    sim.revokeTokens();
    assert.equal((await get('/v2/apps', second)).status, 401);
    assert.equal((await get('/v2/apps', 'static-token')).status, 200);
    const third = (await login({ uid: 'chaos-monkey', token: loginToken({ uid: 'chaos-monkey', exp: clock.now() / 1000 + 300 }) })).body.token as string;
    assert.notEqual(third, second, 'signed with a new key');
    assert.equal((await get('/v2/apps', third)).status, 200);
    assert.equal(sim.logins.filter((l) => l.ok).length, 3);
  });

  it('faults leave the login endpoint alone unless a route names it', async () => {
    sim.setFaults({ errorRate: 1 });
    assert.equal((await validLogin()).status, 200);
    assert.equal((await get('/v2/apps', 'static-token')).status, 503);
    sim.setFaults({ routes: ['/acs/'] });
    assert.equal((await validLogin()).status, 503);
  });
});

describe('sim: auth scenario validation', () => {
  function problemsOf(auth: unknown): string[] {
    const raw = baseRaw();
    raw.auth = auth;
    try {
      parseScenario(raw, 'x.json');
    } catch (err) {
      assert.ok(err instanceof ScenarioError);
      return [...err.problems];
    }
    assert.fail('expected a ScenarioError');
  }

  const privatePem = account.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const ecPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const rows: { name: string; auth: unknown; expect: RegExp }[] = [
    { name: 'no method', auth: {}, expect: /^auth: names no method; give exactly one: \{"basic"/ },
    { name: 'both methods', auth: { basic: { username: 'a', password: 'b' }, dcos: { tokens: ['t'] } }, expect: /^auth: names both basic and dcos/ },
    { name: 'unknown method', auth: { oauth: {} }, expect: /^auth\.oauth: unknown key \(allowed keys: basic, dcos\)/ },
    { name: 'basic without password', auth: { basic: { username: 'ops' } }, expect: /^auth\.basic\.password: missing; add a string/ },
    { name: 'basic user with a colon', auth: { basic: { username: 'o:ps', password: 'x' } }, expect: /^auth\.basic\.username: must not contain ":"/ },
    { name: 'basic typo', auth: { basic: { username: 'ops', pasword: 'x' } }, expect: /^auth\.basic\.pasword: unknown key/ },
    { name: 'dcos without credentials', auth: { dcos: { forbiddenApps: ['/a'] } }, expect: /^auth\.dcos: accepts no credentials; add "tokens"/ },
    { name: 'empty token', auth: { dcos: { tokens: [''] } }, expect: /^auth\.dcos\.tokens\[0\]: expected a non-empty string/ },
    { name: 'token with a space', auth: { dcos: { tokens: ['a b'] } }, expect: /^auth\.dcos\.tokens\[0\]: must not contain whitespace/ },
    { name: 'account without a key', auth: { dcos: { serviceAccounts: [{ uid: 'm' }] } }, expect: /^auth\.dcos\.serviceAccounts\[0\]: give exactly one of "publicKey"/ },
    { name: 'account with both keys', auth: { dcos: { serviceAccounts: [{ uid: 'm', publicKey: publicPem, publicKeyFile: 'k.pem' }] } }, expect: /^auth\.dcos\.serviceAccounts\[0\]: give exactly one/ },
    { name: 'key that is not PEM', auth: { dcos: { serviceAccounts: [{ uid: 'm', publicKey: 'ssh-rsa AAAA' }] } }, expect: /^auth\.dcos\.serviceAccounts\[0\]\.publicKey: is not a PEM public key/ },
    { name: 'a private key', auth: { dcos: { serviceAccounts: [{ uid: 'm', publicKey: privatePem }] } }, expect: /^auth\.dcos\.serviceAccounts\[0\]\.publicKey: holds a private key; put the public key here/ },
    { name: 'an EC key', auth: { dcos: { serviceAccounts: [{ uid: 'm', publicKey: ecPem }] } }, expect: /^auth\.dcos\.serviceAccounts\[0\]\.publicKey: is a ec key; DC\/OS service accounts use RSA/ },
    { name: 'missing key file', auth: { dcos: { serviceAccounts: [{ uid: 'm', publicKeyFile: '/nonexistent/k.pem' }] } }, expect: /^auth\.dcos\.serviceAccounts\[0\]\.publicKeyFile: cannot read "\/nonexistent\/k\.pem" \(ENOENT\)/ },
    { name: 'duplicate uid', auth: { dcos: { serviceAccounts: [{ uid: 'm', publicKey: publicPem }, { uid: 'm', publicKey: publicPem }] } }, expect: /^auth\.dcos\.serviceAccounts\[1\]\.uid: duplicate service account "m"/ },
    { name: 'zero lifetime', auth: { dcos: { tokens: ['t'], tokenLifetimeSeconds: 0 } }, expect: /^auth\.dcos\.tokenLifetimeSeconds: expected a whole number >= 1, got 0/ },
    { name: 'forbidden app glob', auth: { dcos: { tokens: ['t'], forbiddenApps: ['secret/**'] } }, expect: /^auth\.dcos\.forbiddenApps\[0\]: expected an app id or a group ending in "\/\*"/ },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const problems = problemsOf(row.auth);
      assert.ok(problems.some((p) => row.expect.test(p)), problems.join('\n'));
    });
  }

  it('no auth by default; basic gets the Mesosphere realm; dcos the 5-day token lifetime', () => {
    assert.deepEqual(scenarioWith().auth, { kind: 'none' });
    assert.deepEqual(scenarioWith((r) => (r.auth = { basic: { username: 'ops', password: 'pw' } })).auth, { kind: 'basic', username: 'ops', password: 'pw', realm: 'Mesosphere' });
    assert.deepEqual(scenarioWith((r) => (r.auth = { dcos: { tokens: ['t'] } })).auth, { kind: 'dcos', tokens: ['t'], serviceAccounts: [], tokenLifetimeSeconds: 432000, forbiddenApps: [] });
  });

  it('publicKeyFile is read relative to the scenario file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-auth-'));
    writeFileSync(join(dir, 'monkey.pub.pem'), publicPem);
    const raw = baseRaw();
    raw.auth = { dcos: { serviceAccounts: [{ uid: 'chaos-monkey', publicKeyFile: 'monkey.pub.pem' }] } };
    writeFileSync(join(dir, 'scenario.json'), JSON.stringify(raw));
    const auth = loadScenario(join(dir, 'scenario.json')).auth;
    assert.equal(auth.kind, 'dcos');
    assert.deepEqual(auth.kind === 'dcos' ? auth.serviceAccounts : [], [{ uid: 'chaos-monkey', publicKey: publicPem }]);
  });
});

describe('sim: the dcos-auth example scenario', () => {
  it('runSimCommand says how to authenticate without printing the token; the token works, /secret answers 403', async () => {
    const lines: string[] = [];
    const sim = await runSimCommand({ port: 0, scenarioFile: new URL('../../config/scenarios/dcos-auth.json', import.meta.url).pathname, log: (l) => lines.push(l) });
    try {
      assert.ok(lines.includes('  MONKEY_MARATHON_TOKEN=<one of auth.dcos.tokens of the scenario>'), lines.join('\n'));
      assert.ok(!lines.join('\n').includes('demo-monkey-token'));
      assert.equal((await getJson(`${sim.marathonUrl}/v2/apps`)).status, 401);
      const apps = await getJson(`${sim.marathonUrl}/v2/apps`, { headers: { authorization: 'token=demo-monkey-token' } });
      assert.deepEqual(apps.body.apps.map((a: any) => a.id).sort(), ['/shop/cart', '/shop/search']);
      assert.equal((await getJson(`${sim.marathonUrl}/v2/apps/secret/vault`, { headers: { authorization: 'token=demo-monkey-token' } })).status, 403);
    } finally {
      await sim.close();
    }
  });
});
