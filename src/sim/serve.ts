import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { SERVE_HOST, type SimApp, type SimCluster, type SimInstance, type TaskObserver } from './cluster.js';
import type { ScenarioServe } from './scenario.js';

/**
 * What the apps with `serve` really serve, so steady-state probes have something to probe: each
 * running task of such an app listens on 127.0.0.1 (its `host` and `ports[0]` in the listing), and
 * each app has a service endpoint, a round-robin balancer over its tasks in rotation, whose URL
 * replaces `${service}` in the app's labels.
 *
 * The model decides, the sockets follow: the cluster tells this observer when a task starts and
 * stops running (inside `advance()`), and every connection first advances the model and is
 * dropped when its task is no longer the running incarnation, so a ManualClock step is enough
 * to make a task stop answering even before the ticker runs.
 *
 * A task keeps one port for the life of its instance: Node binds a listener only asynchronously,
 * and the listing must show the port at the instant the task turns TASK_RUNNING. The port is taken
 * at start (or at the first launch of an instance created later), closed while the task is not
 * running, and listened on again by the next incarnation.
 */

/** Why a running task answers what it answers (HTTP status 200 only for `ready`). */
export type TaskAnswer = 'ready' | 'starting' | 'unhealthy' | 'warming-up';

/** The answer of a TASK_RUNNING task at `now`: Marathon's health result, and `slow-warmup` after a relaunch. */
export function taskAnswer(inst: SimInstance, now: number): TaskAnswer {
  const w = inst.app.weakness;
  if (w.kind === 'slow-warmup' && inst.relaunched && inst.startedAt !== undefined && now < inst.startedAt + w.seconds * 1000) return 'warming-up';
  if (inst.app.healthChecks.length === 0) return 'ready';
  if (inst.health === undefined) return 'starting';
  return inst.health.alive ? 'ready' : 'unhealthy';
}

interface Slot {
  port: number | undefined;
  server: Server | undefined;
  sockets: Set<Socket>;
  /** Earlier incarnations' endpoints finishing what they accepted after their SIGTERM, until TASK_KILLED. */
  draining: { server: Server; sockets: Set<Socket> }[];
}

/** A task the balancer still routes to after it stopped (`lb-lag`). */
interface Ghost {
  taskId: string;
  until: number;
}

interface Service {
  app: SimApp;
  serve: ScenarioServe;
  server: Server;
  sockets: Set<Socket>;
  next: number;
  ghosts: Ghost[];
}

type Backend = { kind: 'task'; taskId: string; port: number } | { kind: 'ghost'; taskId: string };

export class ServeEndpoints implements TaskObserver {
  private readonly slots = new Map<SimInstance, Slot>();
  private readonly services = new Map<SimApp, Service>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly dead = new WeakSet<Server>();
  private closed = false;

  constructor(private readonly cluster: SimCluster) {}

  /** True when the scenario has an app with `serve` (otherwise nothing is started). */
  static wanted(cluster: SimCluster): boolean {
    for (const app of cluster.apps.values()) if (app.def.serve !== undefined) return true;
    return false;
  }

  /** Takes the ports, opens the running tasks' endpoints and the service endpoints, fills in the labels. */
  async start(): Promise<void> {
    this.cluster.setTaskObserver(this);
    for (const app of this.cluster.apps.values()) {
      const serve = app.def.serve;
      if (serve === undefined) continue;
      for (const inst of app.instances) {
        if (inst.state === 'TASK_RUNNING') this.open(inst);
        else this.slots.set(inst, { port: await this.reservePort(), server: undefined, sockets: new Set(), draining: [] });
      }
      const service = this.makeService(app, serve);
      this.services.set(app, service);
      const port = await listenOn(service.server, 0);
      app.setService(serviceAddress(serve, port), port);
    }
    await this.settle();
    for (const [inst, slot] of this.slots) {
      if (slot.port !== undefined && inst.hasTask && !inst.isTerminal) {
        inst.ports = [slot.port];
        inst.app.touch();
      }
    }
  }

