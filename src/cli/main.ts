import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { chaosSettingsFrom, clientsFrom, effectiveSeed, safetySummary, scheduleFrom } from '../app/wiring.js';
import { runCycle } from '../chaos/cycle.js';
import type { WatchPoll } from '../chaos/recovery.js';
import { explainApp } from '../chaos/explain.js';
import { skippedCycleRecord, summarizeCycle, type CycleRecord } from '../chaos/record.js';
import { checkJournalWritable } from '../config/journal-path.js';
import { configReference, loadConfig, type LoadedConfig } from '../config/load.js';
import { Daemon } from '../daemon/daemon.js';
import { HeapKeeper, v8HeapAccess } from '../daemon/heap-keeper.js';
import { MonkeyMetrics } from '../daemon/metrics.js';
import { MonkeyError } from '../errors.js';
import { Journal, streamJournal } from '../journal/journal.js';
import { JournalLedger } from '../journal/ledger.js';
import { JournalLock } from '../journal/lock.js';
import { emptyJournalState, journalState, loadJournalState, type JournalState } from '../journal/state.js';
import { createLogger } from '../log.js';
import type { MesosAgent } from '../mesos/types.js';
import { systemClock, type Clock } from '../platform/clock.js';
import { judgeSchedule } from '../schedule/gate.js';
import { runSimCommand } from '../sim/command.js';
import { parseCommand, USAGE, type Command } from './args.js';
import { runDemo } from './demo.js';

/** Exit codes: part of the public interface (README "Exit codes"). */
export const EXIT = { ok: 0, error: 1, weakness: 2 } as const;

export interface CliContext {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stdout / stderr is a terminal: human-readable logs and progress lines there. */
  stdoutIsTTY?: boolean;
  stderrIsTTY?: boolean;
  /** Resolves with the signal name when the process is asked to stop (first SIGTERM/SIGINT). */
  stopRequested: Promise<string>;
  clock?: Clock;
}

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

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
      ctx.stdout(command.topic === 'config' ? configHelp() : `${USAGE}\n`);
      return EXIT.ok;
    case 'version':
      ctx.stdout(`${packageVersion()}\n`);
      return EXIT.ok;
    case 'validate':
      return validate(ctx);
    case 'resume':
      return resume(command.reason, ctx);
    case 'once':
      return once(command.json, ctx);
    case 'plan':
      return plan(command, ctx);
    case 'explain':
      return explain(command.appId, command.json, ctx);
    case 'sim': {
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
      const loaded = loadConfig({ env: ctx.env });
      if (loaded.config.marathon.urls.length === 0) {
        if (command.name === 'start') return runDemo(ctx);
        throw new MonkeyError('E_CONFIG', 'run needs a Marathon: MONKEY_MARATHON_URLS is empty', {
          hint: 'set MONKEY_MARATHON_URLS=http://marathon.mesos:8080, or use `marathon-monkey start` for the demo on the simulated cluster',
        });
      }
      return runDaemon(loaded, ctx);
    }
  }
}

function loggerFor(loaded: LoadedConfig, ctx: CliContext, toStderr = false): Logger {
  return createLogger({
    level: loaded.config.log.level,
    format: loaded.config.log.format,
    tty: (toStderr ? ctx.stderrIsTTY : ctx.stdoutIsTTY) === true,
    destination: { write: (s: string) => (toStderr ? ctx.stderr(s) : ctx.stdout(s)) },
  });
}

