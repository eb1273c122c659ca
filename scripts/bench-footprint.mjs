// Benchmark: the footprint of the real `marathon-monkey run` process against the simulated cluster.
//
//   npm run bench:footprint                 (builds, then runs this; ~20 minutes with the defaults)
//   node scripts/bench-footprint.mjs --cycles 300 --kill-cycles 20 --idle-seconds 30
//
// The targets: RSS after start and after 1,000 cycles on a fast schedule ≤ 100 MB, no
// growth from cycle 100 to cycle 1,000, a flat second half (cycle 500 → 1,000 within ±1 MB); and
// the CPU use while idle between cycles (no target given, reported as it is).
//
// The daemon is started as the Docker image starts it: `node --expose-gc dist/cli.js run` (the
// heap is collected between cycles only when gc is exposed: src/daemon/heap-keeper.ts) with
// MALLOC_ARENA_MAX=2. To measure something else: MALLOC_ARENA_MAX=16 (glibc's default on 2
// cores: 8 per core), BENCH_DAEMON_NODE_ARGS='' (no --expose-gc: no collection between cycles).
//
// What runs where: the simulator is its own child process (`dist/cli.js sim`), so its memory never
// counts; the daemon is the real binary (`dist/cli.js run`) configured only through its public
// environment variables. This process only samples /proc/<pid>/status (VmRSS) and /proc/<pid>/stat
// (utime + stime) of the daemon, scrapes its /metrics (marathon_monkey_process_resident_memory_bytes) as a cross-check, and counts
// cycles in the daemon's journal. Linux only (/proc).
//
// Phases:
//   1. footprint  dry-run, cron `* * * * * *` (every second: the finest cron there is, so 1,000
//                 cycles take ~17 minutes). Dry-run because a real kill + recovery in the demo
//                 cluster takes ~1.5 s, longer than the 1 s slot.
//   2. idle       cron every minute: after the first cycle, the CPU used during the next
//                 --idle-seconds while nothing runs.
//   3. kills      real kills (dry-run off) every 3 s for --kill-cycles cycles: RSS and CPU with the
//                 recovery watch in the loop.
// Every child is stopped by its pid at the end, also on errors and Ctrl-C.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, readSync, closeSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');
const MB = 1024 * 1024;
const RSS_TARGET_MB = 100;
/** RSS between cycle 100 and cycle N may move this much before it counts as growth (GC noise). */
const GROWTH_TOLERANCE_MB = 2;
/** The second half (cycle N/2 → N) must be flat within this, either way. */
const HALF_TOLERANCE_MB = 1;
/** How the Docker image runs node (its ENTRYPOINT); BENCH_DAEMON_NODE_ARGS overrides, '' for none. */
const DAEMON_NODE_ARGS = (process.env.BENCH_DAEMON_NODE_ARGS ?? '--expose-gc').split(' ').filter(Boolean);

const args = parseArgs(process.argv.slice(2));
const CYCLES = args.cycles ?? 1000;
const KILL_CYCLES = args['kill-cycles'] ?? 40;
const IDLE_SECONDS = args['idle-seconds'] ?? 30;
const SCENARIO = args.scenario ?? join(ROOT, 'config', 'demo-scenario.json');
const PHASES = new Set(String(args.phases ?? 'footprint,idle,kills').split(','));
const CLK_TCK = clockTicks();

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      console.log('usage: node scripts/bench-footprint.mjs [--cycles N=1000] [--kill-cycles N=40] [--idle-seconds S=30] [--scenario FILE] [--phases footprint,idle,kills]');
      process.exit(0);
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unknown argument ${a} (see --help)`);
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new Error(`${a} needs a value`);
    out[m[1]] = m[1] === 'scenario' || m[1] === 'phases' ? value : Number(value);
    if (typeof out[m[1]] === 'number' && !(Number.isInteger(out[m[1]]) && out[m[1]] > 0)) throw new Error(`${a}: a positive whole number, not ${value}`);
  }
  return out;
}

function clockTicks() {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

// ------------------------------------------------------------------ children (stopped by pid)

/** Every child we started: pid → exit promise. */
const children = new Map();

function startChild(argv, env, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, CLI, ...argv], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  children.set(child.pid, { child, exited });
  exited.then(() => children.delete(child.pid));
  return { child, exited };
}

async function stopChild(pid, { graceMs = 5000 } = {}) {
  const entry = children.get(pid);
  if (!entry) return undefined;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return entry.exited;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }, graceMs);
  const result = await entry.exited;
  clearTimeout(timer);
  return result;
}

async function stopAll() {
  await Promise.all([...children.keys()].map((pid) => stopChild(pid)));
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping the children`);
    stopAll().finally(() => process.exit(130));
  });
}

