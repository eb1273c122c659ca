import type { Logger } from 'pino';
import type { KillAnswer, KillIntent, KillLedger } from '../domain/ports.js';
import { killVeto } from '../domain/veto.js';
import { systemClock, type Clock } from '../platform/clock.js';
import { aclsFor, CODES, commit, createClient, CreateMode, dropSocket, State, zk, type Client, type MultiResult, type ZkEvent } from './client.js';
import { SharedVetoError, ZkError, ZkFencedError, ZkTimeoutError } from './errors.js';
import { FencedLedger, type KillLogEntry } from './fenced-ledger.js';
import { applyAnswerToShared, applyIntentToShared, intentApps, parseShared, serializeShared, settleShared, sharedToMemory, type SharedState } from './shared.js';
import { maskZkUrl, parseZkUrl, type ZkTarget } from './url.js';

export type ZkRole = 'leader' | 'standby' | 'disconnected';
/**
 * connecting: no session yet; connected; suspended: disconnected, the session may still be alive
 * (nothing is killed); lost: expired, a new session is being made; closed.
 */
export type ZkSessionState = 'connecting' | 'connected' | 'suspended' | 'lost' | 'closed';

export interface ZkCoordinatorOptions {
  /** zk://[user:password@]host1:2181,host2:2181/path */
  url: string;
  /** Asked of ZooKeeper, which bounds it by its min/max (2 and 20 ticks by default). */
  sessionTimeoutMs: number;
  /** Who this instance is (e.g. host:port pid): the data of its election node, `updatedBy` of the state. */
  identity: string;
  logger: Logger;
  clock?: Clock;
  /** How long start() waits for a first session (default max(2 × sessionTimeoutMs, 10 s)). */
  connectTimeoutMs?: number;
  /** Kill log entries kept in <root>/kills (default KILL_LOG_KEEP, 1000). */
  killLogKeep?: number;
  /**
   * false: a client of the shared state only (the `resume` command), never a candidate: it never
   * leads, and the daemons' /status does not count it as an instance. Default true.
   */
  elect?: boolean;
}

export interface ZkChange {
  role: ZkRole;
  session: ZkSessionState;
}

/** Entries kept in <root>/kills; older ones are pruned (the journal of each instance keeps them all). */
export const KILL_LOG_KEEP = 1000;
/** Read–modify–write attempts before E_ZK_CONFLICT (each BadVersion means another writer got in first). */
const MAX_TRIES = 20;

export const ZK_LOG = {
  connected: 'ZooKeeper session established',
  suspended: 'ZooKeeper connection lost: not leading until it is back (the session may still be alive)',
  expired: 'ZooKeeper session expired: leadership lost; making a new session and rejoining the election',
  reconnected: 'ZooKeeper connection back with the same session',
  silent: 'ZooKeeper stopped answering within 2/3 of the session timeout: treating the connection as lost',
  elected: 'elected leader',
  standby: 'standing by: another instance leads',
  nodeGone: 'our election node was deleted behind our back: deposed; rejoining the election',
  joinFailed: 'could not join the election; retrying',
  sharedUnreadable: 'the shared state in ZooKeeper cannot be read',
  withdrawn: 'a fenced intent whose kill was not sent is withdrawn from the shared state',
  withdrawFailed: 'could not withdraw a fenced intent from the shared state (it keeps counting as a kill)',
  pruneFailed: 'could not prune the kill log',
} as const;

const seqOf = (name: string): number => Number(name.slice(-10));
const bySeq = (a: string, b: string): number => seqOf(a) - seqOf(b) || (a < b ? -1 : a > b ? 1 : 0);

/**
 * Leader election, shared state and kill fencing on ZooKeeper (issue 12).
 *
 * Nodes under the root (created when missing; with credentials their ACL gives all rights to
 * them and read to anyone, without credentials they are open):
 *   <root>/election/n_<session>_NNNNNNNNNN  EPHEMERAL_SEQUENTIAL, data = identity; lowest leads
 *   <root>/state                           the SharedState (JSON), written with version checks
 *   <root>/kills/k_NNNNNNNNNN              the kill log: one entry per fenced intent, bounded
 *                                          to the last KILL_LOG_KEEP (older ones are pruned)
 *
 * Election is ZooKeeper's recipe: each instance watches only its predecessor (no herd). Fail
 * closed: isLeader() is true only while the session is connected and our node is the lowest.
 * node-zookeeper-client has no read timeout, so a watchdog pings every 1/6 of the session timeout
 * and treats 2/3 of it without an answer as a lost connection (what ZooKeeper's Java client does).
 */
