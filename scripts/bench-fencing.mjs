// Benchmark: what ZooKeeper fencing adds to each kill (issue 12).
//
//   npm run bench:fencing        (= npm run build && node scripts/bench-fencing.mjs)
//
// Starts a real standalone ZooKeeper on 127.0.0.1 (scripts/zookeeper-server.mjs, Debian's package;
// fsync of its transaction log on, as in production), a leader and one standby ZkCoordinator, and
// runs N recordIntent + recordAnswer pairs through the leader's fenced ledger, with a local ledger
// that does nothing (so only the ZooKeeper part is timed). Per kill:
//   intent   the fencing step: read <root>/state, veto, ONE multi (check our election node +
//            setData state + create the kill log entry), leadership re-checked
//   answer   read <root>/state + ONE multi (setData state + the answer into the kill log entry)
//   pair     both: what one kill costs in ZooKeeper round trips
//   rtt      one plain exists() round trip on the same session, for scale
// BENCH_KILLS (default 200), BENCH_FSYNC (default 1; 0 = forceSync=no, as the tests run).
import { pino } from 'pino';
import { ZkCoordinator } from '../dist/zk/index.js';
import { startZooKeeper, zookeeperUnavailable } from './zookeeper-server.mjs';

const KILLS = Number(process.env.BENCH_KILLS ?? 200);
const FSYNC = (process.env.BENCH_FSYNC ?? '1') !== '0';
const WARMUP = 20;

const why = zookeeperUnavailable();
if (why) {
  console.error(`bench-fencing: ${why}`);
  process.exit(2);
}

const logger = pino({ level: 'warn' });
const zk = await startZooKeeper({ forceSync: FSYNC });
const url = `zk://${zk.connect}/bench-fencing`;
const coordinators = [];
try {
  const leader = await ZkCoordinator.start({ url, sessionTimeoutMs: 4000, identity: 'bench-leader', logger });
  coordinators.push(leader);
  coordinators.push(await ZkCoordinator.start({ url, sessionTimeoutMs: 4000, identity: 'bench-standby', logger }));
  for (let i = 0; i < 100 && !leader.isLeader(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!leader.isLeader()) throw new Error('the first coordinator did not become leader');

  const local = { recordIntent: async () => undefined, recordAnswer: async () => undefined };
  const ledger = leader.fencedLedger(local, { minKillIntervalMs: 0 });
  const intentMs = [];
  const answerMs = [];
  const pairMs = [];
  const rttMs = [];
  const client = leader['client'];
  for (let i = 0; i < WARMUP + KILLS; i++) {
    const time = new Date().toISOString();
    const appId = `/bench/app-${i % 25}`;
    const taskId = `bench_app-${i % 25}.${i}`;
    const cycleId = `bench-${i}`;
    const intent = { cycleId, time, scheduledAt: time, seed: 'bench', cycleSeed: 'bench', strategy: 'task', victims: [{ appId, taskId, host: 'h', agentId: 'a', rack: null, zone: null }], taskIds: [taskId] };
    const t0 = performance.now();
    await ledger.recordIntent(intent);
    const t1 = performance.now();
    await ledger.recordAnswer({ cycleId, time: new Date().toISOString(), outcome: 'answered', killedAppIds: [appId], matched: [taskId], unmatched: [] });
    const t2 = performance.now();
    await new Promise((resolve, reject) => client.exists('/', (err) => (err ? reject(err) : resolve())));
    const t3 = performance.now();
    if (i < WARMUP) continue;
    intentMs.push(t1 - t0);
    answerMs.push(t2 - t1);
    pairMs.push(t2 - t0);
    rttMs.push(t3 - t2);
  }
  const log = await leader.killLog();
  const { state } = await leader.readShared();
  const q = (xs, p) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
  };
  const row = (name, xs) => `${name.padEnd(8)} median ${q(xs, 50).toFixed(2).padStart(6)} ms   p95 ${q(xs, 95).toFixed(2).padStart(6)} ms   max ${Math.max(...xs).toFixed(2).padStart(6)} ms`;
  console.log(`fencing cost per kill: ${KILLS} kills (after ${WARMUP} warm-up) against ZooKeeper 3.8 on 127.0.0.1, forceSync=${FSYNC ? 'yes' : 'no'}`);
  console.log(row('intent', intentMs));
  console.log(row('answer', answerMs));
  console.log(row('pair', pairMs));
  console.log(row('rtt', rttMs));
  console.log(`kill log entries: ${log.length} (all answered: ${log.every((e) => e.outcome === 'answered')}); pending intents left: ${Object.keys(state.pending).length}`);
} finally {
  for (const c of coordinators) await c.close();
  await zk.stop();
}
