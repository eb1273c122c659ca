import assert from 'node:assert/strict';
import { getHeapSpaceStatistics } from 'node:v8';
import { HeapKeeper, v8HeapAccess } from '../../src/daemon/heap-keeper.js';

const MB = 1024 * 1024;

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

  it('v8HeapAccess: a real full collection that frees what nothing references any more', () => {
    const access = v8HeapAccess();
    assert.ok(access, 'gc must be obtainable without --expose-gc on the command line');
    access.collect();
    let garbage: { n: number; s: string }[] | undefined = Array.from({ length: 200_000 }, (_, n) => ({ n, s: `item-${n}` }));
    const withGarbage = access.usedBytes();
    assert.equal(garbage.length, 200_000);
    garbage = undefined;
    access.collect();
    const after = access.usedBytes();
    assert.ok(withGarbage - after > 5 * MB, `expected > 5 MB freed, heap ${(withGarbage / MB).toFixed(1)} → ${(after / MB).toFixed(1)} MB`);
  });

  it('v8HeapAccess: the collection compacts, so pages that kept only a few live objects are given back', () => {
    const access = v8HeapAccess();
    assert.ok(access);
    const oldSpace = (): number => getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')?.space_size ?? 0;
    // ~15 MB of small objects, moved to the old space by a collection; then every 50th is kept, so
    // every page still holds live objects and a collection that does not compact frees no page.
    let all: { n: number; s: string }[] | undefined = Array.from({ length: 200_000 }, (_, n) => ({ n, s: `item-${n}` }));
    access.collect();
    const fragmented = oldSpace();
    const kept = all.filter((_, i) => i % 50 === 0);
    all = undefined;
    access.collect();
    const compacted = oldSpace();
    assert.equal(kept.length, 4_000);
    assert.ok(
      fragmented - compacted > 5 * MB,
      `expected the old space to shrink by > 5 MB, ${(fragmented / MB).toFixed(1)} → ${(compacted / MB).toFixed(1)} MB`,
    );
  });
});