/** The daemon against a configured Marathon, until a stop signal. */
export async function runDaemon(
  loaded: LoadedConfig,
  ctx: CliContext,
  extras: { logger?: Logger; onCycle?: (r: CycleRecord) => void; onStarted?: (url: string) => void } = {},
): Promise<number> {
  const { config } = loaded;
  const clock = ctx.clock ?? systemClock;
  const logger = extras.logger ?? loggerFor(loaded, ctx);
  const schedule = scheduleFrom(config);
  const { seed, generated } = effectiveSeed(config);
  const settings = chaosSettingsFrom(config, seed);
  const metrics = new MonkeyMetrics({ version: packageVersion() });
  const clients = clientsFrom(config, { clock, logger, onRequest: Daemon.requestRecorder(metrics) });
  const heap = v8HeapAccess();
  const daemon = new Daemon({
    metrics,
    settings,
    schedule,
    clients,
    journalPath: config.journal.path,
    clock,
    logger,
    server: { host: config.server.host, port: config.server.port, controlToken: config.server.controlToken },
    maskedConfig: loaded.masked,
    version: packageVersion(),
    shutdownGraceMs: config.shutdown.graceMs,
    ...(extras.onCycle ? { onCycle: extras.onCycle } : {}),
    ...(heap ? { heapKeeper: new HeapKeeper(heap) } : {}),
  });
  logger.info({ safety: safetySummary(config, seed, schedule), seedGenerated: generated }, 'effective safety settings');
  if (!config.chaos.dryRun) logger.warn({}, 'dry-run is OFF: kills are real');
  const { url } = await daemon.start();
  extras.onStarted?.(url);
  const signal = await ctx.stopRequested;
  await daemon.shutdown(signal);
  return EXIT.ok;
}

function validate(ctx: CliContext): number {
  const loaded = loadConfig({ env: ctx.env });
  const { config } = loaded;
  const schedule = scheduleFrom(config);
  const { seed, generated } = effectiveSeed(config);
  chaosSettingsFrom(config, seed);
  if (config.marathon.urls.length > 0) {
    clientsFrom(config, { clock: systemClock, logger: createLogger({ level: 'silent' }) });
  }
  const journalProblem = checkJournalWritable(config.journal.path);
  if (journalProblem !== null) {
    throw new MonkeyError('E_CONFIG', `invalid configuration: ${journalProblem}`, { hint: 'every kill is journaled before it is sent: the journal must be writable before anything runs' });
  }
  ctx.stdout('configuration is valid\n');
  ctx.stdout(`${JSON.stringify(safetySummary(config, generated ? '(random at each start: set MONKEY_SEED to fix it)' : seed, schedule), null, 2)}\n`);
  if (config.marathon.urls.length === 0) ctx.stdout('note: no MONKEY_MARATHON_URLS: `start` runs the demo on the simulated cluster; `run` and `once` need a Marathon\n');
  if (!config.chaos.dryRun) ctx.stdout('note: dry-run is OFF: kills are real\n');
  ctx.stdout(`note: run serves HTTP on ${config.server.host}:${config.server.port} (port from ${loaded.origin?.('server.port') ?? 'configuration'})\n`);
  return EXIT.ok;
}

/** Clears a halt (and a pause) in the journal, for `once` users; the daemon has POST /resume. */
async function resume(reason: string | undefined, ctx: CliContext): Promise<number> {
  const { config } = loadConfig({ env: ctx.env });
  const clock = ctx.clock ?? systemClock;
  // A running daemon holds the lock: it must be resumed through its control API, which it journals.
  const lock = JournalLock.acquire(config.journal.path, 'resume', new Date(clock.now()));
  try {
    const before = await loadJournalState(config.journal.path, new Date(clock.now()));
    await new Journal(config.journal.path).append({ type: 'resume', time: new Date(clock.now()).toISOString(), by: 'cli', reason: reason ?? 'resumed from the command line' });
    const cleared = [before.halted ? `the halt of ${before.halted.since} (${before.halted.reason})` : '', before.paused ? `the pause of ${before.paused.since}` : ''].filter((x) => x !== '');
    ctx.stdout(
      cleared.length > 0
        ? `resumed: cleared ${cleared.join(' and ')} in ${config.journal.path}\n`
        : `resumed: ${config.journal.path} had no halt or pause; recorded the resume anyway\n`,
    );
    return EXIT.ok;
  } finally {
    lock.release();
  }
}

/** Shared by once/plan/explain: config, clients and a quiet logger (stderr, warnings only unless configured). */
function prepare(ctx: CliContext) {
  const loaded = loadConfig({ env: ctx.env });
  const { config } = loaded;
  const clock = ctx.clock ?? systemClock;
  const level = ctx.env.MONKEY_LOG_LEVEL === undefined ? 'warn' : config.log.level;
  const logger = createLogger({ level, format: config.log.format, tty: ctx.stderrIsTTY === true, destination: { write: (s: string) => ctx.stderr(s) } });
  const schedule = scheduleFrom(config);
  const clients = clientsFrom(config, { clock, logger });
  return { loaded, config, clock, logger, schedule, clients };
}