export class ZkCoordinator {
  private readonly target: ZkTarget;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly acls;
  private readonly paths;
  private readonly killLogKeep: number;
  private client!: Client;
  private gen = 0;
  private session: ZkSessionState = 'connecting';
  private ready = false;
  private closed = false;
  /** Our election node in the current session (full path), and whether it was the lowest at the last check. */
  private node: string | undefined;
  private lowest = false;
  /** Whether this node's role was logged once (standby is logged on joining, then on each loss of the lead). */
  private announced = false;
  private leaderNode: string | undefined;
  private checking = false;
  private checkAgain = false;
  private joining = false;
  /** Paths with a watch of ours armed in the current session (never two on one path). */
  private watched = new Set<string>();
  private lastHeard = 0;
  private disconnectedAt = 0;
  private pinging = false;
  private readonly stop = new AbortController();
  private readonly listeners = new Set<(e: ZkChange) => void>();
  private readonly sharedListeners = new Set<(s: SharedState) => void>();
  private lastEmitted: string | undefined;
  private shared: { state: SharedState; version: number; json: string } | undefined;
  private firstConnect: { resolve: () => void; reject: (e: Error) => void } | undefined;

  private constructor(private readonly o: ZkCoordinatorOptions) {
    this.target = parseZkUrl(o.url);
    this.clock = o.clock ?? systemClock;
    this.log = o.logger.child({ component: 'zk', zk: maskZkUrl(o.url) });
    this.acls = aclsFor(this.target.auth);
    this.killLogKeep = Math.max(1, Math.floor(o.killLogKeep ?? KILL_LOG_KEEP));
    const root = this.target.root;
    this.paths = { root, election: `${root}/election`, state: `${root}/state`, kills: `${root}/kills` };
  }

  /**
   * Connects (digest auth if the URL has credentials), creates the nodes that are missing and
   * joins the election. Rejects with E_ZK_CONNECT when no session comes within connectTimeoutMs,
   * E_ZK_AUTH when the nodes exist with an ACL our credentials do not satisfy.
   */
  static async start(o: ZkCoordinatorOptions): Promise<ZkCoordinator> {
    const c = new ZkCoordinator(o);
    try {
      await c.begin();
    } catch (err) {
      await c.close().catch(() => undefined);
      throw err;
    }
    return c;
  }

  private async begin(): Promise<void> {
    const timeout = this.o.connectTimeoutMs ?? Math.max(2 * this.o.sessionTimeoutMs, 10_000);
    const first = new Promise<void>((resolve, reject) => (this.firstConnect = { resolve, reject }));
    this.openSession();
    const timer = new AbortController();
    const timedOut = this.clock.sleep(timeout, timer.signal).then(
      () => {
        throw new ZkError('E_ZK_CONNECT', `no ZooKeeper session from ${this.target.servers} within ${timeout} ms`, {
          hint: 'check the hosts and ports in MONKEY_ZK and that ZooKeeper runs and is reachable from here',
        });
      },
      () => undefined,
    );
    try {
      await Promise.race([first, timedOut]);
    } finally {
      timer.abort();
      this.firstConnect = undefined;
    }
    // Requests wait for a reconnection when the connection drops: start() stays bounded all the same.
    await this.bounded(
      (async () => {
        await this.ensureNodes();
        this.ready = true;
        await this.afterConnect(this.gen, true);
      })(),
      'create the nodes and join the election',
      timeout,
    );
    void this.watchdog();
  }

  // ---- session ----------------------------------------------------------------------------

  private openSession(): void {
    const gen = ++this.gen;
    this.watched = new Set();
    const client = createClient(this.target.servers, this.o.sessionTimeoutMs);
    if (this.target.auth) client.addAuthInfo('digest', Buffer.from(`${this.target.auth.user}:${this.target.auth.password}`));
    client.on('state', (s) => this.onState(gen, s));
    this.client = client;
    this.disconnectedAt = this.clock.now();
    client.connect();
  }

