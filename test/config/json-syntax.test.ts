import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { locateJsonError } from '../../src/config/json-syntax.js';
import { randomInt, seededRandom } from '../../src/platform/random.js';

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The locator replaces V8's message, so it must agree with JSON.parse exactly: an error wherever
 * JSON.parse fails (or the operator gets "not valid JSON" with no place), none wherever it succeeds.
 */
describe('locateJsonError agrees with JSON.parse', () => {
  const seeds = [
    readFileSync(new URL('../../config/example.json', import.meta.url), 'utf8'),
    '{"a": [1, -2.5e+3, true, false, null, {"b": "c\\n\\u00e9\\"x"}], "d": {}, "e": []}',
    ' [ "x" , 0 , -0 , 1E9 , 0.1 ] ',
  ];
  const alphabet = ['{', '}', '[', ']', ',', ':', '"', '\\', 'u', '0', '1', '-', '+', '.', 'e', 't', 'n', 'f', ' ', '\n', '\t', 'a', 'é', '\u0001', "'"];

  it('on 20,000 seeded mutations of valid documents', () => {
    const random = seededRandom('json-syntax');
    let invalid = 0;
    for (let i = 0; i < 20_000; i++) {
      let text = seeds[i % seeds.length]!;
      const edits = 1 + randomInt(random, 3);
      for (let e = 0; e < edits; e++) {
        const at = randomInt(random, text.length + 1);
        const kind = randomInt(random, 3);
        const ch = alphabet[randomInt(random, alphabet.length)]!;
        if (kind === 0) text = text.slice(0, at) + ch + text.slice(at);
        else if (kind === 1) text = text.slice(0, at) + text.slice(at + 1);
        else text = text.slice(0, at) + ch + text.slice(at + 1);
      }
      const ok = parses(text);
      if (!ok) invalid++;
      assert.equal(locateJsonError(text) === null, ok, `disagree on ${JSON.stringify(text)}`);
    }
    assert.ok(invalid > 5_000, `only ${invalid} mutations were invalid`);
  });

  it('places the error at the right line and column', () => {
    assert.deepEqual(locateJsonError('{\n  "a": 1,\n  "b": x\n}'), { line: 3, column: 8, problem: 'expected a value (a "string", a number, true, false, null, an object or an array)' });
    assert.equal(locateJsonError('{"a": 1}'), null);
  });
});
