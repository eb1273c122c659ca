import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as realDelay } from 'node:timers/promises';
import { notifierFrom } from '../../src/app/wiring.js';
import { loadConfig } from '../../src/config/load.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { MonkeyMetrics } from '../../src/daemon/metrics.js';
import type { CycleRecord } from '../../src/domain/record.js';
import { ConfigError } from '../../src/errors.js';
import { readJournal } from '../../src/journal/journal.js';
import { memoryLogger, type Logger } from '../../src/log.js';
import { MarathonClient } from '../../src/marathon/client.js';
import type { NotifyEvent } from '../../src/notify/events.js';
import { NOTIFY_LOG, Notifier, slackChannel, webhookChannel } from '../../src/notify/notifier.js';
import { ManualClock, systemClock } from '../../src/platform/clock.js';
import { compileSchedule } from '../../src/schedule/settings.js';
import { parseScenario, startSimulator, type RunningSim } from '../../src/sim/index.js';
import { eventually, parsePrometheus, sampleValue, shutDownAll } from '../daemon/helpers.js';
import { hang, sendText, ServerPool } from '../helpers/http-server.js';
import { testSettings } from '../helpers/settings.js';

/**
 * Notifications from a running daemon: the simulator on a ManualClock, receivers on 127.0.0.1.
 * The cycle is journaled while a receiver still hangs; pause and resume notify; the URLs stay
 * secret in /status and the log; the counter shows on /metrics.
 */

const aFridayAfternoonInBerlin = new Date('2024-03-15T13:30:00.000Z');
const MINUTE = 60_000;
const TOKEN = 'notify-test-token-91ab';
const SLACK_PATH = '/services/T0001/B0001/s3cr3t-hook-token';
const healthCheck = [{ protocol: 'MESOS_HTTP', path: '/health', gracePeriodSeconds: 60, intervalSeconds: 10, maxConsecutiveFailures: 3 }];
const shopCart = { id: '/shop/cart', instances: 3, labels: { 'monkey.enabled': 'true' }, healthChecks: healthCheck };

const pool = new ServerPool();
let dir: string;
let journalPath: string;
const running: { daemon: Daemon; clock: ManualClock }[] = [];
const sims: RunningSim[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'monkey-notify-'));
  journalPath = join(dir, 'journal.jsonl');
});

afterEach(async () => {
  await shutDownAll(running.splice(0));
  await Promise.all(sims.splice(0).map((s) => s.close()));
  await pool.closeAll();
  await rm(dir, { recursive: true, force: true });
});

async function sim(clock: ManualClock): Promise<MarathonClient> {
  const scenario = parseScenario(
    {
      seed: 'notify-test',
      timings: { killGraceMs: 100, relaunchDelayMs: 100, stagingMs: 100, startingMs: 100, healthyAfterMs: 100 },
      agents: [{ hostname: '10.0.0.1', attributes: { rack: 'r1' } }, { hostname: '10.0.0.2', attributes: { rack: 'r2' } }],
      apps: [shopCart],
    },
    'notify-test',
  );
  const s = await startSimulator({ scenario, clock, tickMs: 10, noLeaderHoldMs: 20 });
  sims.push(s);
  return new MarathonClient({ urls: s.marathonUrls, timeoutMs: 2000, retries: 0, clock });
}


async function cycles(): Promise<CycleRecord[]> {
  try {
    return (await readJournal(journalPath)).filter((r) => r.type === 'cycle') as unknown as CycleRecord[];
  } catch {
    return [];
  }
}

async function post(url: string, path: string, body: Record<string, string>): Promise<number> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await res.arrayBuffer();
  return res.status;
}

