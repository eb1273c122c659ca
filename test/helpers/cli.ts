/**
 * Drives the real `marathon-monkey` binary (dist/cli.js, built by `npm test` before mocha) the
 * way an operator's scripts do: arguments, environment, exit code, stdout, stderr, signals.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A clean environment: nothing of the developer's MONKEY_* settings leaks into a test. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MONKEY_') && k !== 'MARATHON_APP_ID' && k !== 'PORT0') env[k] = v;
  return { ...env, ...extra };
}

/** Where the simulator a test started answers. */
export interface SimUrls {
  marathonUrl: string;
  mesosUrl: string;
}

/** A one-shot command (once, plan, explain) against the simulator: always office hours, no minimum task age. */
export function simEnv(sim: SimUrls, journal: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
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
export function daemonEnv(sim: SimUrls, journal: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return simEnv(sim, journal, {
    MONKEY_PORT: '0',
    MONKEY_HOST: '127.0.0.1',
    MONKEY_CRON: '* * * * * *',
    MONKEY_JITTER: '0',
    MONKEY_DRY_RUN: 'false',
    ...extra,
  });
}

export function tempDir(prefix = 'monkey-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does it before mocha)`);
}

export class RunningCli {
  stdout = '';
  stderr = '';
  readonly exited: Promise<CliResult>;
  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => (this.stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        // Let the pipes drain before reporting.
        setImmediate(() => resolve({ code, signal, stdout: this.stdout, stderr: this.stderr }));
      });
    });
  }

  /** Resolves when `predicate` holds for the output so far; rejects after `timeoutMs`. */
  async waitFor(predicate: (out: { stdout: string; stderr: string }) => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      if (this.child.exitCode !== null) throw new Error(`process exited (${this.child.exitCode}) before ${what}\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  signal(sig: NodeJS.Signals): void {
    if (this.child.pid !== undefined && this.child.exitCode === null) process.kill(this.child.pid, sig);
  }

  /** Ends the process if a test left it running (by its own PID only). */
  cleanup(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

export function startCli(args: string[], env: NodeJS.ProcessEnv): RunningCli {
  assertBuilt();
  return new RunningCli(spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

export async function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<CliResult> {
  const run = startCli(args, env);
  const timer = setTimeout(() => run.cleanup(), timeoutMs);
  try {
    return await run.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** The journal's records as parsed JSON (empty when the file does not exist yet). */
export function journalRecords(path: string): Record<string, any>[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
