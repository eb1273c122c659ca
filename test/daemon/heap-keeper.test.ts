import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { HeapKeeper } from '../../src/daemon/heap-keeper.js';

const MB = 1024 * 1024;
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const KEEPER = pathToFileURL(join(SRC, 'daemon', 'heap-keeper.ts')).href;

// What the daemon gets from v8HeapAccess() in a fresh process, started with or without the flag.
const PROBE = `
import { runInNewContext } from 'node:vm';
import { v8HeapAccess } from ${JSON.stringify(KEEPER)};
const access = v8HeapAccess();
const out = { access: access !== undefined };
if (access) {
  access.collect();
  let garbage = Array.from({ length: 200_000 }, (_, n) => ({ n, s: 'item-' + n }));
  const withGarbage = access.usedBytes();
  out.items = garbage.length;
  garbage = undefined;
  access.collect();
  out.freedBytes = withGarbage - access.usedBytes();
}
// Nothing was switched on behind the launcher's back: no gc here, nor in a fresh context.
out.gcHere = typeof globalThis.gc;
out.gcInNewContext = runInNewContext('typeof gc');
console.log(JSON.stringify(out));
`;

interface Probe {
  access: boolean;
  items?: number;
  freedBytes?: number;
  gcHere: string;
  gcInNewContext: string;
}

function probe(nodeArgs: string[]): Probe {
  const child = spawnSync(process.execPath, ['--import', 'tsx', ...nodeArgs, '--input-type=module', '-e', PROBE], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as Probe;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** A heap whose size the test sets; a collection brings it down to `live`. */
function fakeHeap(live: number): { heap: { usedBytes(): number; collect(): void }; set(bytes: number): void; collections(): number } {
  let used = live;
  let collections = 0;
  return {
    heap: {
      usedBytes: () => used,
      collect: () => {
        collections++;
        used = live;
      },
    },
    set: (bytes) => (used = bytes),
    collections: () => collections,
  };
}

describe('HeapKeeper', () => {
  it('collects after the first cycle, then only when the heap grew past the slack since the last collection', () => {
    const f = fakeHeap(10 * MB);
    const keeper = new HeapKeeper(f.heap, 2 * MB);
    f.set(25 * MB);
    assert.deepEqual(keeper.afterCycle(), { before: 25 * MB, after: 10 * MB });
    const steps: [number, boolean][] = [
      [10 * MB, false],
      [11 * MB, false],
      [12 * MB, false], // exactly the slack: not past it
      [12 * MB + 1, true],
      [10.5 * MB, false],
      [40 * MB, true], // a big cluster's listing, garbage once the cycle is over
    ];
    for (const [used, collects] of steps) {
      f.set(used);
      const before = f.collections();
      const answer = keeper.afterCycle();
      assert.equal(f.collections() - before, collects ? 1 : 0, `heap at ${used / MB} MB`);
      assert.deepEqual(answer, collects ? { before: used, after: 10 * MB } : undefined);
    }
    assert.equal(keeper.collectionCount, 3);
  });

  it('the baseline is what a collection left: a heap that stays bigger raises it', () => {
    let used = 20 * MB;
    const heap = { usedBytes: () => used, collect: () => undefined };
    const keeper = new HeapKeeper(heap, 2 * MB);
    assert.ok(keeper.afterCycle(), 'first cycle');
    used = 21 * MB;
    assert.equal(keeper.afterCycle(), undefined, 'within 2 MB of the 20 MB left after the last collection');
    used = 22.5 * MB;
    assert.ok(keeper.afterCycle());
  });

  it('v8HeapAccess with --expose-gc on the command line: a real full collection that frees what nothing references any more', function () {
    this.timeout(20_000);
    const r = probe(['--expose-gc']);
    assert.equal(r.access, true);
    assert.equal(r.items, 200_000);
    assert.ok((r.freedBytes ?? 0) > 5 * MB, `expected > 5 MB freed, got ${((r.freedBytes ?? 0) / MB).toFixed(1)} MB`);
    assert.equal(r.gcHere, 'function');
  });

  it('v8HeapAccess without --expose-gc: undefined (no collection between cycles), and no V8 flag is changed to get one', function () {
    this.timeout(20_000);
    assert.deepEqual(probe([]), { access: false, gcHere: 'undefined', gcInNewContext: 'undefined' });
  });

  it('no source changes V8 flags at run time (Node documents it as unsafe once the VM runs)', () => {
    const offenders = sourceFiles(SRC).filter((f) => /\bsetFlagsFromString\s*\(|runInNewContext\s*\(\s*['"`]gc/.test(readFileSync(f, 'utf8')));
    assert.deepEqual(offenders, []);
  });
});
