// Benchmark: failover of several daemons on ZooKeeper (issue 12), with real processes.
//
//   npm run bench:failover      (builds, then node scripts/bench-failover.mjs)
//
// A real ZooKeeper on 127.0.0.1 (scripts/zookeeper-server.mjs, Debian's package), the simulator in
// this process (fast relaunches) and BENCH_DAEMONS (default 3) `marathon-monkey run` processes of
// the built CLI, a slot every second, real kills, one kill per cycle, 60 minutes between two kills
// of one app, BENCH_APPS (default 300) opted-in apps so the minimum time between kills never runs
// out of victims. BENCH_TRIES (default 20) times: find the leader, kill -9 it, and measure
//   failover   kill -9 → the first cycle the new leader journals (its record's time), and
//   first kill kill -9 → the first kill request the simulator gets from the new leader;
// then start a replacement so the number of daemons stays the same.
// Afterwards, over the whole run:
//   duplicated kills   an app killed more than once (every kill of the run is within the 60 minutes)
//   lost kills         a kill request the simulator got that no journal holds as an intent, or a
//                      killed app missing from the shared state's last kills (must both be 0)
//   unsent intents     intents journaled (and counted, in ZooKeeper too) whose request never left:
//                      the leader died between the intent and the request; the safe side, reported
// BENCH_SESSION_MS (default 2000) is the ZooKeeper session timeout (the server's tick is 200 ms).
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseScenario, startSimulator } from '../dist/sim/index.js';
import { daemonEnv, journalRecords, sleep, until as pollUntil } from './shared.mjs';
import { startZooKeeper, zookeeperUnavailable } from './zookeeper-server.mjs';

const TRIES = Number(process.env.BENCH_TRIES ?? 20);
const DAEMONS = Number(process.env.BENCH_DAEMONS ?? 3);
const APPS = Number(process.env.BENCH_APPS ?? 300);
const SESSION_MS = Number(process.env.BENCH_SESSION_MS ?? 2000);
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

const unavailable = zookeeperUnavailable();
if (unavailable) {
  console.error(`bench-failover: ${unavailable}`);
  process.exit(1);
}

// Polled every 20 ms; a journal read as kill -9 leaves it (a torn line skipped).
const until = (f, timeoutMs, what) => pollUntil(f, timeoutMs, what, 20);
const records = (path) => journalRecords(path, { skipTorn: true });

const hc = [{ protocol: 'MESOS_HTTP', path: '/health', gracePeriodSeconds: 60, intervalSeconds: 10, maxConsecutiveFailures: 3 }];
const sim = await startSimulator({
  scenario: parseScenario(
    {
      seed: 'bench-failover',
      timings: { killGraceMs: 50, relaunchDelayMs: 50, stagingMs: 50, startingMs: 50, healthyAfterMs: 150 },
      agents: [{ hostname: '10.0.0.1' }, { hostname: '10.0.0.2' }, { hostname: '10.0.0.3' }, { hostname: '10.0.0.4' }],
      apps: Array.from({ length: APPS }, (_, i) => ({ id: `/bench/app-${String(i).padStart(3, '0')}`, instances: 3, labels: { 'monkey.enabled': 'true' }, healthChecks: hc })),
    },
    'bench-failover',
  ),
});
const zk = await startZooKeeper({ tickTime: 200 });
const dir = mkdtempSync(join(tmpdir(), 'bench-failover-'));
const zkUrl = `zk://${zk.connect}/bench-failover`;

const env = (journal) =>
  daemonEnv(sim, journal, {
    MONKEY_MIN_KILL_INTERVAL: '60',
    MONKEY_SEED: 'bench-failover',
    MONKEY_ZK: zkUrl,
    MONKEY_ZK_SESSION_TIMEOUT_MS: String(SESSION_MS),
    MONKEY_LOG_FORMAT: 'json',
  });

const daemons = [];
let started = 0;
async function startDaemon() {
  const journal = join(dir, `d${started++}.jsonl`);
  const child = spawn(process.execPath, [CLI, 'run'], { env: env(journal), stdio: ['ignore', 'pipe', 'pipe'] });
  const d = { journal, child, out: '', url: undefined, dead: false };
  child.stdout.on('data', (b) => (d.out += b.toString()));
  child.stderr.on('data', (b) => (d.out += b.toString()));
  child.on('exit', () => (d.dead = true));
  daemons.push(d);
  d.url = await until(() => /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(d.out)?.[1], 15_000, 'a daemon to listen');
  return d;
}
async function role(d) {
  try {
    const res = await fetch(`${d.url}/status`, { signal: AbortSignal.timeout(500) });
    return (await res.json()).role;
  } catch {
    return undefined;
  }
}
const alive = () => daemons.filter((d) => !d.dead);
async function leader(timeoutMs) {
  return until(
    async () => {
      const live = alive();
      const roles = await Promise.all(live.map(role));
      return roles.filter((r) => r === 'leader').length === 1 && roles.filter((r) => r === 'standby').length === live.length - 1 ? live[roles.indexOf('leader')] : undefined;
    },
    timeoutMs,
    'exactly one leader',
  );
}

