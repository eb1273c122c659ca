/**
 * Several real daemon processes on one simulated cluster and one real ZooKeeper (issue 12): start
 * them, find their control URLs, ask each for its role, and tell whose journal a kill request the
 * simulator saw came from.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { RunningSim } from '../../src/sim/index.js';
import { sleep, until } from '../../scripts/shared.mjs';
import { daemonEnv, journalRecords, startCli, tempDir, type RunningCli } from '../helpers/cli.js';
import { zookeeperOrSkip, type ZooKeeperServer } from '../helpers/zookeeper.js';
import { simWith } from './scenarios.js';

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const CONTROL_TOKEN = 'zk-e2e-control-token';

export interface Monkey {
  readonly name: string;
  readonly journal: string;
  readonly cli: RunningCli;
  /** The control server, once it listens. */
  url: string;
}

export { sleep, until };

/** Cycle records that are not skips: what only a leader writes. */
export function cycles(m: Monkey): Json[] {
  return journalRecords(m.journal, { skipTorn: true }).filter((r) => r.type === 'cycle' && r.outcome !== 'skipped');
}

/** Task ids of the kill intents a journal holds whose request may have left (not withdrawn before it). */
export function journaledKills(m: Monkey): Set<string> {
  const all = journalRecords(m.journal, { skipTorn: true });
  const withdrawn = new Set(all.filter((r) => r.type === 'kill-answer' && r.outcome === 'withdrawn').map((r) => r.cycleId as string));
  return new Set(all.filter((r) => r.type === 'kill-intent' && !withdrawn.has(r.cycleId as string)).flatMap((r) => r.taskIds as string[]));
}

export class Fleet {
  readonly monkeys: Monkey[] = [];
  /** Each fleet has its own node, so tests sharing a server never see each other's leader. */
  readonly zkUrl: string;

  constructor(
    private readonly sim: RunningSim,
    zkConnect: string,
    private readonly dir: string,
    private readonly extra: Record<string, string> = {},
  ) {
    this.zkUrl = `zk://${zkConnect}/monkey-${randomBytes(4).toString('hex')}`;
  }

  env(journal: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return daemonEnv(this.sim, journal, {
      MONKEY_ZK: this.zkUrl,
      MONKEY_ZK_SESSION_TIMEOUT_MS: '1500',
      MONKEY_MIN_KILL_INTERVAL: '60',
      MONKEY_CONTROL_TOKEN: CONTROL_TOKEN,
      MONKEY_SEED: 'zk-e2e',
      MONKEY_LOG_LEVEL: 'debug',
      ...this.extra,
      ...extra,
    });
  }

  /** Starts one more daemon and waits for its control server. */
  async start(extra: Record<string, string> = {}): Promise<Monkey> {
    const name = `m${this.monkeys.length}`;
    const journal = join(this.dir, `${name}.jsonl`);
    const cli = startCli(['run'], this.env(journal, extra));
    const m: Monkey = { name, journal, cli, url: '' };
    this.monkeys.push(m);
    await cli.waitFor((o) => o.stdout.includes('marathon-monkey started'), 15_000, `${name} started`);
    const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(cli.stdout)?.[1];
    if (url === undefined) throw new Error(`${name}: no control URL in\n${cli.stdout}`);
    m.url = url;
    return m;
  }

  alive(): Monkey[] {
    return this.monkeys.filter((m) => m.cli.child.exitCode === null && m.cli.child.signalCode === null);
  }

  async status(m: Monkey): Promise<Json | undefined> {
    try {
      const res = await fetch(`${m.url}/status`, { signal: AbortSignal.timeout(1000) });
      return (await res.json()) as Json;
    } catch {
      return undefined;
    }
  }

  /** Each live daemon's role as its /status says (undefined: no answer). */
  async roles(among: Monkey[] = this.alive()): Promise<(string | undefined)[]> {
    return Promise.all(among.map(async (m) => (await this.status(m))?.role as string | undefined));
  }

  /** Waits until exactly one of `among` says leader and all the others standby; returns the leader. */
  async leader(timeoutMs: number, among: Monkey[] = this.alive()): Promise<Monkey> {
    return until(
      async () => {
        const roles = await this.roles(among);
        const leaders = roles.filter((r) => r === 'leader').length;
        const standbys = roles.filter((r) => r === 'standby').length;
        return leaders === 1 && standbys === among.length - 1 ? among[roles.indexOf('leader')] : undefined;
      },
      timeoutMs,
      `exactly one leader among ${among.map((m) => m.name).join(', ')}`,
    );
  }

  async control(m: Monkey, path: '/pause' | '/resume', body: Record<string, string>): Promise<{ status: number; json: Json }> {
    const res = await fetch(`${m.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CONTROL_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Json };
  }

  /** SIGTERM to each live daemon (standbys first, so no standby takes over meanwhile), then waits. */
  async stop(): Promise<void> {
    const order = [...this.alive()].sort((a, b) => Number(a.cli.stdout.includes('"role":"leader"')) - Number(b.cli.stdout.includes('"role":"leader"')));
    for (const m of order) {
      m.cli.signal('SIGCONT');
      m.cli.signal('SIGTERM');
      await m.cli.exited;
    }
  }

  cleanup(): void {
    for (const m of this.monkeys) m.cli.cleanup();
  }
}

/** What a file of these tests shares: read inside the tests, never at load time. */
export interface ZkE2e {
  /** One server for the file, tick 200 ms. */
  readonly zk: ZooKeeperServer;
  /** The test's own temporary directory. */
  readonly dir: string;
  /** A simulated cluster with these apps (scenarios.ts simWith), closed after the test. */
  sim(apps: Record<string, unknown>[]): Promise<RunningSim>;
  /** A fleet on `sim`, this server and the test's directory; its daemons are killed after the test. */
  fleet(sim: RunningSim, extra?: Record<string, string>): Fleet;
}

/**
 * Registers the mocha hooks of a file of these tests (call it inside `describe`): a ZooKeeper server
 * for the file (the suite skips where none can start), a temporary directory per test, and after
 * each test its daemons killed and its simulator closed. The server is resumed before it is stopped,
 * in case a test left it SIGSTOPped.
 */
export function zkE2e(dirPrefix: string): ZkE2e {
  let zk: ZooKeeperServer | undefined;
  let dir = '';
  let sim: RunningSim | undefined;
  let fleet: Fleet | undefined;
  before(async function () {
    zk = await zookeeperOrSkip(this, { tickTime: 200 });
  });
  after(async () => {
    zk?.resume();
    await zk?.stop();
  });
  beforeEach(() => {
    dir = tempDir(dirPrefix);
  });
  afterEach(async () => {
    fleet?.cleanup();
    fleet = undefined;
    await sim?.close();
    sim = undefined;
  });
  return {
    get zk() {
      return zk!;
    },
    get dir() {
      return dir;
    },
    async sim(apps) {
      sim = await simWith(apps);
      return sim;
    },
    fleet(s, extra) {
      fleet = new Fleet(s, zk!.connect, dir, extra);
      return fleet;
    },
  };
}

/** Which fleet member journaled each kill request the simulator saw (undefined: none did). */
export function killSources(sim: RunningSim, fleet: Fleet): { at: number; ids: readonly string[]; by: string | undefined }[] {
  const byTask = new Map<string, string>();
  for (const m of fleet.monkeys) for (const id of journaledKills(m)) byTask.set(id, m.name);
  return sim.killRequests.map((k) => ({ at: k.at, ids: k.ids, by: k.ids.map((id) => byTask.get(id)).find((x) => x !== undefined) }));
}
