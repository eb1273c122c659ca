/**
 * The Marathon HTTP client: the AppsReader and TaskKiller ports of the chaos loop.
 *
 * Reads fail over across the configured Marathon URLs and retry in rounds with backoff; kills are
 * sent once, only to a URL that just answered through the leader, and are never retried once
 * they may have reached Marathon (docs/marathon-api.md §3, §7; STYLE habit 11).
 */
import { pino, type Logger } from 'pino';
import type { AppsReader, TaskKiller } from '../domain/ports.js';
import { systemClock, type Clock } from '../platform/clock.js';
import { ResponseTooLargeError, TransportError, type ResponseLimit } from '../http/errors.js';
import { retryDelay } from '../http/retry.js';
import type { HttpClientOptions, RequestEvent } from '../http/client-options.js';
import { DEFAULT_MAX_RESPONSE_BYTES, HttpTransport, type BodySink, type HttpResponse } from '../http/transport.js';
import { parseBaseUrl, type BaseUrl } from '../http/url.js';
import { basicAuth, noAuth, type AuthProvider } from '../http/auth.js';
import { MarathonError } from './errors.js';
import { appListingSink, readAppListing, type AppListingSink } from './listing/index.js';
import { errorMessage, instanceKey, parseAppResponse, parseBody, parseInfo, parseLeader, parseTaskList, type ParseContext } from './parse.js';
import type { KillResult, ListAppsOptions, MarathonApp, MarathonInfo } from '../domain/marathon.js';

/** One HTTP exchange with Marathon, for metrics. */
export type MarathonRequestEvent = RequestEvent;

export interface MarathonClientOptions extends HttpClientOptions {
  /** One or more Marathon base URLs (HA). `user:pass@` in a URL is used as basic auth when `auth` is not given. */
  urls: readonly string[];
  /** How recent an answer through the leader must be for a kill to go to that URL without a fresh probe (default 30 s). */
  leaderFreshMs?: number;
}

const APPS_QUERY = ['embed=apps.tasks', 'embed=apps.counts', 'embed=apps.deployments', 'embed=apps.lastTaskFailure'].join('&');
const NO_LEADER_MARKER = /could not determine the current leader|there is no leader/i;

type Method = 'GET' | 'POST';

export class MarathonClient implements AppsReader, TaskKiller {
  private readonly bases: BaseUrl[];
  private readonly first: BaseUrl;
  private readonly auth: AuthProvider;
  private readonly transport: HttpTransport;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly options: MarathonClientOptions;
  /** Tried first: the leader learned from X-Marathon-Leader, or the URL that answered last. */
  private preferred: BaseUrl | undefined;
  /** The URL that last answered through a leader, and when; kills only go there while it is fresh. */
  private lastAnswer: { base: BaseUrl; at: number } | undefined;
  private readonly limit: ResponseLimit;
  /** Leaders outside the configured URLs already logged (once each). */
  private readonly foreignLeaders = new Set<string>();

