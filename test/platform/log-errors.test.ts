import assert from 'node:assert/strict';
import { MonkeyError, ScenarioError } from '../../src/errors.js';
import { MarathonError } from '../../src/marathon/errors.js';
import { memoryLogger, serializeError } from '../../src/log.js';

/**
 * An error line in the log must say what went wrong: pino's standard serializer wrote a plain
 * `{code, message}` as `{"type":"Object","stack":""}` (and nothing useful when the message was
 * missing), which is what every `log.error({ err: { code, message } })` in the daemon produced.
 */
describe('logged errors carry code, message and hint', () => {
  function logged(fields: Record<string, unknown>): { line: Record<string, unknown>; text: string } {
    const m = memoryLogger();
    m.logger.error(fields, 'it failed');
    const lines = m.lines();
    assert.equal(lines.length, 1);
    return { line: lines[0]!, text: m.text() };
  }

  it('a MonkeyError: type, code, message, hint, and no stack (it is expected, not a bug)', () => {
    const { line, text } = logged({ err: new MonkeyError('E_JOURNAL_UNWRITABLE', 'cannot append to /var/j.jsonl: ENOSPC', { hint: 'free space' }) });
    assert.deepEqual(line.err, { type: 'MonkeyError', code: 'E_JOURNAL_UNWRITABLE', message: 'cannot append to /var/j.jsonl: ENOSPC', hint: 'free space' });
    assert.ok(!text.includes('"stack"'));
  });

  it('a plain {code, message} object (as the daemon logs them): exactly those, never "type":"Object","stack":""', () => {
    const { line, text } = logged({ err: { code: 'E_MARATHON_UNREACHABLE', message: 'GET /v2/info: no Marathon instance reachable' } });
    assert.deepEqual(line.err, { code: 'E_MARATHON_UNREACHABLE', message: 'GET /v2/info: no Marathon instance reachable' });
    assert.ok(!text.includes('"type":"Object"'), text);
    assert.ok(!text.includes('"stack":""'), text);
  });

  it('a plain object without a message still says something (its code, or that it had none)', () => {
    assert.deepEqual(logged({ err: { code: 'E_X' } }).line.err, { code: 'E_X', message: 'E_X' });
    assert.deepEqual(logged({ err: {} }).line.err, { message: 'an error without a message' });
    assert.deepEqual(logged({ err: { code: undefined, message: undefined } }).line.err, { message: 'an error without a message' });
  });

  it('the cycle record error shape {code, message, stage} under err and under error', () => {
    const rec = { code: 'E_KILL_UNCERTAIN', message: 'the kill may or may not have happened', stage: 'kill' };
    assert.deepEqual(logged({ err: rec }).line.err, rec);
    assert.deepEqual(logged({ error: rec }).line.error, rec);
    // A bare code under `error` (the request logs) stays as it is.
    assert.equal(logged({ error: 'E_HTTP_TIMEOUT' }).line.error, 'E_HTTP_TIMEOUT');
  });

  it('a MarathonError keeps its safe context and its cause, summarised the same way', () => {
    const cause = new MonkeyError('E_HTTP_TIMEOUT', 'read timed out');
    const err = new MarathonError('E_KILL_UNCERTAIN', 'POST /v2/tasks/delete: no answer', { method: 'POST', endpoint: '/v2/tasks/delete', cause });
    assert.deepEqual(logged({ err }).line.err, {
      type: 'MarathonError',
      code: 'E_KILL_UNCERTAIN',
      message: 'POST /v2/tasks/delete: no answer',
      hint: err.hint,
      method: 'POST',
      endpoint: '/v2/tasks/delete',
      cause: { type: 'MonkeyError', code: 'E_HTTP_TIMEOUT', message: 'read timed out' },
    });
  });

  it('a ScenarioError lists its problems', () => {
    const err = new ScenarioError('s.json', ['apps[0].instances: too many']);
    assert.deepEqual((logged({ err }).line.err as { problems: string[] }).problems, ['apps[0].instances: too many']);
  });

  it('an unexpected Error (a bug) keeps its stack, the clue to find it', () => {
    const err = logged({ err: new TypeError('x is undefined') }).line.err as Record<string, unknown>;
    assert.equal(err.type, 'TypeError');
    assert.equal(err.message, 'x is undefined');
    assert.match(String(err.stack), /^TypeError: x is undefined\n\s+at /);
  });

  it('copies only allowlisted fields: a library error carrying request options and headers leaks none of them', () => {
    const libraryError = Object.assign(new Error('Request failed'), {
      code: 'ERR_NON_2XX_3XX_RESPONSE',
      options: { headers: { authorization: 'Bearer s3cret' }, url: 'http://u:p4ss@marathon:8080/' },
      authorization: 'Bearer s3cret',
    });
    const { text } = logged({ err: libraryError });
    assert.ok(!text.includes('s3cret') && !text.includes('p4ss'), text);
    assert.match(text, /"code":"ERR_NON_2XX_3XX_RESPONSE"/);
  });

  it('an error as the first argument goes through the same serializer', () => {
    const m = memoryLogger();
    m.logger.error(new MonkeyError('E_W', 'as first argument', { hint: 'h' }));
    assert.deepEqual(m.lines()[0]!.err, { type: 'MonkeyError', code: 'E_W', message: 'as first argument', hint: 'h' });
  });

  it('serializeError on primitives: a string stays, anything else becomes {message}', () => {
    assert.equal(serializeError('plain words'), 'plain words');
    assert.deepEqual(serializeError(42), { message: '42' });
    assert.equal(serializeError(undefined), undefined);
  });
});
