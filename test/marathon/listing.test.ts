import assert from 'node:assert/strict';
import { MarathonClient } from '../../src/marathon/client.js';
import { ReceivedBody } from '../../src/marathon/listing/body.js';
import { readAppListing } from '../../src/marathon/listing/index.js';
import { parseAppList } from '../../src/marathon/parse.js';
import type { MarathonApp } from '../../src/domain/marathon.js';
import { seededRandom } from '../../src/platform/random.js';
import { ServerPool } from '../helpers/http-server.js';
import { app, ctx, outcome, pieces, streamed, wholeText } from './listing-helpers.js';

// A listing is read while it arrives (listing/index.ts: a sink fed piece by piece, then
// readAppListing). Whatever the body, however it is cut into pieces and whatever the batch size,
// the answer (value or error message) must be exactly the whole-body parse's (parseBody +
// parseAppList over the whole text), which is also the one fallback.

/** The streamed answer for `text`, as one piece and cut in many, with small and default batches, equals the whole-text answer. */
function sameAsWholeText(text: string, contentType = 'application/json'): void {
  const b = Buffer.from(text, 'utf8');
  const want = wholeText(text, contentType);
  assert.deepStrictEqual(streamed(b, { contentType }).result, want);
  const cuts = randomCuts(b.length, 0.3, text);
  for (const batchBytes of [1, undefined]) assert.deepStrictEqual(streamed(b, { cuts, batchBytes, contentType }).result, want);
}

function randomCuts(length: number, rate: number, seed: string): number[] {
  const rnd = seededRandom(seed);
  const cuts: number[] = [];
  for (let i = 1; i < length; i++) if (rnd.next() < rate) cuts.push(i);
  return cuts;
}

describe('marathon listing: bodies of every form', () => {
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

  for (const [name, text] of bodies) {
    it(`${name}: same answer as the whole-text parse`, () => sameAsWholeText(text));
  }

  it('an HTML content type with a JSON-looking body is judged like the whole text', () => {
    sameAsWholeText(JSON.stringify({ apps: [app('/a')] }), 'text/html');
    sameAsWholeText('oops', 'text/html; charset=utf-8');
  });

  it('a body that was not streamed (text) is the whole-text parse', () => {
    for (const [, text] of bodies) assert.deepStrictEqual(outcome(() => readAppListing(text, 'application/json', ctx)), wholeText(text));
  });

  it('reads only the plain form while it arrives; anything else is the whole-body parse', () => {
    const plain = ` {"apps" :[ ${JSON.stringify(app('/a', { labels: { a: '}' } }))} , ${JSON.stringify(app('/b', { nested: [{}] }))}]}`;
    for (const batchBytes of [1, undefined]) {
      const got = streamed(Buffer.from(plain), { batchBytes });
      assert.equal(got.streaming, true);
      assert.deepStrictEqual(got.result, wholeText(plain));
      assert.deepEqual(
        (got.result.value as MarathonApp[]).map((a) => a.id),
        ['/a', '/b'],
      );
    }
    for (const text of ['{"apps":[{"a":1}],"x":2}', '{"app":[]}', '{"apps":[{"a":"\\"}', ' {"apps" :[ {"a":"}"} , {"b":[{}]}]}']) {
      const got = streamed(Buffer.from(text));
      assert.equal(got.streaming, false, text);
      assert.deepStrictEqual(got.result, wholeText(text));
    }
  });
});