async function once(json: boolean, ctx: CliContext): Promise<number> {
  const { config, clock, logger, schedule, clients } = prepare(ctx);
  const { seed } = effectiveSeed(config);
  const settings = chaosSettingsFrom(config, seed);
  // One writer per journal: a daemon (or another `once`) on it would not know of our kill.
  const lock = JournalLock.acquire(config.journal.path, 'once', new Date(clock.now()));
  try {
    const journal = new Journal(config.journal.path);
    const now = clock.now();
    // `once` runs "now": its scheduled instant is now to the second, journaled with the seed.
    const scheduledAt = new Date(Math.floor(now / 1000) * 1000);
    let record: CycleRecord;
    const judged = judgeSchedule(new Date(now), schedule);
    const memory = judged.ok ? await loadJournalState(config.journal.path, new Date(now), { logger }) : undefined;
    if (!judged.ok) {
      record = skippedCycleRecord(judged.reason, judged.detail, { settings, scheduledAt, now });
    } else if (memory?.paused) {
      // A pause recorded in the journal (POST /pause, a paused daemon) holds for `once` too.
      const p = memory.paused;
      record = skippedCycleRecord('paused', `paused since ${p.since}${p.reason ? `: ${p.reason}` : ''}; resume with \`marathon-monkey resume\` or POST /resume`, { settings, scheduledAt, now });
    } else {
      await journal.markRead();
      const state = memory ?? emptyJournalState();
      const ledger = new JournalLedger(journal, state, { minKillIntervalMs: settings.minKillIntervalMinutes * 60_000, logger });
      const abort = new AbortController();
      void ctx.stopRequested.then((s) => abort.abort(new Error(s)));
      record = await runCycle(
        { apps: clients.marathon, killer: clients.marathon, ledger, agents: clients.agents, clock, logger, journal: state },
        settings,
        {
          scheduledAt,
          signal: abort.signal,
          mayKill: () => !abort.signal.aborted,
          // A person at a terminal sees the wait (up to the recovery timeout) instead of silence.
          ...(ctx.stderrIsTTY === true ? { onWatchPoll: (p: WatchPoll) => ctx.stderr(`${progressLine(p)}\n`) } : {}),
        },
      );
    }
    // What was killed is printed before anything else can fail: the operator must learn of a kill.
    ctx.stdout(json ? `${JSON.stringify(record)}\n` : `${summarizeCycle(record)}\n`);
    await journal.append(record);
    if (record.weaknesses.length > 0) return EXIT.weakness;
    if (record.outcome === 'error') return EXIT.error;
    return EXIT.ok;
  } finally {
    lock.release();
  }
}

async function plan(command: Extract<Command, { name: 'plan' }>, ctx: CliContext): Promise<number> {
  const { config, clock, logger, schedule, clients } = prepare(ctx);
  const seed = command.seed ?? effectiveSeed(config).seed;
  const settings = chaosSettingsFrom(config, seed);
  const at = command.at ?? new Date(Math.floor(clock.now() / 1000) * 1000);
  // Replaying a journaled cycle: judge "now" as that cycle did, with the journal as it was then
  // (its own kill must not make its app look recently killed).
  const { memory, startedAt } = await journalAsOf(config.journal.path, at, logger);
  const fixed: Clock = { now: () => startedAt.getTime(), sleep: (ms, signal) => clock.sleep(ms, signal) };
  const record = await runCycle(
    { apps: clients.marathon, killer: refuseKills, ledger: refuseLedger, agents: clients.agents, clock: fixed, logger, journal: memory },
    settings,
    { scheduledAt: at, plan: true },
  );
  const gate = judgeSchedule(startedAt, schedule);
  if (command.json) {
    ctx.stdout(`${JSON.stringify({ ...record, officeHours: gate })}\n`);
  } else {
    ctx.stdout(`${summarizeCycle(record)}\n`);
    ctx.stdout(`  seed ${seed}, instant ${at.toISOString()} (replay: marathon-monkey plan --seed ${JSON.stringify(seed)} --at ${at.toISOString()})\n`);
    if (!gate.ok) ctx.stdout(`  note: a scheduled cycle at this instant would do nothing: ${gate.reason} — ${gate.detail}\n`);
  }
  return record.outcome === 'error' ? EXIT.error : EXIT.ok;
}

