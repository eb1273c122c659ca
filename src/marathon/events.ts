/**
 * Marathon's event stream (`GET /v2/events`, server-sent events; docs/marathon-api.md §10) as the
 * EventsSource port: hints that a followed app changed, so a recovery watch can read it right away
 * instead of on its next poll.
 *
 * The stream is a convenience, never a dependency: it is opened on demand, reconnects with backoff,
 * and every failure (404 from a Marathon without it, a proxy that buffers it, a cut connection, a
 * redirect to an origin nobody configured) becomes a `down` item, never an exception. Credentials
 * go to configured origins only, as with MarathonClient.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { StringDecoder } from 'node:string_decoder';
import { pino, type Logger } from 'pino';
import type { AppEvent, EventsItem, EventsSource } from '../domain/ports.js';
import { basicAuth, noAuth, type AuthProvider } from '../http/auth.js';
import { retryDelay } from '../http/retry.js';
import { CaFileError } from '../http/transport.js';
import { parseBaseUrl, type BaseUrl } from '../http/url.js';
import { systemClock, type Clock } from '../platform/clock.js';
import type { Random } from '../platform/random.js';

export interface MarathonEventsOptions {
  /** The configured Marathon base URLs (the same as MarathonClient's). */
  urls: readonly string[];
  /** As MarathonClient's: without it, `user:pass@` in a URL is basic auth. */
  auth?: AuthProvider;
  caFile?: string;
  clock?: Clock;
  logger?: Logger;
  /** The base URL to try first (MarathonClient.baseUrl(): the one that answered last, so the leader). */
  preferred?: () => string;
  /**
   * No event within this long of sending the request = the stream is unusable for now (a proxy that
   * buffers it never passes Marathon's first event on). Default 2000 ms.
   */
  firstEventTimeoutMs?: number;
  /** Not a byte (Marathon writes a heartbeat every 10 s) for this long = stalled: reconnect. Default 25 s. */
  idleTimeoutMs?: number;
  /**
   * Reconnect backoff (default 250 ms doubling to 30 s): quick after a cut, rare against a Marathon
   * that serves no stream (a 300 s watch then costs ~12 attempts next to its polls). Reset by a
   * stream that delivered an event.
   */
  backoff?: { baseMs: number; maxMs: number };
  random?: Random;
}

/** What a recovery watch needs; everything else Marathon sends is filtered out on the server. */
export const FOLLOWED_EVENT_TYPES = [
  'event_stream_attached',
  'status_update_event',
  'instance_changed_event',
  'instance_health_changed_event',
  'health_status_changed_event',
  'deployment_info',
  'deployment_success',
  'deployment_failed',
  'deployment_step_success',
  'deployment_step_failure',
  'app_terminated_event',
] as const;

const MAX_REDIRECTS = 3;
/** A frame longer than this is no Marathon event: drop the stream rather than grow without bound. */
const MAX_FRAME_CHARS = 4 * 1024 * 1024;

type Opened = { kind: 'stream'; res: IncomingMessage; req: ClientRequest } | { kind: 'failed'; reason: string };

export class MarathonEvents implements EventsSource {
  private readonly bases: BaseUrl[];
  private readonly auth: AuthProvider;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly ca: Buffer | undefined;
  private readonly options: MarathonEventsOptions;

