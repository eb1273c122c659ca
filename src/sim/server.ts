import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MonkeyError } from '../errors.js';
import { systemClock, type Clock } from '../platform/clock.js';
import { seededRandom, type Random } from '../platform/random.js';
import { handleApi } from './api.js';
import { ACS_LOGIN_PATH, SimAuth, type LoginRecord } from './auth.js';
import { SimCluster, type SimEvent } from './cluster.js';
import { jettyError, json, NO_CACHE_HEADERS, readBody, send, Timers, type Reply } from './http-util.js';
import { slavesJson, stateJson } from './render.js';
import { parseFaults, type FaultSettings, type Scenario } from './scenario.js';
import { ServeEndpoints } from './serve.js';

export interface StartSimOptions {
  scenario: Scenario;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Port of the Marathon instance that leads at start; 0 = ephemeral (default). */
  port?: number;
  clock?: Clock;
  /** SSE heartbeat interval (Marathon: 10 s). */
  sseHeartbeatMs?: number;
  /** How long a request is held while no leader is known before the 502 (Marathon: ~2.5 s). */
  noLeaderHoldMs?: number;
  /** Real-time interval of the ticker that advances the model and pushes SSE events. */
  tickMs?: number;
}

/**
 * A port the simulator cannot take is the operator's choice to change, not a bug: E_PORT_IN_USE
 * when something else listens there, E_LISTEN for anything else (a privileged port, a host
 * address this machine does not have).
 */
export function listenError(err: NodeJS.ErrnoException, host: string, port: number, setting: string): MonkeyError {
  const where = `${host}:${port}`;
  if (err.code === 'EADDRINUSE') {
    return new MonkeyError('E_PORT_IN_USE', `the simulator cannot listen on ${where}: another process already uses that port`, {
      hint: `choose another port with ${setting === '--port' ? '--port (0 picks a free one)' : `${setting} (0 or null picks a free one)`}, or stop the process that holds it`,
      cause: err,
    });
  }
  return new MonkeyError('E_LISTEN', `the simulator cannot listen on ${where}: ${err.code ?? err.message}`, {
    hint: err.code === 'EACCES' ? `ports below 1024 need privileges; choose a port of 1024 or more with ${setting}` : `check ${setting}`,
    cause: err,
  });
}

export interface RequestLogEntry {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Marathon instance index; -1 for the Mesos master, -2, -3… for standby masters. */
  instance: number;
  at: number;
}

export interface RunningSim {
  marathonUrls: string[];
  marathonUrl: string;
  mesosUrl: string;
  /** Non-leading Mesos masters (answer 307 to `mesosUrl`). */
  mesosStandbyUrls: string[];
  cluster: SimCluster;
  /** The real endpoints of the scenario's `serve` apps (undefined when no app serves). */
  endpoints: ServeEndpoints | undefined;
  setLeader(index: number | null): void;
  /** Index of the leading Marathon instance, null while "an election is in progress". */
  readonly leader: number | null;
  setFaults(faults: Partial<FaultSettings>): void;
  readonly faults: FaultSettings;
  /** Faults of `GET /v2/events` alone (the recovery watch's fallbacks), on top of `faults`. */
  setStreamFaults(faults: Partial<StreamFaults>): void;
  readonly streamFaults: StreamFaults;
  /** Closes every open event stream now, like a proxy or load balancer dropping them; returns how many. */
  cutStreams(): number;
  requestLog: RequestLogEntry[];
  /** The task ids of every `POST /v2/tasks/delete` with a well-formed body, oldest first (bounded). */
  readonly killRequests: readonly { at: number; ids: readonly string[] }[];
  /**
   * Scenario `auth.dcos`: like IAM rotating its signing key, every token issued by the login
   * endpoint so far is answered 401 from now on, and the next login gets a new one. Static
   * tokens stay valid. No effect without DC/OS auth.
   */
  revokeTokens(): void;
  /** Every attempt at `POST /acs/api/v1/auth/login`, oldest first (bounded). */
  readonly logins: readonly LoginRecord[];
  close(): Promise<void>;
}

