/**
 * The files the journal-reading commands (`report`, `export`) read and write: the journal must be
 * there and readable before anything is computed, and an --out file that cannot be written is a
 * clear error naming it, never a stack trace.
 */
import { stat, writeFile } from 'node:fs/promises';
import { MonkeyError } from '../errors.js';

/** A journal that is not there is a wrong MONKEY_JOURNAL, not an empty report. */
export async function assertReadable(path: string): Promise<void> {
  try {
    const s = await stat(path);
    if (s.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new MonkeyError('E_JOURNAL', `cannot read the journal ${path}${typeof code === 'string' ? ` (${code})` : ''}`, {
      hint:
        code === 'ENOENT'
          ? 'set MONKEY_JOURNAL (journal.path) to the journal the daemon or `once` writes; nothing has been journaled at this path'
          : 'MONKEY_JOURNAL must name a journal file readable by this user',
      cause: err,
    });
  }
}

/** Writes `text` to the --out file; `what` names the output in the error ("the report"). */
export async function writeOutput(out: string, text: string, code: string, what: string): Promise<void> {
  try {
    await writeFile(out, text);
  } catch (err) {
    throw new MonkeyError(code, `cannot write ${what} to ${out} (${(err as { code?: string }).code ?? (err as Error).message})`, {
      hint: `name a file in a directory that exists and is writable, or leave out --out to print ${what}`,
      cause: err,
    });
  }
}
