import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkJournalWritable } from '../../src/config/journal-path.js';

/**
 * The suite runs as root in CI and in the image build, and root passes access(W_OK) whatever the
 * mode bits: a chmod 000 directory proves nothing there. Unwritable paths are therefore built from
 * structure every user fails on: a path below a regular file (ENOTDIR), or a directory where the
 * journal file should be.
 */
describe('checkJournalWritable', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'monkey-journal-path-'));
  });

  it('accepts an existing writable file, a new file in a writable directory, and missing directories below one', () => {
    const file = join(dir, 'journal.jsonl');
    writeFileSync(file, '');
    assert.equal(checkJournalWritable(file), null);
    assert.equal(checkJournalWritable(join(dir, 'new.jsonl')), null);
    assert.equal(checkJournalWritable(join(dir, 'a', 'b', 'journal.jsonl')), null);
  });

  it('rejects an empty path', () => {
    assert.match(checkJournalWritable('') ?? '', /MONKEY_JOURNAL\) is empty/);
  });

  it('rejects a path below a regular file, naming MONKEY_JOURNAL and the file in the way', () => {
    const file = join(dir, 'plain');
    writeFileSync(file, 'x');
    for (const path of [join(file, 'journal.jsonl'), join(file, 'deeper', 'journal.jsonl')]) {
      const problem = checkJournalWritable(path) ?? '';
      assert.match(problem, /MONKEY_JOURNAL=/);
      assert.ok(problem.includes(`${file} is a file, not a directory`), problem);
      assert.match(problem, /point MONKEY_JOURNAL at/);
    }
  });

  it('rejects a directory where the journal file should be', () => {
    mkdirSync(join(dir, 'journal.jsonl'));
    assert.match(checkJournalWritable(join(dir, 'journal.jsonl')) ?? '', /is a directory: name a file inside it/);
  });

  it('rejects a directory this user cannot write (checked only when not root: root passes access checks)', () => {
    const locked = join(dir, 'locked');
    mkdirSync(locked, { mode: 0o500 });
    const problem = checkJournalWritable(join(locked, 'journal.jsonl'));
    if (process.getuid?.() === 0) assert.equal(problem, null);
    else assert.match(problem ?? '', /is not writable by this user/);
  });

  it('a relative path is judged from the working directory', () => {
    assert.equal(checkJournalWritable('marathon-monkey-journal.jsonl'), checkJournalWritable(join(process.cwd(), 'marathon-monkey-journal.jsonl')));
  });
});