/** plan never kills: a killer that fails loudly if the cycle ever asked it to. */
const refuseKills = {
  killTasks(): Promise<never> {
    return Promise.reject(new MonkeyError('E_PLAN_KILL', 'plan must never kill (bug)'));
  },
};

/** `/billing: 2/3 healthy, 4.0 s after the kill (under-replicated: 2 of 3 running)` */
export function progressLine(p: WatchPoll): string {
  const h = p.health;
  const counts = h ? `${h.tasksHealthy}/${h.instances} healthy, ${h.tasksRunning} running` : 'no answer yet';
  const state = p.recovered ? 'RECOVERED' : p.problem ? `waiting: ${p.problem}` : 'waiting';
  return `  ${p.appId}: ${counts}, ${(p.elapsedMs / 1000).toFixed(1)} s after the kill — ${state}`;
}

/** plan never writes: a ledger that refuses, so a bug could not journal an intent either. */
const refuseLedger = {
  recordIntent(): Promise<never> {
    return Promise.reject(new MonkeyError('E_PLAN_KILL', 'plan must never kill (bug)'));
  },
  recordAnswer(): Promise<never> {
    return Promise.reject(new MonkeyError('E_PLAN_KILL', 'plan must never kill (bug)'));
  },
};

async function journalAsOf(path: string, at: Date, logger: Logger): Promise<{ memory: JournalState; startedAt: Date }> {
  const before: { type: string }[] = [];
  let startedAt = at;
  for await (const r of streamJournal(path, { logger })) {
    const rec = r as { type: string; time?: string; scheduledAt?: string };
    if (rec.type === 'cycle' && rec.scheduledAt === at.toISOString() && typeof rec.time === 'string') {
      startedAt = new Date(rec.time);
      break;
    }
    if (typeof rec.time === 'string' && new Date(rec.time) >= at) break;
    before.push(r);
  }
  return { memory: journalState(before, startedAt), startedAt };
}

async function explain(appId: string, json: boolean, ctx: CliContext): Promise<number> {
  const { config, clock, logger, clients } = prepare(ctx);
  const settings = chaosSettingsFrom(config, effectiveSeed(config).seed);
  const apps = await clients.marathon.listApps();
  let agents: MesosAgent[] | null = null;
  let agentsNote = '';
  if (settings.strategy === 'rack' || settings.strategy === 'host') {
    try {
      agents = await clients.agents.listAgents();
    } catch (err) {
      agentsNote = `Mesos agents unavailable (${(err as Error).message}); racks from task zones only`;
    }
  }
  const memory = await loadJournalState(config.journal.path, new Date(clock.now()), { logger });
  const result = explainApp(appId, apps, agents, settings, memory, clock.now());
  if (json) {
    ctx.stdout(`${JSON.stringify(result)}\n`);
    return EXIT.ok;
  }
  ctx.stdout(`${appId}: ${result.eligible ? 'ELIGIBLE' : 'NOT eligible'} (strategy ${settings.strategy}, dry-run ${settings.dryRun})\n`);
  for (const g of result.guards) ctx.stdout(`  ${g.ok ? 'ok ' : 'NO '} ${g.guard.padEnd(20)} ${g.reason && !g.ok ? `[${g.reason}] ` : ''}${g.detail}\n`);
  if (result.eligible) ctx.stdout(`  candidate tasks: ${result.candidateTasks.length}, kills it can take now: ${result.budget}\n`);
  if (agentsNote !== '') ctx.stdout(`  note: ${agentsNote}\n`);
  return EXIT.ok;
}

function configHelp(): string {
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