  constructor(options: MarathonEventsOptions) {
    this.options = options;
    this.bases = options.urls.map((u, i) => parseBaseUrl(u, `Marathon URL #${i + 1}`));
    const fromUrl = this.bases.find((b) => b.credentials !== undefined)?.credentials;
    this.auth = options.auth ?? (fromUrl === undefined ? noAuth : basicAuth(fromUrl.username, fromUrl.password));
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'marathon-events' });
    if (options.caFile === undefined) this.ca = undefined;
    else {
      try {
        this.ca = readFileSync(options.caFile);
      } catch (e) {
        throw new CaFileError(options.caFile, (e as NodeJS.ErrnoException).code);
      }
    }
  }

  follow(appIds: readonly string[], signal: AbortSignal): AsyncIterable<EventsItem> {
    return this.items(new Set(appIds), signal);
  }

  private async *items(wanted: ReadonlySet<string>, signal: AbortSignal): AsyncGenerator<EventsItem> {
    if (signal.aborted) return;
    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const queue = new ItemQueue();
    const loop = this.run(wanted, queue, stop.signal).finally(() => queue.close());
    try {
      for (;;) {
        const item = await queue.next();
        if (item === undefined) return;
        yield item;
      }
    } finally {
      stop.abort();
      signal.removeEventListener('abort', onAbort);
      await loop.catch(() => undefined);
    }
  }

  /** Connects, reads, and reconnects with backoff until aborted; tells up/down transitions only. */
  private async run(wanted: ReadonlySet<string>, queue: ItemQueue, signal: AbortSignal): Promise<void> {
    let failures = 0;
    let state: 'none' | 'up' | 'down' = 'none';
    const backoff = this.options.backoff ?? { baseMs: 250, maxMs: 30_000 };
    while (!signal.aborted) {
      const reason = await this.connectAndRead(wanted, queue, signal, () => {
        failures = 0;
        if (state !== 'up') {
          state = 'up';
          queue.push({ kind: 'up', at: this.clock.now() });
        }
      });
      if (signal.aborted) return;
      if (state !== 'down') {
        this.log[state === 'none' ? 'info' : 'warn']({ reason }, state === 'none' ? 'Marathon event stream unavailable; recovery is polled until it is back' : 'Marathon event stream lost; polling until it is back');
        state = 'down';
        queue.push({ kind: 'down', at: this.clock.now(), reason });
      } else this.log.debug({ reason }, 'Marathon event stream still unavailable');
      failures++;
      try {
        await this.clock.sleep(retryDelay(failures, { ...backoff, ...(this.options.random === undefined ? {} : { random: this.options.random }) }), signal);
      } catch {
        return;
      }
    }
  }

  /** One stream over the first candidate URL that opens one; resolves with why it ended. */
  private async connectAndRead(wanted: ReadonlySet<string>, queue: ItemQueue, signal: AbortSignal, onFirstEvent: () => void): Promise<string> {
    const reasons: string[] = [];
    for (const base of this.candidates()) {
      if (signal.aborted) return 'stopped';
      const deadline = this.clock.now() + (this.options.firstEventTimeoutMs ?? 2_000);
      const opened = await this.open(base, signal, deadline);
      if (opened.kind === 'failed') {
        reasons.push(`${base.origin}: ${opened.reason}`);
        continue;
      }
      return this.read(opened, wanted, queue, signal, deadline, onFirstEvent);
    }
    return reasons.join('; ');
  }

  /** Preferred URL first (the client's leader), then the configured ones. */
  private candidates(): BaseUrl[] {
    const preferred = this.options.preferred?.();
    const first = preferred === undefined ? undefined : this.bases.find((b) => b.href === preferred);
    return first === undefined ? this.bases : [first, ...this.bases.filter((b) => b !== first)];
  }

  /** The request, following redirects (a standby's 302 to the leader) only where credentials may go. */
  private async open(base: BaseUrl, signal: AbortSignal, deadline: number): Promise<Opened> {
    let url = new URL(`${base.href}/v2/events`);
    for (const t of FOLLOWED_EVENT_TYPES) url.searchParams.append('event_type', t);
    let sendAuth = true;
    let renewed = false;
    for (let hop = 0; ; ) {
      const header = sendAuth ? await this.auth.header() : undefined;
      const opened = await this.request(url, header, signal, deadline);
      if ('failure' in opened) return { kind: 'failed', reason: opened.failure };
      const { res, req } = opened;
      const status = res.statusCode ?? 0;
      if (status === 200) {
        const type = String(res.headers['content-type'] ?? '');
        if (type.startsWith('text/event-stream')) return { kind: 'stream', res, req };
        req.destroy();
        return { kind: 'failed', reason: `answered 200 with ${type === '' ? 'no content type' : type}, not an event stream` };
      }
      req.destroy();
      if (status === 401 && this.auth.renewable && !renewed && sendAuth) {
        renewed = true;
        this.auth.invalidate();
        continue;
      }
      if ((status === 301 || status === 302 || status === 303 || status === 307 || status === 308) && hop < MAX_REDIRECTS) {
        const location = res.headers.location;
        let next: URL;
        try {
          next = new URL(location ?? '', url);
        } catch {
          return { kind: 'failed', reason: `answered ${status} with an unreadable Location` };
        }
        const configured = this.bases.some((b) => new URL(b.href).origin === next.origin);
        const header = await this.auth.header();
        if (!configured && header !== undefined) {
          // Credentials only ever go to configured origins; without the stream, recovery is polled.
          return { kind: 'failed', reason: `redirected to ${next.origin}, which is not a configured Marathon URL (credentials are not sent there)` };
        }
        sendAuth = configured;
        url = next;
        hop++;
        continue;
      }
      if (status === 404) return { kind: 'failed', reason: 'answered 404: this Marathon serves no event stream' };
      return { kind: 'failed', reason: `answered ${status}` };
    }
  }

  /** Sends the GET and resolves with the response head, or why there is none by the deadline. */
  private request(url: URL, header: string | undefined, signal: AbortSignal, deadline: number): Promise<{ res: IncomingMessage; req: ClientRequest } | { failure: string }> {
    return new Promise((resolve) => {
      const https = url.protocol === 'https:';
      const send = https ? httpsRequest : httpRequest;
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (header !== undefined) headers.authorization = header;
      const timer = new AbortController();
      let settled = false;
      const settle = (v: { res: IncomingMessage; req: ClientRequest } | { failure: string }): void => {
        if (settled) return;
        settled = true;
        timer.abort();
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      };
      const req = send(url, { method: 'GET', headers, agent: false, ...(https && this.ca !== undefined ? { ca: this.ca } : {}) }, (res) => settle({ res, req }));
      req.on('error', (err: NodeJS.ErrnoException) => {
        settle({ failure: err.code ?? 'connection failed' });
      });
      req.end();
      const onAbort = (): void => {
        req.destroy();
        settle({ failure: 'stopped' });
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.clock.sleep(Math.max(0, deadline - this.clock.now()), timer.signal).then(
        () => {
          req.destroy();
          settle({ failure: 'no answer in time' });
        },
        () => undefined,
      );
    });
  }

  /** Reads frames until the stream ends, stalls, or the signal aborts; resolves with why it ended. */
  private read(opened: { res: IncomingMessage; req: ClientRequest }, wanted: ReadonlySet<string>, queue: ItemQueue, signal: AbortSignal, deadline: number, onFirstEvent: () => void): Promise<string> {
    const { res, req } = opened;
    const idleMs = this.options.idleTimeoutMs ?? 25_000;
    return new Promise((resolve) => {
      const parser = new SseParser();
      const decoder = new StringDecoder('utf8');
      const timers = new AbortController();
      let gotEvent = false;
      let lastByteAt = this.clock.now();
      let ended = false;
      const end = (reason: string): void => {
        if (ended) return;
        ended = true;
        timers.abort();
        signal.removeEventListener('abort', onAbort);
        req.destroy();
        resolve(reason);
      };
      const onAbort = (): void => end('stopped');
      signal.addEventListener('abort', onAbort, { once: true });
      res.on('data', (chunk: Buffer) => {
        if (ended) return;
        lastByteAt = this.clock.now();
        let frames;
        try {
          frames = parser.push(decoder.write(chunk));
        } catch {
          end('a frame longer than any Marathon event');
          return;
        }
        for (const f of frames) {
          if (!gotEvent) {
            gotEvent = true;
            onFirstEvent();
          }
          const ev = appEventOf(f.event, f.data, this.clock.now());
          for (const e of ev) if (wanted.has(e.appId)) queue.push(e);
        }
      });
      res.on('end', () => end('the stream ended'));
      res.on('close', () => end('the stream was closed'));
      res.on('error', (err: NodeJS.ErrnoException) => end(`the stream failed (${err.code ?? 'error'})`));
      // First event by the deadline, then a byte at least every idleMs.
      void (async () => {
        try {
          await this.clock.sleep(Math.max(0, deadline - this.clock.now()), timers.signal);
          if (!gotEvent) {
            end('no event in time (a proxy buffering the stream?)');
            return;
          }
          for (;;) {
            const quiet = this.clock.now() - lastByteAt;
            if (quiet >= idleMs) {
              end(`nothing received for ${Math.round(quiet / 1000)} s`);
              return;
            }
            await this.clock.sleep(idleMs - quiet, timers.signal);
          }
        } catch {
          // ended or aborted
        }
      })();
    });
  }
}