export interface StreamFaults {
  /** Answer `GET /v2/events` with this status (404: a Marathon that serves no event stream). Null: serve it. */
  refuseStatus: number | null;
  /** Accept the stream but never send a byte of it, like a proxy that buffers responses. */
  buffered: boolean;
  /** Hold events for this many (real) ms and then send them newest first: out-of-order, late delivery. 0: in order. */
  reverseWindowMs: number;
}

const NO_STREAM_FAULTS: StreamFaults = { refuseStatus: null, buffered: false, reverseWindowMs: 0 };

/** Keeps memory bounded when the simulator runs for days under `marathon-monkey sim`. */
const REQUEST_LOG_MAX = 100_000;
const SSE_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

interface Instance {
  index: number;
  server: Server;
  port: number;
  hostPort: string;
  url: string;
  streams: Set<ServerResponse>;
}

/** Mesos master routes stay open even with `auth`: real masters authenticate only with --authenticate_http_readonly. */
function isMesosPath(path: string): boolean {
  return path.startsWith('/master/') || path === '/state.json' || path === '/state' || path === '/slaves';
}

export async function startSimulator(options: StartSimOptions): Promise<RunningSim> {
  const scenario = options.scenario;
  const host = options.host ?? '127.0.0.1';
  const clock = options.clock ?? systemClock;
  const heartbeatMs = options.sseHeartbeatMs ?? 10_000;
  const holdMs = options.noLeaderHoldMs ?? 2_500;
  const cluster = new SimCluster(scenario, clock);
  const auth = new SimAuth(scenario.auth, clock);
  const acsLogin = scenario.auth.kind === 'dcos';
  const timers = new Timers();
  const faultRandom: Random = seededRandom(`${scenario.seed}\u241fsim-faults`);
  let faults: FaultSettings = { ...scenario.faults, routes: [...scenario.faults.routes] };
  let streamFaults: StreamFaults = { ...NO_STREAM_FAULTS };
  let leader: number | null = scenario.marathon.leader;
  const requestLog: RequestLogEntry[] = [];
  const killRequests: { at: number; ids: readonly string[] }[] = [];
  const instances: Instance[] = [];
  let mesosUrl = '';
  let mesosHostPort = '';
  let closed = false;

  const log = (method: string, path: string, instance: number): void => {
    if (requestLog.length >= REQUEST_LOG_MAX) requestLog.splice(0, REQUEST_LOG_MAX / 2);
    requestLog.push({ method, path, instance, at: clock.now() });
  };

  const faultApplies = (path: string): boolean => {
    // ACS is another service (IAM) than Marathon: it fails only when a fault route names it.
    if (faults.routes.length === 0) return !isMesosPath(path) && !(acsLogin && path === ACS_LOGIN_PATH);
    return faults.routes.some((r) => path.startsWith(r));
  };

  const leaderInstance = (): Instance | undefined => (leader === null ? undefined : instances[leader]);

  // ------------------------------------------------------------ Mesos master

  const mesosReply = (path: string, query: URLSearchParams): Reply => {
    cluster.advance();
    const version = scenario.mesos.version;
    if (path === '/master/slaves' || path === '/slaves') {
      const body = slavesJson(cluster, version) as { slaves: { id: string }[] };
      const only = query.get('slave_id');
      if (only !== null) body.slaves = body.slaves.filter((s) => s.id === only);
      return json(200, body);
    }
    if (path === '/master/state' || path === '/master/state.json' || path === '/state.json' || path === '/state') {
      return json(200, stateJson(cluster, version, mesosHostPort));
    }
    return { status: 404, body: '', contentType: 'text/plain' };
  };

  // ------------------------------------------------------------ event stream

  const openStream = (inst: Instance, req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void => {
    const filter = query.getAll('event_type');
    if (streamFaults.buffered) {
      // Nothing reaches the client, not even the status line; closed with the instance.
      inst.streams.add(res);
      res.on('close', () => inst.streams.delete(res));
      return;
    }
    res.writeHead(200, {
      ...NO_CACHE_HEADERS,
      'Content-Type': 'text/event-stream;charset=UTF-8',
      Connection: 'close',
      'X-Marathon-Leader': inst.url,
    });
    inst.streams.add(res);
    const write = (e: SimEvent): void => {
      if (filter.length > 0 && !filter.includes(e.eventType)) return;
      // Marathon drops slow readers instead of buffering without bound.
      if (res.writableLength > SSE_MAX_BUFFERED_BYTES) {
        res.destroy();
        return;
      }
      const frame = `event: ${e.eventType}\r\ndata: ${JSON.stringify(e.payload)}\r\n\r\n`;
      const hold = streamFaults.reverseWindowMs;
      if (hold <= 0 || e.eventType === 'event_stream_attached') {
        res.write(frame);
        return;
      }
      held.push(frame);
      if (held.length === 1) {
        const flush = setTimeout(() => {
          const out = held.reverse().join('');
          held = [];
          if (!res.destroyed) res.write(out);
        }, hold);
        flush.unref();
      }
    };
    let held: string[] = [];
    const unsubscribe = cluster.onEvent(write);
    const heartbeat = setInterval(() => res.write('\r\n'), heartbeatMs);
    heartbeat.unref();
    const cleanup = (): void => {
      unsubscribe();
      clearInterval(heartbeat);
      inst.streams.delete(res);
    };
    res.on('close', cleanup);
    req.on('close', cleanup);
    write(cluster.eventNow('event_stream_attached', { remoteAddress: req.socket.remoteAddress ?? '' }));
  };

  const closeStreams = (inst: Instance): void => {
    for (const s of inst.streams) s.end();
    inst.streams.clear();
  };

  // ------------------------------------------------------------ proxy

  const proxy = (inst: Instance, target: Instance, req: IncomingMessage, res: ServerResponse, body: Buffer, after: (r: Reply) => void): void => {
    const headers = { ...req.headers };
    headers['x-marathon-via'] = `1.1 ${inst.hostPort}`;
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
    headers.host = target.hostPort;
    const preq = httpRequest(
      { host, port: target.port, method: req.method, path: req.url, headers, agent: false, timeout: 10_000 },
      (pres) => {
        const chunks: Buffer[] = [];
        pres.on('data', (c: Buffer) => chunks.push(c));
        pres.on('end', () => {
          const h: Record<string, string> = {};
          for (const [k, v] of Object.entries(pres.headers)) {
            if (v === undefined || ['content-length', 'connection', 'transfer-encoding', 'content-type', 'date', 'keep-alive'].includes(k)) continue;
            h[k] = Array.isArray(v) ? v.join(', ') : v;
          }
          h['X-Marathon-Via'] = `1.1 ${inst.hostPort}`;
          after({ status: pres.statusCode ?? 502, body: Buffer.concat(chunks).toString('utf8'), contentType: pres.headers['content-type'] ?? 'application/json', headers: h });
        });
        pres.on('error', () => after(jettyError(500, 'Proxy failure', req.url ?? '/')));
      },
    );
    preq.on('timeout', () => preq.destroy(new Error('read timeout')));
    preq.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') after({ status: 502, body: `Could not proxy to the leader ${target.hostPort}: connection refused`, contentType: 'text/plain' });
      else after(jettyError(500, 'Proxy failure', req.url ?? '/'));
    });
    preq.end(body);
  };

  // ------------------------------------------------------------ Marathon request pipeline

  const finish = (res: ServerResponse, reply: Reply, bodyFaults: boolean, extraHeaders: Record<string, string> = {}): void => {
    if (res.headersSent || res.destroyed) return;
    const isJson200 = reply.status === 200 && reply.contentType.startsWith('application/json');
    if (bodyFaults && isJson200 && faults.malformedJson) {
      // 24 characters are at most 96 UTF-8 bytes: decode no more of a big body than that.
      const text = typeof reply.body === 'string' ? reply.body : reply.body.toString('utf8', 0, Math.min(96, reply.body.length));
      const garbage = `${text.slice(0, Math.min(24, text.length))}<html><body><h2>502 Bad Gateway</h2></body></html>`;
      send(res, { ...reply, body: garbage }, extraHeaders);
      return;
    }
    if (bodyFaults && isJson200 && faults.truncatedJson) {
      const full = typeof reply.body === 'string' ? Buffer.from(reply.body, 'utf8') : reply.body;
      res.writeHead(reply.status, { ...NO_CACHE_HEADERS, ...extraHeaders, ...reply.headers, 'Content-Type': reply.contentType, 'Content-Length': String(full.length) });
      res.write(full.subarray(0, Math.max(1, Math.floor(full.length / 2))), () => res.destroy());
      return;
    }
    send(res, reply, extraHeaders);
  };

  // Marathon polls for a leader every 250 ms for ~2.5 s. Counted in real time (summed delays, not
  // the injected clock), because a ManualClock would otherwise hold the request forever.
  const waitForLeader = async (): Promise<Instance | undefined> => {
    let waited = 0;
    for (;;) {
      const l = faults.noLeader ? undefined : leaderInstance();
      if (l || closed) return l;
      const left = holdMs - waited;
      if (left <= 0) return undefined;
      const step = Math.min(250, left);
      await timers.delay(step);
      waited += step;
    }
  };

  const handleMarathon = async (inst: Instance, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://sim');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    log(method, path, inst.index);

    if (isMesosPath(path)) {
      // Convenience: one URL works for Marathon and the leading Mesos master.
      if (faults.routes.some((r) => path.startsWith(r)) && (await applyTransportFaults(req, res))) return;
      finish(res, mesosReply(path, url.searchParams), faultApplies(path));
      return;
    }

    if (acsLogin && path === ACS_LOGIN_PATH) {
      // Admin Router serves ACS next to Marathon on the same origin; any instance answers, leader or not.
      const faultyLogin = faultApplies(path);
      if (faultyLogin && (await applyTransportFaults(req, res))) return;
      if (method !== 'POST') {
        finish(res, json(405, { title: 'Method Not Allowed', description: 'Use POST.', code: 'ERR_METHOD_NOT_ALLOWED' }), false);
        return;
      }
      finish(res, await auth.login(await readBody(req, 64 * 1024)), faultyLogin);
      return;
    }

    const proxied = req.headers['x-marathon-via'] !== undefined;
    const faulty = !proxied && faultApplies(path);
    if (faulty && (await applyTransportFaults(req, res))) return;

    // Before leader handling: Jetty's authenticator (basic) and Admin Router (DC/OS) answer
    // without asking Marathon for a leader. A proxied request is checked again on the leader.
    const denied = auth.authenticate(req.headers.authorization, path);
    if (denied) {
      finish(res, denied, false);
      return;
    }

    let l = faulty && faults.noLeader ? undefined : leaderInstance();
    if (!l) {
      l = await waitForLeader();
      if (!l || (faulty && faults.noLeader)) {
        finish(res, jettyError(502, 'Could not determine the current leader', path), false);
        return;
      }
    }
    if (l !== inst) {
      if (path === '/v2/events') {
        res.writeHead(302, { ...NO_CACHE_HEADERS, Location: `${l.url}/v2/events${url.search}`, 'Content-Length': '0' });
        res.end();
        return;
      }
      if (proxied) {
        // A proxied request reaching a non-leader means leadership moved mid-flight: Marathon's loop guard answers 502.
        finish(res, { status: 502, body: 'Detected proxying loop.', contentType: 'text/plain' }, false);
        return;
      }
      const body = method === 'GET' || method === 'HEAD' ? Buffer.alloc(0) : Buffer.from(await readBody(req), 'utf8');
      proxy(inst, l, req, res, body, (reply) => finish(res, reply, faulty));
      return;
    }

    const leaderHeader = { 'X-Marathon-Leader': inst.url };
    if (path === '/v2/events') {
      if (method !== 'GET') {
        finish(res, json(405, { message: 'HTTP 405 Method Not Allowed' }), false, leaderHeader);
        return;
      }
      if (req.headers.accept !== 'text/event-stream') {
        finish(res, jettyError(405, 'Method Not Allowed', path), false, leaderHeader);
        return;
      }
      if (streamFaults.refuseStatus !== null) {
        finish(res, jettyError(streamFaults.refuseStatus, streamFaults.refuseStatus === 404 ? 'Not Found' : 'Refused', path), false, leaderHeader);
        return;
      }
      openStream(inst, req, res, url.searchParams);
      return;
    }
    if (path === '/ping') {
      const wantsJson = (req.headers.accept ?? '').includes('application/json');
      finish(res, wantsJson ? json(200, 'pong') : { status: 200, body: 'pong', contentType: 'text/plain; charset=utf-8' }, faulty, leaderHeader);
      return;
    }
    let reply: Reply;
    try {
      reply = await handleApi(
        { method, path, query: url.searchParams, contentType: req.headers['content-type'], body: () => readBody(req) },
        {
          cluster,
          leaderHostPort: inst.hostPort,
          leaderPort: inst.port,
          mesosUrl,
          version: scenario.marathon.version,
          ...(auth.restrictsApps ? { canAccess: (appId: string) => auth.canAccess(appId) } : {}),
          onKillRequest: (ids) => {
            if (killRequests.length >= REQUEST_LOG_MAX) killRequests.splice(0, REQUEST_LOG_MAX / 2);
            killRequests.push({ at: clock.now(), ids: [...ids] });
          },
        },
      );
    } catch (err) {
      reply = json(500, { message: `simulator error: ${(err as Error).message}` });
    }
    finish(res, reply, faulty, leaderHeader);
  };

  /** Latency, dropped connections and error statuses. Returns true when the request was answered (or dropped). */
  const applyTransportFaults = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (faults.latencyMs > 0) await timers.delay(faults.latencyMs);
    if (faults.dropConnections) {
      req.socket.destroy();
      return true;
    }
    if (faults.errorRate > 0 && faultRandom.next() < faults.errorRate) {
      const reason = faults.errorStatus === 503 ? 'Service Unavailable' : faults.errorStatus === 502 ? 'Bad Gateway' : 'Server Error';
      finish(res, jettyError(faults.errorStatus, reason, new URL(req.url ?? '/', 'http://sim').pathname), false);
      return true;
    }
    return false;
  };

  /** `setting` names where the port came from, so the hint says what to change. */
  const listen = (server: Server, port: number, setting: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => reject(listenError(err, host, port, setting));
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        resolve((server.address() as AddressInfo).port);
      });
    });

  const onError = (res: ServerResponse) => (err: unknown) => {
    if (!res.headersSent && !res.destroyed) send(res, json(500, { message: `simulator error: ${String(err)}` }));
  };

  // ------------------------------------------------------------ start servers

  const mesosServers: Server[] = [];
  const endpoints = ServeEndpoints.wanted(cluster) ? new ServeEndpoints(cluster) : undefined;
  try {
    await endpoints?.start();
    const leaderIndexForPort = scenario.marathon.leader ?? 0;
    for (let i = 0; i < scenario.marathon.instances; i++) {
      const server = createServer();
      const fromOption = i === leaderIndexForPort && options.port !== undefined;
      const port = await listen(server, fromOption ? (options.port as number) : (scenario.marathon.ports[i] ?? 0), fromOption ? '--port' : `the scenario's marathon.ports[${i}]`);
      const inst: Instance = { index: i, server, port, hostPort: `${host}:${port}`, url: `http://${host}:${port}`, streams: new Set() };
      server.on('request', (req: IncomingMessage, res: ServerResponse) => {
        handleMarathon(inst, req, res).catch(onError(res));
      });
      instances.push(inst);
    }

    const mesosServer = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://sim');
      log(req.method ?? 'GET', url.pathname, -1);
      const go = async (): Promise<void> => {
        const faulty = faults.routes.some((r) => url.pathname.startsWith(r));
        if (faulty && (await applyTransportFaults(req, res))) return;
        finish(res, mesosReply(url.pathname, url.searchParams), faulty);
      };
      go().catch(onError(res));
    });
    const mesosPort = await listen(mesosServer, scenario.mesos.port ?? 0, "the scenario's mesos.port");
    mesosServers.push(mesosServer);
    mesosHostPort = `${host}:${mesosPort}`;
    mesosUrl = `http://${mesosHostPort}`;
    for (let s = 0; s < scenario.mesos.standbyMasters; s++) {
      const idx = -2 - s;
      const standby = createServer((req, res) => {
        log(req.method ?? 'GET', new URL(req.url ?? '/', 'http://sim').pathname, idx);
        // Mesos redirects to the leading master with a protocol-relative Location.
        res.writeHead(307, { Location: `//${mesosHostPort}${req.url ?? '/'}`, 'Content-Length': '0' });
        res.end();
      });
      await listen(standby, 0, 'an ephemeral port');
      mesosServers.push(standby);
    }
  } catch (err) {
    for (const i of instances) i.server.close();
    for (const s of mesosServers) s.close();
    await endpoints?.close();
    throw err;
  }

  const ticker = setInterval(() => cluster.advance(), options.tickMs ?? 25);
  ticker.unref();

  const marathonUrls = instances.map((i) => i.url);
  const sim: RunningSim = {
    marathonUrls,
    marathonUrl: marathonUrls[scenario.marathon.leader ?? 0] as string,
    mesosUrl,
    mesosStandbyUrls: mesosServers.slice(1).map((s) => `http://${host}:${(s.address() as AddressInfo).port}`),
    cluster,
    endpoints,
    get leader() {
      return leader;
    },
    setLeader(index) {
      if (index !== null && (!Number.isInteger(index) || index < 0 || index >= instances.length)) {
        throw new RangeError(`setLeader: index ${index} is out of range 0..${instances.length - 1}`);
      }
      // Marathon closes the event streams of an instance that abdicates.
      for (const inst of instances) if (inst.index !== index) closeStreams(inst);
      leader = index;
    },
    get faults() {
      return faults;
    },
    setFaults(partial) {
      faults = parseFaults(undefined, 'faults', partial, faults);
    },
    get streamFaults() {
      return streamFaults;
    },
    setStreamFaults(partial) {
      const next = { ...streamFaults, ...partial };
      if (next.refuseStatus !== null && (!Number.isInteger(next.refuseStatus) || next.refuseStatus < 300 || next.refuseStatus > 599)) {
        throw new RangeError(`setStreamFaults: refuseStatus ${next.refuseStatus} is not an HTTP error status (300-599)`);
      }
      if (!Number.isFinite(next.reverseWindowMs) || next.reverseWindowMs < 0) throw new RangeError('setStreamFaults: reverseWindowMs must be >= 0');
      streamFaults = next;
    },
    cutStreams() {
      let n = 0;
      for (const inst of instances) {
        n += inst.streams.size;
        for (const s of inst.streams) s.destroy();
        inst.streams.clear();
      }
      return n;
    },
    requestLog,
    killRequests,
    revokeTokens() {
      auth.revokeTokens();
    },
    get logins() {
      return auth.logins;
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(ticker);
      timers.cancelAll();
      for (const inst of instances) closeStreams(inst);
      await endpoints?.close();
      const servers = [...instances.map((i) => i.server), ...mesosServers];
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
  return sim;
}
