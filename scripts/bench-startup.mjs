// Benchmark: what a command costs to start, next to what Node itself costs on the same machine.
//
//   npm run bench:startup                   (builds, then runs this)
//   node scripts/bench-startup.mjs --runs 11
//
// The targets (each command pays only for what it uses):
//   help, validate   wall time from exec to exit ≤ 0.12 s, max RSS ≤ 50 MB
//   run (idle)       RSS ≤ 55 MB once ready, and ready (GET /ready answers 200) ≤ 0.15 s after exec
// Node's floor, `node -e 0`, is measured the same way and printed next to every figure.
//
// How: every figure is the median of --runs runs (default 9). Wall time is measured here, from
// spawn to exit (or to the first 200 from /ready); max RSS is the child's own high-water mark
// (/usr/bin/time -f %M: getrusage of the reaped child, so the measuring process never counts).
// The daemon is started as the Docker image starts it (`node --expose-gc dist/cli.js run`,
// MALLOC_ARENA_MAX=2) against `marathon-monkey sim` running in its own process (its memory never
// counts), on the demo scenario (9 agents, a handful of apps). Its idle RSS is VmRSS from /proc one
// second after it became ready (no cycle runs: the schedule's next slot is an hour away), its
// max RSS the high-water mark VmHWM at the same moment. Linux only (/proc, getrusage).
// Every child is stopped by its pid at the end, also on errors and Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort, median } from './shared.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');
const SCENARIO = join(ROOT, 'config', 'demo-scenario.json');
const MB = 1024 * 1024;
const TARGETS = { oneShotSeconds: 0.12, oneShotMb: 50, daemonMb: 55, readySeconds: 0.15 };

const runsArg = process.argv.indexOf('--runs');
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log('usage: node scripts/bench-startup.mjs [--runs N=9]');
  process.exit(0);
}
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 9;
if (!(Number.isInteger(RUNS) && RUNS > 0)) throw new Error('--runs: a positive whole number');

// ------------------------------------------------------------------ one-shot commands

/**
 * Runs `node <args>` once under /usr/bin/time, which reports the reaped child's max RSS
 * (getrusage RUSAGE_CHILDREN) without counting the measuring process. Wall time is taken here
 * around the whole exec (time's own fork/exec adds ~1 ms, the same for the floor).
 */
function timeOnce(args, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', 'MAXRSS_KB=%M', process.execPath, ...args], { env, encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const m = /MAXRSS_KB=(\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`node ${args.join(' ')}: exit ${r.status}: ${r.stderr.slice(-1000)}`);
  return { seconds, rssBytes: Number(m[1]) * 1024 };
}

/**
 * Runs every command RUNS times in rounds (floor, help, validate, floor, help, …), so a host whose
 * load changes during the benchmark slows the floor as much as the commands next to it.
 */
function measureInRounds(commands) {
  const runs = commands.map(() => []);
  for (let i = 0; i < RUNS; i++) commands.forEach(({ args, env }, c) => runs[c].push(timeOnce(args, env)));
  return runs.map((rs) => ({ seconds: median(rs.map((r) => r.seconds)), rssBytes: median(rs.map((r) => r.rssBytes)) }));
}

// ------------------------------------------------------------------ the daemon (children by pid)

const children = new Map();

function startChild(args, env) {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  children.set(child.pid, exited);
  exited.then(() => children.delete(child.pid));
  return { child, exited };
}

async function stopChild(pid) {
  const exited = children.get(pid);
  if (!exited) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }, 5000);
  await exited;
  clearTimeout(timer);
}

const stopAll = () => Promise.all([...children.keys()].map((pid) => stopChild(pid)));
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopAll().finally(() => process.exit(130));
  });
}

async function startSim() {
  const { child, exited } = startChild([CLI, 'sim', '--port', '0', '--scenario', SCENARIO], { ...process.env });
  const urls = {};
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('simulator: no URLs after 20 s')), 20_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /MONKEY_MARATHON_URLS=(\S+)/.exec(line);
      if (m) urls.marathon = m[1];
      const s = /MONKEY_MESOS_URL=(\S+)/.exec(line);
      if (s) urls.mesos = s[1];
      if (urls.marathon && urls.mesos) {
        clearTimeout(timer);
        resolve();
      }
    });
    exited.then(({ code, signal }) => reject(new Error(`simulator exited (${code ?? signal})`)));
  });
  child.stdout.resume();
  child.stderr.resume();
  return { pid: child.pid, ...urls };
}

const proc = (pid, key) => {
  const m = new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
};

