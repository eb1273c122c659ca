import { MonkeyError } from '../errors.js';

/**
 * How a request failed below HTTP. `sent` is the one fact a kill depends on: false only when the
 * request certainly never reached the server (refused, unresolvable, TLS handshake failed, connect
 * timeout), true whenever the server may have received it.
 */
export type TransportFailure = 'refused' | 'dns' | 'unreachable' | 'tls' | 'timeout' | 'reset' | 'other';

/**
 * A got error wrapped at the edge. Only safe fields are copied: got's own error carries the
 * request options (the Authorization header) and the full URL (maybe with userinfo), so it is
 * never kept, not even as `cause`.
 */
export class TransportError extends MonkeyError {
  override readonly name = 'TransportError';
  readonly failure: TransportFailure;
  readonly sent: boolean;
  readonly method: string;
  readonly endpoint: string;
  readonly target: string;
  /** The system error code (ECONNREFUSED, ETIMEDOUT, …) when there was one. */
  readonly errno: string | undefined;

  constructor(fields: {
    failure: TransportFailure;
    sent: boolean;
    method: string;
    endpoint: string;
    target: string;
    errno: string | undefined;
    timeoutMs?: number;
  }) {
    super(`E_HTTP_${fields.failure.toUpperCase()}`, describe(fields), {
      hint: 'check that the server is up and reachable from this host (address, port, firewall, TLS settings)',
    });
    this.failure = fields.failure;
    this.sent = fields.sent;
    this.method = fields.method;
    this.endpoint = fields.endpoint;
    this.target = fields.target;
    this.errno = fields.errno;
  }
}

function describe(f: { failure: TransportFailure; method: string; endpoint: string; target: string; errno: string | undefined; timeoutMs?: number }): string {
  const what = `${f.method} ${f.endpoint} on ${f.target}`;
  switch (f.failure) {
    case 'refused':
      return `${what}: connection refused`;
    case 'dns':
      return `${what}: host name could not be resolved`;
    case 'unreachable':
      return `${what}: host or network unreachable`;
    case 'tls':
      return `${what}: TLS handshake failed (${f.errno ?? 'certificate or protocol error'})`;
    case 'timeout':
      return `${what}: no complete answer within ${f.timeoutMs ?? '?'} ms`;
    case 'reset':
      return `${what}: connection dropped before a complete answer`;
    case 'other':
      return `${what}: request failed (${f.errno ?? 'unknown error'})`;
  }
}

/** The cap on one answer's body, and what an answer over it fails with. */
export interface ResponseLimit {
  maxBytes: number;
  /** Stable code, e.g. E_MARATHON_RESPONSE_TOO_LARGE. */
  code: string;
  /** Tells the operator which setting raises the cap. */
  hint: string;
}

/**
 * An answer larger than the configured cap: announced by Content-Length (refused before reading)
 * or grown past it while streaming (the connection is dropped there). Not a TransportError on
 * purpose: callers retry and fail over on those, and an endless or runaway answer is not worth
 * asking again.
 */
export class ResponseTooLargeError extends MonkeyError {
  override readonly name = 'ResponseTooLargeError';
  readonly method: string;
  readonly endpoint: string;
  readonly target: string;
  readonly status: number;
  readonly maxBytes: number;
  /** Content-Length when it announced too much, else the bytes received when the read stopped. */
  readonly bytes: number;
  readonly announced: boolean;

  constructor(limit: ResponseLimit, fields: { method: string; endpoint: string; target: string; status: number; bytes: number; announced: boolean }) {
    const what = `${fields.method} ${fields.endpoint} on ${fields.target}`;
    const cap = mb(limit.maxBytes);
    super(
      limit.code,
      fields.announced
        ? `${what}: the answer (status ${fields.status}) announces ${mb(fields.bytes)}, more than the ${cap} cap; it was not read`
        : `${what}: the answer (status ${fields.status}) grew past the ${cap} cap while streaming; the connection was dropped and the request abandoned`,
      { hint: limit.hint },
    );
    this.method = fields.method;
    this.endpoint = fields.endpoint;
    this.target = fields.target;
    this.status = fields.status;
    this.maxBytes = limit.maxBytes;
    this.bytes = fields.bytes;
    this.announced = fields.announced;
  }
}

function mb(bytes: number): string {
  const v = bytes / (1024 * 1024);
  return `${v >= 10 ? Math.round(v) : Math.round(v * 10) / 10} MB`;
}
