import { closeSync, existsSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { MonkeyError } from '../errors.js';

/**
 * One writer per journal. Two processes on one journal (a daemon and a `once`, or two daemons)
 * each believed they were alone and killed the same app seconds apart. The lock is a file beside
 * the journal, created exclusively and held for the life of the process; it names its holder so
 * the refusal can say who has it.
 *
 * A holder that died without removing it (kill -9, OOM) leaves the file behind. The lock is stale
 * when its holder is gone: on Linux the holder is identified by pid AND the process's start time
 * (a restarted container reuses small pids), elsewhere by the pid alone. A lock written on another
 * host (a shared volume) is never judged stale from here.
 */

export interface LockHolder {
  pid: number;
  host: string;
  /** /proc/<pid>/stat start time (clock ticks since boot), when known. */
  startTicks?: number;
  command: string;
  since: string;
}

export class JournalLockedError extends MonkeyError {
  override readonly name = 'JournalLockedError';
  constructor(
    readonly lockPath: string,
    readonly holder: LockHolder | undefined,
  ) {
    super(
      'E_JOURNAL_LOCKED',
      holder
        ? `the journal is in use by pid ${holder.pid} on ${holder.host} (${holder.command}, since ${holder.since}); lock ${lockPath}`
        : `the journal is locked by another process (lock ${lockPath} could not be read)`,
      {
        hint:
          'two monkeys on one journal forget each other’s kills: stop the other process (for a running daemon use POST /pause, /resume on its control API), or give this one its own MONKEY_JOURNAL. ' +
          'If no such process exists, delete the lock file.',
      },
    );
  }
}

export class JournalLockError extends MonkeyError {
  override readonly name = 'JournalLockError';
  constructor(lockPath: string, cause: unknown) {
    const code = (cause as { code?: unknown }).code;
    super('E_JOURNAL', `cannot create the journal lock ${lockPath}${typeof code === 'string' ? ` (${code})` : ''}`, {
      hint: 'the directory of MONKEY_JOURNAL must exist (or be creatable) and be writable by the monkey’s user',
      cause,
    });
  }
}

/** The start time of a live process from /proc, or undefined when not on Linux or not running. */
export function processStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may hold spaces and parentheses: fields after it start after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[19]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

/** Lock files this process holds: a second taker in the same process is refused like any other. */
const heldHere = new Set<string>();

function isAlive(holder: LockHolder, lockPath: string): boolean {
  if (holder.host !== hostname()) return true;
  // Our own pid but not our lock: a predecessor in a restarted container had the same pid.
  if (holder.pid === process.pid) return heldHere.has(lockPath);
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ESRCH') return false;
  }
  if (holder.startTicks !== undefined && existsSync('/proc/self/stat')) {
    const now = processStartTicks(holder.pid);
    if (now === undefined || now !== holder.startTicks) return false;
  }
  return true;
}

function readHolder(lockPath: string): LockHolder | undefined {
  try {
    const v = JSON.parse(readFileSync(lockPath, 'utf8')) as Partial<LockHolder>;
    if (typeof v.pid !== 'number' || typeof v.host !== 'string') return undefined;
    return {
      pid: v.pid,
      host: v.host,
      command: typeof v.command === 'string' ? v.command : 'unknown',
      since: typeof v.since === 'string' ? v.since : 'unknown',
      ...(typeof v.startTicks === 'number' ? { startTicks: v.startTicks } : {}),
    };
  } catch {
    return undefined;
  }
}

export class JournalLock {
  private released = false;
  private readonly onExit = (): void => this.release();

  private constructor(
    readonly path: string,
    private readonly token: string,
  ) {
    process.once('exit', this.onExit);
  }

  /**
   * Takes the lock for `journalPath` or throws JournalLockedError naming the holder. A stale lock
   * (its process is gone) is taken over once; a lock that cannot be read while its file exists is
   * treated as held, so an unreadable lock never lets two writers in.
   */
  static acquire(journalPath: string, command: string, now: Date = new Date()): JournalLock {
    const lockPath = `${journalPath}.lock`;
    const startTicks = processStartTicks(process.pid);
    const holder: LockHolder = { pid: process.pid, host: hostname(), command, since: now.toISOString(), ...(startTicks === undefined ? {} : { startTicks }) };
    const token = JSON.stringify(holder);
    for (let attempt = 0; attempt < 2; attempt++) {
      let fd: number;
      try {
        fd = openSync(lockPath, 'wx', 0o644);
      } catch (err) {
        if ((err as { code?: unknown }).code !== 'EEXIST') throw new JournalLockError(lockPath, err);
        const other = readHolder(lockPath);
        if (other === undefined || isAlive(other, lockPath) || attempt > 0) throw new JournalLockedError(lockPath, other);
        try {
          unlinkSync(lockPath);
        } catch (e) {
          if ((e as { code?: unknown }).code !== 'ENOENT') throw new JournalLockError(lockPath, e);
        }
        continue;
      }
      try {
        writeSync(fd, `${token}\n`);
      } finally {
        closeSync(fd);
      }
      heldHere.add(lockPath);
      return new JournalLock(lockPath, token);
    }
    throw new JournalLockedError(lockPath, readHolder(lockPath));
  }

  /** Removes the lock file if it is still ours. Idempotent; also runs at process exit. */
  release(): void {
    if (this.released) return;
    this.released = true;
    process.removeListener('exit', this.onExit);
    heldHere.delete(this.path);
    try {
      if (readFileSync(this.path, 'utf8').trim() === this.token) unlinkSync(this.path);
    } catch {
      // Already gone: nothing to release.
    }
  }
}
