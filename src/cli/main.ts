import { MonkeyError } from '../errors.js';
import { parseCommand, USAGE, type Command } from './args.js';
import { EXIT, packageVersion, type CliContext } from './context.js';
import type { runDaemon as RunDaemon } from './run-daemon.js';

export { EXIT, packageVersion, type CliContext } from './context.js';

/*
 * The dispatch. Each command loads what it uses when it runs, and nothing else: `help` must not pay
 * for the HTTP client, the metrics registry, the simulator or the holiday calendars (a bare `node`
 * starts in ~0.05 s and 40 MB; everything at once took ~0.25 s and 75 MB). So this module imports
 * only the argument parser and the error type; every command's module is an `await import()` below.
 */

/** Runs one command and returns the exit code. Never calls process.exit (the entry point does). */
export async function main(argv: readonly string[], ctx: CliContext): Promise<number> {
  try {
    const command = parseCommand(argv);
    return await dispatch(command, ctx);
  } catch (err) {
    ctx.stderr(formatError(err, ctx.env));
    return EXIT.error;
  }
}

async function dispatch(command: Command, ctx: CliContext): Promise<number> {
  switch (command.name) {
    case 'help':
      ctx.stdout(command.topic === 'config' ? await configHelp() : `${USAGE}\n`);
      return EXIT.ok;
    case 'version':
      ctx.stdout(`${packageVersion()}\n`);
      return EXIT.ok;
    case 'validate':
      return (await import('./validate.js')).validate(ctx);
    case 'risk':
      return (await import('./risk.js')).risk(command.json, ctx);
    case 'resume':
      return (await import('./resume.js')).resume(command.reason, ctx);
    case 'report':
      return (await import('./report.js')).report(command, ctx);
    case 'export':
      return (await import('./export.js')).exportCycle(command, ctx);
    case 'once':
      return (await import('./cycle-commands.js')).once(command.json, ctx);
    case 'plan':
      return (await import('./cycle-commands.js')).plan(command, ctx);
    case 'explain':
      return (await import('./cycle-commands.js')).explain(command.appId, command.json, ctx);
    case 'sim': {
      const { runSimCommand } = await import('../sim/command.js');
      const sim = await runSimCommand({
        ...(command.port === undefined ? {} : { port: command.port }),
        ...(command.scenario === undefined ? {} : { scenarioFile: command.scenario }),
        log: (line) => ctx.stdout(`${line}\n`),
      });
      const signal = await ctx.stopRequested;
      ctx.stdout(`${signal}: stopping the simulated cluster\n`);
      await sim.close();
      return EXIT.ok;
    }
    case 'start':
    case 'run': {
      const { loadConfig } = await import('../config/load.js');
      const loaded = loadConfig({ env: ctx.env });
      if (loaded.config.marathon.urls.length === 0) {
        if (command.name === 'start') return (await import('./demo.js')).runDemo(ctx);
        throw new MonkeyError('E_CONFIG', 'run needs a Marathon: MONKEY_MARATHON_URLS is empty', {
          hint: 'set MONKEY_MARATHON_URLS=http://marathon.mesos:8080, or use `marathon-monkey start` for the demo on the simulated cluster',
        });
      }
      return runDaemon(loaded, ctx);
    }
  }
}

/** The daemon against a configured Marathon, until a stop signal (see run-daemon.ts; loaded on first use). */
export async function runDaemon(...args: Parameters<typeof RunDaemon>): ReturnType<typeof RunDaemon> {
  return (await import('./run-daemon.js')).runDaemon(...args);
}

async function configHelp(): Promise<string> {
  const { configReference } = await import('../config/load.js');
  const lines = ['Configuration keys (JSON file via MONKEY_CONFIG; each also has an environment variable):', ''];
  for (const k of configReference()) {
    lines.push(`  ${k.env.padEnd(30)} ${k.path.padEnd(34)} default ${JSON.stringify(k.sensitive ? '' : k.default)}`);
    lines.push(`      ${k.doc}`);
  }
  return `${lines.join('\n')}\n`;
}

/** An error as an operator should read it: code, what is wrong, how to fix it. No bare stack traces. */
export function formatError(err: unknown, env: NodeJS.ProcessEnv): string {
  if (err instanceof MonkeyError) {
    return `marathon-monkey: ${err.code}: ${err.message}${err.hint === undefined || err.hint === '' ? '' : `\n  fix: ${err.hint}`}\n`;
  }
  const e = err as Error;
  const stack = env.MONKEY_LOG_LEVEL === 'debug' || env.MONKEY_LOG_LEVEL === 'trace' ? `\n${e.stack ?? ''}` : '';
  return `marathon-monkey: internal error: ${e?.message ?? String(err)}\n  this is a bug: please report it with MONKEY_LOG_LEVEL=debug output${stack}\n`;
}
