/**
 * The Mesos master client: the AgentsReader port (agents with attributes and fault domain, for
 * rack- and host-targeted chaos). Read-only, so it may retry freely.
 */
import { pino, type Logger } from 'pino';
import type { AgentsReader } from '../domain/ports.js';
import { systemClock, type Clock } from '../platform/clock.js';
import { ResponseTooLargeError, TransportError, type ResponseLimit } from '../http/errors.js';
import { retryDelay } from '../http/retry.js';
import type { HttpClientOptions, RequestEvent } from '../http/client-options.js';
import { DEFAULT_MAX_RESPONSE_BYTES, HttpTransport, type HttpResponse } from '../http/transport.js';
import { parseBaseUrl } from '../http/url.js';
import { basicAuth, noAuth, type AuthProvider } from '../http/auth.js';
import type { MarathonInfo } from '../domain/marathon.js';
import { MesosError } from './errors.js';
import { parseAgents, parseMesosBody } from './parse.js';
import type { MesosAgent } from '../domain/agent.js';

export type MesosRequestEvent = RequestEvent;

export interface MesosClientOptions extends HttpClientOptions {
  /** Mesos master base URL, e.g. `http://master:5050` or `https://<cluster>/mesos` on DC/OS. */
  url: string;
  /**
   * Origins (`scheme://host:port`) the credentials may be sent to; default: the origin of `url`.
   * A master reached elsewhere (by a redirect, or a `url` discovered from Marathon that is not
   * among them) is queried without credentials unless `trustAnyMaster` is set.
   */
  credentialOrigins?: readonly string[];
  /** Send credentials to whatever master is reached (config `mesos.trustDiscovered`). */
  trustAnyMaster?: boolean;
}

/** A non-leading master redirects to the leader; more hops than this means masters disagree. */
const MAX_REDIRECTS = 3;

export class MesosClient implements AgentsReader {
  private readonly base: URL;
  private readonly origin: string;
  private readonly auth: AuthProvider;
  private readonly transport: HttpTransport;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly credentialOrigins: ReadonlySet<string>;
  private readonly limit: ResponseLimit;
  /** Origins already logged as queried without credentials (once each). */
  private readonly withheldFrom = new Set<string>();

