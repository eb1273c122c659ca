import assert from 'node:assert/strict';
import { objectArrayRanges, ObjectArrayScanner } from '../../src/http/json.js';
import { ReceivedBody } from '../../src/http/transport.js';
import { MarathonClient } from '../../src/marathon/client.js';
import { AppListReader, parseAppList, parseAppListBytes, parseBody } from '../../src/marathon/parse.js';
import { seededRandom } from '../../src/platform/random.js';
import { ServerPool } from '../helpers/http-server.js';
import { app, ctx, outcome } from './listing-helpers.js';

// The listing is parsed while it arrives (AppListReader fed piece by piece). Whatever the body and
// however it is cut into pieces, the answer must be exactly parseAppListBytes' over the whole body,
// which is exactly the whole-text parse's (parse-bytes.test.ts).


const tricky = app('/tricky', { labels: { 'a"b': '}{][', back: 'end\\', quote: '\\"}', uni: 'grüße ✓ 🐒', fake: ',{"id":"/x', esc: '\u0000\n' } });

const samples: string[] = [
  JSON.stringify({ apps: [app('/a'), app('/b'), tricky, app('/c'), app('/d')] }),
  JSON.stringify({ apps: [app('/a')] }),
  // The batch cut pattern `,{"id":"/` inside an app: the cut is not between apps and must not pass for one.
  JSON.stringify({ apps: [app('/a'), app('/b', { nested: [{ id: '/fake' }, { id: '/fake2' }] }), app('/c')] }),
  JSON.stringify({ apps: [app('/a'), app('/b'), tricky] }, null, 2),
  '{"apps":[]}',
  ' {"apps":[ ]} ',
  JSON.stringify({ apps: [app('/a'), app('/b', { tasksRunning: -1 }), app('/c')] }),
  JSON.stringify({ apps: [app('/a'), app('/b')] }) + ' \n',
  JSON.stringify({ apps: [app('/a'), app('/b')], extra: 1 }),
  '{"apps":[' + JSON.stringify(app('/a')) + ',' + JSON.stringify(app('/b')) + ',,' + JSON.stringify(app('/c')) + ']}',
  '{"apps":[' + JSON.stringify(app('/a')) + ',' + JSON.stringify(app('/b')) + ', ,' + JSON.stringify(app('/c')) + ']}',
  '{"apps":[' + JSON.stringify(app('/a')) + ',' + JSON.stringify(app('/b')) + ',]}',
  '{"apps":[' + JSON.stringify(app('/a')) + ',3,' + JSON.stringify(app('/b')) + ']}',
  '{"apps":[' + JSON.stringify(app('/a')) + ',[],' + JSON.stringify(app('/b')) + ']}',
  '<!DOCTYPE html><html><body>Login</body></html>',
  '',
];

/** The samples, and seeded mutants of them: truncations, inserted and dropped characters, fake app starts. */
function bodies(count: number): string[] {
  const rnd = seededRandom('parse-stream');
  const pick = (n: number): number => Math.floor(rnd.next() * n);
  const chars = ' {}[]",:\\ax/';
  const out = [...samples];
  for (let k = 0; k < count; k++) {
    let t = samples[pick(samples.length)] as string;
    for (let j = 1 + pick(2); j > 0; j--) {
      const pos = pick(t.length + 1);
      const op = rnd.next();
      if (op < 0.25) t = t.slice(0, pos);
      else if (op < 0.55) t = t.slice(0, pos) + (chars[pick(chars.length)] as string) + t.slice(pos);
      else if (op < 0.8) t = t.slice(0, pos) + t.slice(pos + 1);
      else t = t.slice(0, pos) + ',{"id":"/z"}' + t.slice(pos);
    }
    out.push(t);
  }
  return out;
}

function randomCuts(length: number, rate: number, seed: string): number[] {
  const rnd = seededRandom(seed);
  const cuts: number[] = [];
  for (let i = 1; i < length; i++) if (rnd.next() < rate) cuts.push(i);
  return cuts;
}

function pieces(b: Buffer, cuts: number[]): Buffer[] {
  const out: Buffer[] = [];
  let p = 0;
  for (const c of [...cuts, b.length]) {
    if (c > p) out.push(Buffer.from(b.subarray(p, c)));
    p = c;
  }
  return out;
}

function viaReader(b: Buffer, cuts: number[], batchBytes?: number): { value?: unknown; error?: string } {
  const body = new ReceivedBody();
  const reader = new AppListReader({ method: 'GET', endpoint: '/v2/apps' }, batchBytes);
  for (const piece of pieces(b, cuts)) {
    body.append(piece);
    reader.write(piece, body);
  }
  const result = outcome(() => reader.finish(body, 'application/json', ctx));
  assert.ok(body.bytes().equals(b), 'the body is left as it arrived');
  return result;
}

