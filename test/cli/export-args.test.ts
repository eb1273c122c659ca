import assert from 'node:assert/strict';
import { parseCommand, USAGE } from '../../src/cli/args.js';
import { usageError } from '../helpers/usage.js';

describe('command line: export', () => {
  it('--format chaostoolkit, with an optional --cycle and --out', () => {
    assert.deepEqual(parseCommand(['export', '--format', 'chaostoolkit']), { name: 'export', format: 'chaostoolkit' });
    assert.deepEqual(parseCommand(['export', '--format', 'chaostoolkit', '--cycle', 'c-1', '--out', 'j.json']), { name: 'export', format: 'chaostoolkit', cycle: 'c-1', out: 'j.json' });
    assert.match(USAGE, /marathon-monkey export --format chaostoolkit \[--cycle ID\] \[--out FILE\]/);
  });

  it('refuses a missing or unknown format, empty values and unknown flags, saying how', () => {
    assert.match(usageError(['export']).message, /export needs --format chaostoolkit/);
    assert.match(usageError(['export', '--format', 'litmus']).message, /--format must be one of chaostoolkit, got "litmus"/);
    const cycle = usageError(['export', '--format', 'chaostoolkit', '--cycle', '']);
    assert.match(cycle.message, /--cycle needs a cycle id/);
    assert.match(cycle.hint ?? '', /marathon-monkey report --format json/);
    assert.match(usageError(['export', '--format', 'chaostoolkit', '--out', '']).message, /--out needs a file name/);
    assert.match(usageError(['export', '--format', 'chaostoolkit', '--since', '2026-11-01']).hint ?? '', /takes --format, --cycle, --out/);
  });
});
