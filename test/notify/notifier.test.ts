import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { setTimeout as realDelay } from 'node:timers/promises';
import { memoryLogger } from '../../src/log.js';
import { controlEvent, cycleEvents, type NotifyEvent } from '../../src/notify/events.js';
import { NOTIFY_LOG, Notifier, slackChannel, webhookChannel, type Channel, type NotifierOptions } from '../../src/notify/notifier.js';
import { systemClock } from '../../src/platform/clock.js';
import { aDryRun, aKillThatRecovered, aWeakness } from '../daemon/helpers.js';
import { hang, refusedUrl, sendJson, sendText, ServerPool } from '../helpers/http-server.js';

/**
 * The notification queue against real receivers on 127.0.0.1: what each receives, retries,
 * timeouts, giving up, overflow, and that the secret part of a URL never reaches a log line.
 */

/** The part of a Slack webhook URL that is its token: it must never appear in a log. */
const SECRET_PATH = '/services/T0001/B0001/s3cr3t-hook-token';

const pool = new ServerPool();
const notifiers: Notifier[] = [];
afterEach(async () => {
  await Promise.all(notifiers.splice(0).map((n) => n.close()));
  await pool.closeAll();
});

function notifier(channels: Channel[], o: Partial<NotifierOptions> = {}): { n: Notifier; log: ReturnType<typeof memoryLogger>; outcomes: string[] } {
  const log = memoryLogger('debug');
  const outcomes: string[] = [];
  const n = new Notifier({
    channels,
    clock: systemClock,
    logger: log.logger,
    version: '1.2.3',
    seed: 'office-chaos',
    includeDryRun: true,
    timeoutMs: 500,
    retries: 2,
    queueSize: 10,
    backoff: { baseMs: 5, maxMs: 20 },
    flushTimeoutMs: 1000,
    onDelivery: (channel, outcome) => outcomes.push(`${channel}:${outcome}`),
    ...o,
  });
  notifiers.push(n);
  return { n, log, outcomes };
}

async function eventually(what: string, check: () => boolean, timeoutMs = 1500): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await realDelay(5);
  }
}

const ok = (_req: unknown, res: ServerResponse): void => sendText(res, 200, 'ok');
const pause = controlEvent({ type: 'pause', at: '2024-03-15T15:00:00.000Z', by: 'alice', reason: 'game day', clearedHalt: null }, { version: '1.2.3', seed: 'office-chaos' });