  /** The service endpoint's port of an app, if it serves. */
  servicePort(appId: string): number | undefined {
    const app = this.cluster.app(appId);
    const s = app ? this.services.get(app) : undefined;
    return s ? (s.server.address() as AddressInfo | null)?.port : undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cluster.setTaskObserver(undefined);
    await this.settle();
    const closing: Promise<void>[] = [];
    for (const slot of this.slots.values()) {
      if (slot.server) closing.push(this.stop(slot.server, slot.sockets));
      for (const d of slot.draining) closing.push(this.stop(d.server, d.sockets));
    }
    for (const s of this.services.values()) closing.push(this.stop(s.server, s.sockets));
    this.slots.clear();
    this.services.clear();
    await Promise.all(closing);
  }

  // ------------------------------------------------------------ TaskObserver

  running(inst: SimInstance): void {
    if (inst.app.def.serve !== undefined && !this.closed) this.open(inst);
  }

  stopped(inst: SimInstance, at: number): void {
    const app = inst.app;
    if (app.def.serve === undefined) return;
    const w = app.weakness;
    const service = this.services.get(app);
    if (w.kind === 'lb-lag' && service && inst.state === 'TASK_RUNNING' && inWarmRotation(inst)) {
      service.ghosts = service.ghosts.filter((g) => g.until > at && g.taskId !== inst.taskId);
      service.ghosts.push({ taskId: inst.taskId, until: at + w.seconds * 1000 });
    }
    const slot = this.slots.get(inst);
    if (!slot) return;
    // The kill is the task's SIGTERM (killPending, before TASK_KILLED): like a graceful server it
    // stops accepting and closes its idle connections, but answers what it already accepted; the
    // balancer no longer picks it (rotation). TASK_KILLED, after the grace period, is the SIGKILL.
    const graceful = inst.killPending;
    if (slot.server) {
      if (graceful) {
        slot.draining.push({ server: slot.server, sockets: slot.sockets });
        this.dead.add(slot.server);
        if (slot.server.listening) slot.server.close();
      } else {
        void this.stop(slot.server, slot.sockets);
      }
      slot.server = undefined;
      slot.sockets = new Set();
    }
    if (!graceful) {
      for (const d of slot.draining) void this.stop(d.server, d.sockets);
      slot.draining = [];
    }
    // An instance that will not come back (scale-down, wipe) gives its port up.
    if (inst.state === 'TASK_KILLED' && (inst.decommissioned || inst.wiped)) this.slots.delete(inst);
  }

  portFor(inst: SimInstance): number | undefined {
    const known = this.slots.get(inst);
    if (known || inst.app.def.serve === undefined || this.closed) return known?.port;
    // A new instance (a wiped one's replacement): its port is known before it runs, in real time.
    const slot: Slot = { port: undefined, server: undefined, sockets: new Set(), draining: [] };
    this.slots.set(inst, slot);
    this.follow(
      this.reservePort().then((port) => {
        if (slot.port !== undefined || this.slots.get(inst) !== slot) return;
        slot.port = port;
        if (inst.hasTask && !inst.isTerminal) {
          inst.ports = [port];
          inst.app.touch();
        }
      }),
    );
    return undefined;
  }

  // ------------------------------------------------------------ tasks

  /**
   * Whether a connection accepted for this incarnation may still be served: while it runs, and
   * between its SIGTERM and TASK_KILLED (TASK_KILLING, or still TASK_RUNNING without task_killing).
   */
  private live(inst: SimInstance, taskId: string): boolean {
    const up = inst.state === 'TASK_RUNNING' || (inst.killPending && inst.state === 'TASK_KILLING');
    return !this.closed && up && inst.taskId === taskId && inst.app.instances.includes(inst);
  }

  private open(inst: SimInstance): void {
    const serve = inst.app.def.serve;
    if (serve === undefined) return;
    let slot = this.slots.get(inst);
    if (!slot) {
      slot = { port: undefined, server: undefined, sockets: new Set(), draining: [] };
      this.slots.set(inst, slot);
    }
    if (slot.server) void this.stop(slot.server, slot.sockets);
    const sockets = new Set<Socket>();
    const server = serve.protocol === 'http' ? this.httpTask(inst, serve.path) : this.tcpTask(inst, serve.echo);
    track(server, sockets);
    slot.server = server;
    slot.sockets = sockets;
    const taskId = inst.taskId;
    const s = slot;
    this.follow(
      (async () => {
        let port: number;
        try {
          port = await listenOn(server, s.port ?? 0);
        } catch {
          // The port went to someone else while the task was down: take a new one.
          port = await listenOn(server, 0);
        }
        if (this.dead.has(server) || this.closed) {
          await this.stop(server, sockets);
          return;
        }
        if (port !== s.port) {
          s.port = port;
          if (inst.taskId === taskId && !inst.isTerminal) {
            inst.ports = [port];
            inst.app.touch();
          }
        }
      })(),
    );
  }