describe('marathon listing: read while it arrives, however the body is cut', () => {
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
  /** The samples that are valid plain listings: read while they arrive, whatever the cuts. */
  const plainSamples = new Set([0, 1, 2, 3, 4, 5, 7]);

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

  function viaSink(b: Buffer, cuts: number[], batchBytes?: number): { value?: unknown; error?: string } {
    const got = streamed(b, { cuts, batchBytes });
    assert.ok(got.body.equals(b), 'the body is left as it arrived');
    return got.result;
  }

  it('the plain samples are read while they arrive, for any pieces and batch size', () => {
    samples.forEach((text, i) => {
      const b = Buffer.from(text);
      for (const rate of [0.03, 0.5, 1]) {
        for (const batchBytes of [1, 40, undefined]) {
          const got = streamed(b, { cuts: randomCuts(b.length, rate, `plain ${i} ${rate}`), batchBytes });
          assert.equal(got.streaming, plainSamples.has(i), text);
        }
      }
    });
  });

  it('answers exactly the whole-text parse for any pieces (default batches)', () => {
    let n = 0;
    for (const text of bodies(400)) {
      const b = Buffer.from(text);
      const want = wholeText(text);
      for (const rate of [0.02, 0.3, 1]) assert.deepStrictEqual(viaSink(b, randomCuts(b.length, rate, `${n++}`)), want, text);
    }
  });

  it('answers exactly the whole-text parse, for any pieces and batch size', () => {
    let n = 0;
    for (const text of bodies(300)) {
      const b = Buffer.from(text);
      const want = wholeText(text);
      for (const rate of [0.03, 0.5]) {
        const cuts = randomCuts(b.length, rate, `${n++}`);
        for (const batchBytes of [1, 40, undefined]) assert.deepStrictEqual(viaSink(b, cuts, batchBytes), want, `${text} / ${cuts.join(',')}`);
      }
    }
  });

  it('a big listing, parsed in batches from 64 KB pieces, equals the whole-text parse', () => {
    const apps = Array.from({ length: 400 }, (_, i) => app(`/big/app-${i}`, { labels: { team: `t${i % 7}`, note: i % 50 === 0 ? 'grüße ✓' : 'x' } }));
    const b = Buffer.from(JSON.stringify({ apps }));
    const want = wholeText(b.toString('utf8'));
    const cuts: number[] = [];
    for (let i = 65_536; i < b.length; i += 65_536) cuts.push(i);
    for (const batchBytes of [4096, undefined]) {
      assert.deepStrictEqual(viaSink(b, cuts, batchBytes), want);
      assert.equal(streamed(b, { cuts, batchBytes }).streaming, true);
    }
  });

  it('ReceivedBody: bytes across pieces, the last occurrence of a pattern, bracketed text, the whole body', () => {
    const text = 'ab,{"id":"/x"},{"id":"/y"}grüße';
    const b = Buffer.from(text);
    const body = new ReceivedBody();
    for (const piece of pieces(b, [3, 4, 10, 27, 29])) body.append(piece);
    assert.equal(body.length, b.length);
    // Across pieces, and across a UTF-8 sequence cut between pieces.
    assert.equal(body.bracketedText(0, b.length), `[b,{"id":"/x"},{"id":"/y"}grüß]`);
    assert.equal(body.bracketedText(2, 15), '[{"id":"/x"}]');
    assert.equal(body.at(2), 0x2c);
    assert.equal(body.at(b.length - 1), b[b.length - 1]);
    const pattern = Buffer.from(',{"id":"/');
    // Only the latest piece is searched: here that is "grüße", and the pattern at 14 is in an earlier one.
    assert.equal(body.lastIndexOf(pattern, 0), -1);
    const tail = new ReceivedBody();
    tail.append(b.subarray(0, 4));
    tail.append(b.subarray(4));
    assert.equal(tail.lastIndexOf(pattern, 0), 14);
    assert.equal(tail.lastIndexOf(pattern, 15), -1);
    assert.ok(body.bytes().equals(b));
    assert.equal(body.bytes().toString('utf8'), text);
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
      const want = wholeText(text);
      await assert.rejects(client.listApps(), (e: Error) => e.message === want.error);
    });
  });
});

