#!/usr/bin/env node
/**
 * The entry point: the only place that touches process signals, the standard streams and
 * process.exit.
 * First SIGTERM/SIGINT: graceful shutdown (no new kills, the recovery watch in flight may finish,
 * journal flushed, exit 0). Second signal: exit at once.
 * Standard output that cannot be written is an outcome, not a crash (see onStdoutError).
 */
import { main } from './cli/main.js';

let stops = 0;
let requestStop: (signal: string) => void = () => undefined;
const stopRequested = new Promise<string>((resolve) => {
  requestStop = resolve;
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    stops++;
    if (stops === 1) {
      requestStop(signal);
    } else {
      process.stderr.write(`marathon-monkey: second ${signal}: exiting now\n`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
  });
}

/** Commands that run until stopped; the rest end by themselves once their output is written. */
const LONG_RUNNING = ['run', 'start', 'sim'].includes(process.argv[2] ?? '');

/**
 * Set once stdout fails. 'closed': the reader went away (`… | head -1`), which is how pipelines
 * end, so the rest of the output is dropped and a one-shot command ends with its own status. 'failed':
 * the output cannot be stored (ENOSPC, EIO), so the command's result is lost: exit 1.
 */
let stdoutState: 'ok' | 'closed' | 'failed' = 'ok';
let stderrBroken = false;
/** The command's own exit code, once it has returned. */
const finished: { code?: number } = {};

function writeStderr(text: string): void {
  if (stderrBroken) return;
  try {
    process.stderr.write(text);
  } catch {
    stderrBroken = true;
  }
}

/** The reader of a pipe went away; the other codes mean the output itself was lost. */
const READER_GONE = new Set(['EPIPE', 'ERR_STREAM_DESTROYED']);

function onStdoutError(err: NodeJS.ErrnoException): void {
  if (stdoutState !== 'ok') return;
  const code = typeof err?.code === 'string' ? err.code : 'unknown';
  stdoutState = READER_GONE.has(code) ? 'closed' : 'failed';
  if (stdoutState === 'failed') {
    // One line, no stack: the operator redirected the output somewhere that cannot take it.
    const why = code === 'ENOSPC' ? 'no space left on the device' : code === 'EIO' ? 'input/output error' : (err?.message ?? String(err));
    writeStderr(`marathon-monkey: E_OUTPUT: cannot write to standard output (${code}: ${why}); the output is incomplete — free space or redirect it elsewhere\n`);
    process.exitCode = 1;
  }
  // Nothing more can reach the reader: a long-running command (run, sim, the demo) stops the way
  // it does on SIGTERM instead of killing with nobody watching; a one-shot command just finishes.
  if (stdoutState === 'closed' && LONG_RUNNING) writeStderr(`marathon-monkey: E_OUTPUT: standard output was closed (${code}); stopping as on SIGTERM\n`);
  requestStop(stdoutState === 'closed' ? 'SIGPIPE' : 'stdout failure');
  // The command may already be over (its last write failed after it returned).
  if (finished.code !== undefined) exit();
}

function writeStdout(text: string): void {
  if (stdoutState !== 'ok') return;
  try {
    process.stdout.write(text);
  } catch (err) {
    onStdoutError(err as NodeJS.ErrnoException);
  }
}

process.stdout.on('error', onStdoutError);
// A closed or full stderr has nowhere to be reported; never let it crash the process.
process.stderr.on('error', () => {
  stderrBroken = true;
});

function exitCode(): number {
  if (stdoutState === 'failed') return 1;
  // A one-shot command whose reader had all it wanted (`| head -1`) succeeded; a daemon that lost
  // its output stopped for that reason: 141 (128 + SIGPIPE) as a shell reports a broken pipe, so a
  // supervisor sees that it did not end by request.
  if (stdoutState === 'closed' && LONG_RUNNING) return 141;
  return finished.code ?? 1;
}

function exit(): void {
  process.exitCode = exitCode();
  // One-shot commands end here; long-running ones have closed their servers. A timer left behind
  // by a library must not keep a finished command alive.
  setTimeout(() => process.exit(exitCode()), 2000).unref();
}

// The process lives exactly as long as the command: the clock's timers are unref'd (so a stray
// one never holds a finished process), which means something must hold a running one.
const keepAlive = setInterval(() => undefined, 1 << 30);
finished.code = await main(process.argv.slice(2), {
  env: process.env,
  stdout: writeStdout,
  stderr: writeStderr,
  stdoutIsTTY: process.stdout.isTTY === true,
  stderrIsTTY: process.stderr.isTTY === true,
  stopRequested,
});
clearInterval(keepAlive);
exit();
