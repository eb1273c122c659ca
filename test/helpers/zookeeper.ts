/**
 * A real ZooKeeper server for the tests (Debian's package, installed by scripts/test-tools.sh):
 *
 *   before(async function () { zk = await zookeeperOrSkip(this); });   // one server per file
 *   after(async () => zk?.stop());
 *   const url = zkUrl(zk, uniqueRoot('election'));                       // one root per test
 *
 * The start logic lives in scripts/zookeeper-server.mjs, shared with the fencing benchmark.
 */
import { skipForMissingTool } from './tools.js';
import { startZooKeeper, zookeeperUnavailable, type StartZooKeeperOptions, type ZooKeeperServer } from '../../scripts/zookeeper-server.mjs';

export { startZooKeeper, zookeeperUnavailable, type StartZooKeeperOptions, type ZooKeeperServer };

/** Starts a server, or skips the suite (saying why) where ZooKeeper or java is not installed. */
export async function zookeeperOrSkip(ctx: Mocha.Context, opts?: StartZooKeeperOptions): Promise<ZooKeeperServer> {
  const why = zookeeperUnavailable();
  if (why !== undefined) skipForMissingTool(ctx, why);
  return startZooKeeper(opts);
}

let n = 0;
/** A fresh node path for one test: tests sharing a server never see each other's nodes. */
export function uniqueRoot(name = 'monkey'): string {
  return `/t${process.pid}-${++n}-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

/** The zk:// URL of a root on the server, with optional credentials. */
export function zkUrl(zk: ZooKeeperServer, root: string, auth?: { user: string; password: string }): string {
  return `zk://${auth ? `${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.password)}@` : ''}${zk.connect}${root}`;
}
