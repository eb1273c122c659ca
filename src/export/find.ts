import type { CycleRecord } from '../domain/record.js';
import { MonkeyError } from '../errors.js';
import type { JournalRecord } from '../journal/journal.js';
import { killMayHaveHappened } from '../domain/record.js';

const LIST_IDS = 'list the cycle ids with `marathon-monkey report --format json` (the kill timeline and weaknesses name each cycleId), or leave out --cycle for the last cycle that killed';

/** A named cycle that is not in the journal. */
export class NoSuchCycleError extends MonkeyError {
  override readonly name = 'NoSuchCycleError';
  constructor(cycleId: string, journal: string) {
    super('E_NO_SUCH_CYCLE', `no cycle "${cycleId}" in the journal ${journal}`, { hint: LIST_IDS });
  }
}

/** A cycle (named, or the last one) that sent no kill: there is no experiment to tell. */
export class NothingToExportError extends MonkeyError {
  override readonly name = 'NothingToExportError';
  constructor(message: string, hint: string) {
    super('E_NOTHING_TO_EXPORT', message, { hint });
  }
}

function isCycle(r: JournalRecord): r is JournalRecord & CycleRecord {
  return r.type === 'cycle' && typeof r.cycleId === 'string' && typeof r.time === 'string' && typeof r.durationsMs === 'object' && r.durationsMs !== null;
}

/**
 * Picks the cycle to export while the journal streams past: the one named, or else the last one
 * that killed. Only the candidate is kept, so a long journal is never held whole.
 */
export class CycleFinder {
  private found: CycleRecord | undefined;
  private cycles = 0;

  constructor(
    private readonly journal: string,
    private readonly cycleId?: string,
  ) {}

  /** Feeds one record; returns true once the named cycle is found (the caller may stop reading). */
  add(record: JournalRecord): boolean {
    if (!isCycle(record)) return false;
    this.cycles += 1;
    if (this.cycleId === undefined) {
      if (killMayHaveHappened(record)) this.found = record;
      return false;
    }
    if (record.cycleId !== this.cycleId) return false;
    this.found = record;
    return true;
  }

  /** The cycle to export, or the error that says why there is none. */
  result(): CycleRecord {
    const r = this.found;
    if (this.cycleId !== undefined) {
      if (r === undefined) throw new NoSuchCycleError(this.cycleId, this.journal);
      if (!killMayHaveHappened(r)) {
        const why = r.dryRun || r.plan || r.outcome === 'dry-run' ? 'it was a dry run' : r.killStatus === 'rejected' || r.killStatus === 'withdrawn' ? `its kill was ${r.killStatus}` : `its outcome was ${r.outcome}`;
        throw new NothingToExportError(`cycle ${this.cycleId} killed nothing (${why}): there is no experiment to export`, 'export a cycle that killed: leave out --cycle for the last one, or pick one from the kill timeline of `marathon-monkey report --format json`');
      }
      return r;
    }
    if (r === undefined) {
      throw new NothingToExportError(
        `no cycle in the journal ${this.journal} killed anything (${this.cycles} cycle${this.cycles === 1 ? '' : 's'} read)`,
        'run a live cycle first (`marathon-monkey once` with MONKEY_DRY_RUN=false, or the daemon), or point MONKEY_JOURNAL at the journal that holds its kills',
      );
    }
    return r;
  }
}
