import type { Logger } from 'pino';
import { chaosSettingsFrom, clientsFrom, effectiveSeed, scheduleFrom } from '../app/wiring.js';
import { runCycle, type CycleContext } from '../chaos/cycle.js';
import type { WatchPoll } from '../chaos/recovery.js';
import { explainAppProbed } from '../chaos/explain.js';
import { skippedCycleRecord, summarizeCycle } from '../chaos/record.js';
import { loadConfig } from '../config/load.js';
import { MonkeyError } from '../errors.js';
import { Journal, streamJournal } from '../journal/journal.js';
import { JournalLedger } from '../journal/ledger.js';
import { JournalLock } from '../journal/lock.js';
import { emptyJournalState, journalState, loadJournalState, type JournalState } from '../journal/state.js';
import { createLogger } from '../log.js';
import type { MesosAgent } from '../domain/agent.js';
import { systemClock, type Clock } from '../platform/clock.js';
import { judgeSchedule } from '../schedule/gate.js';
import type { Command } from './args.js';
import { EXIT, type CliContext } from './context.js';
import { WaitProgress, withProbeLines } from './probe-output.js';
import type { CycleRecord } from '../domain/record.js';

/** once, plan and explain: the commands that run (or show) one cycle against a configured Marathon. */

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

/**
 * `once` beside instances on ZooKeeper would kill outside the election: the leader's minimum time
 * between kills and its fencing would not see it coming. It refuses; `plan` shows a cycle safely.
 */
export function refuseOnceWithZk(zk: string): void {
  if (zk === '') return;
  throw new MonkeyError('E_ZK_ONCE', 'once runs one cycle outside the leader election: with MONKEY_ZK set, only the elected leader of `marathon-monkey run` kills', {
    hint: 'run `marathon-monkey plan` to see what a cycle would do, or unset MONKEY_ZK for a one-off cycle with the single-instance journal',
  });
}

export async function once(json: boolean, ctx: CliContext): Promise<number> {
  refuseOnceWithZk(loadConfig({ env: ctx.env }).config.state.zk);
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
        { apps: clients.marathon, killer: clients.marathon, ledger, agents: clients.agents, events: clients.events, prober: clients.prober, clock, logger, journal: state },
        settings,
        {
          scheduledAt,
          signal: abort.signal,
          mayKill: () => !abort.signal.aborted,
          // A person at a terminal sees the wait (up to the recovery timeout) instead of silence:
          // each recovery read, and for an app with service probes a line per probe round.
          ...(ctx.stderrIsTTY === true ? waitProgress((line) => ctx.stderr(`${line}\n`)) : {}),
        },
      );
    }
    // What was killed is printed before anything else can fail: the operator must learn of a kill.
    ctx.stdout(json ? `${JSON.stringify(record)}\n` : `${withProbeLines(summarizeCycle(record), record)}\n`);
    await journal.append(record);
    if (record.weaknesses.length > 0) return EXIT.weakness;
    if (record.outcome === 'error') return EXIT.error;
    return EXIT.ok;
  } finally {
    lock.release();
  }
}

export async function plan(command: Extract<Command, { name: 'plan' }>, ctx: CliContext): Promise<number> {
  const { config, clock, logger, schedule, clients } = prepare(ctx);
  const seed = command.seed ?? effectiveSeed(config).seed;
  const settings = chaosSettingsFrom(config, seed);
  const at = command.at ?? new Date(Math.floor(clock.now() / 1000) * 1000);
  // Replaying a journaled cycle: judge "now" as that cycle did, with the journal as it was then
  // (its own kill must not make its app look recently killed).
  const { memory, startedAt } = await journalAsOf(config.journal.path, at, logger);
  const fixed: Clock = { now: () => startedAt.getTime(), sleep: (ms, signal) => clock.sleep(ms, signal) };
  const record = await runCycle(
    // The prober judges the probe labels only: plan never probes.
    { apps: clients.marathon, killer: refuseKills, ledger: refuseLedger, agents: clients.agents, prober: clients.prober, clock: fixed, logger, journal: memory },
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

/** The cycle's progress callbacks for a terminal: recovery reads and probe rounds (WaitProgress). */
function waitProgress(write: (line: string) => void): Pick<CycleContext, 'onWatchPoll' | 'onProbeRound'> {
  const progress = new WaitProgress(write, progressLine);
  return { onWatchPoll: (p: WatchPoll) => progress.onWatchPoll(p), onProbeRound: (r) => progress.onProbeRound(r) };
}

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

export async function explain(appId: string, json: boolean, ctx: CliContext): Promise<number> {
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
  // Like the cycle, explain runs the app's service probes once when every other guard passes.
  const result = await explainAppProbed(appId, apps, agents, settings, memory, clock.now(), clients.prober);
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
