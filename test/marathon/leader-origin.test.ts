/**
 * Credentials and kills only go to configured origins. Two real servers on 127.0.0.1 on different
 * ports are two origins: the configured one names the other in X-Marathon-Leader.
 */
import assert from 'node:assert/strict';
import { basicAuth } from '../../src/http/auth.js';
import { MarathonClient } from '../../src/marathon/client.js';
import { memoryLogger } from '../../src/log.js';
import { ServerPool, type TestServer } from '../helpers/http-server.js';
import { leaderHandler, UUID1 } from './fake-marathon.js';

const VICTIM = `shop_cart.instance-${UUID1}._app.1`;
const kills = (s: TestServer): number => s.requests.filter((r) => r.method === 'POST' && r.path === '/v2/tasks/delete').length;
const withAuth = (s: TestServer): number => s.requests.filter((r) => r.headers.authorization !== undefined).length;

function client(urls: string[], extra: Partial<ConstructorParameters<typeof MarathonClient>[0]> = {}): MarathonClient {
  return new MarathonClient({ urls, timeoutMs: 1000, retries: 0, backoff: { baseMs: 1, maxMs: 5 }, ...extra });
}

describe('MarathonClient: X-Marathon-Leader never takes credentials or kills off the configured origins', () => {
  const pool = new ServerPool();
  afterEach(() => pool.closeAll());

  for (const [form, header] of [
    ['http://host:port', (s: TestServer) => s.url],
    ['host:port', (s: TestServer) => s.hostPort],
  ] as const) {
    it(`a leader outside the configured URLs (${form}) gets no request; reads and the kill go through the configured URL`, async () => {
      const outsider = await pool.start(leaderHandler());
      const configured = await pool.start(leaderHandler());
      configured.setHandler(leaderHandler({ leader: header(outsider) }));
      const { logger, lines } = memoryLogger('info');
      for (const c of [
        client([configured.url.replace('http://', 'http://urluser:URLSECRET@')], { logger }),
        client([configured.url], { auth: basicAuth('ops', 'pw'), logger }),
      ]) {
        await c.listApps();
        await c.listApps();
        await c.getApp('/shop/cart');
        await c.leader();
        const result = await c.killTasks([VICTIM]);
        assert.deepEqual(result.unmatched, []);
      }
      assert.equal(outsider.requests.length, 0, 'the unconfigured leader received nothing');
      assert.equal(withAuth(outsider), 0);
      assert.equal(kills(outsider), 0);
      assert.equal(kills(configured), 2, 'each kill reached the configured URL');
      assert.ok(configured.requests.every((r) => r.headers.authorization !== undefined));
      const notes = lines().filter((l) => String(l.msg).includes('not one of the configured URLs'));
      assert.ok(notes.length >= 1, 'the foreign leader is logged');
      assert.ok(notes.length <= 2, 'once per client, not per request');
    });
  }

  it('a leader that is another configured URL (same scheme, host, port) is used, the kill included', async () => {
    const leader = await pool.start(leaderHandler());
    leader.setHandler(leaderHandler({ leader: leader.url }));
    const standby = await pool.start(leaderHandler({ leader: leader.url }));
    const c = client([standby.url, leader.url], { auth: basicAuth('ops', 'pw') });
    await c.listApps();
    await c.listApps();
    await c.killTasks([VICTIM]);
    assert.equal(standby.requests.length, 1, 'only the first read went to the standby');
    assert.equal(kills(leader), 1);
    assert.equal(kills(standby), 0);
    assert.equal(withAuth(leader), leader.requests.length);
  });

  it('a leader on a configured host:port but another scheme is not a configured origin', async () => {
    const configured = await pool.start(leaderHandler());
    configured.setHandler(leaderHandler({ leader: `https://${configured.hostPort}` }));
    const c = client([configured.url], { auth: basicAuth('ops', 'pw') });
    await c.listApps();
    await c.killTasks([VICTIM]);
    assert.equal(kills(configured), 1, 'still the configured http:// URL, not an https:// one the header invented');
  });
});
