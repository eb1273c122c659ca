import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import got, { RequestError, TimeoutError, type Request } from 'got';
import { MonkeyError } from '../errors.js';
import { systemClock, type Clock } from '../platform/clock.js';
import { TransportError, type TransportFailure } from './errors.js';
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
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Raw text: callers parse and validate it themselves (Marathon error pages are HTML). */
  body: string;
  /** The 200 body when the request asked for `okBodyAsBytes`. */
  bytes?: Buffer;
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
      const { status, headers, bytes } = await readBytes(stream);
      const durationMs = Math.max(0, this.clock.now() - started);
      if (req.okBodyAsBytes === true && status === 200) return { status, headers, body: '', bytes, durationMs };
      return { status, headers, body: decodeText(bytes), durationMs };
    } catch (error) {
      throw wrapGotError(error, req, url);
    }
  }
}

/**
 * The whole body, kept outside the JS heap; rejects with got's error. When the length is announced
 * (and not compressed) the bytes go straight into one buffer of that size, so each chunk is garbage
 * at once and the body is never held twice; otherwise the chunks are joined at the end.
 */
function readBytes(stream: Request): Promise<{ status: number; headers: IncomingHttpHeaders; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    let status = 0;
    let headers: IncomingHttpHeaders = {};
    let whole: Buffer | undefined;
    let chunks: Buffer[] = [];
    let length = 0;
    stream.once('response', (response: { statusCode: number; headers: IncomingHttpHeaders }) => {
      status = response.statusCode;
      headers = response.headers;
      const announced = Number(headers['content-length']);
      const encoding = headers['content-encoding'];
      if ((encoding === undefined || encoding === 'identity') && Number.isSafeInteger(announced) && announced > 0) whole = Buffer.allocUnsafeSlow(announced);
    });
    stream.on('data', (chunk: Buffer) => {
      if (whole !== undefined && length + chunk.length <= whole.length) {
        chunk.copy(whole, length);
      } else {
        // More than announced (never from a well-behaved server): keep everything as chunks.
        if (whole !== undefined) chunks.push(whole.subarray(0, length));
        whole = undefined;
        chunks.push(chunk);
      }
      length += chunk.length;
    });
    stream.once('end', () => {
      let all: Buffer;
      if (whole !== undefined) all = whole.subarray(0, length);
      else all = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, length);
      whole = undefined;
      chunks = [];
      resolve({ status, headers, bytes: all });
    });
    stream.once('error', reject);
  });
}

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
