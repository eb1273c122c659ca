import { loadConfig } from '../config/load.js';
import { Journal } from '../journal/journal.js';
import { JournalLock } from '../journal/lock.js';
import { loadJournalState } from '../journal/state.js';
import { systemClock } from '../platform/clock.js';
import { EXIT, type CliContext } from './context.js';

/** Clears a halt (and a pause) in the journal, for `once` users; the daemon has POST /resume. */
export async function resume(reason: string | undefined, ctx: CliContext): Promise<number> {
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