  constructor(options: MarathonClientOptions) {
    if (options.urls.length === 0) throw new MarathonError('E_MARATHON_UNREACHABLE', 'no Marathon URL is configured', {}, 'configure at least one Marathon URL');
    this.options = options;
    this.bases = options.urls.map((u, i) => parseBaseUrl(u, `Marathon URL #${i + 1}`));
    this.first = this.bases[0] as BaseUrl;
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'marathon' });
    const fromUrl = this.bases.find((b) => b.credentials !== undefined)?.credentials;
    if (options.auth !== undefined) {
      this.auth = options.auth;
      if (fromUrl !== undefined) this.log.warn({}, 'credentials in a Marathon URL are ignored because an auth method is configured');
    } else {
      this.auth = fromUrl === undefined ? noAuth : basicAuth(fromUrl.username, fromUrl.password);
    }
    this.transport = options.transport ?? new HttpTransport({ ...(options.caFile === undefined ? {} : { caFile: options.caFile }), clock: this.clock });
    this.limit = marathonResponseLimit(options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
  }

  /** The base URL (without credentials) that answered last, else the first configured one. */
  baseUrl(): string {
    return (this.lastAnswer?.base ?? this.preferred ?? this.first).href;
  }

  /** Every app with tasks, counts, deployments and last task failure, in ONE request. */
  async listApps(options: ListAppsOptions = {}): Promise<MarathonApp[]> {
    const endpoint = '/v2/apps';
    const query = options.labelSelector === undefined || options.labelSelector === '' ? APPS_QUERY : `${APPS_QUERY}&label=${encodeURIComponent(options.labelSelector)}`;
    // One sink per 200 answer (a failover may see several); the listing is read from the one this answer fed.
    let sink: AppListingSink | undefined;
    const okBodySink = (): AppListingSink => (sink = appListingSink());
    return this.read(
      endpoint,
      query,
      (resp, ctx) => {
        if (resp.status !== 200) throw httpError(resp, ctx);
        return readAppListing(sink !== undefined && resp.sink === sink ? sink : resp.body, contentType(resp), { ...ctx, status: resp.status });
      },
      okBodySink,
    );
  }

  async getApp(appId: string): Promise<MarathonApp> {
    const endpoint = appPath(appId);
    return this.read(endpoint, '', (resp, ctx) => {
      if (resp.status === 404) {
        throw new MarathonError('E_APP_NOT_FOUND', `app ${appId} does not exist (GET ${endpoint} answered 404)`, { method: 'GET', endpoint, status: 404 });
      }
      if (resp.status !== 200) throw httpError(resp, ctx);
      return parseAppResponse(parseBody(resp.body, contentType(resp), { ...ctx, status: resp.status }), ctx);
    });
  }

  async info(): Promise<MarathonInfo> {
    return this.read('/v2/info', '', (resp, ctx) => {
      if (resp.status !== 200) throw httpError(resp, ctx);
      return parseInfo(parseBody(resp.body, contentType(resp), { ...ctx, status: resp.status }), ctx);
    });
  }

  /** The current leader as `host:port`. E_MARATHON_NO_LEADER while an election is in progress. */
  async leader(): Promise<string> {
    return this.read('/v2/leader', '', (resp, ctx) => {
      if (resp.status === 404) {
        this.lastAnswer = undefined;
        throw noLeaderError('GET', '/v2/leader', 'Marathon says there is no leader');
      }
      if (resp.status !== 200) throw httpError(resp, ctx);
      return parseLeader(parseBody(resp.body, contentType(resp), { ...ctx, status: resp.status }), ctx);
    });
  }

  /**
   * ONE `POST /v2/tasks/delete?scale=false` naming every id. Marathon relaunches the tasks
   * (never scale=true, wipe or force). Never retried once it may have reached Marathon: a timeout or
   * dropped connection after sending is E_KILL_UNCERTAIN. Only a failure that certainly happened
   * before sending (connection refused) leads to one new leader probe and one new attempt.
   */
  async killTasks(taskIds: readonly string[]): Promise<KillResult> {
    const requested = [...new Set(taskIds)];
    if (requested.length === 0) return { requested: [], killed: [], unmatched: [] };
    const endpoint = '/v2/tasks/delete';
    const ctx: ParseContext = { method: 'POST', endpoint };
    let base = await this.killTarget();
    for (let attempt = 0; ; attempt++) {
      let resp: HttpResponse;
      try {
        resp = await this.send(base, 'POST', endpoint, 'scale=false', { ids: requested });
      } catch (e) {
        if (e instanceof ResponseTooLargeError) {
          // Marathon answered, so it received the kill; what it did is unknown (the answer was not read).
          throw new MarathonError('E_KILL_UNCERTAIN', `POST ${endpoint}: ${e.message}; the kill of ${requested.length} task(s) may or may not have happened`, { method: 'POST', endpoint, status: e.status, cause: e });
        }
        if (!(e instanceof TransportError)) throw e;
        if (!e.sent && attempt === 0) {
          this.lastAnswer = undefined;
          base = await this.killTarget();
          continue;
        }
        if (!e.sent) {
          throw new MarathonError('E_MARATHON_UNREACHABLE', `POST ${endpoint}: ${e.message}; nothing was killed`, { method: 'POST', endpoint, cause: e });
        }
        this.log.warn({ endpoint, target: base.origin, err: e, tasks: requested.length }, 'kill request may have reached Marathon but got no answer; not retrying');
        throw new MarathonError('E_KILL_UNCERTAIN', `POST ${endpoint}: ${e.message}; the kill of ${requested.length} task(s) may or may not have happened`, { method: 'POST', endpoint, cause: e });
      }
      return this.killOutcome(base, resp, requested, { ...ctx, status: resp.status });
    }
  }

  private killOutcome(base: BaseUrl, resp: HttpResponse, requested: string[], ctx: ParseContext & { status: number }): KillResult {
    const { status } = resp;
    const endpoint = ctx.endpoint;
    if (status === 200) {
      this.markAnswered(base, resp);
      let killed;
      try {
        killed = parseTaskList(parseBody(resp.body, contentType(resp), ctx), ctx);
      } catch (e) {
        throw new MarathonError(
          'E_KILL_UNCERTAIN',
          `POST ${endpoint}: Marathon accepted the kill (200) but its answer could not be read, so which tasks were killed is unknown`,
          { method: 'POST', endpoint, status, ...(e instanceof MarathonError ? { cause: e } : {}) },
        );
      }
      const matched = new Set(killed.flatMap((t) => [t.id, instanceKey(t.id)]));
      const unmatched = requested.filter((id) => !matched.has(id) && !matched.has(instanceKey(id)));
      return { requested, killed, unmatched };
    }
    if (isNoLeader(resp)) {
      this.lastAnswer = undefined;
      throw noLeaderError('POST', endpoint, `Marathon answered ${status} (no leader)`, status);
    }
    if (status === 503) {
      // Nothing executed the request: the instance refused the load (--http_max_concurrent_requests)
      // or is restarting. Not a leader election: that answers with the no-leader page above.
      this.lastAnswer = undefined;
      throw new MarathonError('E_KILL_REJECTED', `POST ${endpoint}: ${unavailableText(status)}; nothing was killed, the next cycle tries again`, { method: 'POST', endpoint, status }, UNAVAILABLE_HINT);
    }
    if (status === 401 || status === 403) throw authError(resp, ctx);
    if (status >= 400 && status < 500) {
      const message = errorMessage(resp.body);
      throw new MarathonError('E_KILL_REJECTED', `POST ${endpoint}: Marathon rejected the kill with ${status}${message === undefined ? '' : `: ${message}`}; nothing was killed`, {
        method: 'POST',
        endpoint,
        status,
      });
    }
    throw new MarathonError('E_KILL_UNCERTAIN', `POST ${endpoint}: Marathon answered ${status}; the kill may or may not have happened`, { method: 'POST', endpoint, status });
  }

  /** A URL that just answered through the leader; probes `/v2/leader` when the last answer is stale. */
  private async killTarget(): Promise<BaseUrl> {
    const fresh = this.options.leaderFreshMs ?? 30_000;
    if (this.lastAnswer !== undefined && this.clock.now() - this.lastAnswer.at <= fresh) return this.lastAnswer.base;
    await this.leader();
    if (this.lastAnswer === undefined) throw noLeaderError('POST', '/v2/tasks/delete', 'no Marathon instance answered through a leader');
    return this.lastAnswer.base;
  }

  /**
   * A read with failover: every candidate URL in turn, in up to `retries + 1` rounds with backoff.
   * Connection failures, timeouts, 502/503/504 and no-leader pages move on to the next URL; any
   * other answer is handed to `handle`, which turns it into a value or a typed error.
   */
  private async read<T>(endpoint: string, query: string, handle: (resp: HttpResponse, ctx: ParseContext) => T, okBodySink?: () => BodySink): Promise<T> {
    const ctx: ParseContext = { method: 'GET', endpoint };
    let sawNoLeader = false;
    let unavailable: number | undefined;
    const failures: string[] = [];
    const rounds = Math.max(0, Math.floor(this.options.retries)) + 1;
    for (let round = 0; round < rounds; round++) {
      if (round > 0) {
        const backoff = this.options.backoff ?? { baseMs: 250, maxMs: 5_000 };
        await this.clock.sleep(retryDelay(round, { ...backoff, ...(this.options.random === undefined ? {} : { random: this.options.random }) }));
      }
      for (const base of this.candidates()) {
        let resp: HttpResponse;
        try {
          resp = await this.send(base, 'GET', endpoint, query, undefined, okBodySink);
        } catch (e) {
          if (!(e instanceof TransportError)) throw e;
          failures.push(`${base.origin}: ${e.failure}`);
          continue;
        }
        if (isNoLeader(resp) || resp.status === 502 || resp.status === 503 || resp.status === 504) {
          this.learnLeader(resp);
          // Only the no-leader page says "no leader"; a bare 5xx is overload, a restart or a proxy.
          if (isNoLeader(resp)) sawNoLeader = true;
          else unavailable = resp.status;
          failures.push(`${base.origin}: ${resp.status}`);
          continue;
        }
        if (resp.status === 401 || resp.status === 403) throw authError(resp, { ...ctx, status: resp.status });
        this.markAnswered(base, resp);
        return handle(resp, { ...ctx, status: resp.status });
      }
    }
    const tried = [...new Set(failures)].join(', ');
    if (sawNoLeader) {
      this.lastAnswer = undefined;
      throw noLeaderError('GET', endpoint, `no Marathon instance could serve the request (${tried})`);
    }
    if (unavailable !== undefined) {
      this.lastAnswer = undefined;
      // The listing opens every cycle, so its failure means the cycle did nothing.
      const next = endpoint === '/v2/apps' ? 'nothing killed this cycle, the next cycle tries again' : 'the request was not served';
      throw new MarathonError('E_MARATHON_HTTP', `GET ${endpoint}: ${unavailableText(unavailable)} (${tried}); ${next}`, { method: 'GET', endpoint, status: unavailable }, UNAVAILABLE_HINT);
    }
    throw new MarathonError('E_MARATHON_UNREACHABLE', `GET ${endpoint}: no Marathon instance reachable after ${rounds} round(s) (${tried})`, { method: 'GET', endpoint });
  }

  /** Preferred URL first, then the configured ones in order. */
  private candidates(): BaseUrl[] {
    const out: BaseUrl[] = [];
    for (const b of [this.preferred, ...this.bases]) if (b !== undefined && !out.some((o) => o.href === b.href)) out.push(b);
    return out;
  }

  private markAnswered(base: BaseUrl, resp: HttpResponse): void {
    const { status } = resp;
    if ((status >= 200 && status < 300) || (status >= 400 && status < 500 && status !== 401 && status !== 403 && status !== 407)) {
      this.lastAnswer = { base, at: this.clock.now() };
      this.preferred ??= base;
    }
    this.learnLeader(resp);
  }

  /**
   * `X-Marathon-Leader` is `http://host:port` (or `host:port` in some versions). Credentials (and
   * kills) only ever go to a configured origin: the leader is used directly only when it IS one of
   * the configured URLs (same scheme, host and port; scheme-less: same host and port), keeping that
   * URL's path. Any other leader is left to the configured URL that answered, which proxies to it
   * (docs/marathon-api.md §3): a header is no reason to send the Authorization header, or a
   * kill, to a host nobody configured.
   */
  private learnLeader(resp: HttpResponse): void {
    const raw = resp.headers['x-marathon-leader'];
    const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
    if (value === undefined || value === '') return;
    const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value);
    let leader: URL;
    try {
      leader = new URL(hasScheme ? value : `http://${value}`);
    } catch {
      return;
    }
    if (leader.host === '') return;
    const configured = this.bases.find((b) => {
      const u = new URL(b.href);
      return hasScheme ? u.origin === leader.origin : u.host === leader.host;
    });
    if (configured !== undefined) {
      if (this.preferred?.href !== configured.href) this.log.debug({ leader: configured.origin }, 'Marathon leader learned from X-Marathon-Leader');
      this.preferred = configured;
      return;
    }
    const origin = hasScheme ? leader.origin : leader.host;
    if (!this.foreignLeaders.has(origin) && this.foreignLeaders.size < 16) {
      this.foreignLeaders.add(origin);
      this.log.info({ leader: origin }, 'the Marathon leader is not one of the configured URLs: requests keep going through a configured URL, which proxies to it');
    }
  }

  /** One HTTP exchange with auth; a 401 with a renewable credential is retried once with a fresh one (a 401 means nothing was done). */
  private async send(base: BaseUrl, method: Method, endpoint: string, query: string, json?: unknown, okBodySink?: () => BodySink): Promise<HttpResponse> {
    // Writes go over a fresh connection so that "refused" reliably means "not sent" (see HttpRequest.fresh).
    let resp = await this.sendOnce(base, method, endpoint, query, json, okBodySink);
    if (resp.status === 401 && this.auth.renewable) {
      this.log.debug({ method, endpoint, target: base.origin }, 'Marathon answered 401; renewing the credential and retrying once');
      this.auth.invalidate();
      resp = await this.sendOnce(base, method, endpoint, query, json, okBodySink);
    }
    return resp;
  }

  private async sendOnce(base: BaseUrl, method: Method, endpoint: string, query: string, json?: unknown, okBodySink?: () => BodySink): Promise<HttpResponse> {
    const url = new URL(base.href + endpoint);
    url.search = query;
    const header = await this.auth.header();
    const started = this.clock.now();
    try {
      const resp = await this.transport.request({
        method,
        url,
        ...(header === undefined ? {} : { headers: { authorization: header } }),
        ...(json === undefined ? {} : { json, fresh: true }),
        ...(okBodySink === undefined ? {} : { okBodySink }),
        limit: this.limit,
        timeoutMs: this.options.timeoutMs,
      });
      const event: MarathonRequestEvent = { method, endpoint: metricEndpoint(endpoint), target: base.origin, status: resp.status, durationMs: resp.durationMs };
      this.options.onRequest?.(event);
      this.log.debug({ method, endpoint, target: base.origin, status: resp.status, durationMs: resp.durationMs }, 'marathon request');
      return resp;
    } catch (e) {
      const durationMs = Math.max(0, this.clock.now() - started);
      const code = e instanceof TransportError || e instanceof ResponseTooLargeError ? e.code : 'E_HTTP_OTHER';
      this.options.onRequest?.({ method, endpoint: metricEndpoint(endpoint), target: base.origin, durationMs, error: code });
      this.log.debug({ method, endpoint, target: base.origin, durationMs, error: code }, 'marathon request failed');
      // Too large: not a transport failure, so neither retried nor failed over (see ResponseTooLargeError).
      if (e instanceof TransportError || e instanceof ResponseTooLargeError) throw e;
      // Not expected (the transport wraps everything); never rethrow something that may hold headers.
      throw new TransportError({ failure: 'other', sent: true, method, endpoint, target: base.origin, errno: undefined });
    }
  }
}

