import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Request } from 'got';
import { MonkeyError } from '../errors.js';
import { systemClock, type Clock } from '../platform/clock.js';
import { ResponseTooLargeError, TransportError, type ResponseLimit, type TransportFailure } from './errors.js';
import { decodeText } from './json.js';

export interface HttpRequest {
  method: 'GET' | 'POST';
  /** Absolute URL. Userinfo, if any slipped through, is removed before sending. */
  url: URL;
  headers?: Record<string, string>;
  /** Serialised as the JSON body (got sets Content-Type: application/json). */
  json?: unknown;
  timeoutMs: number;
  /**
   * Use a new connection instead of a pooled keep-alive one. For kills: a pooled socket the server
   * already closed fails with ECONNRESET after the request was written, which is indistinguishable
   * from a kill that reached Marathon; a fresh connection fails with ECONNREFUSED before sending.
   */
  fresh?: boolean;
  /**
   * For a 200 answer: a sink made when the status is known and fed every piece of the body as it
   * arrives, so a big answer can be parsed while the rest is still on the wire. The body is then
   * the sink's alone: the response carries the sink (and `body` is empty); the caller finishes the
   * parse. Other answers (error pages) are text as always.
   */
  okBodySink?: () => BodySink;
  /**
   * Cap on the body (any status). Default DEFAULT_RESPONSE_LIMIT. An answer over it rejects with
   * ResponseTooLargeError: before reading when Content-Length says so, else as soon as the count of
   * bytes received passes it, dropping the connection (an endless answer would otherwise grow the
   * process until the request timeout).
   */
  limit?: ResponseLimit;
}

/** Well above the largest real listing (50,000 tasks are ~60 MB), well below what hurts the process. */
export const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

export const DEFAULT_RESPONSE_LIMIT: ResponseLimit = {
  maxBytes: DEFAULT_MAX_RESPONSE_BYTES,
  code: 'E_HTTP_RESPONSE_TOO_LARGE',
  hint: 'the server sent a far larger answer than any real cluster needs; check what answers at this URL',
};

/**
 * Takes a body piece by piece, in order, and keeps what it needs of it (the transport keeps
 * nothing). Must not throw: a sink records its own trouble for the caller.
 */
export interface BodySink {
  write(piece: Buffer): void;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Raw text: callers parse and validate it themselves (Marathon error pages are HTML). */
  body: string;
  /** The sink made by `okBodySink` (200 answers only), fed the whole body. */
  sink?: BodySink;
  durationMs: number;
}

export interface HttpTransportOptions {
  /** PEM file with the CA(s) that signed the servers' certificates (self-signed clusters, DC/OS). */
  caFile?: string;
  clock?: Clock;
}

export class CaFileError extends MonkeyError {
  override readonly name = 'CaFileError';
  constructor(file: string, errno: string | undefined) {
    super('E_CONFIG_CA_FILE', `the CA file ${file} cannot be read (${errno ?? 'unknown error'})`, {
      hint: 'point the CA file setting at a readable PEM file, e.g. the cluster CA bundle from https://<cluster>/ca/dcos-ca.crt',
    });
  }
}

/**
 * got, loaded by the first request rather than at import: building a client (validate, the
 * daemon's wiring) must not pay for it (~15 MB and ~70 ms of module loading; scripts/bench-startup.mjs).
 */
let gotModule: typeof import('got') | undefined;

async function loadGot(): Promise<typeof import('got')> {
  return (gotModule ??= await import('got'));
}

/**
 * The one place that talks to got. Configured on purpose (STYLE habit 11): an explicit request
 * timeout always, got's own retry off (DELETE/POST retries would repeat kills; callers decide
 * what may be retried), HTTP errors returned instead of thrown, redirects not followed (callers
 * follow the ones they understand so credentials never go somewhere unexpected). Every got error is
 * replaced at this edge by a TransportError holding only safe fields.
 */
export class HttpTransport {
  private readonly ca: Buffer | undefined;
  private readonly clock: Clock;
  private readonly freshAgents = { http: new HttpAgent({ keepAlive: false }), https: new HttpsAgent({ keepAlive: false }) };

  constructor(options: HttpTransportOptions = {}) {
    this.clock = options.clock ?? systemClock;
    if (options.caFile === undefined) {
      this.ca = undefined;
    } else {
      try {
        this.ca = readFileSync(options.caFile);
      } catch (e) {
        throw new CaFileError(options.caFile, (e as NodeJS.ErrnoException).code);
      }
    }
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const url = new URL(req.url.href);
    url.username = '';
    url.password = '';
    const started = this.clock.now();
    try {
      // Stream mode: got's promise API keeps the chunks, their concatenation and the decoded text
      // alive at once, and the response (with both) for a while after it resolves: 3× the body,
      // and a 50,000-task listing is ~40 MB. readBody holds the bytes once (or hands them to the
      // sink), then the text.
      const { default: got } = await loadGot();
      const stream = got.stream(url, {
        method: req.method,
        headers: { accept: 'application/json', ...req.headers },
        ...(req.json === undefined ? {} : { json: req.json }),
        timeout: { request: req.timeoutMs },
        retry: { limit: 0 },
        throwHttpErrors: false,
        followRedirect: false,
        ...(req.fresh === true ? { agent: this.freshAgents } : {}),
        ...(this.ca === undefined ? {} : { https: { certificateAuthority: this.ca } }),
      });
      const { status, headers, text, sink } = await readBody(stream, req.okBodySink, req.limit ?? DEFAULT_RESPONSE_LIMIT, (status, bytes, announced) =>
        new ResponseTooLargeError(req.limit ?? DEFAULT_RESPONSE_LIMIT, { method: req.method, endpoint: url.pathname, target: url.origin, status, bytes, announced }),
      );
      const durationMs = Math.max(0, this.clock.now() - started);
      return sink === undefined ? { status, headers, body: text, durationMs } : { status, headers, body: '', sink, durationMs };
    } catch (error) {
      if (error instanceof ResponseTooLargeError) throw error;
      throw wrapGotError(error, req, url);
    }
  }
}

