import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MonkeyError } from '../errors.js';
import type { Logger } from '../log.js';
import { systemClock, type Clock } from '../platform/clock.js';
import { checkBearer } from './bearer.js';
import { readJsonBody, sendJson, sendText } from './http-util.js';
import type { MonkeyMetrics } from './metrics.js';
import type { DaemonState, HaltInfo, PauseInfo, StateSnapshot } from './state.js';
import { renderStatusPage, statusViewFrom } from './status-page.js';

/**
 * The operator-facing HTTP side: /health (live), /ready, /metrics, /status, the status page at /,
 * and the token-guarded POST /pause and /resume. node:http only; every route answers JSON except
 * /metrics and the page.
 */

/** What the daemon adds to /status beyond DaemonState; the state's own fields win on a clash. */
export interface StatusExtras {
  version?: string;
  dryRun?: boolean;
  seed?: string;
  /** The effective configuration with secrets masked (LoadedConfig.masked), never MonkeyConfig itself. */
  config?: Record<string, unknown>;
  /** Next scheduled cycles as ISO instants. */
  nextCycles?: readonly string[];
  [key: string]: unknown;
}

/** Passed to onPause/onResume so the daemon can journal who did what; `changed` is false for a repeat. */
export interface ControlEvent {
  readonly type: 'pause' | 'resume';
  /** ISO instant. */
  readonly at: string;
  readonly by: string;
  readonly reason: string;
  readonly changed: boolean;
  readonly paused: PauseInfo | null;
  /** For resume: the weakness halt it cleared. */
  readonly clearedHalt: HaltInfo | null;
}

export interface ControlServerOptions {
  host: string;
  port: number;
  state: DaemonState;
  metrics: MonkeyMetrics;
  status: () => StatusExtras;
  /** Empty: POST /pause and /resume are disabled (403), never open. */
  controlToken: string;
  logger: Logger;
  onPause?: (event: ControlEvent) => void | Promise<void>;
  onResume?: (event: ControlEvent) => void | Promise<void>;
  /** Default 16 KiB. */
  maxBodyBytes?: number;
  /** How long close() lets in-flight requests finish before cutting their sockets (default 1 s). */
  closeGraceMs?: number;
  clock?: Clock;
}

export interface ControlServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export class ControlServerError extends MonkeyError {
  override readonly name = 'ControlServerError';
}

const ENABLE_HINT = 'set MONKEY_CONTROL_TOKEN (server.controlToken) to a long random secret, restart, and send it as "Authorization: Bearer <token>"';

type Handler = (req: IncomingMessage, res: ServerResponse, ctx: RequestContext) => Promise<number> | number;

interface RequestContext {
  remote: string;
}