  private onState(gen: number, s: InstanceType<typeof State>): void {
    if (gen !== this.gen || this.closed) return;
    if (s === State.SYNC_CONNECTED) {
      const wasSuspended = this.session === 'suspended';
      this.lastHeard = this.clock.now();
      this.session = 'connected';
      // Back with the same session: lead again only once a check has seen our node still lowest.
      if (wasSuspended) this.lowest = false;
      this.log.info({ sessionTimeoutMs: this.client.getSessionTimeout() }, wasSuspended ? ZK_LOG.reconnected : ZK_LOG.connected);
      this.firstConnect?.resolve();
      this.emit();
      if (this.ready) void this.afterConnect(gen, false);
    } else if (s === State.DISCONNECTED || s === State.CONNECTED_READ_ONLY) {
      if (this.session === 'connected') {
        this.session = 'suspended';
        this.disconnectedAt = this.clock.now();
        this.log.warn(ZK_LOG.suspended);
        this.emit();
      }
    } else if (s === State.EXPIRED) {
      this.log.warn(ZK_LOG.expired);
      this.renew();
    } else if (s === State.AUTH_FAILED) {
      const err = new ZkError('E_ZK_AUTH', `ZooKeeper refused the credentials in MONKEY_ZK for ${this.target.servers}`, {
        hint: 'check the user:password in MONKEY_ZK (digest authentication)',
      });
      if (this.firstConnect) this.firstConnect.reject(err);
      else {
        this.log.error({ err }, err.message);
        // Not at once: the same credentials would fail again in a tight loop.
        const gen2 = this.gen;
        void this.clock.sleep(this.negotiatedTimeout(), this.stop.signal).then(
          () => {
            if (gen2 === this.gen && !this.closed) this.renew();
          },
          () => undefined,
        );
      }
    }
  }

  /** The session is gone: leadership with it. A new client makes a new session and rejoins. */
  private renew(): void {
    const old = this.client;
    this.session = 'lost';
    this.node = undefined;
    this.lowest = false;
    this.leaderNode = undefined;
    this.emit();
    old.close();
    dropSocket(old);
    this.openSession();
  }