// Every path (the streamed read, in one piece or many, and the whole-body parse) shares one app and
// task normaliser, which validates every field Marathon documents and keeps a compact copy of the
// ones marathon-monkey reads. Whatever a task looks like, all paths must give the same tasks (same
// keys, same values) and the same error messages.
describe('marathon listing: tasks, validated and kept compact', () => {
  const full = {
    id: 'a.t1',
    appId: '/a',
    host: 'h1',
    slaveId: 'S1',
    state: 'TASK_RUNNING',
    stagedAt: '2024-01-01T00:00:00.000Z',
    startedAt: '2024-01-01T00:00:01.000Z',
    version: 'v1',
    ports: [31000],
    servicePorts: [10000],
    ipAddresses: [{ ipAddress: 'h1', protocol: 'IPv4' }],
    healthCheckResults: [{ alive: true, consecutiveFailures: 0, firstSuccess: 'x', lastSuccess: 'y', lastFailure: null, lastFailureCause: null, instanceId: 'a.t1' }],
    localVolumes: [],
    role: '*',
    region: 'r',
    zone: 'z',
  };

  /** Tasks as different Marathon versions (and odd ones) list them. */
  const tasks: [string, Record<string, unknown>][] = [
    ['every field', full],
    ['minimal, pre-0.8 (no state, started)', { id: 'a.t2', host: 'h', startedAt: 's' }],
    ['minimal, pre-0.8 (no state, not started)', { id: 'a.t3', host: 'h' }],
    ['null optionals and collections', { ...full, slaveId: null, stagedAt: null, startedAt: null, version: null, region: null, zone: null, role: null, ports: null, servicePorts: null, ipAddresses: null, healthCheckResults: null, localVolumes: null, state: null }],
    ['unknown keys', { ...full, extra: 1, mesosStatus: { a: 1 }, ['__proto__']: { polluted: true } }],
    ['unknown keys in an ip address and a health result', { ...full, ipAddresses: [{ ipAddress: '10.0.0.1', protocol: 'IPv4', extra: 1 }], healthCheckResults: [{ alive: false, extra: 2 }] }],
    ['an old health result (taskId only)', { ...full, healthCheckResults: [{ alive: true, consecutiveFailures: 1, taskId: 'a.t1' }] }],
    ['a health result with null ids and no counter', { ...full, healthCheckResults: [{ alive: true, taskId: null, instanceId: null }] }],
    ['a health result with both ids', { ...full, healthCheckResults: [{ alive: true, taskId: 'old', instanceId: 'new' }] }],
    ['a health result with a null instanceId and a taskId', { ...full, healthCheckResults: [{ alive: true, taskId: 'old', instanceId: null }] }],
    ['another app id', { ...full, appId: '/other' }],
    ['keys in another order', Object.fromEntries(Object.entries(full).reverse())],
  ];

  /** Bad values for each field: the first error in the task must be the one the copying parse reports. */
  const mutants: [string, Record<string, unknown>][] = [];
  for (const field of Object.keys(full)) {
    for (const bad of [7, 'x', '', true, [], {}, null]) mutants.push([`${field} = ${JSON.stringify(bad)}`, { ...full, [field]: bad }]);
  }
  for (const bad of [7, null, [], { ipAddress: 1, protocol: 'IPv4' }, { ipAddress: 'h' }]) mutants.push([`an ip address ${JSON.stringify(bad)}`, { ...full, ipAddresses: [bad] }]);
  for (const bad of [7, null, {}, { alive: 1 }, { alive: true, consecutiveFailures: 'x' }, { alive: true, lastFailure: 3 }, { alive: true, taskId: 3 }, { alive: true, instanceId: 3 }]) {
    mutants.push([`a health result ${JSON.stringify(bad)}`, { ...full, healthCheckResults: [bad] }]);
  }
  mutants.push(['two bad fields (the first read wins)', { ...full, host: 1, role: 2, stagedAt: 3 }]);
  mutants.push(['ports with a string', { ...full, ports: [1, 'x'] }]);

  /** Fed in 50-byte pieces. */
  function viaSink(text: string, batchBytes?: number): { value?: unknown; error?: string } {
    const b = Buffer.from(text);
    const cuts: number[] = [];
    for (let i = 50; i < b.length; i += 50) cuts.push(i);
    return streamed(b, { cuts, batchBytes }).result;
  }

  function viaSinkApps(text: string): MarathonApp[] {
    const got = viaSink(text, 1);
    assert.equal(got.error, undefined);
    return got.value as MarathonApp[];
  }

  /** In one piece, as the whole body. */
  function onePiece(text: string): MarathonApp[] {
    const got = streamed(Buffer.from(text));
    if (got.result.error !== undefined) throw new Error(got.result.error);
    return got.result.value as MarathonApp[];
  }

  function samePerPath(list: Record<string, unknown>[]): void {
    const text = JSON.stringify({ apps: [app('/z'), app('/a', { tasks: list }), app('/b', { tasks: list })] });
    const want = wholeText(text);
    assert.deepStrictEqual(streamed(Buffer.from(text)).result, want);
    for (const batchBytes of [1, undefined]) assert.deepStrictEqual(viaSink(text, batchBytes), want);
  }

  for (const [name, task] of tasks) {
    it(`${name}: same task on every path`, () => samePerPath([task, { ...full, id: 'a.t9' }]));
  }

  it('all of them in one app', () => samePerPath(tasks.map(([, t]) => t)));

  it('every bad field: the same error message on every path', () => {
    let errors = 0;
    for (const [name, task] of mutants) {
      const text = JSON.stringify({ apps: [app('/a', { tasks: [full, task] })] });
      const want = wholeText(text);
      assert.deepStrictEqual(streamed(Buffer.from(text)).result, want, name);
      assert.deepStrictEqual(viaSink(text, 1), want, name);
      if (want.error !== undefined) errors++;
    }
    assert.ok(errors > mutants.length / 2, `${errors} of ${mutants.length} mutants fail`);
  });

  it('only the kept fields, with their defaults; service ports, addresses, health results and unknown keys are not kept', () => {
    const text = JSON.stringify({ apps: [app('/a', { tasks: [{ ...full, extra: 1, healthCheckResults: [{ alive: true, taskId: 'a.t1', extra: 2 }] }, { id: 'a.t2', host: 'h' }] })] });
    const [a] = onePiece(text);
    assert.ok(a !== undefined);
    const { servicePorts: _servicePorts, ipAddresses: _ipAddresses, healthCheckResults: _results, role: _role, ...kept } = full;
    assert.deepStrictEqual(a.tasks[0], kept);
    assert.deepStrictEqual(a.tasks[1], { id: 'a.t2', appId: '/a', host: 'h', state: 'TASK_STAGING', localVolumes: [] });
  });

  it('local volumes are kept; tasks without any share one frozen empty array', () => {
    const volume = { containerPath: 'data', persistenceId: 'p1' };
    const text = JSON.stringify({ apps: [app('/db', { tasks: [{ ...full, localVolumes: [volume] }, { ...full, id: 'a.t2' }, { ...full, id: 'a.t3' }] })] });
    const [a] = onePiece(text);
    assert.deepStrictEqual(a?.tasks.map((t) => t.localVolumes), [[volume], [], []]);
    assert.equal(a?.tasks[1]?.localVolumes, a?.tasks[2]?.localVolumes);
    assert.ok(Object.isFrozen(a?.tasks[1]?.localVolumes));
  });

  it('equal strings of a listing are kept once (hosts, agent ids, versions, zones)', () => {
    const text = JSON.stringify({ apps: [app('/a', { tasks: [full, { ...full, id: 'a.t2' }] }), app('/b', { tasks: [{ ...full, id: 'b.t1', appId: '/b' }] })] });
    for (const apps of [onePiece(text), viaSinkApps(text)]) {
      const [t1, t2, t3] = apps.flatMap((x) => x.tasks);
      // Strings from separate JSON.parse calls are separate strings; the normaliser makes them one.
      for (const key of ['host', 'slaveId', 'version', 'region', 'zone'] as const) {
        assert.equal(t1?.[key], t2?.[key]);
        assert.equal(t2?.[key], t3?.[key]);
      }
    }
  });

  it('parseAppList leaves the value it was given as it was', () => {
    const body = { apps: [app('/a', { tasks: [{ id: 'a.t2', host: 'h', extra: 1, healthCheckResults: [{ alive: true, taskId: 'x' }] }] })] };
    const before = structuredClone(body);
    parseAppList(body, ctx);
    assert.deepStrictEqual(body, before);
  });
});
