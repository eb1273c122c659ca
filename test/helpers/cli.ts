/**
 * Drives the real `marathon-monkey` binary (dist/cli.js, built by `npm test` before mocha) the
 * way an operator's scripts do: arguments, environment, exit code, stdout, stderr, signals.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The environment and the journal reader are shared with the benchmarks that run the built CLI.
export { cleanEnv, daemonEnv, journalRecords, simEnv, type SimUrls } from '../../scripts/shared.mjs';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
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