describe('notifications from the daemon', () => {
  /** Moves the clock in recovery-poll steps until the first cycle is journaled (its watch sleeps on the clock). */
  async function firstCycle(clock: ManualClock): Promise<CycleRecord | undefined> {
    for (let i = 0; i < 200; i++) {
      const record = (await cycles())[0];
      if (record !== undefined) return record;
      await clock.advance(250);
      await realDelay(3);
    }
    return undefined;
  }

  /** A live daemon on the ManualClock with the given notifier, a slot every minute in office hours. */
  async function startDaemon(o: { clock: ManualClock; marathon: Awaited<ReturnType<typeof sim>>; logger: Logger; notifier: Notifier; maskedConfig?: Record<string, unknown>; metrics?: MonkeyMetrics }) {
    const daemon = new Daemon({
      settings: testSettings({ seed: 'notify-test', minTaskAgeSeconds: 0, minKillIntervalMinutes: 0, dryRun: false, recoveryPollMs: 500, recoveryTimeoutSeconds: 60 }),
      schedule: compileSchedule({ cron: '* * * * *', timezone: 'Europe/Berlin', officeHours: 'Mon-Fri 09:00-17:00', holidays: [], holidayCalendar: '', jitterSeconds: 0 }),
      clients: { marathon: o.marathon, agents: { listAgents: () => Promise.resolve([]) } },
      journalPath,
      clock: o.clock,
      logger: o.logger,
      server: { host: '127.0.0.1', port: 0, controlToken: TOKEN },
      maskedConfig: o.maskedConfig ?? {},
      version: '0.0.0-test',
      shutdownGraceMs: 10_000,
      ...(o.metrics ? { metrics: o.metrics } : {}),
      notifier: o.notifier,
    });
    running.push({ daemon, clock: o.clock });
    const { url } = await daemon.start();
    return { daemon, url };
  }

  it('the kill is announced when Marathon answers it, while the recovery watch still runs, and not again when the cycle ends', async () => {
    const clock = new ManualClock(aFridayAfternoonInBerlin);
    const marathon = await sim(clock);
    const slack = await pool.start((_req, res) => sendText(res, 200, 'ok'));
    const log = memoryLogger('debug');
    const notifier = new Notifier({
      channels: [slackChannel(`${slack.url}${SLACK_PATH}`)],
      clock: systemClock,
      logger: log.logger,
      version: '0.0.0-test',
      seed: 'notify-test',
      includeDryRun: false,
      timeoutMs: 5_000,
      retries: 0,
      queueSize: 10,
      flushTimeoutMs: 100,
    });
    await startDaemon({ clock, marathon, logger: log.logger, notifier });
    await clock.advance(MINUTE);
    // The watch sleeps on the ManualClock, which does not move: the cycle cannot have ended.
    await eventually('Slack hears the kill', () => slack.requests.length >= 1);
    assert.match(slack.requests[0]?.body ?? '', /Chaos kill: \/shop\/cart: killed 1 task of \/shop\/cart/);
    assert.deepEqual(await cycles(), [], 'announced before the cycle record exists');

    const record = await firstCycle(clock);
    assert.equal(record?.outcome, 'killed');
    await eventually('Slack hears the recovery', () => slack.requests.length >= 2);
    await realDelay(50);
    assert.equal(slack.requests.length, 2, 'the finished cycle does not announce the kill again');
    assert.match(slack.requests[1]?.body ?? '', /Recovered/);
    await notifier.close();
  });

  it('a kill cycle is journaled while the webhook still hangs; Slack hears kill, recovery, pause and resume; secrets stay masked', async () => {
    const clock = new ManualClock(aFridayAfternoonInBerlin);
    const marathon = await sim(clock);
    const hook = await pool.start(hang);
    const slack = await pool.start((_req, res) => sendText(res, 200, 'ok'));
    const env = { MONKEY_NOTIFY_WEBHOOK: `${hook.url}/hooks/secret-webhook-path`, MONKEY_NOTIFY_SLACK: `${slack.url}${SLACK_PATH}`, MONKEY_CONTROL_TOKEN: TOKEN };
    const loaded = loadConfig({ env });
    const log = memoryLogger('debug');
    const metrics = new MonkeyMetrics({ version: '0.0.0-test', defaultMetrics: false });
    // The notifier on real time (its timeouts are real network timeouts); the daemon on the ManualClock.
    const built = notifierFrom(loaded.config, { clock: systemClock, logger: log.logger, version: '0.0.0-test', seed: 'notify-test' });
    assert.ok(built);
    assert.deepEqual(built.channels, ['webhook', 'slack']);
    const notifier = new Notifier({
      channels: [webhookChannel(loaded.config.notify.webhook), slackChannel(loaded.config.notify.slack)],
      clock: systemClock,
      logger: log.logger,
      version: '0.0.0-test',
      seed: 'notify-test',
      includeDryRun: false,
      timeoutMs: 30_000,
      retries: 0,
      queueSize: 10,
      flushTimeoutMs: 100,
    });
    const { daemon, url } = await startDaemon({ clock, marathon, logger: log.logger, maskedConfig: loaded.masked, metrics, notifier });

    await clock.advance(MINUTE);
    const record = await firstCycle(clock);
    assert.ok(record, 'the cycle was journaled');
    assert.equal(record.outcome, 'killed', JSON.stringify(record.error ?? record.after));
    await eventually('the webhook request', () => hook.requests.length >= 1);
    assert.equal(hook.requests.length, 1, 'the webhook still has not answered the kill event');
    assert.deepEqual((JSON.parse(hook.requests[0]?.body ?? '{}') as NotifyEvent).type, 'kill');

    await eventually('Slack hears the kill and the recovery', () => slack.requests.length >= 2);
    const first = JSON.parse(slack.requests[0]?.body ?? '{}') as { text: string };
    assert.match(first.text, /Chaos kill: \/shop\/cart: killed 1 task of \/shop\/cart/);
    assert.match(slack.requests[1]?.body ?? '', /Recovered/);

    assert.equal(await post(url, '/pause', { by: 'alice', reason: 'game day' }), 200);
    assert.equal(await post(url, '/resume', { by: 'alice', reason: 'done' }), 200);
    await eventually('Slack hears pause and resume', () => slack.requests.length >= 4);
    assert.match(slack.requests[2]?.body ?? '', /chaos paused by alice: game day/);
    assert.match(slack.requests[3]?.body ?? '', /chaos resumed by alice: done/);

    const statusText = await (await fetch(`${url}/status`)).text();
    const status = JSON.parse(statusText) as { config: { notify: Record<string, unknown> } };
    assert.equal(status.config.notify.webhook, '[Sensitive]');
    assert.equal(status.config.notify.slack, '[Sensitive]');
    for (const secret of ['s3cr3t-hook-token', 'secret-webhook-path']) {
      assert.ok(!statusText.includes(secret), `${secret} in /status`);
      assert.ok(!log.text().includes(secret), `${secret} in the log`);
    }

    const { samples } = parsePrometheus(await (await fetch(`${url}/metrics`)).text());
    assert.equal(sampleValue(samples, 'marathon_monkey_notifications_total', { channel: 'slack', outcome: 'sent' }), 4);

    // Shutdown waits a moment for the hanging webhook, then drops what is left.
    const started = Date.now();
    running.splice(0);
    await daemon.shutdown('test over');
    assert.ok(Date.now() - started < 2000, `shutdown took ${Date.now() - started} ms`);
    assert.ok(log.lines().some((l) => l.msg === NOTIFY_LOG.flushTimedOut));
    await built.close();
  });

  it('a configuration object that reaches a log line has both URLs redacted', () => {
    const log = memoryLogger('info');
    const { config } = loadConfig({ env: { MONKEY_NOTIFY_SLACK: `https://hooks.slack.com${SLACK_PATH}`, MONKEY_NOTIFY_WEBHOOK: 'https://hooks.example.com/secret-webhook-path' } });
    log.logger.info({ config }, 'configuration');
    assert.deepEqual((log.lines()[0]?.config as { notify: Record<string, unknown> }).notify.slack, '[redacted]');
    assert.ok(!log.text().includes('s3cr3t') && !log.text().includes('secret-webhook-path'));
  });

  it('no receiver configured: no notifier', () => {
    assert.equal(notifierFrom(loadConfig({ env: {} }).config, { clock: systemClock, logger: memoryLogger('silent').logger, version: 'x', seed: 's' }), undefined);
  });

  it('a malformed notify URL is refused at start without echoing it', () => {
    for (const value of ['hooks.slack.com/services/T0/B0/s3cr3t-hook-token', 'ftp://hooks.example.com/s3cr3t-hook-token']) {
      assert.throws(
        () => loadConfig({ env: { MONKEY_NOTIFY_SLACK: value } }),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.match(err.message, /notify\.slack/);
          assert.match(err.message, /MONKEY_NOTIFY_SLACK/);
          assert.ok(!err.message.includes('s3cr3t'), err.message);
          return true;
        },
      );
    }
  });
});