  private httpTask(inst: SimInstance, path: string): Server {
    const taskId = inst.taskId;
    return createHttpServer((req: IncomingMessage, res: ServerResponse) => {
      this.cluster.advance();
      if (!this.live(inst, taskId)) {
        req.socket.destroy();
        return;
      }
      const url = new URL(req.url ?? '/', 'http://task');
      if (url.pathname !== path) {
        answer(res, 404, { taskId, error: `not found; this task serves ${path}` });
        return;
      }
      // A stopping task ends its keep-alive connections with this answer.
      if (inst.killPending) res.setHeader('Connection', 'close');
      const state = taskAnswer(inst, this.cluster.now());
      answer(res, state === 'ready' ? 200 : 503, { taskId, state });
    });
  }

  private tcpTask(inst: SimInstance, echo: boolean): Server {
    const taskId = inst.taskId;
    return createNetServer((socket) => {
      socket.on('error', () => undefined);
      this.cluster.advance();
      if (!this.live(inst, taskId)) {
        socket.destroy();
        return;
      }
      if (inst.app.weakness.kind === 'echo-broken' && inst.relaunched) {
        socket.resume();
        return;
      }
      if (taskAnswer(inst, this.cluster.now()) !== 'ready') {
        socket.end();
        return;
      }
      if (echo) socket.on('data', (d: Buffer) => socket.write(d));
      else socket.resume();
    });
  }

  private async reservePort(): Promise<number> {
    const probe = createNetServer();
    const port = await listenOn(probe, 0);
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    return port;
  }

  // ------------------------------------------------------------ services

  /**
   * The balancer's rotation: running tasks Marathon would route to (healthy, when checked; not
   * once killed: a health-checked balancer learns of the SIGTERM before the task stops serving),
   * then lagging ghosts (lb-lag: a balancer that keeps routing to the dead task).
   */
  private rotation(service: Service): Backend[] {
    const now = this.cluster.now();
    const out: Backend[] = [];
    for (const inst of service.app.instances) {
      if (inst.state !== 'TASK_RUNNING' || inst.killPending || !inWarmRotation(inst)) continue;
      const slot = this.slots.get(inst);
      if (slot?.server?.listening && slot.port !== undefined) out.push({ kind: 'task', taskId: inst.taskId, port: slot.port });
    }
    service.ghosts = service.ghosts.filter((g) => g.until > now);
    for (const g of service.ghosts) out.push({ kind: 'ghost', taskId: g.taskId });
    return out;
  }

  /** The next backend round-robin, leaving out the tasks this request already failed on. */
  private pick(service: Service, tried: ReadonlySet<string> = NO_TASKS): Backend | undefined {
    this.cluster.advance();
    const all = this.rotation(service);
    const r = tried.size === 0 ? all : all.filter((b) => !tried.has(b.taskId));
    if (r.length === 0) return undefined;
    const b = r[service.next % r.length];
    service.next = (service.next + 1) % 1_000_000;
    return b;
  }

  private makeService(app: SimApp, serve: ScenarioServe): Service {
    const sockets = new Set<Socket>();
    const service: Service = { app, serve, server: undefined as unknown as Server, sockets, next: 0, ghosts: [] };
    service.server = serve.protocol === 'http' ? this.httpBalancer(service) : this.tcpBalancer(service);
    track(service.server, sockets);
    return service;
  }

  private httpBalancer(service: Service): Server {
    return createHttpServer((req, res) => {
      const body: Buffer[] = [];
      req.on('data', (c: Buffer) => body.push(c));
      req.on('end', () => this.forwardHttp(service, req, Buffer.concat(body), res, new Set()));
    });
  }

