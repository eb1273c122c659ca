import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventsItem } from '../../src/domain/ports.js';
import type { AuthProvider } from '../../src/http/auth.js';
import { appEventOf, FOLLOWED_EVENT_TYPES, MarathonEvents, SseParser } from '../../src/marathon/events.js';

describe('marathon events: the SSE parser', () => {
  it('CRLF frames split anywhere (even between CR and LF), LF and CR line ends, comments, heartbeats, multi-line data', () => {
    const p = new SseParser();
    const text = 'event: a\r\ndata: {"x":1}\r\n\r\n\r\n:comment\nevent:b\ndata: one\ndata: two\n\nevent: c\rdata: 3\r\r\n';
    const frames: { event: string; data: string }[] = [];
    for (let i = 0; i < text.length; i += 3) frames.push(...p.push(text.slice(i, i + 3)));
    frames.push(...p.push(''));
    assert.deepEqual(frames, [
      { event: 'a', data: '{"x":1}' },
      { event: 'b', data: 'one\ntwo' },
      { event: 'c', data: '3' },
    ]);
    assert.deepEqual(p.push('data: x\r'), [], 'a frame is only dispatched by its blank line');
  });

  it('appEventOf: the app ids an event is about, with its state and health flag', () => {
    assert.deepEqual(appEventOf('status_update_event', '{"appId":"/a","taskStatus":"TASK_RUNNING"}', 5), [{ kind: 'event', appId: '/a', type: 'status_update_event', at: 5, state: 'TASK_RUNNING' }]);
    assert.deepEqual(appEventOf('instance_health_changed_event', '{"runSpecId":"/b","healthy":null}', 5), [{ kind: 'event', appId: '/b', type: 'instance_health_changed_event', at: 5, healthy: null }]);
    assert.deepEqual(appEventOf('health_status_changed_event', '{"appId":"/b","alive":true}', 5)[0]?.healthy, true);
    const dep = appEventOf('deployment_success', JSON.stringify({ id: 'd', plan: { steps: [{ actions: [{ action: 'ScaleApplication', app: '/x' }, { action: 'RestartApplication', app: '/y' }] }] } }), 1);
    assert.deepEqual(dep.map((e) => e.appId), ['/x', '/y']);
    assert.deepEqual(appEventOf('status_update_event', 'not json', 1), []);
    assert.deepEqual(appEventOf('event_stream_attached', '{"remoteAddress":"1.2.3.4"}', 1), []);
  });
});