/** Resolves with the first stdout line `pick` returns a value for; rejects if the child exits first. */
function waitForLine(child, exited, pick, what, timeoutMs = 20_000) {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    const stderr = [];
    child.stderr.on('data', (d) => stderr.push(String(d)));
    const timer = setTimeout(() => reject(new Error(`${what}: nothing after ${timeoutMs} ms; stderr: ${stderr.join('').slice(-2000)}`)), timeoutMs);
    let done = false;
    rl.on('line', (line) => {
      if (done) return;
      const v = pick(line);
      if (v !== undefined) {
        done = true;
        clearTimeout(timer);
        resolve(v);
      }
    });
    exited.then(({ code, signal }) => {
      if (done) return;
      clearTimeout(timer);
      reject(new Error(`${what}: exited (${code ?? signal}) before it was ready; stderr: ${stderr.join('').slice(-2000)}`));
    });
  });
}

async function startSim() {
  const { child, exited } = startChild(['sim', '--port', '0', '--scenario', SCENARIO], { ...process.env });
  let marathon;
  const mesos = await waitForLine(
    child,
    exited,
    (line) => {
      const m = /MONKEY_MARATHON_URLS=(\S+)/.exec(line);
      if (m) marathon = m[1];
      const s = /MONKEY_MESOS_URL=(\S+)/.exec(line);
      return s && marathon ? s[1] : undefined;
    },
    'simulator',
  );
  child.stdout.resume();
  return { pid: child.pid, marathonUrls: marathon, mesosUrl: mesos };
}

/** The real daemon. Its JSON log lines are read (to find its URL) and otherwise just drained. */
async function startDaemon(sim, journal, extraEnv) {
  const env = {
    ...process.env,
    MONKEY_MARATHON_URLS: sim.marathonUrls,
    MONKEY_MESOS_URL: sim.mesosUrl,
    MONKEY_OFFICE_HOURS: 'always',
    MONKEY_JITTER: '0',
    MONKEY_MIN_TASK_AGE: '0',
    MONKEY_MIN_KILL_INTERVAL: '0',
    MONKEY_HALT_ON_WEAKNESS: 'false',
    MONKEY_RECOVERY_TIMEOUT: '2',
    MONKEY_RECOVERY_POLL_MS: '100',
    MONKEY_SEED: 'bench-footprint',
    MONKEY_HOST: '127.0.0.1',
    MONKEY_PORT: '0',
    MONKEY_JOURNAL: journal,
    MONKEY_LOG_LEVEL: 'info',
    // As the Docker image runs it (see the Dockerfile); MALLOC_ARENA_MAX=16 measures glibc's default on 2 cores.
    MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
    ...extraEnv,
  };
  delete env.MONKEY_CONFIG;
  const { child, exited } = startChild(['run'], env, DAEMON_NODE_ARGS);
  const url = await waitForLine(
    child,
    exited,
    (line) => {
      try {
        const j = JSON.parse(line);
        return j.msg === 'marathon-monkey started' && typeof j.url === 'string' ? j.url : undefined;
      } catch {
        return undefined;
      }
    },
    'daemon',
  );
  let logLines = 0;
  createInterface({ input: child.stdout }).on('line', () => logLines++);
  return { pid: child.pid, url, exited, logLines: () => logLines };
}

// ------------------------------------------------------------------ measurements

