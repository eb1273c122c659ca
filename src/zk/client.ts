import { createHash } from 'node:crypto';
import zookeeper from 'node-zookeeper-client';
import { ZkError } from './errors.js';

/**
 * A typed, promise-based face of node-zookeeper-client (callbacks and loosely typed results
 * underneath). Every call fails with a ZkError whose zkCode is ZooKeeper's own code.
 */
export type Client = zookeeper.Client;
export type Stat = zookeeper.Stat;
export type ZkEvent = zookeeper.Event;

export const { CreateMode, Exception, Event, State } = zookeeper;
export const CODES = {
  NO_NODE: zookeeper.Exception.NO_NODE,
  NODE_EXISTS: zookeeper.Exception.NODE_EXISTS,
  BAD_VERSION: zookeeper.Exception.BAD_VERSION,
  NO_AUTH: zookeeper.Exception.NO_AUTH,
  AUTH_FAILED: zookeeper.Exception.AUTH_FAILED,
  CONNECTION_LOSS: zookeeper.Exception.CONNECTION_LOSS,
  SESSION_EXPIRED: zookeeper.Exception.SESSION_EXPIRED,
  NOT_EMPTY: zookeeper.Exception.NOT_EMPTY,
} as const;

export function createClient(servers: string, sessionTimeoutMs: number): Client {
  // retries 0: no blind retry of a request whose fate is unknown; spinDelay: the pause between
  // connection attempts once every server was tried.
  return zookeeper.createClient(servers, { sessionTimeout: sessionTimeoutMs, spinDelay: 200, retries: 0 });
}

/**
 * Drops the client's socket. node-zookeeper-client has no read timeout: against a server that
 * stopped answering (SIGSTOP, a frozen VM) its connection would look alive for ever, so the
 * coordinator's watchdog calls this and the library reconnects. Reaches into the library's
 * internals (pinned ^1.1.3); when they are not there it does nothing.
 */
export function dropSocket(client: Client): void {
  const cm = (client as unknown as { connectionManager?: { socket?: { destroy?: () => void } } }).connectionManager;
  cm?.socket?.destroy?.();
}

/** ACLs: with credentials, all rights for them and read for anyone; without, open (ZooKeeper's OPEN_ACL_UNSAFE). */
export function aclsFor(auth: { user: string; password: string } | undefined): zookeeper.ACL[] {
  const P = zookeeper.Permission;
  if (!auth) return [new zookeeper.ACL(P.ALL, new zookeeper.Id('world', 'anyone'))];
  const digest = createHash('sha1').update(`${auth.user}:${auth.password}`).digest('base64');
  return [new zookeeper.ACL(P.ALL, new zookeeper.Id('digest', `${auth.user}:${digest}`)), new zookeeper.ACL(P.READ, new zookeeper.Id('world', 'anyone'))];
}

function wrap(op: string, path: string, err: unknown): ZkError {
  const e = err as { code?: unknown; name?: unknown; message?: unknown };
  const zkCode = typeof e.code === 'number' ? e.code : undefined;
  const what = typeof e.name === 'string' && zkCode !== undefined ? e.name : typeof e.message === 'string' ? e.message : String(err);
  return new ZkError('E_ZK_UNAVAILABLE', `ZooKeeper ${op} ${path} failed: ${what}`, {
    hint: 'check that ZooKeeper is up and reachable; the monkey kills nothing while it cannot write its state',
    ...(zkCode === undefined ? {} : { zkCode }),
  });
}

type Cb<T> = (error: Error | zookeeper.Exception | null, value: T) => void;
function call<T>(op: string, path: string, f: (cb: Cb<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    f((error, value) => (error ? reject(wrap(op, path, error)) : resolve(value)));
  });
}

export const zk = {
  create: (c: Client, path: string, data: Buffer, acls: zookeeper.ACL[], mode: number): Promise<string> =>
    call<string>('create', path, (cb) => c.create(path, data, acls, mode, cb)),
  /** undefined when the node does not exist. */
  exists: (c: Client, path: string, watcher?: (e: ZkEvent) => void): Promise<Stat | undefined> =>
    call<Stat | null>('exists', path, (cb) => (watcher ? c.exists(path, watcher, cb as Cb<Stat>) : c.exists(path, cb as Cb<Stat>))).then((s) => s ?? undefined),
  getData: (c: Client, path: string, watcher?: (e: ZkEvent) => void): Promise<{ data: Buffer | null; stat: Stat }> =>
    new Promise((resolve, reject) => {
      const cb = (error: Error | zookeeper.Exception | null, data: Buffer, stat: Stat): void => (error ? reject(wrap('getData', path, error)) : resolve({ data: data ?? null, stat }));
      if (watcher) c.getData(path, watcher, cb);
      else c.getData(path, cb);
    }),
  setData: (c: Client, path: string, data: Buffer, version: number): Promise<Stat> => call<Stat>('setData', path, (cb) => c.setData(path, data, version, cb)),
  getChildren: (c: Client, path: string, watcher?: (e: ZkEvent) => void): Promise<string[]> =>
    new Promise((resolve, reject) => {
      const cb = (error: Error | zookeeper.Exception | null, children: string[]): void => (error ? reject(wrap('getChildren', path, error)) : resolve(children));
      if (watcher) c.getChildren(path, watcher, cb);
      else c.getChildren(path, cb);
    }),
  remove: (c: Client, path: string, version = -1): Promise<void> => call<void>('delete', path, (cb) => c.remove(path, version, cb as (e: Error | zookeeper.Exception | null) => void)),
};

/** One operation of a multi, as ZooKeeper answers it: err 0 = applied (when another failed, rolled back). */
export interface MultiResult {
  type: number;
  err?: number;
  path?: string;
  stat?: Stat;
}

/** Runs a multi; rejects with the first failing operation's code and `results` (one per operation). */
export function commit(t: zookeeper.Transaction, what: string): Promise<MultiResult[]> {
  return new Promise((resolve, reject) => {
    t.commit((error, results: unknown) => {
      const res = Array.isArray(results) ? (results as MultiResult[]) : [];
      if (error) reject(Object.assign(wrap('multi', what, error), { results: res }));
      else resolve(res);
    });
  });
}
