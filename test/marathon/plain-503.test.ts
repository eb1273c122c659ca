import assert from 'node:assert/strict';
import { MarathonClient } from '../../src/marathon/client.js';
import { MarathonError } from '../../src/marathon/errors.js';
import { sendText, ServerPool } from '../helpers/http-server.js';
import { leaderHandler, noLeader, UUID1 } from './fake-marathon.js';

/**
 * A plain 503 (the --http_max_concurrent_requests limiter, a restart, a proxy) is not a leader
 * election: only the "Could not determine the current leader" page is (docs/marathon-api.md §3).
 * The operator must read what really happened, not "chaos is paused until a leader is elected".
 */
const JETTY_503 =
  '<html>\n<head>\n<title>Error 503 Service Unavailable</title>\n</head>\n<body><h2>HTTP ERROR 503</h2>\n<p>Problem accessing /v2/apps. Reason:\n<pre>    Service Unavailable</pre></p>\n</body>\n</html>\n';

function client(urls: string[], retries = 0): MarathonClient {
  return new MarathonClient({ urls, timeoutMs: 500, retries, backoff: { baseMs: 1, maxMs: 2 } });
}

async function caught(p: Promise<unknown>): Promise<MarathonError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof MarathonError, String(e));
    return e;
  }
  assert.fail('expected a MarathonError');
}

describe('a plain 503 from Marathon is reported as what it is', () => {
  const pool = new ServerPool();
  afterEach(() => pool.closeAll());

  for (const [name, body, type] of [
    ['an empty body', '', 'text/plain'],
    ["Jetty's 503 page", JETTY_503, 'text/html;charset=iso-8859-1'],
  ] as const) {
    it(`listing answered 503 with ${name}: E_MARATHON_HTTP 503, "nothing killed this cycle", no word of a leader`, async () => {
      const m = await pool.start((_req, res) => sendText(res, 503, body, type));
      const err = await caught(client([m.url], 1).listApps());
      assert.equal(err.code, 'E_MARATHON_HTTP');
      assert.equal(err.status, 503);
      assert.equal(err.endpoint, '/v2/apps');
      assert.equal(err.message, `GET /v2/apps: Marathon answered 503 Service Unavailable (${m.url}: 503); nothing killed this cycle, the next cycle tries again`);
      assert.doesNotMatch(`${err.message} ${err.hint}`, /leader is elected|paused/);
      assert.match(err.hint ?? '', /overloaded or restarting/);
      assert.equal(m.requests.length, 2, 'still retried like any transient answer');
    });
  }

  it('another read answered 503 says the request was not served (it may follow a kill)', async () => {
    const m = await pool.start((_req, res) => sendText(res, 503, ''));
    const err = await caught(client([m.url]).getApp('/shop/cart'));
    assert.equal(err.code, 'E_MARATHON_HTTP');
    assert.equal(err.message, `GET /v2/apps/shop/cart: Marathon answered 503 Service Unavailable (${m.url}: 503); the request was not served`);
  });

  it('a kill answered with a plain 503 is E_KILL_REJECTED (nothing killed), not "no leader"', async () => {
    const m = await pool.start(leaderHandler());
    const c = client([m.url]);
    await c.listApps();
    m.setHandler((_req, res) => sendText(res, 503, ''));
    const err = await caught(c.killTasks([`shop_cart.instance-${UUID1}._app.1`]));
    assert.equal(err.code, 'E_KILL_REJECTED');
    assert.equal(err.status, 503);
    assert.equal(err.message, 'POST /v2/tasks/delete: Marathon answered 503 Service Unavailable; nothing was killed, the next cycle tries again');
    assert.doesNotMatch(`${err.message} ${err.hint}`, /leader is elected|paused/);
  });

  it('the no-leader page keeps the no-leader wording: 502 (1.7.38+) and 503 (older)', async () => {
    const a = await pool.start((_req, res) => noLeader(res));
    const b = await pool.start((_req, res) => sendText(res, 503, JETTY_503.replaceAll('Service Unavailable', 'Could not determine the current leader')));
    for (const url of [a.url, b.url]) {
      const err = await caught(client([url]).listApps());
      assert.equal(err.code, 'E_MARATHON_NO_LEADER');
      assert.match(err.message, /Marathon has no leader: .*chaos is paused until a leader is elected/);
    }
  });

  it('one instance without a leader and one answering 503: the no-leader signal wins', async () => {
    const a = await pool.start((_req, res) => sendText(res, 503, ''));
    const b = await pool.start((_req, res) => noLeader(res));
    const err = await caught(client([a.url, b.url]).listApps());
    assert.equal(err.code, 'E_MARATHON_NO_LEADER');
  });
});