  /** After a (re)connection: join when we have no node, else re-check; refresh the shared state. */
  private async afterConnect(gen: number, rethrow: boolean): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (gen !== this.gen || this.closed || this.session !== 'connected') return;
      try {
        if (this.o.elect === false) {
          // A client of the shared state only: no election node, never the leader.
        } else if (this.node === undefined) await this.join(gen);
        else await this.check(gen);
        await this.refreshShared(gen);
        return;
      } catch (err) {
        if (rethrow) throw authOr(err, this.target);
        this.log.warn({ err, attempt }, ZK_LOG.joinFailed);
        try {
          await this.clock.sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 4)), this.stop.signal);
        } catch {
          return;
        }
      }
    }
  }

  private async watchdog(): Promise<void> {
    while (!this.closed) {
      const t = this.negotiatedTimeout();
      try {
        await this.clock.sleep(Math.max(20, Math.floor(t / 6)), this.stop.signal);
      } catch {
        return;
      }
      const gen = this.gen;
      const client = this.client;
      const now = this.clock.now();
      if (this.session === 'connected') {
        if (!this.pinging) {
          this.pinging = true;
          zk.exists(client, '/')
            .then(() => {
              if (gen === this.gen) this.lastHeard = this.clock.now();
            })
            .catch(() => undefined)
            .finally(() => (this.pinging = false));
        }
        if (now - this.lastHeard > (2 * t) / 3) {
          this.log.warn({ silentMs: now - this.lastHeard }, ZK_LOG.silent);
          this.session = 'suspended';
          this.disconnectedAt = now;
          this.emit();
          dropSocket(client);
        }
      } else if (now - this.disconnectedAt > t) {
        // A connection attempt to a server that accepts but never answers waits for ever.
        this.disconnectedAt = now;
        dropSocket(client);
      }
    }
  }

  private negotiatedTimeout(): number {
    const t = this.client.getSessionTimeout();
    return t > 0 ? t : this.o.sessionTimeoutMs;
  }

  // ---- nodes and election -------------------------------------------------------------------

  private async ensureNodes(): Promise<void> {
    const segments = this.paths.root.slice(1).split('/');
    let path = '';
    for (let i = 0; i < segments.length; i++) {
      path += `/${segments[i]}`;
      // Parents above our root are not ours to lock: they are created open, as mkdirp would.
      const acls = i === segments.length - 1 ? this.acls : aclsFor(undefined);
      await this.createIfMissing(path, Buffer.alloc(0), acls);
    }
    await this.createIfMissing(this.paths.election, Buffer.alloc(0), this.acls);
    await this.createIfMissing(this.paths.kills, Buffer.alloc(0), this.acls);
    await this.createIfMissing(this.paths.state, serializeShared({ lastKillAt: {}, quarantined: {}, halted: null, paused: null, pending: {} }), this.acls);
  }

  private async createIfMissing(path: string, data: Buffer, acls: ReturnType<typeof aclsFor>): Promise<void> {
    try {
      await zk.create(this.client, path, data, acls, CreateMode.PERSISTENT);
    } catch (err) {
      if ((err as ZkError).zkCode === CODES.NODE_EXISTS) return;
      throw authOr(err, this.target);
    }
  }

  private async join(gen: number): Promise<void> {
    if (this.joining) return;
    this.joining = true;
    try {
      const prefix = `n_${this.client.getSessionId().toString('hex')}_`;
      let path: string;
      try {
        path = await zk.create(this.client, `${this.paths.election}/${prefix}`, Buffer.from(this.o.identity), this.acls, CreateMode.EPHEMERAL_SEQUENTIAL);
      } catch (err) {
        // The create may have happened before the connection dropped: find it by our session's prefix.
        if ((err as ZkError).zkCode !== CODES.CONNECTION_LOSS) throw err;
        const mine = (await zk.getChildren(this.client, this.paths.election)).filter((n) => n.startsWith(prefix)).sort(bySeq);
        if (mine.length === 0) throw err;
        path = `${this.paths.election}/${mine[mine.length - 1]!}`;
      }
      if (gen !== this.gen) return;
      this.node = path;
      this.announced = false;
      await this.watchOwnNode(gen, path);
      await this.check(gen);
    } finally {
      this.joining = false;
    }
  }

  private async watchOwnNode(gen: number, path: string): Promise<void> {
    if (this.watched.has(path)) return;
    this.watched.add(path);
    const stat = await zk.exists(this.client, path, (e: ZkEvent) => {
      this.watched.delete(path);
      if (gen !== this.gen || this.closed || this.node !== path) return;
      if (e.getType() === 2 /* NODE_DELETED */) this.ownNodeGone(gen, path);
      else void this.watchOwnNode(gen, path).catch(() => undefined);
    });
    if (!stat) this.ownNodeGone(gen, path);
  }

  private ownNodeGone(gen: number, path: string): void {
    if (this.node !== path) return;
    this.log.warn({ node: path }, ZK_LOG.nodeGone);
    this.node = undefined;
    this.lowest = false;
    this.emit();
    if (this.session === 'connected') void this.afterConnect(gen, false);
  }

  /** Re-checks the election, one at a time (a check asked for during one runs after it). */
  private async check(gen: number): Promise<void> {
    if (this.checking) {
      this.checkAgain = true;
      return;
    }
    this.checking = true;
    try {
      do {
        this.checkAgain = false;
        await this.checkOnce(gen);
      } while (this.checkAgain && gen === this.gen && !this.closed);
    } finally {
      this.checking = false;
    }
  }

  private async checkOnce(gen: number): Promise<void> {
    for (;;) {
      if (gen !== this.gen || this.closed || this.node === undefined) return;
      const node = this.node;
      const children = (await zk.getChildren(this.client, this.paths.election)).filter((n) => /_\d{10}$/.test(n)).sort(bySeq);
      if (gen !== this.gen || this.node !== node) return;
      const mine = node.slice(this.paths.election.length + 1);
      const i = children.indexOf(mine);
      this.leaderNode = children[0] === undefined ? undefined : `${this.paths.election}/${children[0]}`;
      if (i < 0) {
        this.ownNodeGone(gen, node);
        return;
      }
      if (i === 0) {
        if (!this.lowest) this.log.info({ node }, ZK_LOG.elected);
        this.lowest = true;
        this.announced = true;
        this.emit();
        return;
      }
      if (this.lowest || !this.announced) this.log.info({ node, leader: this.leaderNode }, ZK_LOG.standby);
      this.lowest = false;
      this.announced = true;
      this.emit();
      // Watch the predecessor only (no herd): when it goes, we may be next.
      const pred = `${this.paths.election}/${children[i - 1]!}`;
      if (this.watched.has(pred)) return;
      this.watched.add(pred);
      const stat = await zk.exists(this.client, pred, () => {
        this.watched.delete(pred);
        if (gen === this.gen && !this.closed) void this.check(gen).catch((err: unknown) => this.log.warn({ err }, ZK_LOG.joinFailed));
      });
      if (stat) return;
      this.watched.delete(pred);
      // Gone between the listing and the watch: look again.
    }
  }

  // ---- public face --------------------------------------------------------------------------

  role(): ZkRole {
    if (this.session !== 'connected') return 'disconnected';
    return this.isLeader() ? 'leader' : 'standby';
  }

  sessionState(): ZkSessionState {
    return this.session;
  }

  /** True only while the session is connected and this instance holds the lowest election node. */
  isLeader(): boolean {
    return this.session === 'connected' && this.node !== undefined && this.lowest;
  }

  /** This instance's election node (full path), when it has one. */
  electionNode(): string | undefined {
    return this.node;
  }

  /** The monkey's node (the URL's path). */
  root(): string {
    return this.paths.root;
  }

  /** Role/session changes; returns the unsubscribe function. */
  onChange(fn: (e: ZkChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(): void {
    const e: ZkChange = { role: this.role(), session: this.session };
    const key = `${e.role}/${e.session}`;
    if (key === this.lastEmitted) return;
    this.lastEmitted = key;
    for (const fn of [...this.listeners]) {
      try {
        fn(e);
      } catch (err) {
        this.log.error({ err }, 'a ZooKeeper role listener threw');
      }
    }
  }

  /** For /status: this instance's id, the leader's id and how many instances are in the election. */
  async members(): Promise<{ self: string; leader: string | undefined; count: number }> {
    this.requireConnected('list the election');
    const children = (await this.bounded(zk.getChildren(this.client, this.paths.election), 'list the election')).filter((n) => /_\d{10}$/.test(n)).sort(bySeq);
    let leader: string | undefined;
    if (children[0] !== undefined) {
      try {
        const { data } = await this.bounded(zk.getData(this.client, `${this.paths.election}/${children[0]}`), 'read the leader node');
        leader = data ? data.toString('utf8') : undefined;
      } catch (err) {
        if ((err as ZkError).zkCode !== CODES.NO_NODE) throw err;
      }
    }
    return { self: this.o.identity, leader, count: children.length };
  }

  /** The shared state and its node version; throws E_ZK_STATE on a node we cannot read, E_ZK_UNAVAILABLE when not connected. */
  async readShared(): Promise<{ state: SharedState; version: number }> {
    this.requireConnected('read the shared state');
    const { data, stat } = await this.bounded(zk.getData(this.client, this.paths.state), 'read the shared state');
    const state = parseShared(data, this.paths.state);
    this.deliverShared(state, stat.version);
    return { state, version: stat.version };
  }

  /** The last shared state this instance saw (read, written or watched), without asking ZooKeeper. */
  lastShared(): { state: SharedState; version: number } | undefined {
    return this.shared ? { state: structuredClone(this.shared.state), version: this.shared.version } : undefined;
  }

  /**
   * Read–modify–write with setData(version), retried on BadVersion (10 tries) so two writers never
   * lose an update. `fn` gets a copy; returning undefined means no change. Fails closed (throws)
   * when not connected.
   */
  async updateShared(fn: (s: SharedState) => SharedState | undefined): Promise<SharedState> {
    for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
      const { state, version } = await this.readShared();
      const next = fn(structuredClone(state));
      if (next === undefined) return state;
      const stamped = this.stamp(next);
      try {
        const stat = await this.bounded(zk.setData(this.client, this.paths.state, serializeShared(stamped), version), 'write the shared state');
        this.deliverShared(stamped, stat.version);
        return stamped;
      } catch (err) {
        if ((err as ZkError).zkCode !== CODES.BAD_VERSION) throw err;
        await this.backoff(attempt);
      }
    }
    throw conflict();
  }

  /**
   * After a lost race: a few ms, growing, offset per instance (from its identity: no shared
   * randomness needed) so that the same writers do not collide again in lockstep.
   */
  private async backoff(attempt: number): Promise<void> {
    const offset = [...this.o.identity].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) % 7, 0);
    await this.clock.sleep(Math.min(64, 2 ** Math.min(attempt, 6)) + offset);
  }

  /** Called with the new state whenever <root>/state changes (a re-armed data watch), also after reconnects. */
  onShared(fn: (s: SharedState) => void): () => void {
    this.sharedListeners.add(fn);
    return () => this.sharedListeners.delete(fn);
  }

  private async refreshShared(gen: number): Promise<void> {
    const path = this.paths.state;
    const arm = !this.watched.has(path);
    if (arm) this.watched.add(path);
    let got;
    try {
      got = await zk.getData(
        this.client,
        path,
        arm
          ? () => {
              this.watched.delete(path);
              if (gen === this.gen && !this.closed && this.session === 'connected') void this.refreshShared(gen).catch((err: unknown) => this.log.warn({ err }, ZK_LOG.sharedUnreadable));
            }
          : undefined,
      );
    } catch (err) {
      if (arm) this.watched.delete(path);
      throw err;
    }
    try {
      this.deliverShared(parseShared(got.data, path), got.stat.version);
    } catch (err) {
      this.log.error({ err }, ZK_LOG.sharedUnreadable);
    }
  }

  private deliverShared(state: SharedState, version: number): void {
    const json = JSON.stringify(state);
    if (this.shared && this.shared.version > version) return;
    if (this.shared && this.shared.version === version && this.shared.json === json) return;
    this.shared = { state, version, json };
    for (const fn of [...this.sharedListeners]) {
      try {
        fn(structuredClone(state));
      } catch (err) {
        this.log.error({ err }, 'a shared-state listener threw');
      }
    }
  }

  private stamp(s: SharedState): SharedState {
    return { ...s, updatedBy: this.o.identity, updatedAt: new Date(this.clock.now()).toISOString() };
  }

  /** The fenced kill ledger: see FencedLedger. `local` is this instance's journal ledger (the audit log). */
  fencedLedger(local: KillLedger, o: { minKillIntervalMs: number }): KillLedger {
    return new FencedLedger(this, local, o.minKillIntervalMs, this.log);
  }

  /** Leaves the election (deletes our node) and closes the session. */
  async close(): Promise<void> {
    if (this.closed) return;
    const node = this.node;
    const connected = this.session === 'connected';
    this.closed = true;
    this.stop.abort();
    this.node = undefined;
    this.lowest = false;
    const client = this.client as Client | undefined;
    if (client) {
      if (node && connected) await this.bounded(zk.remove(client, node), 'leave the election', 1000).catch(() => undefined);
      const closedNow = new Promise<void>((resolve) => {
        client.on('state', (s) => {
          if (s === State.DISCONNECTED) resolve();
        });
      });
      client.close();
      // A connected session is closed properly (its ephemeral nodes go now, not after the timeout);
      // without one there is nobody to tell.
      if (connected) {
        const timer = new AbortController();
        await Promise.race([closedNow, this.clock.sleep(1000, timer.signal).catch(() => undefined)]);
        timer.abort();
      }
      dropSocket(client);
    }
    this.session = 'closed';
    this.closed = true;
    this.lastEmitted = undefined;
    const e: ZkChange = { role: 'disconnected', session: 'closed' };
    for (const fn of [...this.listeners]) fn(e);
    this.listeners.clear();
    this.sharedListeners.clear();
  }

  // ---- fencing (FencedLedger's half that needs the session) ---------------------------------

  /** How long the whole fencing step may take: min(session timeout, 5 s). */
  fencingTimeoutMs(): number {
    return Math.min(this.o.sessionTimeoutMs, 5000);
  }

  /**
   * One ZooKeeper multi: check(our election node) + setData(state, version) + create(kill log
   * entry). Vetoed (SharedVetoError) by the shared state; fenced (ZkFencedError) when we are not
   * the leader with a connected session, before or right after. Returns the kill log entry's path.
   */
  async fenceIntent(intent: KillIntent, minKillIntervalMs: number, signal?: AbortSignal): Promise<{ killPath: string; entry: KillLogEntry }> {
    const givenUp = (): ZkFencedError => new ZkFencedError('the fencing step was given up (timed out) before its transaction: no kill');
    for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
      if (signal?.aborted) throw givenUp();
      const node = this.node;
      const gen = this.gen;
      const client = this.client;
      if (!this.isLeader() || node === undefined) throw new ZkFencedError(`this instance is not the leader (${this.role()}, session ${this.session}): no kill`);
      const { data, stat } = await zk.getData(client, this.paths.state);
      const state = parseShared(data, this.paths.state);
      const veto = killVeto(sharedToMemory(state), intent, minKillIntervalMs, 'the shared state');
      if (veto !== undefined) throw new SharedVetoError(veto);
      const next = this.stamp(applyIntentToShared(state, intent));
      const entry: KillLogEntry = { cycleId: intent.cycleId, time: intent.time, appIds: intentApps(intent), taskIds: [...intent.taskIds], by: this.o.identity };
      if (signal?.aborted) throw givenUp();
      const t = client
        .transaction()
        .check(node, 0)
        .setData(this.paths.state, serializeShared(next), stat.version)
        .create(`${this.paths.kills}/k_`, Buffer.from(JSON.stringify(entry)), this.acls, CreateMode.PERSISTENT_SEQUENTIAL);
      let results: MultiResult[];
      try {
        results = await commit(t, `fence ${intent.cycleId}`);
      } catch (err) {
        const res = (err as { results?: MultiResult[] }).results ?? [];
        const failed = res.findIndex((r) => r.err !== undefined && r.err !== 0 && r.err !== -2);
        if (failed === 0) throw new ZkFencedError(`our election node ${node} is gone: deposed, no kill`, err);
        if (failed === 1 && res[1]?.err === CODES.BAD_VERSION) {
          await this.backoff(attempt);
          continue;
        }
        const code = (err as ZkError).zkCode;
        if (code === CODES.CONNECTION_LOSS || code === CODES.SESSION_EXPIRED) {
          // The multi may still have been applied: settle it as withdrawn once we can.
          this.withdrawLater(intent.cycleId, undefined);
          throw new ZkFencedError('the ZooKeeper connection dropped during the fencing transaction: no kill', err);
        }
        throw err;
      }
      const killPath = results[2]?.path ?? '';
      if (gen !== this.gen || !this.isLeader() || this.node !== node) {
        this.withdrawLater(intent.cycleId, killPath);
        throw new ZkFencedError('deposed while the fencing transaction ran: no kill');
      }
      this.deliverShared(next, stat.version + 1);
      this.maybePrune(killPath);
      return { killPath, entry };
    }
    throw conflict();
  }

  /** Settles an answer in the shared state and adds it to the kill log entry, in one multi (retried on BadVersion). */
  async settleAnswer(answer: KillAnswer, kill: { killPath: string; entry: KillLogEntry } | undefined): Promise<void> {
    const entry: KillLogEntry | undefined = kill && {
      ...kill.entry,
      outcome: answer.outcome,
      answeredAt: answer.time,
      ...(answer.killedAppIds ? { killedAppIds: answer.killedAppIds } : {}),
    };
    for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
      const { state, version } = await this.readShared();
      const next = this.stamp(applyAnswerToShared(state, answer));
      const t = this.client.transaction().setData(this.paths.state, serializeShared(next), version);
      if (kill && entry) t.setData(kill.killPath, Buffer.from(JSON.stringify(entry)), -1);
      try {
        await this.bounded(commit(t, `answer ${answer.cycleId}`), 'record the kill answer');
        this.deliverShared(next, version + 1);
        return;
      } catch (err) {
        const res = (err as { results?: MultiResult[] }).results ?? [];
        if (res[0]?.err === CODES.BAD_VERSION) {
          await this.backoff(attempt);
          continue;
        }
        // The kill log entry was pruned (or deleted by hand): the state still matters.
        if (res[1]?.err === CODES.NO_NODE) {
          kill = undefined;
          continue;
        }
        throw err;
      }
    }
    throw conflict();
  }

  /**
   * A fenced intent whose kill was not sent (or may not have been recorded): withdraw it from
   * the shared state, in the background, retrying while the session comes back. A multi whose
   * fate was unknown can still land after this ran; it then counts as a kill (the safe side).
   */
  withdrawLater(cycleId: string, killPath: string | undefined): void {
    void (async () => {
      for (let attempt = 0; attempt < 20 && !this.closed; attempt++) {
        try {
          if (this.session === 'connected') {
            let found = false;
            await this.updateShared((s) => {
              found = s.pending[cycleId] !== undefined;
              return found ? settleShared(s, cycleId, new Set()) : undefined;
            });
            // Without the entry's path (the multi's answer was lost), look for it among the newest.
            const path = killPath ?? (found ? await this.findKillEntry(cycleId) : undefined);
            if (path) {
              const { data } = await this.bounded(zk.getData(this.client, path), 'read the kill log entry');
              const e = JSON.parse(data?.toString('utf8') ?? '{}') as KillLogEntry;
              await this.bounded(zk.setData(this.client, path, Buffer.from(JSON.stringify({ ...e, outcome: 'withdrawn', answeredAt: new Date(this.clock.now()).toISOString() })), -1), 'mark the kill log entry');
            }
            if (found || killPath) this.log.warn({ cycleId }, ZK_LOG.withdrawn);
            return;
          }
        } catch (err) {
          if ((err as ZkError).zkCode === CODES.NO_NODE) return;
          if (attempt === 19) this.log.error({ err, cycleId }, ZK_LOG.withdrawFailed);
        }
        try {
          await this.clock.sleep(Math.max(100, this.negotiatedTimeout() / 2), this.stop.signal);
        } catch {
          return;
        }
      }
    })();
  }

  /** The newest kill log entry this instance wrote for the cycle (among the last 20), if any. */
  private async findKillEntry(cycleId: string): Promise<string | undefined> {
    const children = (await this.bounded(zk.getChildren(this.client, this.paths.kills), 'list the kill log')).filter((n) => /_\d{10}$/.test(n)).sort(bySeq);
    for (const name of children.slice(-20).reverse()) {
      const path = `${this.paths.kills}/${name}`;
      const { data } = await this.bounded(zk.getData(this.client, path), 'read the kill log entry');
      const e = JSON.parse(data?.toString('utf8') ?? '{}') as Partial<KillLogEntry>;
      if (e.cycleId === cycleId && e.by === this.o.identity) return path;
    }
    return undefined;
  }

  /** Every tenth of the bound past it (every 100 entries for 1000), deletes the oldest beyond the bound (in the background). */
  private maybePrune(killPath: string): void {
    const seq = seqOf(killPath);
    const every = Math.max(1, Math.ceil(this.killLogKeep / 10));
    if (!Number.isFinite(seq) || seq < this.killLogKeep || seq % every !== 0) return;
    void (async () => {
      try {
        const children = (await zk.getChildren(this.client, this.paths.kills)).filter((n) => /_\d{10}$/.test(n)).sort(bySeq);
        for (const old of children.slice(0, Math.max(0, children.length - this.killLogKeep))) {
          await zk.remove(this.client, `${this.paths.kills}/${old}`).catch((err: unknown) => {
            if ((err as ZkError).zkCode !== CODES.NO_NODE) throw err;
          });
        }
      } catch (err) {
        this.log.warn({ err }, ZK_LOG.pruneFailed);
      }
    })();
  }

  /** The kill log, oldest first (for audits and tests). */
  async killLog(): Promise<(KillLogEntry & { path: string })[]> {
    this.requireConnected('read the kill log');
    const children = (await this.bounded(zk.getChildren(this.client, this.paths.kills), 'list the kill log')).filter((n) => /_\d{10}$/.test(n)).sort(bySeq);
    const out: (KillLogEntry & { path: string })[] = [];
    for (const name of children) {
      const path = `${this.paths.kills}/${name}`;
      try {
        const { data } = await this.bounded(zk.getData(this.client, path), 'read the kill log');
        out.push({ ...(JSON.parse(data?.toString('utf8') ?? '{}') as KillLogEntry), path });
      } catch (err) {
        if ((err as ZkError).zkCode !== CODES.NO_NODE) throw err;
      }
    }
    return out;
  }

  private requireConnected(what: string): void {
    if (this.session !== 'connected') {
      throw new ZkError('E_ZK_UNAVAILABLE', `cannot ${what}: the ZooKeeper session is ${this.session}`, {
        hint: 'wait for ZooKeeper to come back; nothing is killed meanwhile',
      });
    }
  }

  /** An operation's promise, or E_ZK_UNAVAILABLE after `ms` (default min(session timeout, 5 s)): queued requests wait for a reconnection. */
  async bounded<T>(p: Promise<T>, what: string, ms = this.fencingTimeoutMs()): Promise<T> {
    const timer = new AbortController();
    try {
      return await Promise.race([
        p,
        this.clock.sleep(ms, timer.signal).then(
          () => {
            throw new ZkTimeoutError(what, ms);
          },
          () => new Promise<never>(() => undefined),
        ),
      ]);
    } finally {
      timer.abort();
    }
  }
}

function conflict(): ZkError {
  return new ZkError('E_ZK_CONFLICT', `the shared state changed under us ${MAX_TRIES} times in a row`, {
    hint: 'too many instances write at once; nothing was changed — try again',
  });
}

function authOr(err: unknown, target: ZkTarget): unknown {
  if ((err as ZkError).zkCode !== CODES.NO_AUTH) return err;
  return new ZkError('E_ZK_AUTH', `ZooKeeper refused access to ${target.root}: its ACL does not let ${target.auth ? `user ${target.auth.user}` : 'an unauthenticated client'} write there`, {
    hint: target.auth
      ? 'check the user:password in MONKEY_ZK: they must be the ones the nodes were created with (or pick another path)'
      : 'the nodes were created with credentials: put the same user:password@ in MONKEY_ZK',
    cause: err,
  });
}
