import assert from 'node:assert/strict';
import { MarathonClient, type MarathonRequestEvent } from '../../src/marathon/client.js';
import { MarathonError, type MarathonErrorCode } from '../../src/marathon/errors.js';
import { ManualClock } from '../../src/platform/clock.js';
import { hang, refusedUrl, sendJson, sendText, ServerPool } from '../helpers/http-server.js';
import { app, leaderHandler, noLeader, task, UUID1, UUID2 } from './fake-marathon.js';

async function rejectsWith(p: Promise<unknown>, code: MarathonErrorCode, message?: RegExp): Promise<MarathonError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof MarathonError, `expected MarathonError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (message) assert.match(caught.message, message);
  return caught;
}

function client(urls: string[], extra: Partial<ConstructorParameters<typeof MarathonClient>[0]> = {}): MarathonClient {
  return new MarathonClient({ urls, timeoutMs: 500, retries: 0, backoff: { baseMs: 1, maxMs: 5 }, ...extra });
}

const kills = (s: { requests: { method: string; path: string }[] }): number => s.requests.filter((r) => r.method === 'POST' && r.path === '/v2/tasks/delete').length;

describe('MarathonClient reads', () => {
  const pool = new ServerPool();
  afterEach(() => pool.closeAll());

  it('listApps: ONE GET with every embed, label selector URL-encoded', async () => {
    const m = await pool.start(leaderHandler());
    const apps = await client([m.url]).listApps({ labelSelector: 'monkey.enabled==true,env in (prod,stage)' });
    assert.equal(apps.length, 1);
    assert.equal(m.requests.length, 1);
    const r = m.requests[0]!;
    assert.equal(r.path, '/v2/apps');
    assert.deepEqual(r.query.getAll('embed'), ['apps.tasks', 'apps.counts', 'apps.deployments', 'apps.lastTaskFailure']);
    assert.equal(r.query.get('label'), 'monkey.enabled==true,env in (prod,stage)');
    assert.match(r.rawQuery, /label=monkey\.enabled%3D%3Dtrue%2Cenv%20in%20\(prod%2Cstage\)$/);
    assert.equal(r.headers.authorization, undefined);
  });

  it('getApp: encodes path segments; 404 → E_APP_NOT_FOUND; dot segments refused without a request', async () => {
    const m = await pool.start(leaderHandler());
    const c = client([m.url]);
    assert.equal((await c.getApp('/shop/cart')).id, '/shop/cart');
    assert.equal(m.requests[0]!.path, '/v2/apps/shop/cart');
    await rejectsWith(c.getApp('/shop/gone'), 'E_APP_NOT_FOUND', /\/shop\/gone/);
    await c.getApp('/a b/c?d').catch(() => undefined);
    assert.equal(m.requests[2]!.path, '/v2/apps/a%20b/c%3Fd');
    await rejectsWith(c.getApp('/shop/../tasks'), 'E_APP_ID_INVALID');
    await rejectsWith(c.getApp('/'), 'E_APP_ID_INVALID');
    assert.equal(m.requests.length, 3);
  });

  it('info and leader', async () => {
    const m = await pool.start(leaderHandler());
    m.setHandler(leaderHandler({ leader: m.hostPort }));
    const c = client([m.url]);
    const info = await c.info();
    assert.equal(info.mesosLeaderUiUrl, 'http://127.0.0.1:5050/');
    assert.equal(await c.leader(), m.hostPort);
  });

  it('fails over: first URL refuses the connection, second answers', async () => {
    const dead = await refusedUrl();
    const m = await pool.start(leaderHandler());
    const events: MarathonRequestEvent[] = [];
    const apps = await client([dead, m.url], { onRequest: (e) => events.push(e) }).listApps();
    assert.equal(apps.length, 1);
    assert.deepEqual(
      events.map((e) => [e.target, e.status, e.error]),
      [
        [dead, undefined, 'E_HTTP_REFUSED'],
        [m.url, 200, undefined],
      ],
    );
  });

  it('fails over on a read timeout', async () => {
    const slow = await pool.start(hang);
    const m = await pool.start(leaderHandler());
    const apps = await client([slow.url, m.url], { timeoutMs: 100 }).listApps();
    assert.equal(apps.length, 1);
    assert.equal(slow.requests.length, 1);
  });

  it('prefers the leader named in X-Marathon-Leader on the next request', async () => {
    const leader = await pool.start(leaderHandler());
    leader.setHandler(leaderHandler({ leader: leader.url }));
    const standby = await pool.start(leaderHandler({ leader: `http://${leader.hostPort}` }));
    const c = client([standby.url, leader.url]);
    await c.listApps();
    await c.listApps();
    await c.listApps();
    assert.equal(standby.requests.length, 1);
    assert.equal(leader.requests.length, 2);
  });

  it('does not call a leader that is not among the configured URLs (host:port form): the configured URL proxies to it', async () => {
    const leader = await pool.start(leaderHandler());
    const standby = await pool.start(leaderHandler({ leader: leader.hostPort }));
    const c = client([standby.url]);
    await c.listApps();
    await c.listApps();
    assert.equal(standby.requests.length, 2);
    assert.equal(leader.requests.length, 0);
  });

  it('every instance without a leader → E_MARATHON_NO_LEADER, retried in rounds', async () => {
    const a = await pool.start((_req, res) => noLeader(res));
    const b = await pool.start((_req, res) => sendText(res, 503, 'Could not determine the current leader'));
    const err = await rejectsWith(client([a.url, b.url], { retries: 2 }).listApps(), 'E_MARATHON_NO_LEADER', /chaos is paused until a leader is elected/);
    assert.equal(err.endpoint, '/v2/apps');
    assert.equal(a.requests.length, 3);
    assert.equal(b.requests.length, 3);
  });

  it('a transient 503 is retried after backoff', async () => {
    let n = 0;
    const m = await pool.start((req, res, raw) => (n++ === 0 ? sendText(res, 503, '') : leaderHandler()(req, res, raw)));
    const apps = await client([m.url], { retries: 1 }).listApps();
    assert.equal(apps.length, 1);
    assert.equal(m.requests.length, 2);
  });

  it('nothing reachable → E_MARATHON_UNREACHABLE naming the targets, not credentials', async () => {
    const dead = await refusedUrl();
    const err = await rejectsWith(client([dead.replace('http://', 'http://u:p@')]).listApps(), 'E_MARATHON_UNREACHABLE');
    assert.match(err.message, new RegExp(`${dead.replace(/[/.]/g, '\\$&')}: refused`));
    assert.doesNotMatch(err.message, /u:p@/);
  });

  const badBodies: [string, (res: import('node:http').ServerResponse) => void, RegExp][] = [
    ['HTML page with 200', (res) => sendText(res, 200, '<!DOCTYPE html><html><body>Login</body></html>', 'text/html'), /HTML page instead of JSON/],
    ['truncated JSON', (res) => sendText(res, 200, JSON.stringify({ apps: [app()] }).slice(0, 50), 'application/json'), /truncated/],
    ['wrong type', (res) => sendJson(res, 200, { apps: [{ ...app(), tasksRunning: 'many' }] }), /\$\.apps\[0\]\.tasksRunning: expected a number/],
  ];
  for (const [name, respond, re] of badBodies) {
    it(`malformed answer (${name}) → E_MARATHON_BAD_RESPONSE`, async () => {
      const m = await pool.start((_req, res) => respond(res));
      const err = await rejectsWith(client([m.url]).listApps(), 'E_MARATHON_BAD_RESPONSE', re);
      assert.match(err.message, /^GET \/v2\/apps: /);
      assert.equal(err.status, 200);
    });
  }

  it('other HTTP errors carry the status and Marathon’s message', async () => {
    const m = await pool.start((_req, res) => sendJson(res, 422, { message: 'Invalid label selector' }));
    const err = await rejectsWith(client([m.url]).listApps({ labelSelector: '((' }), 'E_MARATHON_HTTP', /answered 422: Invalid label selector/);
    assert.equal(err.status, 422);
  });

  it('401 and 403 → E_MARATHON_AUTH, no failover to other URLs', async () => {
    const a = await pool.start((_req, res) => sendText(res, 401, '<html>401</html>', 'text/html', { 'WWW-Authenticate': 'Basic realm="Mesosphere"' }));
    const b = await pool.start(leaderHandler());
    await rejectsWith(client([a.url, b.url]).listApps(), 'E_MARATHON_AUTH', /401/);
    assert.equal(b.requests.length, 0);
    const f = await pool.start((_req, res) => sendJson(res, 403, { message: 'Not Authorized to perform this action!' }));
    const err = await rejectsWith(client([f.url]).listApps(), 'E_MARATHON_AUTH', /403.*Not Authorized/);
    assert.match(err.hint ?? '', /permission/);
  });
});

