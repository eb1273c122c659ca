#!/usr/bin/env node
/**
 * The entry point: the only place that touches process signals and process.exit.
 * First SIGTERM/SIGINT: graceful shutdown (no new kills, the recovery watch in flight may finish,
 * journal flushed, exit 0). Second signal: exit at once.
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

// The process lives exactly as long as the command: the clock's timers are unref'd (so a stray
// one never holds a finished process), which means something must hold a running one.
const keepAlive = setInterval(() => undefined, 1 << 30);
const code = await main(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stopRequested,
});
clearInterval(keepAlive);
process.exitCode = code;
// One-shot commands end here; long-running ones have closed their servers. A timer left behind
// by a library must not keep a finished command alive.
setTimeout(() => process.exit(code), 2000).unref();
