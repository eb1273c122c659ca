import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import got, { RequestError, TimeoutError, type Request } from 'got';
import { MonkeyError } from '../errors.js';
import { systemClock, type Clock } from '../platform/clock.js';
import { ResponseTooLargeError, TransportError, type ResponseLimit, type TransportFailure } from './errors.js';
import { isAscii } from 'node:buffer';
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
   * A 200 body is handed over as `bytes` (and `body` is empty) for callers that parse big answers
   * piece by piece; other answers (error pages) are text as always.
   */
  okBodyAsBytes?: boolean;
  /**
   * For a 200 answer: a sink made when the status is known and fed every piece of the body as it
   * arrives, so a big answer can be parsed while the rest is still on the wire. The response then
   * carries the sink and the `received` body (and `body` is empty); the caller finishes the parse.
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

/** Takes a body piece by piece. Must not throw: a sink records its own trouble for the caller. */
export interface BodySink {
  /** `piece` has just been appended to `body`, at offset `body.length - piece.length`. */
  write(piece: Buffer, body: ReceivedBody): void;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Raw text: callers parse and validate it themselves (Marathon error pages are HTML). */
  body: string;
  /** The 200 body when the request asked for `okBodyAsBytes`. */
  bytes?: Buffer;
  /** The sink made by `okBodySink` (200 answers only) and the body it was fed. */
  sink?: BodySink;
  received?: ReceivedBody;
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
      // and a 50,000-task listing is ~40 MB. readText holds the bytes once, then the text.
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
      const { status, headers, body, sink } = await readBody(stream, req.okBodySink, req.limit ?? DEFAULT_RESPONSE_LIMIT, (status, bytes, announced) =>
        new ResponseTooLargeError(req.limit ?? DEFAULT_RESPONSE_LIMIT, { method: req.method, endpoint: url.pathname, target: url.origin, status, bytes, announced }),
      );
      const durationMs = Math.max(0, this.clock.now() - started);
      if (sink !== undefined) return { status, headers, body: '', sink, received: body, durationMs };
      const bytes = body.bytes();
      if (req.okBodyAsBytes === true && status === 200) return { status, headers, body: '', bytes, durationMs };
      return { status, headers, body: decodeText(bytes), durationMs };
    } catch (error) {
      if (error instanceof ResponseTooLargeError) throw error;
      throw wrapGotError(error, req, url);
    }
  }
}

/**
 * A body as it arrives, kept outside the JS heap in the pieces the socket delivered, never held
 * twice: they are joined only if someone asks for the whole body. (Copying each piece into one
 * buffer of the announced length cost more than the rest of the receive: every page of a fresh
 * 40 MB buffer is faulted in on first write, ~25 ms on the cycle benchmark.)
 */
export class ReceivedBody {
  /** Bytes received so far. */
  length = 0;
  private pieces: Buffer[] = [];
  /** Offset of each piece in the body. */
  private offsets: number[] = [];
  /** Index of the piece the last `text` started in: reads move forward through the body. */
  private cursor = 0;

  append(piece: Buffer): void {
    this.pieces.push(piece);
    this.offsets.push(this.length);
    this.length += piece.length;
  }

  /** Bytes [start, end) as UTF-8 text; all of them must have arrived. */
  text(start: number, end: number): string {
    const k = this.pieceOf(start);
    const first = this.pieces[k] as Buffer;
    const offset = this.offsets[k] as number;
    if (end - offset <= first.length) return utf8Text(first, start - offset, end - offset);
    // The range spans pieces (a UTF-8 sequence may too): join just its bytes.
    const joined = Buffer.allocUnsafe(end - start);
    this.copy(start, end, joined);
    return utf8Text(joined, 0, joined.length);
  }

  /** Byte `i` (received). */
  at(i: number): number {
    const k = this.pieceOf(i);
    return (this.pieces[k] as Buffer)[i - (this.offsets[k] as number)] as number;
  }

