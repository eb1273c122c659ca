import assert from 'node:assert/strict';
import { parseCommand, USAGE } from '../../src/cli/args.js';
import { usageError } from '../helpers/usage.js';


describe('command line: report', () => {
  it('is Markdown to stdout by default; --format wins, else the extension of --out decides', () => {
    assert.deepEqual(parseCommand(['report']), { name: 'report', format: 'md' });
    assert.deepEqual(parseCommand(['report', '--out', 'r.html']), { name: 'report', format: 'html', out: 'r.html' });
    assert.deepEqual(parseCommand(['report', '--out', 'R.HTM']), { name: 'report', format: 'html', out: 'R.HTM' });
    assert.deepEqual(parseCommand(['report', '--out', 'r.json']), { name: 'report', format: 'json', out: 'r.json' });
    assert.deepEqual(parseCommand(['report', '--out', 'r.md']), { name: 'report', format: 'md', out: 'r.md' });
    assert.deepEqual(parseCommand(['report', '--out', 'report.txt']), { name: 'report', format: 'md', out: 'report.txt' });
    assert.deepEqual(parseCommand(['report', '--format', 'json']), { name: 'report', format: 'json' });
    assert.deepEqual(parseCommand(['report', '--format', 'md', '--out', 'r.html']), { name: 'report', format: 'md', out: 'r.html' });
  });

  it('--since takes a UTC day (from its midnight) or an ISO instant with a zone', () => {
    assert.deepEqual(parseCommand(['report', '--since', '2026-11-01']), { name: 'report', format: 'md', since: new Date('2026-11-01T00:00:00Z') });
    assert.deepEqual(parseCommand(['report', '--since', '2026-11-01T09:30:00+02:00']), { name: 'report', format: 'md', since: new Date('2026-11-01T07:30:00Z') });
  });

  it('names the flag and the expected form for bad values', () => {
    for (const bad of ['yesterday', '2026-11-01T09:00', '01/11/2026', '2026-02-31', '']) {
      const err = usageError(['report', '--since', bad]);
      assert.equal(err.code, 'E_USAGE');
      assert.match(err.message, /--since/);
      assert.match(err.message, /UTC day \(2026-11-01\) or an ISO-8601 instant with a time zone/);
    }
    assert.match(usageError(['report', '--format', 'pdf']).message, /--format must be one of html, md, json, got "pdf"/);
    assert.match(usageError(['report', '--out', '']).message, /--out needs a file name/);
    const typo = usageError(['report', '--outfile', 'x.html']);
    assert.match(typo.message, /--outfile/);
    assert.match(typo.hint ?? '', /--since, --format, --out/);
  });

  it('is in the usage text', () => {
    assert.match(USAGE, /^ {2}marathon-monkey report \[--since DATE\] \[--format html\|md\|json\] \[--out FILE\]/m);
  });
});
