import assert from 'node:assert/strict';
import { objectArrayRanges } from '../../src/http/json.js';
import { parseAppList, parseAppListBytes, parseBody } from '../../src/marathon/parse.js';
import { app, ctx, outcome } from './listing-helpers.js';

// parseAppListBytes parses a listing app by app from the body bytes; whatever the body, it must
// answer exactly what parseBody + parseAppList answer for the whole text (value or error message).


function sameAsWholeText(text: string, contentType = 'application/json'): void {
  const whole = outcome(() => parseAppList(parseBody(text, contentType, ctx), ctx));
  const bytes = outcome(() => parseAppListBytes(Buffer.from(text, 'utf8'), contentType, ctx));
  assert.deepStrictEqual(bytes, whole);
}

const tricky = app('/tricky', { labels: { 'a"b': '}{][', back: 'end\\', quote: '\\"}', uni: 'grüße ✓ 🐒', esc: '\u0000\n' } });

const bodies: [string, string][] = [
  ['a plain listing', JSON.stringify({ apps: [app('/a'), app('/b'), tricky] })],
  ['pretty-printed with every kind of whitespace', JSON.stringify({ apps: [app('/a'), tricky] }, null, '\t').replace(/\n/g, '\r\n')],
  ['no apps', '{"apps":[]}'],
  ['no apps, spaced', ' { "apps" : [ ] } \n'],
  ['strings with brackets, quotes, backslashes and non-ASCII', JSON.stringify({ apps: [tricky, tricky] })],
  ['another top-level key', JSON.stringify({ apps: [app('/a')], extra: 1 })],
  ['apps twice (JSON.parse keeps the last)', '{"apps":[' + JSON.stringify(app('/a')) + '],"apps":[' + JSON.stringify(app('/b')) + ']}'],
  ['the key spelled with an escape', '{"\\u0061pps":[' + JSON.stringify(app('/a')) + ']}'],
  ['an element that is not an object', JSON.stringify({ apps: [app('/a'), 3] })],
  ['null apps', '{"apps":null}'],
  ['no apps key', '{}'],
  ['an array at the top', '[]'],
  ['truncated in the middle of an app', JSON.stringify({ apps: [app('/a'), app('/b')] }).slice(0, 150)],
  ['truncated after the array', JSON.stringify({ apps: [app('/a')] }).slice(0, -1)],
  ['trailing garbage', JSON.stringify({ apps: [app('/a')] }) + 'x'],
  ['a missing comma between apps', '{"apps":[' + JSON.stringify(app('/a')) + JSON.stringify(app('/b')) + ']}'],
  ['a trailing comma', '{"apps":[' + JSON.stringify(app('/a')) + ',]}'],
  ['invalid JSON inside an app', '{"apps":[' + JSON.stringify(app('/a')).replace('"instances":1', '"instances":01') + ']}'],
  ['mismatched brackets inside an app', '{"apps":[' + JSON.stringify(app('/a')).replace('"ports":[1]', '"ports":[1}') + ']}'],
  ['a bad app before invalid JSON: the JSON error wins', '{"apps":[' + JSON.stringify(app('/a', { instances: 'x' })) + ',' + JSON.stringify(app('/b')).replace('"instances":1', '"instances":1,,') + ']}'],
  ['a bad app after valid ones', JSON.stringify({ apps: [app('/a'), app('/b', { tasksRunning: -1 }), app('/c')] })],
  ['an empty body', ''],
  ['whitespace only', '  \n'],
  ['an HTML page', '<!DOCTYPE html><html><body>Login</body></html>'],
];

describe('marathon parse: listings app by app from the body bytes', () => {
  for (const [name, text] of bodies) {
    it(`${name}: same answer as the whole-text parse`, () => sameAsWholeText(text));
  }

  it('an HTML content type with a JSON-looking body is judged like the whole text', () => {
    sameAsWholeText(JSON.stringify({ apps: [app('/a')] }), 'text/html');
    sameAsWholeText('oops', 'text/html; charset=utf-8');
  });

  it('finds element ranges only for the plain form', () => {
    const text = ' {"apps" :[ {"a":"}"} , {"b":[{}]}]}';
    const ranges = objectArrayRanges(Buffer.from(text), 'apps');
    assert.ok(ranges !== undefined);
    assert.deepEqual(
      ranges.starts.map((s, i) => text.slice(s, ranges.ends[i])),
      ['{"a":"}"}', '{"b":[{}]}'],
    );
    assert.equal(objectArrayRanges(Buffer.from('{"apps":[{"a":1}],"x":2}'), 'apps'), undefined);
    assert.equal(objectArrayRanges(Buffer.from('{"app":[]}'), 'apps'), undefined);
    assert.equal(objectArrayRanges(Buffer.from('{"apps":[{"a":"\\"}'), 'apps'), undefined);
  });
});
