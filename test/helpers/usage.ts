import assert from 'node:assert/strict';
import { parseCommand } from '../../src/cli/args.js';
import { UsageError } from '../../src/errors.js';

/** The UsageError a command line is rejected with (fails the test when it is accepted). */
export function usageError(argv: string[]): UsageError {
  try {
    parseCommand(argv);
  } catch (err) {
    assert.ok(err instanceof UsageError, String(err));
    return err;
  }
  assert.fail(`expected ${argv.join(' ')} to be rejected`);
}