/** A stand-in for a Marathon instance: each request is handed to the test's handler. */
async function server(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string; requests: IncomingMessage[] }> {
  const requests: IncomingMessage[] = [];
  const s = createServer((req, res) => {
    requests.push(req);
    handler(req, res);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { server: s, url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, requests };
}

function stream(res: ServerResponse, frames: string[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream;charset=UTF-8' });
  for (const f of frames) res.write(f);
}

const frame = (event: string, data: unknown): string => `event: ${event}\r\ndata: ${JSON.stringify(data)}\r\n\r\n`;

/** Reads items until `until` says stop (or 1.5 s pass), then aborts the follow. */
async function collect(events: MarathonEvents, appIds: string[], until: (items: EventsItem[]) => boolean): Promise<EventsItem[]> {
  const stop = new AbortController();
  const items: EventsItem[] = [];
  const timer = setTimeout(() => stop.abort(), 1500);
  for await (const item of events.follow(appIds, stop.signal)) {
    items.push(item);
    if (until(items)) break;
  }
  clearTimeout(timer);
  return items;
}

describe('marathon events: following GET /v2/events', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });
  const start = async (handler: (req: IncomingMessage, res: ServerResponse) => void) => {
    const s = await server(handler);
    servers.push(s.server);
    return s;
  };

  it('asks with the exact Accept header, the event-type filter and the URL credentials; yields up, then events of the followed apps only', async () => {
    const m = await start((_req, res) =>
      stream(res, [
        frame('event_stream_attached', { remoteAddress: '127.0.0.1' }),
        frame('status_update_event', { appId: '/other', taskStatus: 'TASK_RUNNING' }),
        '\r\n',
        frame('status_update_event', { appId: '/mine', taskStatus: 'TASK_RUNNING' }),
      ]),
    );
    const events = new MarathonEvents({ urls: [m.url.replace('http://', 'http://ops:s3cret@')] });
    const items = await collect(events, ['/mine'], (xs) => xs.some((x) => x.kind === 'event'));
    assert.deepEqual(items.map((i) => (i.kind === 'event' ? `${i.appId}:${i.state}` : i.kind)), ['up', '/mine:TASK_RUNNING']);
    const req = m.requests[0]!;
    assert.equal(req.headers.accept, 'text/event-stream');
    assert.equal(req.headers.authorization, `Basic ${Buffer.from('ops:s3cret').toString('base64')}`);
    assert.deepEqual(new URL(req.url!, 'http://x').searchParams.getAll('event_type'), [...FOLLOWED_EVENT_TYPES]);
  });

  it('a 404 is down (recovery polls) and retried with backoff; the iteration ends when the signal aborts', async () => {
    const m = await start((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<html>Not Found</html>');
    });
    const events = new MarathonEvents({ urls: [m.url], backoff: { baseMs: 10, maxMs: 10 } });
    const stop = new AbortController();
    const items: EventsItem[] = [];
    setTimeout(() => stop.abort(), 100);
    for await (const item of events.follow(['/a'], stop.signal)) items.push(item);
    assert.equal(items.length, 1, 'down is told once, not on every retry');
    assert.equal(items[0]!.kind, 'down');
    assert.match((items[0] as { reason: string }).reason, /404/);
    assert.ok(m.requests.length >= 3, `${m.requests.length} attempts`);
  });

  it('credentials only go to configured origins: a redirect elsewhere is down, a redirect to a configured URL is followed', async () => {
    const elsewhere = await start((_req, res) => stream(res, [frame('event_stream_attached', {})]));
    const leader = await start((_req, res) => stream(res, [frame('event_stream_attached', {})]));
    let target = elsewhere.url;
    const standby = await start((req, res) => {
      res.writeHead(302, { location: `${target}${req.url}`, 'content-length': '0' });
      res.end();
    });
    const auth: AuthProvider = { header: () => Promise.resolve('token=abc'), invalidate: () => undefined, renewable: false };
    const down = await collect(new MarathonEvents({ urls: [standby.url], auth, backoff: { baseMs: 500, maxMs: 500 } }), ['/a'], (xs) => xs.length > 0);
    assert.equal(down[0]!.kind, 'down');
    assert.match((down[0] as { reason: string }).reason, /not a configured Marathon URL/);
    assert.equal(elsewhere.requests.length, 0);

    target = leader.url;
    const up = await collect(new MarathonEvents({ urls: [standby.url, leader.url], auth }), ['/a'], (xs) => xs.length > 0);
    assert.equal(up[0]!.kind, 'up');
    assert.equal(leader.requests[0]!.headers.authorization, 'token=abc');
  });

  it('a 401 with a renewable credential is retried once with a fresh one', async () => {
    const m = await start((req, res) => {
      if (req.headers.authorization === 'token=new') stream(res, [frame('event_stream_attached', {})]);
      else {
        res.writeHead(401);
        res.end();
      }
    });
    let token = 'old';
    const auth: AuthProvider = { header: () => Promise.resolve(`token=${token}`), invalidate: () => (token = 'new'), renewable: true };
    const items = await collect(new MarathonEvents({ urls: [m.url], auth }), ['/a'], (xs) => xs.length > 0);
    assert.equal(items[0]!.kind, 'up');
    assert.equal(m.requests.length, 2);
  });

  it('no event in time (a buffering proxy), then a stall mid-stream: down each time, up again when a stream delivers', async () => {
    let n = 0;
    const m = await start((_req, res) => {
      n++;
      if (n === 1) res.writeHead(200, { 'content-type': 'text/event-stream' }).flushHeaders();
      else stream(res, [frame('event_stream_attached', {})]);
    });
    const events = new MarathonEvents({ urls: [m.url], firstEventTimeoutMs: 60, idleTimeoutMs: 60, backoff: { baseMs: 10, maxMs: 10 } });
    const items = await collect(events, ['/a'], (xs) => xs.filter((x) => x.kind === 'up').length >= 2);
    assert.deepEqual(items.map((i) => i.kind), ['down', 'up', 'down', 'up']);
    assert.match((items[0] as { reason: string }).reason, /no event in time/);
    assert.match((items[2] as { reason: string }).reason, /nothing received/);
  });
});