/** The cap on a Marathon answer, with the code and the setting an operator needs. */
export function marathonResponseLimit(maxBytes: number): ResponseLimit {
  return {
    maxBytes,
    code: 'E_MARATHON_RESPONSE_TOO_LARGE',
    hint: `Marathon sent more than the ${Math.round(maxBytes / (1024 * 1024))} MB allowed for one answer (a 50,000-task listing is ~60 MB): if the cluster really is that big raise MONKEY_MARATHON_MAX_RESPONSE_MB, else check what answers at this URL (a proxy streaming without end?)`,
  };
}

/** Keeps metric label cardinality bounded: app ids are not labels. */
function metricEndpoint(endpoint: string): string {
  return endpoint.startsWith('/v2/apps/') ? '/v2/apps/{id}' : endpoint;
}

/**
 * `/v2/apps/{id}` with each path segment percent-encoded. Dot segments are refused: URL
 * normalisation would turn `/v2/apps/../tasks` into another endpoint.
 */
export function appPath(appId: string): string {
  const segments = appId.split('/').filter((s) => s !== '');
  if (segments.length === 0 || segments.some((s) => s === '.' || s === '..' || s === '*' || /%2e/i.test(s))) {
    throw new MarathonError('E_APP_ID_INVALID', `${JSON.stringify(appId.slice(0, 100))} is not a Marathon app id`);
  }
  return `/v2/apps/${segments.map(encodeURIComponent).join('/')}`;
}