describe('MarathonClient.killTasks', () => {
  const pool = new ServerPool();
  afterEach(() => pool.closeAll());

  const live = `shop_cart.instance-${UUID1}._app.2`;

  it('ONE POST /v2/tasks/delete?scale=false with the ids as JSON; unknown ids in unmatched; old incarnation matches', async () => {
    const m = await pool.start(leaderHandler({ apps: [app('/shop/cart', [task(live)])] }));
    const c = client([m.url]);
    await c.listApps();
    const unknown = `shop_cart.instance-${UUID2}._app.1`;
    const oldIncarnation = `shop_cart.instance-${UUID1}._app.1`;
    const result = await c.killTasks([oldIncarnation, unknown]);
    assert.deepEqual(result.requested, [oldIncarnation, unknown]);
    assert.deepEqual(result.killed.map((t) => t.id), [live]);
    assert.deepEqual(result.unmatched, [unknown]);
    const posts = m.requests.filter((r) => r.method === 'POST');
    assert.equal(posts.length, 1);
    const p = posts[0]!;
    assert.equal(p.path, '/v2/tasks/delete');
    assert.equal(p.rawQuery, 'scale=false');
    assert.match(String(p.headers['content-type']), /^application\/json/);
    assert.deepEqual(JSON.parse(p.body), { ids: [oldIncarnation, unknown] });
  });

  it('no ids → no request', async () => {
    const m = await pool.start(leaderHandler());
    assert.deepEqual(await client([m.url]).killTasks([]), { requested: [], killed: [], unmatched: [] });
    assert.equal(m.requests.length, 0);
  });

  it('without a fresh answer through the leader, probes /v2/leader first', async () => {
    const clock = new ManualClock(0);
    const m = await pool.start(leaderHandler());
    const c = client([m.url], { clock, leaderFreshMs: 30_000 });
    await c.killTasks([live]);
    assert.deepEqual(m.requests.map((r) => `${r.method} ${r.path}`), ['GET /v2/leader', 'POST /v2/tasks/delete']);
    await clock.advance(10_000);
    await c.killTasks([live]);
    assert.equal(m.requests.length, 3);
    await clock.advance(31_000);
    await c.killTasks([live]);
    assert.deepEqual(m.requests.slice(3).map((r) => r.path), ['/v2/leader', '/v2/tasks/delete']);
  });

  it('no leader anywhere → E_MARATHON_NO_LEADER and no kill sent', async () => {
    const a = await pool.start((_req, res) => noLeader(res));
    const b = await pool.start((_req, res) => noLeader(res));
    await rejectsWith(client([a.url, b.url]).killTasks([live]), 'E_MARATHON_NO_LEADER');
    assert.equal(kills(a) + kills(b), 0);
  });

  it('a leader lost after the last read: the 502 no-leader page → E_MARATHON_NO_LEADER, not retried', async () => {
    const m = await pool.start(leaderHandler());
    const other = await pool.start(leaderHandler());
    const c = client([m.url, other.url]);
    await c.listApps();
    m.setHandler((_req, res) => noLeader(res));
    await rejectsWith(c.killTasks([live]), 'E_MARATHON_NO_LEADER');
    assert.equal(kills(m), 1);
    assert.equal(kills(other), 0);
  });

  it('timeout after sending → E_KILL_UNCERTAIN; exactly one request seen, no other URL tried', async () => {
    const m = await pool.start(leaderHandler());
    const other = await pool.start(leaderHandler());
    const c = client([m.url, other.url], { timeoutMs: 150, retries: 3 });
    await c.listApps();
    m.setHandler(hang);
    const err = await rejectsWith(c.killTasks([live]), 'E_KILL_UNCERTAIN', /may or may not have happened/);
    assert.equal(err.method, 'POST');
    assert.equal(err.endpoint, '/v2/tasks/delete');
    assert.equal(kills(m), 1);
    assert.equal(kills(other), 0);
  });

  it('connection dropped after sending → E_KILL_UNCERTAIN, not retried', async () => {
    const m = await pool.start(leaderHandler());
    const other = await pool.start(leaderHandler());
    const c = client([m.url, other.url]);
    await c.listApps();
    m.setHandler((_req, _res, raw) => {
      raw.socket.destroy();
    });
    await rejectsWith(c.killTasks([live]), 'E_KILL_UNCERTAIN');
    assert.equal(kills(m), 1);
    assert.equal(kills(other), 0);
  });

  it('connection refused before sending → re-probes the leader and sends once to the new one', async () => {
    const m = await pool.start(leaderHandler());
    const other = await pool.start(leaderHandler());
    const c = client([m.url, other.url]);
    await c.listApps();
    await m.close();
    const result = await c.killTasks([live]);
    assert.equal(result.killed.length, 1);
    assert.deepEqual(other.requests.map((r) => `${r.method} ${r.path}`), ['GET /v2/leader', 'POST /v2/tasks/delete']);
  });

  it('400 invalid task id → E_KILL_REJECTED with Marathon’s message', async () => {
    const m = await pool.start((req, res, raw) =>
      req.method === 'POST' ? sendJson(res, 400, { message: "Invalid task id 'oops'. [...]" }) : leaderHandler()(req, res, raw),
    );
    const c = client([m.url]);
    await c.listApps();
    const err = await rejectsWith(c.killTasks(['oops']), 'E_KILL_REJECTED', /400: Invalid task id 'oops'.*nothing was killed/);
    assert.equal(err.status, 400);
  });

  it('500 from Marathon → E_KILL_UNCERTAIN; malformed 200 → E_KILL_UNCERTAIN', async () => {
    let answer = 500;
    const m = await pool.start((req, res, raw) => {
      if (req.method !== 'POST') return leaderHandler()(req, res, raw);
      return answer === 500 ? sendText(res, 500, 'boom') : sendText(res, 200, '{"tasks": [', 'application/json');
    });
    const c = client([m.url]);
    await c.listApps();
    await rejectsWith(c.killTasks([live]), 'E_KILL_UNCERTAIN', /answered 500/);
    answer = 200;
    const err = await rejectsWith(c.killTasks([live]), 'E_KILL_UNCERTAIN', /accepted the kill \(200\)/);
    assert.ok(err.cause instanceof MarathonError && err.cause.code === 'E_MARATHON_BAD_RESPONSE');
    assert.equal(kills(m), 2);
  });
});