  /**
   * Passes one request to a backend. A backend that fails before it answers gets the request passed
   * to the next one when the method is idempotent, as nginx does by default (`proxy_next_upstream
   * error`): a task that stopped between the pick and the connection costs no error. A ghost is
   * never retried: lb-lag is a balancer that believes the dead task is there.
   */
  private forwardHttp(service: Service, req: IncomingMessage, body: Buffer, res: ServerResponse, tried: Set<string>): void {
    const b = this.closed ? undefined : this.pick(service, tried);
    if (!b) {
      if (tried.size === 0) answer(res, 503, { error: `no task of ${service.app.id} is in rotation` });
      else answer(res, 502, { error: `every backend of ${service.app.id} tried failed` });
      return;
    }
    if (b.kind === 'ghost') {
      // The task is gone and its port refuses: what a balancer answers for a dead backend.
      answer(res, 502, { error: `backend ${b.taskId} refused the connection` }, b.taskId);
      return;
    }
    tried.add(b.taskId);
    const up = httpRequest({ host: SERVE_HOST, port: b.port, method: req.method, path: req.url, headers: req.headers, agent: false }, (ures) => {
      res.writeHead(ures.statusCode ?? 502, { ...ures.headers, 'x-sim-backend': b.taskId });
      ures.pipe(res);
      ures.on('error', () => res.destroy());
    });
    up.on('error', () => {
      if (res.headersSent) res.destroy();
      else if (IDEMPOTENT.has(req.method ?? '')) this.forwardHttp(service, req, body, res, tried);
      else answer(res, 502, { error: `backend ${b.taskId} failed` }, b.taskId);
    });
    up.end(body);
  }

  private tcpBalancer(service: Service): Server {
    return createNetServer((client) => {
      client.on('error', () => undefined);
      // Nothing is read from the client until a backend accepted: a refused one is retried with nothing lost.
      client.pause();
      const attempt: { up: Socket | undefined } = { up: undefined };
      client.on('close', () => attempt.up?.destroy());
      this.forwardTcp(service, client, attempt, new Set());
    });
  }

  /** Connects the client to a backend; one that refuses before accepting is replaced by the next (a ghost never is). */
  private forwardTcp(service: Service, client: Socket, attempt: { up: Socket | undefined }, tried: Set<string>): void {
    const b = this.closed || client.destroyed ? undefined : this.pick(service, tried);
    if (!b || b.kind === 'ghost') {
      client.destroy();
      return;
    }
    tried.add(b.taskId);
    const up = connect(b.port, SERVE_HOST);
    attempt.up = up;
    service.sockets.add(up);
    let connected = false;
    up.on('connect', () => {
      connected = true;
      client.pipe(up).pipe(client);
    });
    up.on('close', () => {
      service.sockets.delete(up);
      if (connected) client.destroy();
    });
    up.on('error', () => {
      if (connected) client.destroy();
      else this.forwardTcp(service, client, attempt, tried);
    });
  }

  // ------------------------------------------------------------ plumbing

  private follow(p: Promise<unknown>): void {
    const tracked = p.catch(() => undefined);
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }

  private async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private stop(server: Server, sockets: Set<Socket>): Promise<void> {
    this.dead.add(server);
    for (const s of sockets) s.destroy();
    sockets.clear();
    if (!server.listening) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}

const NO_TASKS: ReadonlySet<string> = new Set();
/** Methods a balancer may send to another backend after a failure (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/**
 * What `${service}` becomes: the URL of the health path for HTTP, `host:port` for TCP (the forms
 * the `monkey.probe.http` and `monkey.probe.tcp` labels take).
 */
export function serviceAddress(serve: ScenarioServe, port: number): string {
  return serve.protocol === 'http' ? `http://${SERVE_HOST}:${port}${serve.path}` : `${SERVE_HOST}:${port}`;
}

/** Whether a running task is one a balancer routes to: Marathon's health, when the app has checks. */
function inWarmRotation(inst: SimInstance): boolean {
  return inst.app.healthChecks.length === 0 || inst.health?.alive === true;
}

function track(server: Server, sockets: Set<Socket>): void {
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
}

function answer(res: ServerResponse, status: number, body: Record<string, unknown>, backend?: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(text)),
    ...(backend === undefined ? {} : { 'x-sim-backend': backend }),
  });
  res.end(text);
}

function listenOn(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, SERVE_HOST, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