async function daemonOnce(sim, work, i) {
  const port = await freePort();
  const env = {
    ...process.env,
    MONKEY_MARATHON_URLS: sim.marathon,
    MONKEY_MESOS_URL: sim.mesos,
    MONKEY_HOST: '127.0.0.1',
    MONKEY_PORT: String(port),
    MONKEY_JOURNAL: join(work, `run-${i}.jsonl`),
    MONKEY_CRON: '0 0 * * * *',
    MONKEY_OFFICE_HOURS: 'always',
    MONKEY_JITTER: '0',
    MONKEY_SEED: 'bench-startup',
    MONKEY_LOG_LEVEL: 'info',
    MALLOC_ARENA_MAX: '2',
  };
  delete env.MONKEY_CONFIG;
  const t0 = process.hrtime.bigint();
  const { child, exited } = startChild(['--expose-gc', CLI, 'run'], env);
  child.stdout.resume();
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let gone = false;
  exited.then(() => (gone = true));
  let readySeconds;
  while (readySeconds === undefined) {
    if (gone) throw new Error(`daemon exited before it was ready: ${stderr.slice(-1000)}`);
    if (Number(process.hrtime.bigint() - t0) / 1e9 > 20) throw new Error('daemon: not ready after 20 s');
    try {
      const res = await fetch(`http://127.0.0.1:${port}/ready`);
      await res.arrayBuffer();
      if (res.status === 200) readySeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    } catch {
      /* not listening yet */
    }
    if (readySeconds === undefined) await new Promise((r) => setTimeout(r, 2));
  }
  await new Promise((r) => setTimeout(r, 1000));
  const rssBytes = proc(child.pid, 'VmRSS');
  const hwmBytes = proc(child.pid, 'VmHWM');
  await stopChild(child.pid);
  return { readySeconds, rssBytes, hwmBytes };
}

async function measureDaemon(work) {
  const sim = await startSim();
  try {
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await daemonOnce(sim, work, i));
    return {
      readySeconds: median(runs.map((r) => r.readySeconds)),
      rssBytes: median(runs.map((r) => r.rssBytes)),
      hwmBytes: median(runs.map((r) => r.hwmBytes)),
    };
  } finally {
    await stopChild(sim.pid);
  }
}

// ------------------------------------------------------------------ report

const mb = (b) => `${(b / MB).toFixed(1)} MB`;
const sec = (s) => `${s.toFixed(3)} s`;
const verdict = (ok) => (ok ? 'PASS' : 'MISS');

async function main() {
  if (process.platform !== 'linux') throw new Error('this benchmark reads /proc: Linux only');
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` (or `npm run bench:startup`)');
  if (!existsSync('/usr/bin/time')) throw new Error('/usr/bin/time is missing (Debian: apt-get install time)');
  const work = mkdtempSync(join(tmpdir(), 'monkey-startup-'));
  const misses = [];
  const lines = [];
  try {
    const base = { ...process.env, MONKEY_JOURNAL: join(work, 'validate.jsonl') };
    for (const k of Object.keys(base)) if (k.startsWith('MONKEY_') && k !== 'MONKEY_JOURNAL') delete base[k];
    const sim = await startSim();
    let floor, help, validate;
    try {
      // validate as an operator runs it before deploying: a Marathon configured, so the clients are built too.
      [floor, help, validate] = measureInRounds([
        { args: ['-e', '0'], env: base },
        { args: [CLI, 'help'], env: base },
        { args: [CLI, 'validate'], env: { ...base, MONKEY_MARATHON_URLS: sim.marathon, MONKEY_MESOS_URL: sim.mesos } },
      ]);
    } finally {
      await stopChild(sim.pid);
    }
    lines.push(`marathon-monkey startup (node ${process.version}, ${process.platform}, median of ${RUNS} runs)`);
    lines.push(`   Node's floor, node -e 0            ${sec(floor.seconds)}   max RSS ${mb(floor.rssBytes)}`);
    const oneShots = [
      ['help', help],
      ['validate', validate],
    ];
    for (const [name, r] of oneShots) {
      const ok = r.seconds <= TARGETS.oneShotSeconds && r.rssBytes <= TARGETS.oneShotMb * MB;
      if (!ok) misses.push(name);
      lines.push(
        `   ${name.padEnd(34)} ${sec(r.seconds)} (+${sec(r.seconds - floor.seconds)})   max RSS ${mb(r.rssBytes)} (+${mb(r.rssBytes - floor.rssBytes)})` +
          `   target ≤ ${TARGETS.oneShotSeconds} s, ≤ ${TARGETS.oneShotMb} MB: ${verdict(ok)}`,
      );
    }
    const d = await measureDaemon(work);
    const rssOk = d.rssBytes <= TARGETS.daemonMb * MB;
    const readyOk = d.readySeconds <= TARGETS.readySeconds;
    if (!rssOk) misses.push('run-rss');
    if (!readyOk) misses.push('run-ready');
    lines.push(`   run (node --expose-gc, idle, demo scenario in a separate sim process)`);
    lines.push(`     ready: GET /ready 200 after      ${sec(d.readySeconds)} (+${sec(d.readySeconds - floor.seconds)} over node -e 0)   target ≤ ${TARGETS.readySeconds} s: ${verdict(readyOk)}`);
    lines.push(
      `     RSS 1 s after ready              ${mb(d.rssBytes)} (+${mb(d.rssBytes - floor.rssBytes)} over node -e 0's max)   target ≤ ${TARGETS.daemonMb} MB: ${verdict(rssOk)}` +
        `   (high-water mark ${mb(d.hwmBytes)})`,
    );
  } finally {
    await stopAll();
    rmSync(work, { recursive: true, force: true });
  }
  lines.push(misses.length === 0 ? 'RESULT: PASS' : `RESULT: MISS (${misses.join(', ')})`);
  console.log(lines.join('\n'));
  return misses.length === 0;
}

main().then(
  (ok) => {
    process.exitCode = ok ? 0 : 1;
  },
  async (err) => {
    console.error(`bench-startup failed: ${err.stack ?? err}`);
    await stopAll();
    process.exitCode = 2;
  },
);