describe('Notifier (real receivers on 127.0.0.1)', () => {
  it('the webhook gets each event as its JSON body, in order; Slack gets {text, blocks}', async () => {
    const hook = await pool.start(ok);
    const slack = await pool.start(ok);
    const { n, outcomes } = notifier([webhookChannel(`${hook.url}/hooks/monkey`), slackChannel(`${slack.url}${SECRET_PATH}`)]);
    n.cycleFinished(aKillThatRecovered);
    n.cycleFinished(aWeakness);
    n.cycleFinished(aDryRun);
    n.control({ type: 'resume', at: '2024-03-15T15:01:00.000Z', by: 'bob', reason: '', clearedHalt: { appId: '/shop/payments', reason: 'not-recovered', cycleId: 'c-2' } });
    assert.equal(await n.flush(), true);

    const bodies = hook.requests.map((r) => JSON.parse(r.body) as NotifyEvent);
    assert.deepEqual(
      bodies.map((b) => b.type),
      ['kill', 'recovery', 'kill', 'weakness', 'halt', 'dry-run-kill', 'resume'],
    );
    assert.deepEqual(bodies.slice(0, 2), cycleEvents(aKillThatRecovered, { version: '1.2.3', includeDryRun: true }));
    for (const b of bodies) {
      assert.deepEqual(Object.keys(b), ['type', 'time', 'cycleId', 'apps', 'victims', 'outcome', 'timeToRecoverMs', 'reason', 'detail', 'monkey'], b.type);
      assert.deepEqual(b.monkey, { version: '1.2.3', seed: 'office-chaos' });
    }
    const first = hook.requests[0];
    assert.equal(first?.method, 'POST');
    assert.equal(first?.path, '/hooks/monkey');
    assert.match(first?.headers['content-type'] ?? '', /^application\/json/);
    assert.equal(first?.headers['user-agent'], 'marathon-monkey/1.2.3');

    assert.equal(slack.requests.length, 7);
    assert.equal(slack.requests[0]?.path, SECRET_PATH);
    for (const r of slack.requests) {
      const m = JSON.parse(r.body) as { text: string; blocks: { type: string }[] };
      assert.deepEqual(Object.keys(m), ['text', 'blocks']);
      assert.equal(m.blocks[0]?.type, 'header');
    }
    assert.match((JSON.parse(slack.requests[1]?.body ?? '{}') as { text: string }).text, /Recovered/);
    assert.equal(outcomes.filter((o) => o === 'webhook:sent').length, 7);
    assert.equal(outcomes.filter((o) => o === 'slack:sent').length, 7);
  });

  it('a receiver that answers 500 and then 200: the retry delivers it (counted once, as sent)', async () => {
    let calls = 0;
    const hook = await pool.start((_req, res) => (++calls === 1 ? sendJson(res, 500, { error: 'busy' }) : sendText(res, 200, 'ok')));
    const { n, log, outcomes } = notifier([webhookChannel(`${hook.url}${SECRET_PATH}`)]);
    n.enqueue([pause]);
    assert.equal(await n.flush(), true);
    assert.equal(hook.requests.length, 2);
    assert.equal(hook.requests[1]?.body, hook.requests[0]?.body, 'the same event again');
    assert.deepEqual(outcomes, ['webhook:sent']);
    const retry = log.lines().find((l) => l.msg === NOTIFY_LOG.retry);
    assert.equal(retry?.status, 500);
    assert.equal(retry?.target, hook.url);
    assert.ok(!log.text().includes(SECRET_PATH));
  });

  it('a receiver that always fails: given up after the retries, counted as failed, logged with type, status and origin only', async () => {
    const slack = await pool.start((_req, res) => sendText(res, 503, 'no'));
    const { n, log, outcomes } = notifier([slackChannel(`${slack.url.replace('//', '//user:pa55word@')}${SECRET_PATH}?token=q`)]);
    n.enqueue([pause]);
    assert.equal(await n.flush(), true);
    assert.equal(slack.requests.length, 3, 'one attempt and two retries');
    assert.deepEqual(outcomes, ['slack:failed']);
    const failed = log.lines().find((l) => l.msg === NOTIFY_LOG.failed);
    assert.deepEqual(
      { channel: failed?.channel, event: failed?.event, status: failed?.status, code: failed?.code, target: failed?.target, attempts: failed?.attempts },
      { channel: 'slack', event: 'pause', status: 503, code: 'E_NOTIFY_HTTP_503', target: slack.url, attempts: 3 },
    );
    const text = log.text();
    for (const secret of [SECRET_PATH, 's3cr3t', 'pa55word', 'token=q']) assert.ok(!text.includes(secret), `${secret} in the log`);
  });

  it('a 4xx (a revoked Slack hook) is not retried', async () => {
    const slack = await pool.start((_req, res) => sendText(res, 404, 'no_service'));
    const { n, outcomes } = notifier([slackChannel(`${slack.url}${SECRET_PATH}`)]);
    n.enqueue([pause]);
    await n.flush();
    assert.equal(slack.requests.length, 1);
    assert.deepEqual(outcomes, ['slack:failed']);
  });

  it('a receiver that hangs: the request times out, and enqueueing never waits for it', async () => {
    const hook = await pool.start(hang);
    const { n, log, outcomes } = notifier([webhookChannel(`${hook.url}${SECRET_PATH}`)], { timeoutMs: 100, retries: 1 });
    const started = Date.now();
    n.cycleFinished(aKillThatRecovered);
    assert.ok(Date.now() - started < 50, 'cycleFinished returns at once');
    await eventually('the first attempt', () => hook.requests.length >= 1);
    assert.deepEqual(outcomes, [], 'still waiting for the answer');
    await eventually('both events given up on', () => outcomes.length === 2, 3000);
    assert.deepEqual(outcomes, ['webhook:failed', 'webhook:failed']);
    assert.equal(hook.requests.length, 4, 'two events, two attempts each');
    const failed = log.lines().filter((l) => l.msg === NOTIFY_LOG.failed);
    assert.deepEqual(
      failed.map((l) => l.code),
      ['E_NOTIFY_TIMEOUT', 'E_NOTIFY_TIMEOUT'],
    );
    assert.ok(!log.text().includes(SECRET_PATH));
  });

  it('a refused connection fails with E_NOTIFY_REFUSED', async () => {
    const { n, log, outcomes } = notifier([webhookChannel(`${await refusedUrl()}${SECRET_PATH}`)], { retries: 0 });
    n.enqueue([pause]);
    await n.flush();
    assert.deepEqual(outcomes, ['webhook:failed']);
    assert.equal(log.lines().find((l) => l.msg === NOTIFY_LOG.failed)?.code, 'E_NOTIFY_REFUSED');
  });

  it('a full queue drops its oldest event (counted, logged); the rest go out in order', async () => {
    const held: ServerResponse[] = [];
    const hook = await pool.start((_req, res) => void held.push(res));
    const { n, log, outcomes } = notifier([webhookChannel(`${hook.url}/in`)], { queueSize: 2, timeoutMs: 5000 });
    const numbered = (i: number): NotifyEvent => ({ ...pause, detail: `event ${i}` });
    n.enqueue([numbered(1)]);
    await eventually('event 1 in flight', () => held.length === 1);
    n.enqueue([numbered(2), numbered(3), numbered(4), numbered(5)]);
    assert.deepEqual(outcomes, ['webhook:dropped', 'webhook:dropped']);
    assert.deepEqual(n.pending(), { webhook: 2 });
    assert.deepEqual(
      log
        .lines()
        .filter((l) => l.msg === NOTIFY_LOG.dropped)
        .map((l) => l.queueSize),
      [2, 2],
    );
    hook.setHandler(ok);
    sendText(held[0] as ServerResponse, 200, 'ok');
    assert.equal(await n.flush(), true);
    assert.deepEqual(
      hook.requests.map((r) => (JSON.parse(r.body) as NotifyEvent).detail),
      ['event 1', 'event 4', 'event 5'],
    );
    assert.deepEqual(outcomes.slice(2), ['webhook:sent', 'webhook:sent', 'webhook:sent']);
  });

  it('close waits at most the flush timeout for a hanging receiver, then gives up', async () => {
    const hook = await pool.start(hang);
    const { n, log } = notifier([webhookChannel(`${hook.url}/in`)], { timeoutMs: 10_000, flushTimeoutMs: 100 });
    n.enqueue([pause, pause]);
    await eventually('in flight', () => hook.requests.length === 1);
    const started = Date.now();
    await n.close();
    assert.ok(Date.now() - started < 1000, `close took ${Date.now() - started} ms`);
    assert.deepEqual(log.lines().find((l) => l.msg === NOTIFY_LOG.flushTimedOut)?.pending, { webhook: 1 });
    n.enqueue([pause]);
    assert.deepEqual(n.pending(), { webhook: 0 }, 'nothing is queued after close');
  });
});
