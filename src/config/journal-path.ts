import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Whether the journal at `path` can be appended to (or created), judged before anything runs: a
 * journal that cannot be written means kills nobody can audit and a minimum kill interval nobody
 * remembers. Returns null when writable, otherwise one sentence naming MONKEY_JOURNAL and the fix.
 *
 * The file itself if it exists, otherwise the nearest existing ancestor directory, is checked with
 * access(W_OK). Root passes access checks whatever the mode bits, so for root only structural
 * problems (a directory where the file should be, a file where a directory should be) are found.
 */
export function checkJournalWritable(path: string): string | null {
  if (path.trim() === '') return 'journal.path (MONKEY_JOURNAL) is empty: set it to a file path, e.g. /var/lib/marathon-monkey/journal.jsonl';
  const target = resolve(path);
  const name = `journal.path (MONKEY_JOURNAL=${path})`;
  let p = target;
  for (;;) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(p).isDirectory();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code === 'ENOENT' || code === 'ENOTDIR') && dirname(p) !== p) {
        p = dirname(p);
        continue;
      }
      return `${name}: cannot check ${p} (${code ?? String(err)}); point MONKEY_JOURNAL at a file in a directory the monkey can write`;
    }
    if (p === target) {
      if (isDirectory) return `${name} is a directory: name a file inside it, e.g. ${resolve(target, 'journal.jsonl')}`;
      return writable(p) ? null : `${name}: the file exists but is not writable by this user; fix its owner or mode, or point MONKEY_JOURNAL elsewhere`;
    }
    if (!isDirectory) return `${name}: ${p} is a file, not a directory, so the journal cannot be created below it; point MONKEY_JOURNAL at a path in a directory`;
    return writable(p)
      ? null
      : `${name}: directory ${p} is not writable by this user, so the journal cannot be created; create the directory it should live in with write access for this user, or point MONKEY_JOURNAL elsewhere`;
  }
}

function writable(p: string): boolean {
  try {
    accessSync(p, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
