// Benchmark: what probing the service costs the monkey (issue 11): 100 apps × 3 tasks, each with
// an HTTP path probe of every task (monkey.probe.http=/health, monkey.probe.interval-ms=500),
// during one real rack kill. Targets: event-loop lag p99 < 20 ms, added RSS < 20 MB.
//
//   npm run bench:probes          (= npm run build && node scripts/bench-probes.mjs)
//
// What is measured, and where. The simulated cluster (Marathon, the Mesos master and the 300 task
// endpoints the probes reach, each a real listener on 127.0.0.1) runs in a child process of its
// own, so its serving cost is not counted against the monkey: every figure is the monkey process's
// own. The monkey is a fresh child process per run (node --expose-gc, MALLOC_ARENA_MAX=2, as the
// Docker image runs it) on the real code path of a cycle: the configuration loaded from MONKEY_*
// variables (strategy rack, dry run off, info logging to /dev/null), clientsFrom (MarathonClient,
// the Mesos agents, the event stream, the ServiceProbes prober) and runCycle: the listing, the guards
// with the before-kill probes (one round of every candidate's probes), the rack kill (each app has
// one task per rack: one rack holds 100 victims), then the recovery watch of the 100 apps, their
// probes sampling every 500 ms until each is back by Marathon's counts and a whole round of its
// probes passed. Only the kill ledger is a no-op (no journal file), as in bench-recovery.
//
// Each run measures the same rack kill twice, each on a fresh cluster and in a fresh process:
// `without` (no prober: Marathon's counts alone) and `with` the probes, so the probes' own share can
// be told from what a 100-app rack kill costs anyway.
//
//   event-loop lag   perf_hooks.monitorEventLoopDelay (resolution BENCH_LAG_RESOLUTION_MS = 10 ms),
//                    enabled from just before runCycle until it returns; the resolution is
//                    subtracted (the histogram records the whole time between two of its ticks).
//   RSS              baseline: after start-up, the clients built, one planning cycle (the cycle's
//                    code loaded and compiled) and a full gc; peak: the highest of
//                    process.memoryUsage().rss sampled every 20 ms during the cycle and of
//                    resourceUsage().maxRSS; added = peak − baseline. Also the heap's growth and
//                    V8's new space at its largest (where most of the growth goes).
//   targets, rounds, samples   from the cycle's onProbeRound callback and its record.
//
// The simulated relaunch is stretched (healthy 4 s after running, BENCH_HEALTHY_AFTER_MS) so the
// sampling runs for several seconds, as on a real cluster. BENCH_RUNS (3), BENCH_APPS (100),
// BENCH_TASKS (3), BENCH_RACKS (3), BENCH_INTERVAL_MS (500), BENCH_MODES (without,with),
// BENCH_MONKEY_NODE_ARGS (node flags of the monkey process only, e.g. '--cpu-prof
// --cpu-prof-dir=/tmp/prof'). Every child is stopped by its pid at the end, also on errors and Ctrl-C.
import { fork } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { median, receive, sleep } from './shared.mjs';