function rssBytes(pid) {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** utime + stime of the process, in seconds. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces: fields are counted after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** RSS and V8 heap used as the daemon itself reports them (prom-client's default metrics, under its prefix). */
async function scrape(url) {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    const value = (name) => {
      const m = new RegExp(`^(?:marathon_monkey_)?${name} (\\S+)$`, 'm').exec(text);
      return m ? Number(m[1]) : undefined;
    };
    return { rss: value('process_resident_memory_bytes'), heapUsed: value('nodejs_heap_size_used_bytes') };
  } catch {
    return {};
  }
}

async function metricsRss(url) {
  return (await scrape(url)).rss;
}

/** Counts journal cycle records incrementally: only the bytes appended since the last call are read. */
function journalCounter(path) {
  let offset = 0;
  let partial = '';
  const outcomes = {};
  let cycles = 0;
  const recoverMs = [];
  return {
    poll() {
      if (!existsSync(path)) return cycles;
      const size = statSync(path).size;
      if (size <= offset) return cycles;
      const fd = openSync(path, 'r');
      try {
        const buf = Buffer.alloc(size - offset);
        readSync(fd, buf, 0, buf.length, offset);
        offset = size;
        const lines = (partial + buf.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          if (line.trim() === '') continue;
          const r = JSON.parse(line);
          if (r.type !== 'cycle') continue;
          cycles++;
          outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
          for (const a of Object.values(r.after ?? {})) if (a.recovered && typeof a.timeToRecoverMs === 'number') recoverMs.push(a.timeToRecoverMs);
        }
      } finally {
        closeSync(fd);
      }
      return cycles;
    },
    get cycles() {
      return cycles;
    },
    outcomes,
    recoverMs,
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mb = (bytes) => (bytes === undefined ? 'n/a' : `${(bytes / MB).toFixed(1)} MB`);
const median = (xs) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const verdict = (ok) => (ok ? 'PASS' : 'MISS');

/** Runs the daemon until the journal holds `target` cycles, sampling RSS and CPU once a second. */
async function runCycles(daemon, counter, target, { label, timeoutMs, marks = [] }) {
  const samples = [];
  const marked = new Map();
  const t0 = Date.now();
  let lastScrape = 0;
  let lastPrint = 0;
  for (;;) {
    const cycles = counter.poll();
    const sample = { at: Date.now(), cycles, rss: rssBytes(daemon.pid), cpu: cpuSeconds(daemon.pid) };
    samples.push(sample);
    for (const m of marks) {
      if (!marked.has(m) && cycles >= m) {
        const scraped = await scrape(daemon.url);
        marked.set(m, { ...sample, metricsRss: scraped.rss, heapUsed: scraped.heapUsed });
      }
    }
    if (sample.at - lastScrape >= 30_000) {
      lastScrape = sample.at;
      sample.metricsRss = await metricsRss(daemon.url);
    }
    if (sample.at - lastPrint >= 60_000) {
      lastPrint = sample.at;
      console.error(`  [${label}] ${cycles}/${target} cycles, RSS ${mb(sample.rss)}, ${((sample.at - t0) / 1000).toFixed(0)} s`);
    }
    if (cycles >= target) break;
    if (Date.now() - t0 > timeoutMs) throw new Error(`${label}: only ${cycles} of ${target} cycles after ${timeoutMs / 1000} s`);
    await sleep(1000);
  }
  return { samples, marked };
}

// ------------------------------------------------------------------ phases

async function footprintPhase(work) {
  console.error(`phase footprint: ${CYCLES} dry-run cycles at one per second (~${Math.ceil(CYCLES / 60)} min)`);
  const sim = await startSim();
  const journal = join(work, 'footprint.jsonl');
  const daemon = await startDaemon(sim, journal, { MONKEY_CRON: '* * * * * *', MONKEY_DRY_RUN: 'true' });
  const started = { rss: rssBytes(daemon.pid), cpu: cpuSeconds(daemon.pid), metricsRss: await metricsRss(daemon.url), at: Date.now() };
  const counter = journalCounter(journal);
  const from = Math.min(100, CYCLES);
  const half = Math.max(from, Math.floor(CYCLES / 2));
  const { samples, marked } = await runCycles(daemon, counter, CYCLES, { label: 'footprint', timeoutMs: (CYCLES * 1.3 + 60) * 1000, marks: [from, half, CYCLES] });
  const at100 = marked.get(from);
  const atN = marked.get(CYCLES);
  // Growth judged on medians of the 10 samples from cycle 100 on and the last 10, so one GC does not decide it.
  const window = samples.filter((s) => s.cycles >= from);
  const early = median(window.slice(0, 10).map((s) => s.rss));
  const late = median(window.slice(-10).map((s) => s.rss));
  const slope = linearSlope(window.map((s) => [s.cycles, s.rss]));
  // The second half on its own: a warm-up that levels off and a leak that keeps going look alike over 100→N.
  const secondHalf = samples.filter((s) => s.cycles >= half);
  const halfGrowth = median(secondHalf.slice(-10).map((s) => s.rss)) - median(secondHalf.slice(0, 10).map((s) => s.rss));
  const maxRss = Math.max(started.rss, ...samples.map((s) => s.rss));
  const busy = (atN.cpu - at100.cpu) / ((atN.at - at100.at) / 1000);
  const perCycleMs = ((atN.cpu - at100.cpu) * 1000) / Math.max(1, atN.cycles - at100.cycles);
  const logLines = daemon.logLines();
  const stop = await stopChild(daemon.pid, { graceMs: 10_000 });
  await stopChild(sim.pid);
  counter.poll();
  return { started, at100, atN, atHalf: marked.get(half), half, halfGrowth, early, late, slope, maxRss, busy, perCycleMs, counter, stop, logLines, from };
}

async function idlePhase(work) {
  console.error(`phase idle: cron every minute, CPU over ${IDLE_SECONDS} s after the first cycle (up to ~${Math.ceil((60 + IDLE_SECONDS + 10) / 60)} min)`);
  const sim = await startSim();
  const journal = join(work, 'idle.jsonl');
  const daemon = await startDaemon(sim, journal, { MONKEY_CRON: '* * * * *', MONKEY_DRY_RUN: 'true' });
  const counter = journalCounter(journal);
  await runCycles(daemon, counter, 1, { label: 'idle', timeoutMs: 70_000 });
  const slotAt = Date.now();
  await sleep(2000);
  const a = { cpu: cpuSeconds(daemon.pid), at: Date.now(), rss: rssBytes(daemon.pid) };
  // The window must end before the next minute's slot: what is measured is the time between cycles.
  const windowMs = Math.min(IDLE_SECONDS * 1000, 60_000 - (Date.now() - slotAt) - 3000);
  await sleep(windowMs);
  const b = { cpu: cpuSeconds(daemon.pid), at: Date.now(), rss: rssBytes(daemon.pid) };
  const cyclesDuring = counter.poll() - 1;
  await stopChild(daemon.pid, { graceMs: 10_000 });
  await stopChild(sim.pid);
  return { cpuPercent: (100 * (b.cpu - a.cpu)) / ((b.at - a.at) / 1000), cpuSeconds: b.cpu - a.cpu, seconds: (b.at - a.at) / 1000, rss: b.rss, cyclesDuring };
}

async function killsPhase(work) {
  console.error(`phase kills: ${KILL_CYCLES} cycles with real kills every 3 s (~${Math.ceil((KILL_CYCLES * 3) / 60)} min)`);
  const sim = await startSim();
  const journal = join(work, 'kills.jsonl');
  const daemon = await startDaemon(sim, journal, { MONKEY_CRON: '*/3 * * * * *', MONKEY_DRY_RUN: 'false' });
  const started = { rss: rssBytes(daemon.pid), cpu: cpuSeconds(daemon.pid), at: Date.now() };
  const counter = journalCounter(journal);
  const { samples } = await runCycles(daemon, counter, KILL_CYCLES, { label: 'kills', timeoutMs: (KILL_CYCLES * 3 * 1.5 + 60) * 1000 });
  const last = samples.at(-1);
  const metrics = await metricsRss(daemon.url);
  await stopChild(daemon.pid, { graceMs: 10_000 });
  await stopChild(sim.pid);
  counter.poll();
  return {
    started,
    end: last,
    metricsRss: metrics,
    maxRss: Math.max(started.rss, ...samples.map((s) => s.rss)),
    perCycleMs: ((last.cpu - started.cpu) * 1000) / Math.max(1, last.cycles),
    cpuPercent: (100 * (last.cpu - started.cpu)) / ((last.at - started.at) / 1000),
    counter,
  };
}

/** Least-squares slope of y over x (bytes per cycle). */
function linearSlope(points) {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

// ------------------------------------------------------------------ report

function report({ fp, idle, kills }) {
  const out = [];
  out.push('');
  out.push(
    `marathon-monkey footprint (node ${process.version}, ${process.platform}, scenario ${SCENARIO.replace(ROOT, '')}; ` +
      `daemon: node ${[...DAEMON_NODE_ARGS, 'dist/cli.js run'].join(' ')}, MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX ?? '2'}; the Docker image: node --expose-gc, MALLOC_ARENA_MAX=2)`,
  );
  const misses = [];
  if (fp) {
    const growth = fp.late - fp.early;
    const growthPct = (100 * growth) / fp.early;
    const rssOk = fp.maxRss <= RSS_TARGET_MB * MB;
    const growthOk = growth <= GROWTH_TOLERANCE_MB * MB;
    if (!rssOk) misses.push('rss');
    if (!growthOk) misses.push('growth');
    const halfOk = Math.abs(fp.halfGrowth) <= HALF_TOLERANCE_MB * MB;
    if (!halfOk) misses.push('second-half');
    out.push(`1. footprint: dry-run, cron "* * * * * *" (1 cycle/s), ${fp.counter.cycles} cycles in the journal (${fmtOutcomes(fp.counter.outcomes)})`);
    out.push(`   RSS after start        ${mb(fp.started.rss)}   (/metrics: ${mb(fp.started.metricsRss)})`);
    out.push(`   RSS at cycle ${String(fp.from).padEnd(10)}${mb(fp.at100.rss)}   (/metrics: ${mb(fp.at100.metricsRss)})`);
    out.push(`   RSS at cycle ${String(CYCLES).padEnd(10)}${mb(fp.atN.rss)}   (/metrics: ${mb(fp.atN.metricsRss)})`);
    out.push(`   RSS max (1 s samples)  ${mb(fp.maxRss)}   target ≤ ${RSS_TARGET_MB} MB: ${verdict(rssOk)}`);
    out.push(
      `   growth ${fp.from}→${CYCLES}         ${(growth / MB).toFixed(2)} MB (${growthPct.toFixed(1)} %), medians of 10 samples; ` +
        `trend ${(fp.slope / 1024).toFixed(2)} KB/cycle; target no growth (≤ ${GROWTH_TOLERANCE_MB} MB GC noise): ${verdict(growthOk)}`,
    );
    out.push(`   growth ${fp.half}→${CYCLES} (2nd half) ${(fp.halfGrowth / MB).toFixed(2)} MB RSS, medians of 10 samples; target flat (±${HALF_TOLERANCE_MB} MB): ${verdict(halfOk)}`);
    out.push(`   V8 heap used (/metrics) at cycle ${fp.from}: ${mb(fp.at100.heapUsed)}, ${fp.half}: ${mb(fp.atHalf?.heapUsed)}, ${CYCLES}: ${mb(fp.atN.heapUsed)} (not after a GC: noisy)`);
    out.push(`   CPU while cycling      ${(100 * fp.busy).toFixed(2)} % of one core, ${fp.perCycleMs.toFixed(1)} ms CPU per cycle (cycles ${fp.from}→${CYCLES})`);
    out.push(`   log lines written      ${fp.logLines}; exit after SIGTERM: ${fp.stop?.code ?? fp.stop?.signal}`);
  }
  if (idle) {
    out.push(`2. idle: cron "* * * * *", measured ${idle.seconds.toFixed(0)} s between cycles (${idle.cyclesDuring} cycles during the window)`);
    out.push(`   CPU while idle         ${idle.cpuPercent.toFixed(3)} % of one core (${(idle.cpuSeconds * 1000).toFixed(0)} ms in ${idle.seconds.toFixed(0)} s; /proc resolution ${(1000 / CLK_TCK).toFixed(0)} ms); no target given`);
    out.push(`   RSS while idle         ${mb(idle.rss)}`);
  }
  if (kills) {
    const rssOk = kills.maxRss <= RSS_TARGET_MB * MB;
    if (!rssOk) misses.push('kills-rss');
    const ttr = kills.counter.recoverMs;
    out.push(`3. real kills: cron "*/3 * * * * *", ${kills.counter.cycles} cycles (${fmtOutcomes(kills.counter.outcomes)})`);
    out.push(`   RSS after start ${mb(kills.started.rss)}, at the end ${mb(kills.end.rss)} (/metrics ${mb(kills.metricsRss)}), max ${mb(kills.maxRss)}: ${verdict(rssOk)}`);
    out.push(`   CPU ${kills.cpuPercent.toFixed(2)} % of one core, ${kills.perCycleMs.toFixed(1)} ms per cycle; time to recover median ${median(ttr).toFixed(0)} ms over ${ttr.length} recoveries`);
  }
  out.push(misses.length === 0 ? 'RESULT: PASS' : `RESULT: MISS (${misses.join(', ')})`);
  console.log(out.join('\n'));
  return misses.length === 0;
}

function fmtOutcomes(o) {
  return Object.entries(o)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

async function main() {
  if (process.platform !== 'linux') throw new Error('this benchmark reads /proc: Linux only');
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` (or `npm run bench:footprint`)');
  const work = mkdtempSync(join(tmpdir(), 'monkey-footprint-'));
  const results = {};
  try {
    if (PHASES.has('footprint')) results.fp = await footprintPhase(work);
    if (PHASES.has('idle')) results.idle = await idlePhase(work);
    if (PHASES.has('kills')) results.kills = await killsPhase(work);
  } finally {
    await stopAll();
    rmSync(work, { recursive: true, force: true });
  }
  return report(results);
}

main().then(
  (ok) => {
    process.exitCode = ok ? 0 : 1;
  },
  async (err) => {
    console.error(`bench-footprint failed: ${err.stack ?? err}`);
    await stopAll();
    process.exitCode = 2;
  },
);