  constructor(private readonly options: MesosClientOptions) {
    const base = parseBaseUrl(options.url, 'the Mesos master URL');
    this.base = new URL(base.href);
    this.origin = base.origin;
    this.credentialOrigins = new Set(options.credentialOrigins ?? [base.origin]);
    const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.limit = {
      maxBytes,
      code: 'E_MESOS_RESPONSE_TOO_LARGE',
      hint: `the Mesos master sent more than the ${Math.round(maxBytes / (1024 * 1024))} MB allowed for one answer: if the cluster really is that big raise MONKEY_MARATHON_MAX_RESPONSE_MB, else check what answers at this URL`,
    };
    this.auth = options.auth ?? (base.credentials === undefined ? noAuth : basicAuth(base.credentials.username, base.credentials.password));
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'mesos' });
    this.transport = options.transport ?? new HttpTransport({ ...(options.caFile === undefined ? {} : { caFile: options.caFile }), clock: this.clock });
  }

  /** `GET /master/slaves`, following a non-leading master's 307 to the leader. */
  async listAgents(): Promise<MesosAgent[]> {
    const endpoint = `${this.base.pathname.replace(/\/+$/, '')}/master/slaves`;
    const rounds = Math.max(0, Math.floor(this.options.retries)) + 1;
    let last: MesosError | undefined;
    for (let round = 0; round < rounds; round++) {
      if (round > 0) {
        const backoff = this.options.backoff ?? { baseMs: 250, maxMs: 5_000 };
        await this.clock.sleep(retryDelay(round, { ...backoff, ...(this.options.random === undefined ? {} : { random: this.options.random }) }));
      }
      try {
        return await this.fetchAgents(endpoint);
      } catch (e) {
        if (e instanceof MesosError && (e.code === 'E_MESOS_UNREACHABLE' || e.code === 'E_MESOS_NO_LEADER')) {
          last = e;
          continue;
        }
        throw e;
      }
    }
    throw last ?? new MesosError('E_MESOS_UNREACHABLE', `GET ${endpoint}: no answer`, { endpoint });
  }

  private async fetchAgents(endpoint: string): Promise<MesosAgent[]> {
    let url = new URL(this.base.href);
    url.pathname = endpoint;
    let renewed = false;
    for (let hop = 0; ; ) {
      const resp = await this.get(url, endpoint);
      if (resp.status === 401 && this.auth.renewable && !renewed && this.mayAuthenticate(url)) {
        renewed = true;
        this.auth.invalidate();
        continue;
      }
      if (resp.status === 307 || resp.status === 302 || resp.status === 301 || resp.status === 308) {
        if (++hop > MAX_REDIRECTS) throw new MesosError('E_MESOS_HTTP', `GET ${endpoint}: more than ${MAX_REDIRECTS} redirects between Mesos masters`, { endpoint, status: resp.status });
        url = redirectTarget(url, resp, endpoint);
        this.log.debug({ endpoint, target: url.origin }, 'following the Mesos master redirect to the leader');
        continue;
      }
      if (resp.status === 503) throw new MesosError('E_MESOS_NO_LEADER', `GET ${endpoint}: the Mesos master answered 503 (no leading master)`, { endpoint, status: 503 });
      if (resp.status === 401 || resp.status === 403) {
        const withheld = this.mayAuthenticate(url)
          ? ''
          : `; no credentials were sent to ${url.origin} because it is not a configured address (set MONKEY_MESOS_URL to it, or MONKEY_MESOS_TRUST_DISCOVERED=true to trust discovered masters)`;
        throw new MesosError('E_MESOS_AUTH', `GET ${endpoint}: the Mesos master answered ${resp.status} (${resp.status === 401 ? 'not authenticated' : 'not authorised'})${withheld}`, { endpoint, status: resp.status });
      }
      if (resp.status !== 200) throw new MesosError('E_MESOS_HTTP', `GET ${endpoint}: the Mesos master answered ${resp.status}`, { endpoint, status: resp.status });
      return parseAgents(parseMesosBody(resp.body, resp.headers['content-type'], endpoint, resp.status), endpoint, resp.status);
    }
  }

  /** Credentials only go to a configured origin, or anywhere when the operator said so. */
  private mayAuthenticate(url: URL): boolean {
    return this.options.trustAnyMaster === true || this.credentialOrigins.has(url.origin);
  }

  private async get(url: URL, endpoint: string): Promise<HttpResponse> {
    let header: string | undefined;
    if (this.mayAuthenticate(url)) {
      header = await this.auth.header();
    } else if (this.auth !== noAuth && !this.withheldFrom.has(url.origin) && this.withheldFrom.size < 16) {
      this.withheldFrom.add(url.origin);
      this.log.info(
        { target: url.origin },
        'querying a Mesos master that was discovered, not configured, without credentials (set MONKEY_MESOS_URL, or MONKEY_MESOS_TRUST_DISCOVERED=true to send them)',
      );
    }
    const started = this.clock.now();
    try {
      const resp = await this.transport.request({
        method: 'GET',
        url,
        ...(header === undefined ? {} : { headers: { authorization: header } }),
        limit: this.limit,
        timeoutMs: this.options.timeoutMs,
      });
      this.options.onRequest?.({ method: 'GET', endpoint, target: url.origin, status: resp.status, durationMs: resp.durationMs });
      this.log.debug({ method: 'GET', endpoint, target: url.origin, status: resp.status, durationMs: resp.durationMs }, 'mesos request');
      return resp;
    } catch (e) {
      const durationMs = Math.max(0, this.clock.now() - started);
      const code = e instanceof TransportError || e instanceof ResponseTooLargeError ? e.code : 'E_HTTP_OTHER';
      this.options.onRequest?.({ method: 'GET', endpoint, target: url.origin, durationMs, error: code });
      this.log.debug({ method: 'GET', endpoint, target: url.origin, durationMs, error: code }, 'mesos request failed');
      // Not retried (listAgents retries E_MESOS_UNREACHABLE only): an endless answer is not worth asking again.
      if (e instanceof ResponseTooLargeError) throw e;
      throw new MesosError(
        'E_MESOS_UNREACHABLE',
        e instanceof TransportError ? e.message : `GET ${endpoint} on ${url.origin}: request failed`,
        e instanceof TransportError ? { endpoint, cause: e } : { endpoint },
      );
    }
  }

  /** For logs: where this client points, without credentials. */
  get target(): string {
    return this.origin;
  }
}

/**
 * Mesos answers `Location: //leader:5050/master/slaves` (protocol-relative). It is resolved against
 * the current URL, so the scheme we use is kept; userinfo in a Location is dropped.
 */
function redirectTarget(current: URL, resp: HttpResponse, endpoint: string): URL {
  const location = resp.headers.location;
  let next: URL;
  try {
    if (location === undefined || location === '') throw new Error('no location');
    next = new URL(location, current);
  } catch {
    throw new MesosError('E_MESOS_HTTP', `GET ${endpoint}: the Mesos master answered ${resp.status} without a usable Location`, { endpoint, status: resp.status });
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') {
    throw new MesosError('E_MESOS_HTTP', `GET ${endpoint}: the Mesos master redirected to an unsupported scheme`, { endpoint, status: resp.status });
  }
  next.protocol = current.protocol;
  next.username = '';
  next.password = '';
  return next;
}

/**
 * The Mesos master URL from Marathon's `/v2/info` (`marathon_config.mesos_leader_ui_url`), for
 * when none is configured. On DC/OS the value is relative (`/mesos`) and is resolved against the
 * Marathon URL that answered.
 */
export async function resolveMesosUrl(marathon: { info(): Promise<MarathonInfo>; baseUrl(): string }): Promise<string> {
  const info = await marathon.info();
  if (info.mesosLeaderUiUrl === undefined) {
    throw new MesosError('E_MESOS_URL_UNKNOWN', 'Marathon does not report the Mesos leader URL (marathon_config.mesos_leader_ui_url is missing)');
  }
  let url: URL;
  try {
    url = new URL(info.mesosLeaderUiUrl, `${marathon.baseUrl()}/`);
  } catch {
    throw new MesosError('E_MESOS_URL_UNKNOWN', 'Marathon reports a Mesos leader URL that cannot be parsed');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MesosError('E_MESOS_URL_UNKNOWN', `Marathon reports a Mesos leader URL with scheme ${url.protocol} (not http or https)`);
  }
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  return url.href.replace(/\/+$/, '');
}
