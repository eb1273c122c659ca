// A real, standalone ZooKeeper server on 127.0.0.1 for the tests (test/helpers/zookeeper.ts) and
// the fencing benchmark (scripts/bench-fencing.mjs): Debian's package (apt-get install zookeeper,
// see scripts/test-tools.sh) run straight from its jar, on a free port, with its own temporary data
// directory, no admin server and a short tick so sessions of ~1 s are allowed.
//
// Plain JavaScript so the benchmark (node on dist/) and the tests (tsx) share it; its types are in
// zookeeper-server.d.mts.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zookeeper from 'node-zookeeper-client';
import { freePort, sleep } from './shared.mjs';

/** The jar Debian installs; its manifest's Class-Path names every dependency under /usr/share/java. */
const DEBIAN_JAR = '/usr/share/java/zookeeper.jar';

/** Why a server cannot be started here (undefined: it can), in words a test can skip with. */
export function zookeeperUnavailable() {
  const cp = process.env.ZOOKEEPER_CLASSPATH ?? DEBIAN_JAR;
  if (!process.env.ZOOKEEPER_CLASSPATH && !existsSync(DEBIAN_JAR)) {
    return `ZooKeeper is not installed (${DEBIAN_JAR} missing): run scripts/test-tools.sh as root, or apt-get install zookeeper`;
  }
  if (!cp) return 'ZOOKEEPER_CLASSPATH is empty';
  const java = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (java.error || java.status !== 0) return 'java is not installed (ZooKeeper needs it): run scripts/test-tools.sh as root, or apt-get install default-jre-headless';
  return undefined;
}

/**
 * Resolves once a client gets a session from the server at `connect`. Each attempt has its own
 * client and 1 s: a client that reaches the port while the server is still starting may wait for
 * ever for an answer (node-zookeeper-client has no read timeout), so it is dropped and another tried.
 */
async function waitServing(connect, timeoutMs, exited) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = exited();
    if (why) throw new Error(why);
    if (await tryConnect(connect, 1000)) return;
    if (Date.now() > deadline) throw new Error(`ZooKeeper did not serve on ${connect} within ${timeoutMs} ms`);
    await sleep(50);
  }
}

function tryConnect(connect, ms) {
  return new Promise((resolve) => {
    const client = zookeeper.createClient(connect, { sessionTimeout: 4000, spinDelay: 50, retries: 0 });
    const timer = setTimeout(() => {
      client.close();
      // A client stuck before its session never sends the close; drop its socket.
      client.connectionManager?.socket?.destroy();
      resolve(false);
    }, ms);
    client.once('connected', () => {
      clearTimeout(timer);
      client.close();
      resolve(true);
    });
    client.connect();
  });
}

/**
 * Starts a standalone server. Options: tickTime (ms, default 200: sessions from 2 ticks, 400 ms,
 * to 20 s), forceSync (fsync the transaction log before answering a write, as production does;
 * default off), superDigest (`super:<base64 sha1>`, lets a test act as the super user),
 * readyTimeoutMs (default 20000).
 */
export async function startZooKeeper(opts = {}) {
  const why = zookeeperUnavailable();
  if (why) throw new Error(why);
  const tickTime = opts.tickTime ?? 200;
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'monkey-zk-'));
  const dataDir = join(dir, 'data');
  const cfg = join(dir, 'zoo.cfg');
  writeFileSync(
    cfg,
    [
      `tickTime=${tickTime}`,
      `dataDir=${dataDir}`,
      `clientPort=${port}`,
      'clientPortAddress=127.0.0.1',
      `minSessionTimeout=${2 * tickTime}`,
      `maxSessionTimeout=${100 * tickTime}`,
      'admin.enableServer=false',
      '4lw.commands.whitelist=',
      // No fsync of the transaction log per write in tests (a test box's disk); the benchmark turns it on.
      `forceSync=${opts.forceSync ? 'yes' : 'no'}`,
      '',
    ].join('\n'),
  );
  const connect = `127.0.0.1:${port}`;
  const classpath = process.env.ZOOKEEPER_CLASSPATH ?? DEBIAN_JAR;
  const jvm = ['-Xmx128m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xshare:auto'];
  if (opts.superDigest) jvm.push(`-Dzookeeper.DigestAuthenticationProvider.superDigest=${opts.superDigest}`);

  let child;
  let exitNote;
  let stderr = '';
  const launch = async () => {
    exitNote = undefined;
    stderr = '';
    child = spawn('java', [...jvm, '-cp', classpath, 'org.apache.zookeeper.server.ZooKeeperServerMain', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => {
      stderr = (stderr + d).slice(-4000);
    });
    const me = child;
    me.on('error', (e) => {
      exitNote = `java could not start: ${e.message}`;
    });
    me.on('exit', (code, signal) => {
      exitNote = `ZooKeeper exited (${signal ?? code}): ${stderr.trim().split('\n').slice(-5).join(' | ')}`;
    });
    try {
      await waitServing(connect, opts.readyTimeoutMs ?? 20_000, () => (child === me ? exitNote : undefined));
    } catch (err) {
      me.kill('SIGKILL');
      throw err;
    }
  };
  const waitExit = async (ms) => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return true;
    const gone = new Promise((r) => c.once('exit', () => r(true)));
    return Promise.race([gone, sleep(ms).then(() => false)]);
  };
  const signal = (sig) => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill(sig);
  };
  const halt = async () => {
    signal('SIGCONT');
    signal('SIGTERM');
    if (!(await waitExit(3000))) {
      signal('SIGKILL');
      await waitExit(3000);
    }
  };

  // A test run that dies without its after hooks must not leave a JVM behind.
  const onExit = () => {
    signal('SIGCONT');
    signal('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', onExit);

  await launch().catch((err) => {
    process.off('exit', onExit);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });

  return {
    connect,
    port,
    dataDir,
    get pid() {
      return child.pid;
    },
    async stop() {
      await halt();
      process.off('exit', onExit);
      rmSync(dir, { recursive: true, force: true });
    },
    kill() {
      signal('SIGCONT');
      signal('SIGKILL');
    },
    suspend() {
      signal('SIGSTOP');
    },
    resume() {
      signal('SIGCONT');
    },
    async restart() {
      await halt();
      await launch();
    },
  };
}
