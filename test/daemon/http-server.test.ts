import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { loadConfig } from '../../src/config/load.js';
import { memoryLogger } from '../../src/log.js';
import { ManualClock } from '../../src/platform/clock.js';
import { DaemonState } from '../../src/daemon/state.js';
import { MonkeyMetrics } from '../../src/daemon/metrics.js';
import { startControlServer, ControlServerError, type ControlEvent, type ControlServer, type StatusExtras } from '../../src/daemon/http-server.js';
import { aFridayAfternoon, aKillThatRecovered, aSkippedCycle, aWeakness, parsePrometheus, sampleValue } from './helpers.js';

const TOKEN = 'tok-3f9a1c7e5b2d4a68';
const REAL_PASSWORD = 'hunter2-real-marathon-password';

/** The fields of our JSON answers that the tests read. */
interface Body {
  status?: string;
  reason?: string;
  detail?: string;
  error?: string;
  hint?: string;
  message?: string;
  warning?: string;
  changed?: boolean;
  paused?: { since: string; reason: string; by: string } | null;
  halted?: { appId: string } | null;
  clearedHalt?: { appId: string } | null;
  canAct?: { ok: boolean; reason?: string };
  version?: string;
  dryRun?: boolean;
  seed?: string;
  nextCycles?: string[];
  uptimeSeconds?: number;
  readiness?: { ready: boolean };
  quarantined?: Record<string, unknown>;
  lastCycles?: { cycleId: string }[];
  config?: { marathon?: { password?: string }; server?: { controlToken?: string } };
}

interface Harness {
  server: ControlServer;
  state: DaemonState;
  metrics: MonkeyMetrics;
  clock: ManualClock;
  log: ReturnType<typeof memoryLogger>;
  events: ControlEvent[];
}

