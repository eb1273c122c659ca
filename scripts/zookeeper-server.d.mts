/** A running standalone ZooKeeper server on 127.0.0.1 (see zookeeper-server.mjs). */
export interface ZooKeeperServer {
  /** `127.0.0.1:PORT`, a client connection string. */
  readonly connect: string;
  readonly port: number;
  readonly dataDir: string;
  /** The JVM's pid (changes on restart). */
  readonly pid: number;
  /** SIGTERM (SIGKILL after 3 s), then removes the data directory. */
  stop(): Promise<void>;
  /** SIGKILL, nothing else (restart() brings it back on the same port and data). */
  kill(): void;
  /** SIGSTOP: the server holds its sockets open and answers nothing. */
  suspend(): void;
  /** SIGCONT. */
  resume(): void;
  /** Stops the server and starts it again on the same port and data directory. */
  restart(): Promise<void>;
}

export interface StartZooKeeperOptions {
  /** ms; sessions may last from 2 to 100 ticks (default 200: 400 ms to 20 s). */
  tickTime?: number;
  /** fsync the transaction log before answering each write, as a production server does (default false). */
  forceSync?: boolean;
  /** `super:<base64 sha1 of super:password>`: a session authenticated as super may do anything. */
  superDigest?: string;
  readyTimeoutMs?: number;
}

/** Why a server cannot be started here, or undefined. */
export function zookeeperUnavailable(): string | undefined;
export function startZooKeeper(opts?: StartZooKeeperOptions): Promise<ZooKeeperServer>;
