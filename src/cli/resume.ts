import { hostname } from 'node:os';
import { loadConfig, type MonkeyConfig } from '../config/load.js';
import { createLogger } from '../log.js';
import { Journal } from '../journal/journal.js';
import { JournalLock } from '../journal/lock.js';
import { loadJournalState } from '../journal/state.js';
import { systemClock, type Clock } from '../platform/clock.js';
import { EXIT, type CliContext } from './context.js';

/** Clears a halt (and a pause) in the journal, for `once` users; the daemon has POST /resume. */
export async function resume(reason: string | undefined, ctx: CliContext): Promise<number> {
  const { config } = loadConfig({ env: ctx.env });
  const clock = ctx.clock ?? systemClock;
  if (config.state.zk !== '') return resumeShared(config, clock, ctx);
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

/**
 * With ZooKeeper (MONKEY_ZK) the halt and the pause live in the shared state: clearing them there
 * resumes every instance. The local journal is not touched (a daemon holds its lock; its own
 * journal records the resume when it next reads the shared state through POST /resume).
 */
async function resumeShared(config: MonkeyConfig, clock: Clock, ctx: CliContext): Promise<number> {
  const { ZkCoordinator, maskZkUrl } = await import('../zk/index.js');
  const logger = createLogger({ level: 'warn', format: config.log.format, tty: ctx.stderrIsTTY === true, destination: { write: (s: string) => ctx.stderr(s) } });
  const coordinator = await ZkCoordinator.start({
    url: config.state.zk,
    sessionTimeoutMs: config.state.zkSessionTimeoutMs,
    identity: `resume on ${hostname()} pid ${process.pid}`,
    logger,
    clock,
    // It only clears the shared halt and pause: never a candidate for leader.
    elect: false,
  });
  try {
    let cleared: string[] = [];
    await coordinator.updateShared((s) => {
      cleared = [s.halted ? `the halt of ${s.halted.since} (${s.halted.reason})` : '', s.paused ? `the pause of ${s.paused.since}` : ''].filter((x) => x !== '');
      return cleared.length > 0 ? { ...s, halted: null, paused: null } : undefined;
    });
    const where = `the shared state in ${maskZkUrl(config.state.zk)}`;
    ctx.stdout(cleared.length > 0 ? `resumed: cleared ${cleared.join(' and ')} in ${where}\n` : `resumed: ${where} had no halt or pause; nothing changed\n`);
    return EXIT.ok;
  } finally {
    await coordinator.close();
  }
}
