import type { Logger } from 'pino';
import type { AuthProvider } from './auth.js';
import type { Clock } from '../platform/clock.js';
import type { Random } from '../platform/random.js';
import type { HttpTransport } from './transport.js';

/** One HTTP exchange, for metrics. `target` is `scheme://host:port` without credentials. */
export interface RequestEvent {
  method: string;
  endpoint: string;
  target: string;
  status?: number;
  durationMs: number;
  /** Error code when no HTTP answer arrived (E_HTTP_REFUSED, E_HTTP_TIMEOUT, …). */
  error?: string;
}

/** What the Marathon and the Mesos clients share: auth, timeouts, read retries, TLS and the seams. */
export interface HttpClientOptions {
  auth?: AuthProvider;
  /** Per-request timeout (got `timeout.request`). */
  timeoutMs: number;
  /** Extra rounds for reads, with backoff in between. Kills are never retried. */
  retries: number;
  caFile?: string;
  clock?: Clock;
  /** Jitter for read backoff; none when absent. */
  random?: Random;
  logger?: Logger;
  onRequest?: (event: RequestEvent) => void;
  backoff?: { baseMs: number; maxMs: number };
  /** Cap on one answer's body in bytes (config marathon.maxResponseMb); default DEFAULT_MAX_RESPONSE_BYTES. */
  maxResponseBytes?: number;
  transport?: HttpTransport;
}
