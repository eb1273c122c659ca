import { pino } from 'pino';
import zookeeper from 'node-zookeeper-client';
import type { KillAnswer, KillIntent, KillLedger } from '../../src/domain/ports.js';
import type { Victim } from '../../src/domain/record.js';
import { until } from '../../scripts/shared.mjs';
import { ZkCoordinator, type ZkCoordinatorOptions } from '../../src/zk/index.js';
import { uniqueRoot, zkUrl, zookeeperOrSkip, type ZooKeeperServer } from '../helpers/zookeeper.js';

export const quiet = pino({ level: 'silent' });
export const SESSION_MS = 1500;

/** Polls `pred` every 20 ms until it holds; fails after `ms` naming `what`. */
export async function waitFor(pred: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  await until(async () => ((await pred()) ? true : undefined), ms, what, 20);
}

/** Starts coordinators and closes them all in `closeAll` (an after hook). */
export class Fleet {
  readonly members: ZkCoordinator[] = [];
  constructor(private readonly base: Omit<ZkCoordinatorOptions, 'identity'> & { identity?: string }) {}
  async start(identity: string, o: Partial<ZkCoordinatorOptions> = {}): Promise<ZkCoordinator> {
    const c = await ZkCoordinator.start({ ...this.base, identity, ...o });
    this.members.push(c);
    return c;
  }
  leaders(): ZkCoordinator[] {
    return this.members.filter((c) => c.isLeader());
  }
  async closeAll(): Promise<void> {
    await Promise.all(this.members.splice(0).map((c) => c.close()));
  }
}

/** What a suite of coordinator tests shares: read inside hooks and tests, never at load time. */
export interface ZkSuite {
  /** One server for the file. */
  readonly zk: ZooKeeperServer;
  /** The test's own node path: tests sharing the server never see each other's nodes. */
  readonly root: string;
  /** Coordinators on `root`, closed after the test. */
  readonly fleet: Fleet;
}

/**
 * Registers the mocha hooks of a coordinator suite (call it inside `describe`): a ZooKeeper server
 * for the file (the suite skips where none can start), and for each test a fresh root and a Fleet
 * on it, closed afterwards. The server is resumed first, in case a test left it SIGSTOPped.
 */
export function zkSuite(name: string, auth?: { user: string; password: string }): ZkSuite {
  let zk: ZooKeeperServer | undefined;
  let root = '';
  let fleet: Fleet | undefined;
  before(async function () {
    zk = await zookeeperOrSkip(this);
  });
  after(async () => zk?.stop());
  beforeEach(() => {
    root = uniqueRoot(name);
    fleet = new Fleet({ url: zkUrl(zk!, root, auth), sessionTimeoutMs: SESSION_MS, logger: quiet });
  });
  afterEach(async () => {
    zk?.resume();
    await fleet?.closeAll();
  });
  return {
    get zk() {
      return zk!;
    },
    get root() {
      return root;
    },
    get fleet() {
      return fleet!;
    },
  };
}

/** A local kill ledger that records its calls (the journal ledger's stand-in). */
export class RecordingLedger implements KillLedger {
  intents: KillIntent[] = [];
  answers: KillAnswer[] = [];
  failIntent: Error | undefined;
  recordIntent(intent: KillIntent): Promise<void> {
    if (this.failIntent) return Promise.reject(this.failIntent);
    this.intents.push(intent);
    return Promise.resolve();
  }
  recordAnswer(answer: KillAnswer): Promise<void> {
    this.answers.push(answer);
    return Promise.resolve();
  }
}

const victim = (appId: string, taskId: string): Victim => ({ appId, taskId, host: 'h', agentId: 'ag', rack: null, zone: null });
let seq = 0;
export function intentFor(apps: string[], at = Date.now()): KillIntent {
  const cycleId = `c-${process.pid}-${++seq}`;
  const time = new Date(at).toISOString();
  const victims = apps.map((a, i) => victim(a, `${a.slice(1).replace(/\//g, '_')}.${seq}-${i}`));
  return { cycleId, time, scheduledAt: time, seed: 's', cycleSeed: 's', strategy: 'task', victims, taskIds: victims.map((v) => v.taskId) };
}

/** A bare client (another process's view: an operator's zkCli, a rogue writer). */
export async function rawClient(connect: string, auth?: { user: string; password: string }): Promise<zookeeper.Client> {
  const c = zookeeper.createClient(connect, { sessionTimeout: 4000, spinDelay: 50, retries: 0 });
  if (auth) c.addAuthInfo('digest', Buffer.from(`${auth.user}:${auth.password}`));
  await new Promise<void>((resolve) => {
    c.once('connected', () => resolve());
    c.connect();
  });
  return c;
}

export function rawOp<T>(f: (cb: (err: Error | null, v: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => f((err, v) => (err ? reject(err) : resolve(v))));
}

/**
 * Cuts one coordinator off ZooKeeper (its socket dropped, its reconnections held) as a network
 * partition or a paused process would; `heal` lets it reconnect. Past the session timeout the
 * server expires its session and deletes its ephemeral election node.
 */
export function partition(c: ZkCoordinator): { heal(): void } {
  const client = (c as unknown as { client: { connectionManager: { connect: (this: unknown) => void; socket?: { destroy(): void } } } }).client;
  const cm = client.connectionManager;
  const connect = cm.connect;
  let held = false;
  cm.connect = () => {
    held = true;
  };
  cm.socket?.destroy();
  return {
    heal() {
      cm.connect = connect;
      if (held) connect.call(cm);
    },
  };
}