/** The followed app ids an event is about (several for a deployment), as AppEvents. */
export function appEventOf(type: string, data: string, at: number): AppEvent[] {
  let payload: unknown;
  try {
    payload = JSON.parse(data);
  } catch {
    return [];
  }
  if (typeof payload !== 'object' || payload === null) return [];
  const p = payload as Record<string, unknown>;
  const ids = new Set<string>();
  for (const key of ['appId', 'runSpecId']) if (typeof p[key] === 'string') ids.add(p[key]);
  if (type.startsWith('deployment_')) {
    for (const holder of [p.plan, p]) {
      const steps = (holder as { steps?: unknown } | undefined)?.steps;
      if (Array.isArray(steps)) for (const s of steps) addActionApps(s, ids);
    }
    addActionApps(p.currentStep, ids);
  }
  const state = typeof p.taskStatus === 'string' ? p.taskStatus : typeof p.condition === 'string' ? p.condition : undefined;
  const flag = 'alive' in p ? p.alive : 'healthy' in p ? p.healthy : undefined;
  const healthy = flag === true || flag === false || flag === null ? flag : undefined;
  return [...ids].map((appId) => ({ kind: 'event', appId, type, at, ...(state === undefined ? {} : { state }), ...(healthy === undefined ? {} : { healthy }) }));
}