describe('control server', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.server.close();
    h = undefined;
  });

  async function start(overrides: { controlToken?: string; status?: () => StatusExtras; onPause?: (e: ControlEvent) => Promise<void> } = {}): Promise<Harness> {
    const clock = new ManualClock(aFridayAfternoon);
    const state = new DaemonState({ clock });
    const metrics = new MonkeyMetrics({ version: '0.1.0', defaultMetrics: false });
    const log = memoryLogger();
    const events: ControlEvent[] = [];
    const server = await startControlServer({
      host: '127.0.0.1',
      port: 0,
      state,
      metrics,
      controlToken: overrides.controlToken ?? TOKEN,
      logger: log.logger,
      clock,
      status:
        overrides.status ??
        (() => ({
          version: '0.1.0',
          dryRun: true,
          seed: 'office-chaos',
          nextCycles: ['2024-03-15T13:40:00.000Z', '2024-03-15T13:50:00.000Z'],
          config: { marathon: { urls: ['http://marathon.mesos:8080'], username: 'monkey', password: '[Sensitive]' }, chaos: { dryRun: true } },
        })),
      onPause: overrides.onPause ?? ((e) => void events.push(e)),
      onResume: (e) => void events.push(e),
    });
    h = { server, state, metrics, clock, log, events };
    return h;
  }

  async function call(path: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; text: string; json: () => Body }> {
    const res = await fetch(`${h!.server.url}${path}`, init);
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) as Body };
  }

  const bearer = (token: string): RequestInit => ({ method: 'POST', headers: { authorization: `Bearer ${token}` } });

  describe('GET /health', () => {
    it('answers 200 {"status":"ok"} while the process lives', async () => {
      await start();
      const res = await call('/health');
      assert.equal(res.status, 200);
      assert.deepEqual(res.json(), { status: 'ok' });
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      assert.equal((await call('/health', { method: 'HEAD' })).status, 200);
    });

    it('answers 503 with the reason once the daemon declares itself wedged', async () => {
      const { state } = await start();
      state.markNotLive('scheduler-stuck');
      const res = await call('/health');
      assert.equal(res.status, 503);
      assert.equal(res.json().reason, 'scheduler-stuck');
    });
  });

  describe('GET /ready', () => {
    it('is 503 until ready, 200 once ready, and 503 at once when shutdown begins while /health stays 200', async () => {
      const { state } = await start();
      let res = await call('/ready');
      assert.equal(res.status, 503);
      assert.equal(res.json().reason, 'starting');

      state.setReady();
      assert.equal((await call('/ready')).status, 200);

      state.beginShutdown();
      res = await call('/ready');
      assert.equal(res.status, 503);
      assert.equal(res.json().reason, 'shutting-down');
      assert.equal((await call('/health')).status, 200);
    });

    it('says why it is not ready', async () => {
      const { state } = await start();
      state.setNotReady('marathon-unreachable', 'no Marathon leader answered');
      const res = await call('/ready');
      assert.deepEqual(res.json(), { status: 'not-ready', reason: 'marathon-unreachable', detail: 'no Marathon leader answered' });
    });
  });

  describe('GET /metrics', () => {
    it('serves Prometheus text with the cycle metrics and the state gauges', async () => {
      const { metrics, state } = await start();
      for (const r of [aKillThatRecovered, aWeakness, aSkippedCycle]) metrics.recordCycle(r);
      state.halt({ appId: '/shop/payments', reason: 'not-recovered' });
      state.quarantineApp('/shop/payments', { reason: 'not-recovered' });
      const res = await call('/metrics');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const { samples } = parsePrometheus(res.text);
      assert.equal(sampleValue(samples, 'marathon_monkey_time_to_recover_seconds_count', { app: '/shop/cart' }), 1);
      assert.equal(sampleValue(samples, 'marathon_monkey_skips_total', { scope: 'app', reason: 'persistent-volumes' }), 2);
      assert.equal(sampleValue(samples, 'marathon_monkey_weaknesses_total', { app: '/shop/payments', reason: 'not-recovered' }), 1);
      // Gauges follow the state at scrape time, whoever changed it.
      assert.equal(sampleValue(samples, 'marathon_monkey_halted'), 1);
      assert.equal(sampleValue(samples, 'marathon_monkey_paused'), 0);
      assert.equal(sampleValue(samples, 'marathon_monkey_quarantined_apps'), 1);
    });
  });

  describe('GET /status', () => {
    it('shows configuration (masked), seed, next cycles, state and the last cycles', async () => {
      const { state, clock } = await start();
      state.setReady();
      state.recordCycle(aKillThatRecovered);
      state.recordCycle(aWeakness);
      state.halt({ appId: '/shop/payments', reason: 'not-recovered', cycleId: 'c-2' });
      state.quarantineApp('/shop/payments', { reason: 'not-recovered' });
      await clock.advance(120_000);
      const res = await call('/status');
      assert.equal(res.status, 200);
      const body = res.json();
      assert.equal(body.version, '0.1.0');
      assert.equal(body.dryRun, true);
      assert.equal(body.seed, 'office-chaos');
      assert.deepEqual(body.nextCycles, ['2024-03-15T13:40:00.000Z', '2024-03-15T13:50:00.000Z']);
      assert.equal(body.uptimeSeconds, 120);
      assert.equal(body.readiness?.ready, true);
      assert.equal(body.paused, null);
      assert.equal(body.halted?.appId, '/shop/payments');
      assert.equal(body.canAct?.reason, 'halted');
      assert.deepEqual(Object.keys(body.quarantined ?? {}), ['/shop/payments']);
      assert.deepEqual(
        body.lastCycles?.map((c) => c.cycleId),
        ['c-2', 'c-1'],
      );
      assert.equal(body.config?.marathon?.password, '[Sensitive]');
      assert.ok(!res.text.includes(REAL_PASSWORD));
      assert.ok(!res.text.includes(TOKEN));
    });

    it('serves the masked view of a real loaded configuration, never the secrets it was loaded with', async () => {
      const loaded = loadConfig({
        env: { MONKEY_MARATHON_USERNAME: 'monkey', MONKEY_MARATHON_PASSWORD: REAL_PASSWORD, MONKEY_CONTROL_TOKEN: TOKEN },
      });
      assert.equal(loaded.config.marathon.password, REAL_PASSWORD);
      await start({ status: () => ({ config: loaded.masked, dryRun: loaded.config.chaos.dryRun, seed: loaded.config.chaos.seed }) });
      const res = await call('/status');
      assert.equal(res.json().config?.marathon?.password, '[Sensitive]');
      assert.ok(!res.text.includes(REAL_PASSWORD));
      assert.ok(!res.text.includes(TOKEN));
    });

    it('blanks the control token should it ever reach the status callback', async () => {
      const { log } = await start({ status: () => ({ config: { server: { controlToken: TOKEN } } }) });
      const res = await call('/status');
      assert.equal(res.json().config?.server?.controlToken, '[Sensitive]');
      assert.ok(!res.text.includes(TOKEN));
      assert.ok(log.lines().some((l) => l.level === 'error' && String(l.msg).includes('/status')));
    });
  });

  describe('POST /pause and /resume', () => {
    it('are disabled, not open, without a configured token: 403 saying how to enable them', async () => {
      const { state } = await start({ controlToken: '' });
      for (const path of ['/pause', '/resume']) {
        const res = await call(path, { method: 'POST', headers: { authorization: 'Bearer ' } });
        assert.equal(res.status, 403);
        assert.equal(res.json().error, 'E_CONTROL_DISABLED');
        assert.match(res.json().hint ?? '', /MONKEY_CONTROL_TOKEN/);
      }
      assert.equal(state.paused, undefined);
      assert.deepEqual(state.canAct(), { ok: true });
    });

    it('answer 401 with WWW-Authenticate: Bearer for a missing or wrong token, and change nothing', async () => {
      const { state, events } = await start();
      const missing = await call('/pause', { method: 'POST' });
      assert.equal(missing.status, 401);
      assert.match(missing.headers.get('www-authenticate') ?? '', /^Bearer/);
      const wrong = await call('/pause', bearer('not-the-token'));
      assert.equal(wrong.status, 401);
      assert.match(wrong.headers.get('www-authenticate') ?? '', /^Bearer .*invalid_token/);
      const basic = await call('/resume', { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` } });
      assert.equal(basic.status, 401);
      assert.equal(state.paused, undefined);
      assert.deepEqual(events, []);
    });

    it('pause with the right token: 200 with the new state, recorded reason, event passed on; idempotent', async () => {
      const { state, events, metrics } = await start();
      const res = await call('/pause', { ...bearer(TOKEN), headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'release freeze', by: 'alice' }) });
      assert.equal(res.status, 200);
      const body = res.json();
      assert.equal(body.changed, true);
      assert.deepEqual(body.paused, { since: '2024-03-15T13:30:00.000Z', reason: 'release freeze', by: 'alice' });
      assert.equal(state.canAct().ok, false);
      assert.equal(events.length, 1);
      assert.equal(events[0]?.type, 'pause');
      assert.equal(events[0]?.reason, 'release freeze');

      const again = await call('/pause', bearer(TOKEN));
      assert.equal(again.status, 200);
      assert.equal(again.json().changed, false);
      assert.equal(again.json().paused?.reason, 'release freeze');

      const { samples } = parsePrometheus((await metrics.expose()).body);
      assert.equal(sampleValue(samples, 'marathon_monkey_paused'), 1);
    });

    it('pause without a body names the caller by address', async () => {
      await start();
      const res = await call('/pause', bearer(TOKEN));
      assert.match(res.json().paused?.by ?? '', /127\.0\.0\.1/);
      assert.equal(res.json().paused?.reason, 'no reason given');
    });

    it('resume clears a pause and a weakness halt, and says so', async () => {
      const { state, events } = await start();
      state.pause({ by: 'alice', reason: 'freeze' });
      state.halt({ appId: '/shop/payments', reason: 'not-recovered' });
      const res = await call('/resume', { ...bearer(TOKEN), body: JSON.stringify({ reason: 'payments fixed' }) });
      assert.equal(res.status, 200);
      const body = res.json();
      assert.equal(body.changed, true);
      assert.equal(body.clearedHalt?.appId, '/shop/payments');
      assert.match(body.message ?? '', /cleared the halt caused by a weakness in \/shop\/payments/);
      assert.deepEqual(body.canAct, { ok: true });
      assert.deepEqual(state.canAct(), { ok: true });
      assert.equal(events[0]?.type, 'resume');
      assert.equal(events[0]?.clearedHalt?.appId, '/shop/payments');

      const again = await call('/resume', bearer(TOKEN));
      assert.equal(again.status, 200);
      assert.equal(again.json().changed, false);
    });

    it('keeps the pause in this process but answers an error when the journal cannot record it', async () => {
      const { state } = await start({ onPause: () => Promise.reject(new Error('disk full')) });
      const res = await call('/pause', bearer(TOKEN));
      assert.equal(res.status, 500, 'a pause a restart would forget is not a success');
      assert.equal(res.json().error, 'E_JOURNAL');
      assert.match(res.json().warning ?? '', /could not be recorded/);
      assert.notEqual(state.paused, undefined);
    });

    it('rejects a body that is not a JSON object (400) or too large (413)', async () => {
      const { state } = await start();
      assert.equal((await call('/pause', { ...bearer(TOKEN), body: 'not json' })).status, 400);
      assert.equal((await call('/pause', { ...bearer(TOKEN), body: '["a"]' })).status, 400);
      assert.equal((await call('/pause', { ...bearer(TOKEN), body: '{"reason": 42}' })).status, 400);
      const big = await call('/pause', { ...bearer(TOKEN), body: JSON.stringify({ reason: 'x'.repeat(20_000) }) });
      assert.equal(big.status, 413);
      assert.equal(state.paused, undefined);
    });

    it('never logs the token or the Authorization header, not even for a refused attempt', async () => {
      const { log } = await start();
      const attempted = 'attempted-wrong-token-9d8c';
      await call('/pause', bearer(attempted));
      await call('/pause', bearer(TOKEN));
      await call('/resume', bearer(TOKEN));
      const text = log.text();
      assert.ok(text.length > 0);
      assert.ok(!text.includes(TOKEN), 'the control token was logged');
      assert.ok(!text.includes(attempted), 'an attempted token was logged');
      assert.ok(!/authorization/i.test(text), 'the Authorization header was logged');
      assert.ok(log.lines().some((l) => l.msg === 'control request refused: bad or missing bearer token' && l.verdict === 'wrong'));
    });
  });

  describe('routing', () => {
    it('answers 404 JSON for an unknown path', async () => {
      await start();
      const res = await call('/nope');
      assert.equal(res.status, 404);
      assert.equal(res.json().error, 'E_NOT_FOUND');
    });

    it('answers 405 with Allow for a wrong method', async () => {
      await start();
      const getPause = await call('/pause');
      assert.equal(getPause.status, 405);
      assert.equal(getPause.headers.get('allow'), 'POST');
      const postHealth = await call('/health', { method: 'POST' });
      assert.equal(postHealth.status, 405);
      assert.equal(postHealth.headers.get('allow'), 'GET, HEAD');
    });
  });

  describe('lifecycle', () => {
    it('close() ends idle keep-alive sockets instead of waiting for them', async () => {
      const { server } = await start();
      const agent = new Agent({ keepAlive: true });
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(`${server.url}/health`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(status, 200);
      const started = performance.now();
      await server.close();
      assert.ok(performance.now() - started < 500, 'close() waited for an idle keep-alive socket');
      agent.destroy();
    });

    it('fails to start with E_LISTEN and a hint when the port is taken', async () => {
      const first = await start();
      const log = memoryLogger();
      await assert.rejects(
        startControlServer({
          host: '127.0.0.1',
          port: first.server.port,
          state: first.state,
          metrics: first.metrics,
          status: () => ({}),
          controlToken: '',
          logger: log.logger,
        }),
        (err: unknown) => err instanceof ControlServerError && err.code === 'E_LISTEN' && /MONKEY_PORT/.test(err.hint ?? ''),
      );
    });
  });
});