export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const { state, metrics, controlToken } = options;
  const log = options.logger.child({ component: 'control-server' });
  const clock = options.clock ?? systemClock;
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024;
  const closeGraceMs = options.closeGraceMs ?? 1000;

  const syncGauges = (): void => {
    metrics.setPaused(state.paused !== undefined);
    metrics.setHalted(state.halted !== undefined);
    metrics.setQuarantined(state.quarantined().size);
  };

  const health: Handler = (_req, res) => {
    const live = state.isLive();
    if (live.live) return reply(res, 200, { status: 'ok' });
    return reply(res, 503, { status: 'not-live', reason: live.reason });
  };

  const ready: Handler = (_req, res) => {
    const r = state.getReadiness();
    if (r.ready) return reply(res, 200, { status: 'ready' });
    return reply(res, 503, { status: 'not-ready', reason: r.reason, detail: r.detail });
  };

  const metricsRoute: Handler = async (_req, res) => {
    syncGauges();
    const { contentType, body } = await metrics.expose();
    sendText(res, 200, body, contentType);
    return 200;
  };

  /** What /status serves and the page at / shows: the status callback's extras, then the state's own fields. */
  const statusBody = (route: string): Record<string, unknown> => {
    const body = { ...options.status(), ...state.snapshot() };
    let text = JSON.stringify(body);
    // Belt and braces: /status is built from masked config, but should the token slip into it
    // through some other field, it is blanked here rather than served to anyone who can reach the port.
    if (controlToken !== '') {
      const needle = JSON.stringify(controlToken).slice(1, -1);
      if (text.includes(needle)) {
        log.error({ route }, `the control token appeared in ${route} and was blanked; check what the status callback returns`);
        text = text.split(needle).join('[Sensitive]');
      }
    }
    return JSON.parse(text) as Record<string, unknown>;
  };

  const status: Handler = (_req, res) => reply(res, 200, statusBody('/status'));

  /** The status page: the same data as /status, as HTML; nothing on it may load from anywhere. */
  const page: Handler = (_req, res) => {
    const body = statusBody('/');
    // The state's fields are read back from the blanked body, so the page never shows what /status would not.
    const html = renderStatusPage(statusViewFrom(body, body as unknown as StateSnapshot, new Date(clock.now())));
    sendText(res, 200, html, 'text/html; charset=utf-8', {
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    });
    return 200;
  };

  /** The gate in front of /pause and /resume; returns a status when it answered, undefined to go on. */
  const authorise = (req: IncomingMessage, res: ServerResponse, ctx: RequestContext, path: string): number | undefined => {
    // A refused request's body is never read; closing the socket spares draining it.
    const closeIfBody: Record<string, string> = hasBody(req) ? { Connection: 'close' } : {};
    if (controlToken === '') {
      log.warn({ path, remote: ctx.remote }, 'control request refused: the control API is disabled');
      return reply(res, 403, {
        error: 'E_CONTROL_DISABLED',
        message: `POST ${path} is disabled because no control token is configured`,
        hint: ENABLE_HINT,
      }, closeIfBody);
    }
    const verdict = checkBearer(req.headers.authorization, controlToken);
    if (verdict === 'ok') return undefined;
    log.warn({ path, remote: ctx.remote, verdict }, 'control request refused: bad or missing bearer token');
    const challenge = verdict === 'missing' ? 'Bearer realm="marathon-monkey"' : 'Bearer realm="marathon-monkey", error="invalid_token"';
    return reply(
      res,
      401,
      { error: 'E_UNAUTHORIZED', message: verdict === 'missing' ? 'this endpoint needs a bearer token' : 'the bearer token is not valid', hint: 'send "Authorization: Bearer <MONKEY_CONTROL_TOKEN>"' },
      { 'WWW-Authenticate': challenge, ...closeIfBody },
    );
  };

  /** Reads {reason?, by?}; answers 400/413 itself and returns that status then. */
  const readControlBody = async (req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<{ reason: string; by: string } | number> => {
    const body = await readJsonBody(req, maxBodyBytes);
    if (!body.ok) {
      return reply(res, body.status, { error: body.status === 413 ? 'E_BODY_TOO_LARGE' : 'E_BAD_REQUEST', message: body.message }, { Connection: 'close' });
    }
    const { reason, by } = body.value;
    if ((reason !== undefined && typeof reason !== 'string') || (by !== undefined && typeof by !== 'string')) {
      return reply(res, 400, { error: 'E_BAD_REQUEST', message: '"reason" and "by" must be strings, e.g. {"reason": "game day", "by": "alice"}' });
    }
    return {
      reason: (reason ?? '').trim().slice(0, 500),
      by: by !== undefined && by.trim() !== '' ? by.trim().slice(0, 100) : `control-api from ${ctx.remote}`,
    };
  };

  /** Runs a journaling callback; a failure does not undo the action, it is reported. */
  const notify = async (fn: ((e: ControlEvent) => void | Promise<void>) | undefined, event: ControlEvent): Promise<string | undefined> => {
    if (fn === undefined) return undefined;
    try {
      await fn(event);
      return undefined;
    } catch (err) {
      log.error({ err, event: event.type }, 'control event could not be recorded');
      const code = err instanceof MonkeyError ? err.code : 'E_UNKNOWN';
      // With ZooKeeper the record that failed may be the shared state: then it holds on this instance only.
      const where = code.startsWith('E_ZK') ? 'in effect on this instance but could not be shared through ZooKeeper' : 'in effect but could not be recorded in the journal';
      return `the ${event.type} is ${where} (${code}); see the daemon log`;
    }
  };

  const pause: Handler = async (req, res, ctx) => {
    const refused = authorise(req, res, ctx, '/pause');
    if (refused !== undefined) return refused;
    const input = await readControlBody(req, res, ctx);
    if (typeof input === 'number') return input;
    const { changed, paused } = state.pause(input);
    syncGauges();
    log.info({ changed, by: paused.by, reason: paused.reason }, changed ? 'chaos paused' : 'chaos already paused');
    const warning = await notify(options.onPause, {
      type: 'pause',
      at: isoNow(clock),
      by: input.by,
      reason: input.reason,
      changed,
      paused,
      clearedHalt: null,
    });
    // Not recorded = forgotten at the next restart: the operator must hear it as an error.
    return reply(res, warning === undefined ? 200 : 500, {
      paused,
      halted: state.halted ?? null,
      changed,
      message: changed ? 'chaos paused; no cycle will act until POST /resume' : `already paused since ${paused.since} by ${paused.by}; nothing changed`,
      ...(warning === undefined ? {} : { warning, error: 'E_JOURNAL' }),
    });
  };

  const resume: Handler = async (req, res, ctx) => {
    const refused = authorise(req, res, ctx, '/resume');
    if (refused !== undefined) return refused;
    const input = await readControlBody(req, res, ctx);
    if (typeof input === 'number') return input;
    const { changed, wasPaused, clearedHalt } = state.resume();
    syncGauges();
    log.info({ changed, by: input.by, reason: input.reason, clearedHalt: clearedHalt ?? null }, changed ? 'chaos resumed' : 'chaos was not paused');
    const warning = await notify(options.onResume, {
      type: 'resume',
      at: isoNow(clock),
      by: input.by,
      reason: input.reason,
      changed,
      paused: null,
      clearedHalt: clearedHalt ?? null,
    });
    const parts: string[] = [];
    if (wasPaused !== undefined) parts.push(`resumed (paused since ${wasPaused.since} by ${wasPaused.by})`);
    if (clearedHalt !== undefined) parts.push(`cleared the halt caused by a weakness in ${clearedHalt.appId} (${clearedHalt.reason}) since ${clearedHalt.since}`);
    // Not recorded = forgotten at the next restart: the operator must hear it as an error.
    return reply(res, warning === undefined ? 200 : 500, {
      paused: null,
      halted: null,
      changed,
      clearedHalt: clearedHalt ?? null,
      canAct: state.canAct(),
      message: changed ? `${parts.join('; ')}; chaos continues with the next scheduled cycle` : 'neither paused nor halted; nothing changed',
      ...(warning === undefined ? {} : { warning, error: 'E_JOURNAL' }),
    });
  };

  const routes: Record<string, Record<string, Handler>> = {
    '/': { GET: page },
    '/health': { GET: health, HEAD: health },
    '/ready': { GET: ready, HEAD: ready },
    '/metrics': { GET: metricsRoute },
    '/status': { GET: status },
    '/pause': { POST: pause },
    '/resume': { POST: resume },
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const ctx: RequestContext = { remote: req.socket.remoteAddress ?? 'unknown' };
    const method = req.method ?? 'GET';
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://control.invalid').pathname;
    } catch {
      path = '(unparseable)';
    }
    let statusCode: number;
    try {
      const route = routes[path];
      const handler = route?.[method];
      if (route === undefined) {
        statusCode = reply(res, 404, { error: 'E_NOT_FOUND', message: 'no such endpoint', endpoints: Object.keys(routes) });
      } else if (handler === undefined) {
        const allow = Object.keys(route).join(', ');
        statusCode = reply(res, 405, { error: 'E_METHOD_NOT_ALLOWED', message: `${path} accepts ${allow}` }, { Allow: allow });
      } else {
        statusCode = await handler(req, res, ctx);
      }
    } catch (err) {
      log.error({ err, method, path }, 'control request failed');
      statusCode = reply(res, 500, { error: 'E_INTERNAL', message: 'the request failed; see the daemon log' });
    }
    // Probes arrive every few seconds: debug keeps them out of an info-level log. Only safe
    // fields are logged; never headers (they carry the bearer token).
    const level = method === 'POST' || statusCode >= 500 ? 'info' : 'debug';
    log[level]({ method, path, status: statusCode, remote: ctx.remote }, 'control request');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => log.error({ err }, 'control request handler crashed'));
  });
  // A stuck or slow client must not hold a socket forever; Node's own connection checker is unref'd.
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  server.timeout = 15_000;
  server.maxHeadersCount = 50;

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        new ControlServerError('E_LISTEN', `cannot listen on ${options.host}:${options.port}: ${err.code ?? err.message}`, {
          hint: err.code === 'EADDRINUSE' ? 'another process uses that port; set MONKEY_PORT (or let Marathon assign PORT0)' : 'check MONKEY_HOST and MONKEY_PORT',
          cause: err,
        }),
      );
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err }, 'control server error'));

  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  log.info({ url, controlApi: controlToken === '' ? 'disabled' : 'enabled' }, 'control server listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      const grace = new AbortController();
      server.close(() => {
        grace.abort();
        resolve();
      });
      server.closeIdleConnections();
      // In-flight requests get a short grace, then their sockets are cut so shutdown never hangs.
      clock.sleep(closeGraceMs, grace.signal).then(
        () => server.closeAllConnections(),
        () => undefined,
      );
    });
    return closing;
  };

  return { url, port: address.port, close };
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): number {
  sendJson(res, status, body, headers);
  return status;
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function isoNow(clock: Clock): string {
  return new Date(clock.now()).toISOString();
}
