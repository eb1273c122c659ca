import assert from 'node:assert/strict';
import { checkBearer, type BearerVerdict } from '../../src/daemon/bearer.js';

describe('checkBearer', () => {
  const token = 's3cret-token';
  const rows: [string, string | undefined, string, BearerVerdict][] = [
    ['the right token', 'Bearer s3cret-token', token, 'ok'],
    ['the scheme is case-insensitive', 'bearer s3cret-token', token, 'ok'],
    ['no header', undefined, token, 'missing'],
    ['an empty header', '  ', token, 'missing'],
    ['basic auth instead of a bearer token', 'Basic dXNlcjpwYXNz', token, 'malformed'],
    ['the scheme without a token', 'Bearer ', token, 'malformed'],
    ['a wrong token of the same length', 'Bearer s3cret-tokeX', token, 'wrong'],
    ['a prefix of the token', 'Bearer s3cret', token, 'wrong'],
    ['a longer token', 'Bearer s3cret-token-and-more', token, 'wrong'],
    // An unset token must never match, not even an empty-looking one.
    ['any token when none is configured', 'Bearer anything', '', 'wrong'],
  ];
  for (const [name, header, configured, expected] of rows) {
    it(`${name} → ${expected}`, () => {
      assert.equal(checkBearer(header, configured), expected);
    });
  }
});