/**
 * The body as text or, for a 200 answer when a sink factory was given, the sink it was fed to
 * instead; rejects with got's error, or with `tooLarge(…)` once the body is over `limit` (the
 * stream is then destroyed, which closes the socket: nothing more is read).
 */
function readBody(
  stream: Request,
  sinkFactory: (() => BodySink) | undefined,
  limit: ResponseLimit,
  tooLarge: (status: number, bytes: number, announced: boolean) => ResponseTooLargeError,
): Promise<{ status: number; headers: IncomingHttpHeaders; text: string; sink?: BodySink }> {
  let makeSink = sinkFactory;
  return new Promise((resolve, reject) => {
    let status = 0;
    let headers: IncomingHttpHeaders = {};
    /** Pieces of a body that goes to no sink. */
    let pieces: Buffer[] = [];
    let received = 0;
    let sink: BodySink | undefined;
    let over = false;
    const abandon = (error: ResponseTooLargeError): void => {
      over = true;
      stream.off('data', onData);
      pieces = [];
      sink = undefined;
      makeSink = undefined;
      stream.on('error', ignoreLateError);
      reject(error);
      stream.destroy();
    };
    stream.once('response', (response: { statusCode: number; headers: IncomingHttpHeaders }) => {
      status = response.statusCode;
      headers = response.headers;
      const announced = Number(headers['content-length']);
      if (headers['content-length'] !== undefined && Number.isFinite(announced) && announced > limit.maxBytes) {
        abandon(tooLarge(status, announced, true));
        return;
      }
      if (status === 200 && makeSink !== undefined) sink = makeSink();
    });
    const onData = (piece: Buffer): void => {
      if (over) return;
      received += piece.length;
      if (received > limit.maxBytes) {
        abandon(tooLarge(status, received, false));
        return;
      }
      if (sink === undefined) pieces.push(piece);
      else sink.write(piece);
    };
    stream.on('data', onData);
    stream.once('end', () => {
      if (sink !== undefined) resolve({ status, headers, text: '', sink });
      else resolve({ status, headers, text: decodeText(pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces, received)) });
      // got's stream can outlive the answer (pooled connections), and with it these closures: let go
      // of the body, the sink and the caller's factory (which may hold the previous sink).
      // The settled promise holds the answer; reject keeps the promise reachable from the stream.
      stream.off('data', onData);
      stream.off('error', reject);
      stream.on('error', ignoreLateError);
      pieces = [];
      sink = undefined;
      makeSink = undefined;
    });
    stream.once('error', reject);
  });
}

/** An error after the whole answer arrived changes nothing, but must not go unhandled. */
function ignoreLateError(): void {}

/** Copies method, path, target origin and the system error code; never the got error itself. */
function wrapGotError(error: unknown, req: HttpRequest, url: URL): TransportError {
  // Any got error comes after the module loaded; before that there is nothing of got's to recognise.
  const requestError = gotModule !== undefined && error instanceof gotModule.RequestError ? error : undefined;
  const errno = requestError?.code;
  const timings = requestError?.timings;
  const https = url.protocol === 'https:';
  const connected = (https ? timings?.secureConnect : timings?.connect) !== undefined;
  let failure: TransportFailure;
  let sent: boolean;
  if ((gotModule !== undefined && error instanceof gotModule.TimeoutError) || errno === 'ETIMEDOUT') {
    failure = 'timeout';
    // Without an established connection not a byte of the request can have left this host.
    sent = connected;
  } else if (errno === 'ECONNREFUSED') {
    failure = 'refused';
    sent = false;
  } else if (errno === 'ENOTFOUND' || errno === 'EAI_AGAIN') {
    failure = 'dns';
    sent = false;
  } else if (errno === 'EHOSTUNREACH' || errno === 'ENETUNREACH') {
    failure = 'unreachable';
    sent = false;
  } else if (errno !== undefined && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|TLS|SSL/.test(errno)) {
    failure = 'tls';
    sent = connected;
  } else if (errno === 'ECONNRESET' || errno === 'EPIPE' || errno === 'ERR_STREAM_PREMATURE_CLOSE') {
    failure = 'reset';
    sent = true;
  } else {
    failure = 'other';
    sent = true;
  }
  return new TransportError({
    failure,
    sent,
    method: req.method,
    endpoint: url.pathname,
    target: url.origin,
    errno: errno !== undefined && /^[A-Z0-9_]+$/.test(errno) ? errno : undefined,
    timeoutMs: req.timeoutMs,
  });
}