const APPS = Number(process.env.BENCH_APPS ?? 100);
const TASKS = Number(process.env.BENCH_TASKS ?? 3);
const RACKS = Number(process.env.BENCH_RACKS ?? 3);
const INTERVAL_MS = Number(process.env.BENCH_INTERVAL_MS ?? 500);
const HEALTHY_AFTER_MS = Number(process.env.BENCH_HEALTHY_AFTER_MS ?? 4000);
const LAG_RESOLUTION_MS = Number(process.env.BENCH_LAG_RESOLUTION_MS ?? 10);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const MODES = (process.env.BENCH_MODES ?? 'without,with').split(',');
const MONKEY_NODE_ARGS = (process.env.BENCH_MONKEY_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
const TARGET_LAG_P99_MS = 20;
const TARGET_ADDED_RSS_MB = 20;
const MB = 1024 * 1024;

if (process.argv[2] === '--sim-child') await simChild();
else if (process.argv[2] === '--monkey-child') await monkeyChild(process.argv[3] === 'with', JSON.parse(process.argv[4]));
else await main();

/** The scenario: APPS apps of TASKS instances spread one per rack (GROUP_BY), each serving /health. */
function rawScenario() {
  const agents = [];
  for (let r = 1; r <= RACKS; r++) {
    for (let a = 1; a <= 3; a++) agents.push({ hostname: `10.9.${r}.${a}`, attributes: { rack: `r${r}` }, region: 'eu-1', zone: `eu-1${'abcdefgh'[(r - 1) % 8]}` });
  }
  const apps = [];
  for (let i = 0; i < APPS; i++) {
    apps.push({
      id: `/bench/team-${Math.floor(i / 10)}/svc-${i}`,
      instances: TASKS,
      cmd: './svc --port $PORT0',
      cpus: 0.1,
      mem: 128,
      labels: { 'monkey.enabled': 'true', 'monkey.probe.http': '/health', 'monkey.probe.interval-ms': String(INTERVAL_MS) },
      healthChecks: [{ protocol: 'MESOS_HTTP', path: '/health', gracePeriodSeconds: 60, intervalSeconds: 10, maxConsecutiveFailures: 3 }],
      constraints: [['rack', 'GROUP_BY']],
      serve: { http: { path: '/health' } },
    });
  }
  return {
    seed: 'bench-probes',
    timings: { killGraceMs: 200, relaunchDelayMs: 300, stagingMs: 200, startingMs: 300, healthyAfterMs: HEALTHY_AFTER_MS },
    agents,
    apps,
  };
}

/** The simulated cluster, serving every task's endpoint, until the parent says close. */
async function simChild() {
  const { parseScenario, startSimulator } = await import('../dist/sim/index.js');
  const sim = await startSimulator({ scenario: parseScenario(rawScenario(), 'bench-probes'), tickMs: 5 });
  process.on('message', async (msg) => {
    if (msg.type === 'close') {
      await sim.close();
      process.send({ type: 'closed', value: null });
      process.exit(0);
    }
  });
  process.send({ type: 'ready', value: { marathonUrls: sim.marathonUrls, mesosUrl: sim.mesosUrl } });
}

async function main() {
  console.log(`bench-probes: ${APPS} apps × ${TASKS} tasks on ${RACKS} racks, an HTTP path probe of every task every ${INTERVAL_MS} ms, one real rack kill per run; Node ${process.version}`);
  console.log(`  each run: a fresh simulated cluster (child process) and a fresh monkey process; the same rack kill without the prober (Marathon's counts alone), then with it`);
  const children = new Set();
  const stopAll = () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  };
  process.once('SIGINT', () => {
    stopAll();
    process.exit(130);
  });
  const results = { without: [], with: [] };
  try {
    for (let run = 1; run <= RUNS; run++) {
      for (const mode of MODES) {
        const sim = fork(fileURLToPath(import.meta.url), ['--sim-child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        children.add(sim);
        const urls = await receive(sim, 'ready');
        const monkey = fork(fileURLToPath(import.meta.url), ['--monkey-child', mode, JSON.stringify(urls)], { execArgv: ['--expose-gc', ...MONKEY_NODE_ARGS], env: { ...process.env, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        children.add(monkey);
        const r = await receive(monkey, 'result');
        results[mode].push(r);
        console.log(`  run ${run} ${mode.padEnd(7)} probes: ${line(r)}`);
        await ask(sim, 'closed', 'close').catch(() => undefined);
        children.delete(sim);
        children.delete(monkey);
      }
    }
  } finally {
    stopAll();
  }
  report(results);
}

function line(r) {
  const f1 = (x) => x.toFixed(1);
  return (
    `${r.outcome}, ${r.killed} killed, ${r.recovered}/${r.watched} back, ${r.weaknesses} weaknesses, ${f1(r.cycleMs / 1000)} s; ` +
    `${r.probedApps} apps probed, ${r.targets} targets, ${r.rounds} rounds, ${r.samples} samples (${r.failures} failed) + ${r.beforeSamples} before the kill; ` +
    `lag p50 ${f1(r.lag.p50)} / p99 ${f1(r.lag.p99)} / max ${f1(r.lag.max)} ms; RSS ${f1(r.rss.baseline)} → ${f1(r.rss.peak)} MB (+${f1(r.rss.added)}; heap +${f1(r.rss.heapAdded)}, new space ${f1(r.rss.newSpace)} MB)`
  );
}

function report(results) {
  const f1 = (x) => x.toFixed(1);
  const med = (mode, get) => median(results[mode].map(get));
  const w = results.with;
  if (results.with.length === 0 || results.without.length === 0) return;
  const probeCost = med('with', (r) => r.rss.added) - med('without', (r) => r.rss.added);
  console.log(`\n  medians of ${RUNS} runs        without probes    with probes`);
  const row = (label, get, unit) => console.log(`  ${label.padEnd(26)}${`${f1(med('without', get))} ${unit}`.padStart(15)}${`${f1(med('with', get))} ${unit}`.padStart(15)}`);
  row('event-loop lag p50', (r) => r.lag.p50, 'ms');
  row('event-loop lag p99', (r) => r.lag.p99, 'ms');
  row('event-loop lag max', (r) => r.lag.max, 'ms');
  row('RSS baseline', (r) => r.rss.baseline, 'MB');
  row('RSS peak', (r) => r.rss.peak, 'MB');
  row('RSS added', (r) => r.rss.added, 'MB');
  row('cycle (kill → all back)', (r) => r.cycleMs / 1000, 's');
  console.log(`  with probes: ${med('with', (r) => r.targets)} targets probed, ${med('with', (r) => r.rounds)} app rounds, ${med('with', (r) => r.samples)} samples during the kill + ${med('with', (r) => r.beforeSamples)} before it (medians)`);
  const p99 = median(w.map((r) => r.lag.p99));
  const added = median(w.map((r) => r.rss.added));
  console.log(`  ${p99 < TARGET_LAG_P99_MS ? 'PASS' : 'MISS'} event-loop lag p99 during the probed rack kill ${f1(p99)} ms < ${TARGET_LAG_P99_MS} ms`);
  console.log(`  ${added < TARGET_ADDED_RSS_MB ? 'PASS' : 'MISS'} RSS added by the probed rack kill ${f1(added)} MB < ${TARGET_ADDED_RSS_MB} MB`);
  console.log(`  ${probeCost < TARGET_ADDED_RSS_MB ? 'PASS' : 'MISS'} RSS the probes add to the same kill without them ${f1(probeCost)} MB < ${TARGET_ADDED_RSS_MB} MB`);
}

/** One monkey process: warm up, then one real rack kill cycle, measured; the result goes to the parent. */
async function monkeyChild(withProbes, { marathonUrls, mesosUrl }) {
  const gc = globalThis.gc;
  const { pino } = await import('pino');
  const { chaosSettingsFrom, clientsFrom, effectiveSeed } = await import('../dist/app/wiring.js');
  const { runCycle } = await import('../dist/chaos/cycle.js');
  const { loadConfig } = await import('../dist/config/load.js');
  const { systemClock } = await import('../dist/platform/clock.js');
  const v8 = await import('node:v8');

  const env = {
    MONKEY_MARATHON_URLS: marathonUrls.join(','),
    MONKEY_MESOS_URL: mesosUrl,
    MONKEY_STRATEGY: 'rack',
    MONKEY_DRY_RUN: 'false',
    MONKEY_SEED: 'bench-probes',
    MONKEY_MAX_KILLS: String(APPS * TASKS),
    MONKEY_MIN_TASK_AGE: '0',
    MONKEY_MIN_KILL_INTERVAL: '0',
    MONKEY_RECOVERY_TIMEOUT: '60',
    MONKEY_RECOVERY_POLL_MS: String(INTERVAL_MS),
    MONKEY_PROBE_INTERVAL_MS: String(INTERVAL_MS),
  };
  const { config } = loadConfig({ env });
  // The daemon's default level (info), written where it costs what a log file costs.
  const logger = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false }));
  const clients = clientsFrom(config, { clock: systemClock, logger });
  const settings = chaosSettingsFrom(config, effectiveSeed(config).seed);
  const ledger = { recordIntent: async () => undefined, recordAnswer: async () => undefined };
  const deps = { apps: clients.marathon, killer: clients.marathon, ledger, agents: clients.agents, events: clients.events, clock: systemClock, logger, ...(withProbes ? { prober: clients.prober } : {}) };
  const scheduledAt = new Date(Date.UTC(2026, 0, 5, 10, 0));

  // Warm-up: one planning cycle loads and compiles the cycle's code (plan never probes).
  const planned = await runCycle(deps, settings, { scheduledAt, plan: true });
  if (planned.counts.victims !== APPS) throw new Error(`the plan picked ${planned.counts.victims} victims, expected ${APPS} (one rack): ${JSON.stringify(planned.counts)}`);
  await sleep(200);
  gc();
  gc();
  await sleep(200);
  const baseline = process.memoryUsage();

  const rounds = { count: 0 };
  const targetsPerApp = new Map();
  let peak = baseline;
  let newSpace = 0;
  const newSpaceSize = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
  const rssSampler = setInterval(() => {
    const m = process.memoryUsage();
    if (m.rss > peak.rss) peak = m;
    newSpace = Math.max(newSpace, newSpaceSize());
  }, 20);
  const lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  lag.enable();
  const t0 = performance.now();
  const record = await runCycle(deps, settings, {
    scheduledAt: new Date(scheduledAt.getTime() + 60_000),
    onProbeRound: (r) => {
      rounds.count += 1;
      targetsPerApp.set(r.appId, Math.max(targetsPerApp.get(r.appId) ?? 0, r.total));
    },
  });
  const cycleMs = performance.now() - t0;
  lag.disable();
  clearInterval(rssSampler);
  const end = process.memoryUsage();
  if (end.rss > peak.rss) peak = end;
  const maxRss = process.resourceUsage().maxRSS * 1024;
  clients.events?.close?.();

  const after = Object.values(record.after);
  const probed = after.filter((a) => a.probe !== undefined);
  const ms = (ns) => Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS);
  const peakRss = Math.max(peak.rss, maxRss);
  process.send({
    type: 'result',
    value: {
      outcome: record.outcome,
      killed: record.counts.killed,
      watched: after.length,
      recovered: after.filter((a) => a.recovered).length,
      weaknesses: record.weaknesses.length,
      cycleMs,
      probedApps: probed.length,
      targets: [...targetsPerApp.values()].reduce((a, b) => a + b, 0),
      rounds: rounds.count,
      samples: probed.reduce((n, a) => n + a.probe.samples, 0),
      failures: probed.reduce((n, a) => n + a.probe.failures, 0),
      beforeSamples: Object.values(record.probesBefore ?? {}).reduce((n, v) => n + v.samples, 0),
      lag: { p50: ms(lag.percentile(50)), p99: ms(lag.percentile(99)), max: ms(lag.max) },
      rss: {
        baseline: baseline.rss / MB,
        peak: peakRss / MB,
        added: (peakRss - baseline.rss) / MB,
        heapAdded: (peak.heapTotal - baseline.heapTotal) / MB,
        newSpace: newSpace / MB,
      },
      error: record.error ?? null,
    },
  });
  process.exit(0);
}

/** Sends `{type: send}` and waits for the answer of type `type`. */
function ask(child, type, send = type) {
  const answer = receive(child, type);
  child.send({ type: send });
  return answer;
}
