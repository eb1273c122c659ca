// What the benchmarks (node on dist/) and the tests (tsx, through test/helpers) share: a free port,
// a poll until something holds, a median, a forked child's next message, and how the built
// `marathon-monkey` (dist/cli.js) is driven against the simulator: the environment a command gets
// and the journal it leaves.
//
// Plain JavaScript so both can import it; its types are in shared.d.mts. It imports nothing from
// dist/ or test/, so a script that has not built yet can still use it.
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The environment without the developer's MONKEY_* settings, nor what Marathon or Mesos would set. */
export function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MONKEY_') && k !== 'MARATHON_APP_ID' && k !== 'PORT0' && k !== 'MESOS_TASK_ID') env[k] = v;
  return { ...env, ...extra };
}

/** A one-shot command (once, plan, explain) against the simulator: always office hours, no minimum task age. */
export function simEnv(sim, journal, extra = {}) {
  return cleanEnv({
    MONKEY_MARATHON_URLS: sim.marathonUrl,
    MONKEY_MESOS_URL: sim.mesosUrl,
    MONKEY_JOURNAL: journal,
    MONKEY_OFFICE_HOURS: 'always',
    MONKEY_MIN_TASK_AGE: '0',
    MONKEY_RECOVERY_POLL_MS: '100',
    ...extra,
  });
}

/** The daemon against the simulator: a slot every second, real kills, a free port on 127.0.0.1. */
export function daemonEnv(sim, journal, extra = {}) {
  return simEnv(sim, journal, {
    MONKEY_PORT: '0',
    MONKEY_HOST: '127.0.0.1',
    MONKEY_CRON: '* * * * * *',
    MONKEY_JITTER: '0',
    MONKEY_DRY_RUN: 'false',
    ...extra,
  });
}

/**
 * The journal's records as parsed JSON (empty when the file does not exist yet). A line that is
 * not JSON throws, unless `skipTorn`: then the journal is read as a crash leaves it, a line torn by
 * kill -9 skipped, as the daemon does.
 */
export function journalRecords(path, { skipTorn = false } = {}) {
  if (!existsSync(path)) return [];
  const out = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line));
    } catch (err) {
      if (!skipTorn) throw err;
    }
  }
  return out;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Calls `f` every `everyMs` until it returns something other than undefined, and returns that; fails after `timeoutMs` naming `what`. */
export async function until(f, timeoutMs, what, everyMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it; a race with another process is possible but rare). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** The next IPC message of `type` from a forked child (its `value`); rejects if the child exits first. */
export function receive(child, type) {
  return new Promise((resolve, reject) => {
    const onMessage = (msg) => {
      if (msg.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(msg.value);
    };
    const onExit = (code) => reject(new Error(`child ${child.pid} exited with ${code} before sending ${type}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
