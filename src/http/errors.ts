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
