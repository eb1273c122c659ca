/**
 * Credentials written into the configured URLs (`http://user:pass@host`) never show: not in
 * /status (served without a token), not in the logs, not in error messages, not in `validate`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { main, runDaemon } from '../../src/cli/main.js';
import { ConfigError } from '../../src/errors.js';
import { maskUrlCredentials } from '../../src/http/url.js';
import { MarathonClient } from '../../src/marathon/client.js';
import { MesosClient } from '../../src/mesos/client.js';
import { refusedUrl, startServer, type TestServer } from '../helpers/http-server.js';

const SECRETS = ['URLSECRET', 'MESOSSECRET', 'TAILSECRET'];

function assertNoSecret(text: string, where: string): void {
  for (const s of SECRETS) assert.ok(!text.includes(s), `${where} shows ${s}: ${text.slice(Math.max(0, text.indexOf(s) - 200), text.indexOf(s) + 50)}`);
}

/** `http://urluser:URLSECRET@127.0.0.1:port`; the Mesos one has an `@` in the password, which URL parsers accept. */
function withCredentials(url: string, user: string, password: string): string {
  return url.replace('http://', `http://${user}:${password}@`);
}

describe('credentials in configured URLs', () => {
  let servers: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
  });

  it('maskUrlCredentials hides every userinfo, also one with @ inside the password', () => {
    assert.equal(maskUrlCredentials('http://u:p@127.0.0.1:8080/x'), 'http://***@127.0.0.1:8080/x');
    assert.equal(maskUrlCredentials('see "http://u:MESOS@TAILSECRET@h:1/" and https://a:b@c,http://d:e@f'), 'see "http://***@h:1/" and https://***@c,http://***@f');
    assert.equal(maskUrlCredentials('http://h:1/path@x'), 'http://h:1/path@x');
  });

  it('the masked configuration (what /status shows) has no password from a Marathon or Mesos URL', () => {
    const loaded = loadConfig({
      env: {
        MONKEY_MARATHON_URLS: 'http://urluser:URLSECRET@127.0.0.1:8080,https://other:URLSECRET@127.0.0.1:8443/marathon',
        MONKEY_MESOS_URL: 'http://mesosuser:MESOSSECRET@TAILSECRET@127.0.0.1:5050',
      },
    });
    const text = JSON.stringify(loaded.masked);
    assertNoSecret(text, 'the masked config');
    assert.match(text, /127\.0\.0\.1:8080/, 'the URL itself stays visible');
  });

  it('a config error about such a URL does not repeat the password', () => {
    assert.throws(
      () => loadConfig({ env: { MONKEY_MARATHON_URLS: 'http://u:URLSECRET@TAILSECRET@127.0.0.1:8080/?x=1' } }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assertNoSecret(`${e.message} ${e.hint ?? ''} ${JSON.stringify(e)}`, 'the config error');
        return true;
      },
    );
  });

  it('client errors and request events name the origin without credentials', async () => {
    const refused = await refusedUrl();
    const events: unknown[] = [];
    const marathon = new MarathonClient({ urls: [withCredentials(refused, 'urluser', 'URLSECRET')], timeoutMs: 500, retries: 0, onRequest: (e) => events.push(e) });
    const err = await marathon.listApps().then(
      () => assert.fail('no Marathon listens'),
      (e: unknown) => e as Error,
    );
    assertNoSecret(`${err.message} ${JSON.stringify(err)} ${String(err.stack)} ${JSON.stringify(events)}`, 'the Marathon error');
    const mesos = new MesosClient({ url: withCredentials(refused, 'mesosuser', 'MESOSSECRET@TAILSECRET'), timeoutMs: 500, retries: 0, onRequest: (e) => events.push(e) });
    const mesosErr = await mesos.listAgents().then(
      () => assert.fail('no Mesos listens'),
      (e: unknown) => e as Error,
    );
    assertNoSecret(`${mesosErr.message} ${JSON.stringify(mesosErr)} ${String(mesosErr.stack)} ${JSON.stringify(events)} ${mesos.target}`, 'the Mesos error');
  });

  it('a running daemon: /status, its logs and `validate` never show the passwords', async function () {
    this.timeout(10_000);
    // A Marathon that fails every request: the daemon logs and reports the errors it gets.
    const marathon = await startServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('boom');
    });
    servers.push(marathon);
    const mesos = await refusedUrl();
    const dir = mkdtempSync(join(tmpdir(), 'monkey-url-creds-'));
    const env: NodeJS.ProcessEnv = {
      MONKEY_MARATHON_URLS: withCredentials(marathon.url, 'urluser', 'URLSECRET'),
      MONKEY_MESOS_URL: withCredentials(mesos, 'mesosuser', 'MESOSSECRET@TAILSECRET'),
      MONKEY_JOURNAL: join(dir, 'journal.jsonl'),
      MONKEY_PORT: '0',
      MONKEY_HOST: '127.0.0.1',
      MONKEY_HTTP_RETRIES: '0',
      MONKEY_HTTP_TIMEOUT_MS: '1000',
      MONKEY_LOG_LEVEL: 'trace',
    };
    let out = '';
    let stop!: (signal: string) => void;
    const stopRequested = new Promise<string>((resolve) => (stop = resolve));
    let started!: (url: string) => void;
    const url = new Promise<string>((resolve) => (started = resolve));
    const ctx = { env, stdout: (s: string) => void (out += s), stderr: (s: string) => void (out += s), stopRequested };
    const running = runDaemon(loadConfig({ env }), ctx, { onStarted: (u) => started(u) });
    const base = await Promise.race([
      url,
      running.then((code) => {
        throw new Error(`the daemon exited (${code}) before listening:\n${out}`);
      }),
    ]);
    // Readiness asks Marathon: wait until the daemon has seen Marathon's failure.
    for (let i = 0; i < 50 && marathon.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const status = await (await fetch(`${base}/status`)).text();
    const ready = await (await fetch(`${base}/ready`)).text();
    const metrics = await (await fetch(`${base}/metrics`)).text();
    stop('SIGTERM');
    assert.equal(await running, 0);
    assertNoSecret(status, '/status');
    assertNoSecret(ready, '/ready');
    assertNoSecret(metrics, '/metrics');
    assertNoSecret(out, 'the daemon log');
    assert.match(status, /127\.0\.0\.1/);

    let validateOut = '';
    const code = await main(['validate'], { env, stdout: (s) => void (validateOut += s), stderr: (s) => void (validateOut += s), stopRequested: new Promise(() => {}) });
    assert.equal(code, 0, validateOut);
    assertNoSecret(validateOut, '`validate`');
  });
});