function addActionApps(step: unknown, ids: Set<string>): void {
  const actions = (step as { actions?: unknown } | undefined)?.actions;
  if (!Array.isArray(actions)) return;
  for (const a of actions) {
    const app = (a as { app?: unknown } | undefined)?.app;
    if (typeof app === 'string') ids.add(app);
  }
}

/**
 * The event-stream format (WHATWG server-sent events): lines end in CRLF, LF or CR; `event:` and
 * `data:` fields; a blank line dispatches; `:` starts a comment. Marathon's bare CRLF heartbeat
 * dispatches nothing.
 */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];

  push(text: string): { event: string; data: string }[] {
    this.buffer += text;
    const out: { event: string; data: string }[] = [];
    let start = 0;
    for (;;) {
      let i = start;
      while (i < this.buffer.length && this.buffer[i] !== '\n' && this.buffer[i] !== '\r') i++;
      if (i >= this.buffer.length) break;
      // A CR at the end of what arrived may be the first half of a CRLF.
      if (this.buffer[i] === '\r' && i + 1 >= this.buffer.length) break;
      const line = this.buffer.slice(start, i);
      start = i + (this.buffer[i] === '\r' && this.buffer[i + 1] === '\n' ? 2 : 1);
      this.line(line, out);
    }
    this.buffer = this.buffer.slice(start);
    if (this.buffer.length > MAX_FRAME_CHARS) throw new Error('frame too long');
    return out;
  }

  private line(line: string, out: { event: string; data: string }[]): void {
    if (line === '') {
      if (this.data.length > 0) out.push({ event: this.event === '' ? 'message' : this.event, data: this.data.join('\n') });
      this.event = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
  }
}

/** A queue between the socket's callbacks and the async iteration. */
class ItemQueue {
  private items: EventsItem[] = [];
  private waiter: ((item: EventsItem | undefined) => void) | undefined;
  private closed = false;

  push(item: EventsItem): void {
    if (this.closed) return;
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      w(item);
    } else this.items.push(item);
  }

  close(): void {
    this.closed = true;
    const w = this.waiter;
    this.waiter = undefined;
    w?.(undefined);
  }

  next(): Promise<EventsItem | undefined> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve(item);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => (this.waiter = resolve));
  }
}
