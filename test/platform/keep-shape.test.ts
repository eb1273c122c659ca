import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const LISTING = pathToFileURL(fileURLToPath(new URL('../../src/marathon/listing/index.ts', import.meta.url))).href;

// A daemon parses a listing, goes idle, and collects its heap (heap-keeper.ts) when no reader of
// the listing is alive any more. V8 then frees the readers' hidden classes, unless one instance
// is kept (keep-shape.ts; the listing module keeps one from its first listing on, nothing at
// import), and throws away the parser's optimised code with them, to compile it again in the next
// cycle. This runs that loop in a fresh process with V8's own tracing, the body fed to the sink in
// pieces as the transport does.
const SCRIPT = `
import { appListingSink, readAppListing } from ${JSON.stringify(LISTING)};
const app = (i) => ({ id: '/a' + i, instances: 2, labels: { team: 'x' }, tasksStaged: 0, tasksRunning: 2, tasksHealthy: 2, tasksUnhealthy: 0,
  tasks: [0, 1].map((t) => ({ id: 'a' + i + '.t' + t, appId: '/a' + i, host: 'h' + t, state: 'TASK_RUNNING', ports: [1], startedAt: '2026-01-01T00:00:00.000Z' })) });
const bytes = Buffer.from(JSON.stringify({ apps: Array.from({ length: 40 }, (_, i) => app(i)) }));
const ctx = { method: 'GET', endpoint: '/v2/apps', status: 200 };
// In a function of its own: a suspended async frame can hold the last sink in a register, and
// keep it alive across the collection where the test needs it gone.
function list() {
  const sink = appListingSink(4096);
  for (let at = 0; at < bytes.length; at += 1000) sink.write(bytes.subarray(at, at + 1000));
  return readAppListing(sink, 'application/json', ctx).length;
}
let n = 0;
for (let round = 0; round < 30; round++) {
  for (let i = 0; i < 20; i++) n += list();
  await new Promise((r) => setTimeout(r, 1));
  gc();
}
console.log('parsed ' + n);
`;

describe('keepShape', () => {
  it("the listing parser's optimised code survives the collections between cycles", function () {
    this.timeout(60_000);
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', '--trace-opt', '--trace-deopt', '--input-type=module', '-e', SCRIPT], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, /parsed 24000/);
    const hot = ['enter', 'leave', 'optString', 'optNumber', 'optArray', 'count'];
    // Without optimisation there is nothing to lose: the loop must have made the readers hot.
    const optimised = hot.filter((name) => new RegExp(`completed (?:compiling|optimizing) \\S+ <JSFunction ${name} `).test(child.stdout));
    assert.ok(optimised.length >= 3, `expected the reader's methods to be optimised, got ${optimised.join(', ') || 'none'}`);
    const lost = child.stdout.split('\n').filter((line) => /reason: weak objects/.test(line) && hot.some((name) => line.includes(`<SharedFunctionInfo ${name}>`)));
    assert.deepEqual(lost, [], `optimised code thrown away at a collection:\n${lost.slice(0, 5).join('\n')}`);
  });
});
