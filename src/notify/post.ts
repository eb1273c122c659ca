/**
 * One JSON POST to a notification URL, with node:http/https. Not the shared HttpTransport: its
 * errors name the request path, and a Slack webhook's path IS its secret (/services/T…/B…/token).
 * Everything this module reports carries the URL's origin only.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { MonkeyError } from '../errors.js';
import type { Clock } from '../platform/clock.js';

/** An answer's body is read and thrown away; more than this is not read at all. */
const MAX_ANSWER_BYTES = 64 * 1024;

export type DeliveryFailure = 'status' | 'timeout' | 'refused' | 'dns' | 'reset' | 'other';

/**
 * A delivery attempt that failed. The message and fields name the channel and the URL's origin,
 * never its path, query or userinfo.
 */
export class NotifyDeliveryError extends MonkeyError {
  override readonly name = 'NotifyDeliveryError';
  readonly failure: DeliveryFailure;
  /** The HTTP status, when the receiver answered. */
  readonly status: number | undefined;
  /** `scheme://host:port`: all of the URL that may be shown. */
  readonly target: string;
  /** Worth another attempt: no answer, 5xx, 408 or 429. A 4xx other than those will not change. */
  readonly retryable: boolean;

  constructor(f: { channel: string; target: string; failure: DeliveryFailure; status?: number; errno?: string }) {
    const what =
      f.failure === 'status'
        ? `answered HTTP ${f.status ?? '?'}`
        : f.failure === 'timeout'
          ? 'gave no answer in time'
          : f.failure === 'refused'
            ? 'refused the connection'
            : f.failure === 'dns'
              ? 'has a host name that could not be resolved'
              : f.failure === 'reset'
                ? 'dropped the connection'
                : `could not be reached (${f.errno ?? 'unknown error'})`;
    super(f.failure === 'status' ? `E_NOTIFY_HTTP_${f.status ?? 0}` : `E_NOTIFY_${f.failure.toUpperCase()}`, `the ${f.channel} notification receiver at ${f.target} ${what}`, {
      hint:
        f.failure === 'status' && f.status !== undefined && f.status >= 400 && f.status < 500
          ? `check the ${f.channel} URL (MONKEY_NOTIFY_${f.channel.toUpperCase()}): the receiver rejects what is sent to it (for Slack: a revoked or mistyped webhook)`
          : `check that ${f.target} is reachable from this host; MONKEY_NOTIFY_TIMEOUT_MS and MONKEY_NOTIFY_RETRIES bound how long the monkey keeps trying`,
    });
    this.failure = f.failure;
    this.status = f.status;
    this.target = f.target;
    this.retryable = f.failure !== 'status' || f.status === undefined || f.status >= 500 || f.status === 408 || f.status === 429;
  }
}

export interface PostOptions {
  channel: string;
  url: string;
  body: unknown;
  timeoutMs: number;
  clock: Clock;
  userAgent: string;
  /** Cuts the request short (shutdown). */
  signal?: AbortSignal;
}

/** A function with postJson's contract: tests and the notifier take one. */
export type Poster = (o: PostOptions) => Promise<{ status: number }>;

/** Resolves with a 2xx status; rejects with NotifyDeliveryError for anything else. */
export const postJson: Poster = (o) => {
  const url = new URL(o.url);
  const target = url.origin;
  const fail = (failure: DeliveryFailure, extra: { status?: number; errno?: string } = {}): NotifyDeliveryError =>
    new NotifyDeliveryError({ channel: o.channel, target, failure, ...extra });
  const payload = Buffer.from(JSON.stringify(o.body), 'utf8');
  return new Promise((resolve, reject) => {
    const timer = new AbortController();
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      timer.abort();
      fn();
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers: Record<string, string | number> = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': payload.length,
      'user-agent': o.userAgent,
    };
    if (url.username !== '' || url.password !== '') {
      // Basic auth in the URL goes as a header; the URL itself is sent without it.
      headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
      url.username = '';
      url.password = '';
    }
    const req = send(url, { method: 'POST', headers, agent: false }, (res) => {
      const status = res.statusCode ?? 0;
      let received = 0;
      res.on('data', (piece: Buffer) => {
        received += piece.length;
        if (received > MAX_ANSWER_BYTES) res.destroy();
      });
      const done = (): void => settle(() => (status >= 200 && status < 300 ? resolve({ status }) : reject(fail('status', { status }))));
      res.once('end', done);
      res.once('close', done);
      res.once('error', done);
    });
    req.once('error', (err: NodeJS.ErrnoException) => {
      const code = err.code;
      settle(() =>
        reject(
          code === 'ECONNREFUSED'
            ? fail('refused')
            : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
              ? fail('dns')
              : code === 'ECONNRESET' || code === 'EPIPE'
                ? fail('reset')
                : fail('other', code !== undefined && /^[A-Z0-9_]+$/.test(code) ? { errno: code } : {}),
        ),
      );
    });
    const cut = (failure: DeliveryFailure): void => {
      settle(() => reject(fail(failure)));
      req.destroy();
    };
    o.clock.sleep(o.timeoutMs, timer.signal).then(
      () => cut('timeout'),
      () => undefined,
    );
    if (o.signal !== undefined) {
      if (o.signal.aborted) cut('timeout');
      else o.signal.addEventListener('abort', () => cut('timeout'), { once: true, signal: timer.signal });
    }
    req.end(payload);
  });
};