const failovers = [];
const firstKills = [];
try {
  for (let i = 0; i < DAEMONS; i++) await startDaemon();
  for (let t = 0; t < TRIES; t++) {
    const old = await leader(30_000);
    // Let the leader kill at least once in its term, at a moment of its cycle the clock chooses.
    const killsBefore = sim.killRequests.length;
    await until(() => (sim.killRequests.length > killsBefore ? true : undefined), 15_000, 'a kill by the leader');
    await sleep(Math.floor(Math.random() * 1000));
    const killedAt = Date.now();
    old.child.kill('SIGKILL');
    const others = alive().filter((d) => d !== old);
    const first = await until(
      () => {
        const firsts = others.map((d) => records(d.journal).find((r) => r.type === 'cycle' && Date.parse(r.time) > killedAt)).filter((r) => r !== undefined);
        return firsts.length > 0 ? firsts.sort((a, b) => Date.parse(a.time) - Date.parse(b.time))[0] : undefined;
      },
      SESSION_MS * 5 + 10_000,
      'the new leader’s first cycle',
    );
    failovers.push(Date.parse(first.time) - killedAt);
    const kill = await until(() => sim.killRequests.find((k) => k.at > killedAt + 0), SESSION_MS * 5 + 10_000, 'the new leader’s first kill');
    firstKills.push(kill.at - killedAt);
    process.stderr.write(`try ${t + 1}/${TRIES}: failover ${failovers.at(-1)} ms, first kill ${firstKills.at(-1)} ms\n`);
    await startDaemon();
  }
  await sleep(1500);
  // The shared state as a live instance serves it.
  const live = await leader(30_000);
  const status = await (await fetch(`${live.url}/status`)).json();
  const sharedApps = new Set(Object.keys(status.shared?.lastKillAt ?? {}));
  for (const d of alive()) {
    d.child.kill('SIGTERM');
    await new Promise((r) => d.child.once('exit', r));
  }

  // Every journal (the dead leaders' too): intents by task id, and which intents never got a request.
  const intentTasks = new Map();
  for (const d of daemons) {
    const all = records(d.journal);
    const withdrawn = new Set(all.filter((r) => r.type === 'kill-answer' && r.outcome === 'withdrawn').map((r) => r.cycleId));
    for (const r of all) if (r.type === 'kill-intent' && !withdrawn.has(r.cycleId)) for (const id of r.taskIds) intentTasks.set(id, r.victims.find((v) => v.taskId === id)?.appId);
  }
  const requested = sim.killRequests.flatMap((k) => k.ids);
  // The simulator's task ids start with the app id, slashes as underscores (src/sim/ids.ts).
  const appOf = (taskId) => `/${taskId.split('.')[0].replaceAll('_', '/')}`;
  const requestedApps = requested.map((id) => intentTasks.get(id) ?? appOf(id));
  const perApp = new Map();
  for (const a of requestedApps) perApp.set(a, (perApp.get(a) ?? 0) + 1);
  const duplicated = [...perApp].filter(([, n]) => n > 1);
  const withoutIntent = requested.filter((id) => !intentTasks.has(id));
  const missingInShared = [...new Set(requestedApps)].filter((a) => !sharedApps.has(a));
  const requestedSet = new Set(requested);
  const unsent = [...intentTasks.keys()].filter((id) => !requestedSet.has(id));

  const stats = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const q = (p) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
    return { min: s[0], median: q(0.5), p95: q(0.95), max: s.at(-1) };
  };
  const result = {
    tries: TRIES,
    daemons: DAEMONS,
    sessionTimeoutMs: SESSION_MS,
    cycleEveryMs: 1000,
    failoverMs: stats(failovers),
    firstKillMs: stats(firstKills),
    kills: requested.length,
    duplicatedKills: duplicated.length,
    lostKills: { requestsWithoutIntent: withoutIntent.length, killedAppsMissingFromSharedState: missingInShared.length },
    unsentIntents: unsent.length,
  };
  console.log(JSON.stringify(result, null, 2));
  const ok = duplicated.length === 0 && withoutIntent.length === 0 && missingInShared.length === 0;
  if (!ok) {
    console.error('FAILED', { duplicated, withoutIntent, missingInShared });
    process.exitCode = 1;
  }
} finally {
  for (const d of daemons) if (!d.dead) d.child.kill('SIGKILL');
  await zk.stop();
  await sim.close();
}