  /**
   * Offset of the last occurrence of `pattern` lying wholly in the latest piece at or after `from`,
   * or -1. Callers use this to find a recent cut point, and a miss only delays it.
   */
  lastIndexOf(pattern: Uint8Array, from: number): number {
    const last = this.pieces.length - 1;
    const piece = this.pieces[last];
    if (piece === undefined || piece.length < pattern.length) return -1;
    const i = piece.lastIndexOf(pattern, piece.length - pattern.length);
    const found = i >= 0 ? (this.offsets[last] as number) + i : -1;
    return found >= from ? found : -1;
  }

  /**
   * Bytes [start, end) as text with the first byte read as `[` and the last as `]`: the elements
   * between two separators of a JSON array, as an array. The body itself is left as it was.
   */
  bracketedText(start: number, end: number): string {
    const b = Buffer.allocUnsafeSlow(end - start);
    this.copy(start, end, b);
    b[0] = 0x5b;
    b[b.length - 1] = 0x5d;
    return utf8Text(b, 0, b.length);
  }

  private pieceOf(i: number): number {
    const { offsets } = this;
    let k = this.cursor < offsets.length && (offsets[this.cursor] as number) <= i ? this.cursor : 0;
    while (k + 1 < offsets.length && (offsets[k + 1] as number) <= i) k++;
    this.cursor = k;
    return k;
  }

  /** Copies bytes [start, end) (received) into `target` at 0. */
  private copy(start: number, end: number, target: Buffer): void {
    let k = this.pieceOf(start);
    let at = (this.pieces[k] as Buffer).copy(target, 0, start - (this.offsets[k] as number), end - (this.offsets[k] as number));
    while (at < end - start) at += (this.pieces[++k] as Buffer).copy(target, at, 0, end - start - at);
  }

  /** The whole body as one buffer; pieces are joined once and then dropped. */
  bytes(): Buffer {
    if (this.pieces.length !== 1) {
      const all = Buffer.concat(this.pieces, this.length);
      this.pieces = [all];
      this.offsets = [0];
      this.cursor = 0;
    }
    return this.pieces[0] ?? Buffer.alloc(0);
  }
}

/** UTF-8 text of a range; pure ASCII (the usual JSON) is copied as latin1, which is the same text and cheaper. */
function utf8Text(b: Buffer, start: number, end: number): string {
  return isAscii(b.subarray(start, end)) ? b.toString('latin1', start, end) : b.toString('utf8', start, end);
}

/**
 * The whole body and, for a 200 answer when a sink factory was given, the sink it was fed to;
 * rejects with got's error, or with `tooLarge(…)` once the body is over `limit` (the stream is then
 * destroyed, which closes the socket: nothing more is read).
 */
function readBody(
  stream: Request,
  sinkFactory: (() => BodySink) | undefined,
  limit: ResponseLimit,
  tooLarge: (status: number, bytes: number, announced: boolean) => ResponseTooLargeError,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: ReceivedBody; sink?: BodySink }> {
  let makeSink = sinkFactory;
  return new Promise((resolve, reject) => {
    let status = 0;
    let headers: IncomingHttpHeaders = {};
    let body = new ReceivedBody();
    let sink: BodySink | undefined;
    let over = false;
    const abandon = (error: ResponseTooLargeError): void => {
      over = true;
      stream.off('data', onData);
      body = new ReceivedBody();
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
      if (body.length + piece.length > limit.maxBytes) {
        abandon(tooLarge(status, body.length + piece.length, false));
        return;
      }
      body.append(piece);
      sink?.write(piece, body);
    };
    stream.on('data', onData);
    stream.once('end', () => {
      resolve(sink === undefined ? { status, headers, body } : { status, headers, body, sink });
      // got's stream can outlive the answer (pooled connections), and with it these closures: let go
      // of the body, the sink and the caller's factory (which may hold the previous sink).
      // The settled promise holds the answer; reject keeps the promise reachable from the stream.
      stream.off('data', onData);
      stream.off('error', reject);
      stream.on('error', ignoreLateError);
      body = new ReceivedBody();
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
  const errno = error instanceof RequestError ? error.code : undefined;
  const timings = error instanceof RequestError ? error.timings : undefined;
  const https = url.protocol === 'https:';
  const connected = (https ? timings?.secureConnect : timings?.connect) !== undefined;
  let failure: TransportFailure;
  let sent: boolean;
  if (error instanceof TimeoutError || errno === 'ETIMEDOUT') {
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