function contentType(resp: HttpResponse): string | undefined {
  return resp.headers['content-type'];
}

/** Jetty's "Could not determine the current leader" page (502, or 503 before 1.7.38). */
function isNoLeader(resp: HttpResponse): boolean {
  return resp.status >= 500 && NO_LEADER_MARKER.test(resp.body.slice(0, 4096));
}

const UNAVAILABLE_HINT =
  'Marathon is overloaded or restarting, or a proxy in front of it failed (a leader election answers with its own page); no action needed if it passes, otherwise check the Marathon log and --http_max_concurrent_requests';

const REASONS: Record<number, string> = { 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

function unavailableText(status: number): string {
  return `Marathon answered ${status}${REASONS[status] === undefined ? '' : ` ${REASONS[status]}`}`;
}

function noLeaderError(method: string, endpoint: string, detail: string, status?: number): MarathonError {
  return new MarathonError(
    'E_MARATHON_NO_LEADER',
    `${method} ${endpoint}: Marathon has no leader: ${detail}; chaos is paused until a leader is elected`,
    status === undefined ? { method, endpoint } : { method, endpoint, status },
  );
}

function authError(resp: HttpResponse, ctx: ParseContext): MarathonError {
  const message = errorMessage(resp.body);
  const what = resp.status === 401 ? 'not authenticated' : 'not authorised';
  return new MarathonError(
    'E_MARATHON_AUTH',
    `${ctx.method} ${ctx.endpoint}: Marathon answered ${resp.status} (${what})${message === undefined ? '' : `: ${message}`}`,
    { method: ctx.method, endpoint: ctx.endpoint, status: resp.status },
    resp.status === 401
      ? 'check the configured credentials (basic user/password, DC/OS token, or service account uid and private key)'
      : 'the credentials are valid but lack permission: grant the account access to the apps (DC/OS: dcos:service:marathon:marathon:services:/ full)',
  );
}

function httpError(resp: HttpResponse, ctx: ParseContext): MarathonError {
  const message = errorMessage(resp.body);
  return new MarathonError(
    'E_MARATHON_HTTP',
    `${ctx.method} ${ctx.endpoint}: Marathon answered ${resp.status}${message === undefined ? '' : `: ${message}`}`,
    { method: ctx.method, endpoint: ctx.endpoint, status: resp.status },
  );
}