describe('marathon parse: listings parsed while they arrive', () => {
  it('ObjectArrayScanner reports exactly the ranges of objectArrayRanges, however the body is cut', () => {
    let n = 0;
    for (const text of bodies(400)) {
      const b = Buffer.from(text);
      const want = objectArrayRanges(b, 'apps');
      for (const rate of [0.02, 0.3, 1]) {
        const starts: number[] = [];
        const ends: number[] = [];
        const scanner = new ObjectArrayScanner('apps', (s, e) => {
          starts.push(s);
          ends.push(e);
        });
        for (const piece of pieces(b, randomCuts(b.length, rate, `${n++}`))) scanner.write(piece);
        assert.deepEqual(scanner.end() ? { starts, ends } : undefined, want, text);
      }
    }
  });

  it('AppListReader answers exactly what parseAppListBytes answers, for any pieces and batch size', () => {
    let n = 0;
    for (const text of bodies(300)) {
      const b = Buffer.from(text);
      const want = outcome(() => parseAppListBytes(b, 'application/json', ctx));
      for (const rate of [0.03, 0.5]) {
        const cuts = randomCuts(b.length, rate, `${n++}`);
        for (const batchBytes of [1, 40, undefined]) assert.deepStrictEqual(viaReader(b, cuts, batchBytes), want, `${text} / ${cuts.join(',')}`);
      }
    }
  });

  it('a big listing, parsed in batches from 64 KB pieces, equals the whole-text parse', () => {
    const apps = Array.from({ length: 400 }, (_, i) => app(`/big/app-${i}`, { labels: { team: `t${i % 7}`, note: i % 50 === 0 ? 'grüße ✓' : 'x' } }));
    const b = Buffer.from(JSON.stringify({ apps }));
    const want = outcome(() => parseAppList(parseBody(b.toString('utf8'), 'application/json', ctx), ctx));
    const cuts: number[] = [];
    for (let i = 65_536; i < b.length; i += 65_536) cuts.push(i);
    for (const batchBytes of [4096, undefined]) assert.deepStrictEqual(viaReader(b, cuts, batchBytes), want);
  });

  it('ReceivedBody: text across pieces, the last occurrence of a pattern, bracketed text, the whole body', () => {
    const text = 'ab,{"id":"/x"},{"id":"/y"}grüße';
    const b = Buffer.from(text);
    const body = new ReceivedBody();
    for (const piece of pieces(b, [3, 4, 10, 27, 29])) body.append(piece);
    assert.equal(body.length, b.length);
    assert.equal(body.text(0, b.length), text);
    assert.equal(body.text(2, 14), ',{"id":"/x"}');
    assert.equal(body.bracketedText(2, 15), '[{"id":"/x"}]');
    assert.equal(body.at(2), 0x2c);
    const pattern = Buffer.from(',{"id":"/');
    // Only the latest piece is searched: here that is "grüße", and the pattern at 14 is in an earlier one.
    assert.equal(body.lastIndexOf(pattern, 0), -1);
    const tail = new ReceivedBody();
    tail.append(b.subarray(0, 4));
    tail.append(b.subarray(4));
    assert.equal(tail.lastIndexOf(pattern, 0), 14);
    assert.equal(tail.lastIndexOf(pattern, 15), -1);
    assert.ok(body.bytes().equals(b));
  });

  describe('over HTTP', () => {
    const pool = new ServerPool();
    afterEach(() => pool.closeAll());

    it('a chunked listing (no Content-Length, as Marathon sends it) is parsed like the whole text', async () => {
      const apps = Array.from({ length: 60 }, (_, i) => app(`/chunked/app-${i}`));
      const text = JSON.stringify({ apps });
      const m = await pool.start((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        for (let i = 0; i < text.length; i += 1000) res.write(text.slice(i, i + 1000));
        res.end();
      });
      const client = new MarathonClient({ urls: [m.url], timeoutMs: 5_000, retries: 0 });
      assert.deepStrictEqual(await client.listApps(), parseAppList(JSON.parse(text), ctx));
    });

    it('a chunked listing that breaks off inside an app is the same error as the whole text', async () => {
      const text = JSON.stringify({ apps: [app('/a'), app('/b')] }).slice(0, -40);
      const m = await pool.start((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(text.slice(0, 100));
        res.end(text.slice(100));
      });
      const client = new MarathonClient({ urls: [m.url], timeoutMs: 5_000, retries: 0 });
      const want = outcome(() => parseAppList(parseBody(text, 'application/json', ctx), ctx));
      await assert.rejects(client.listApps(), (e: Error) => e.message === want.error);
    });
  });
});
