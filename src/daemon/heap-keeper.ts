import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Keeps the daemon's JavaScript heap compact between cycles.
 *
 * What a cycle leaves behind (its record in the ring of 20, log lines, sockets) lives long enough
 * to reach V8's old space and dies there. A daemon that is idle most of the time allocates too
 * little to make V8 collect its old space: measured on the footprint benchmark, the heap went from
 * 10 to 18 MB over the first ~300 one-second cycles before V8's first full collection, and RSS with
 * it (+6–8 MB from cycle 100 to 1,000, then flat). Nothing leaked; the garbage just waited.
 *
 * So after each cycle, when the daemon is idle until the next slot, the heap is collected if it
 * has grown by more than `slackBytes` since the last collection. With the default 2 MB that is
 * about once a minute at one cycle per second (a few ms each), and once per cycle on a large
 * cluster, whose listing is garbage as soon as the cycle ends and is then returned at once.
 */
export class HeapKeeper {
  /** Heap used right after the last collection; undefined before the first. */
  private baseline: number | undefined;
  private collections = 0;

  constructor(
    private readonly heap: HeapAccess,
    private readonly slackBytes = 2 * 1024 * 1024,
  ) {}

  /** Call when a cycle has finished. Collects (and answers the sizes) when the heap grew past the slack. */
  afterCycle(): { before: number; after: number } | undefined {
    const before = this.heap.usedBytes();
    if (this.baseline !== undefined && before <= this.baseline + this.slackBytes) return undefined;
    this.heap.collect();
    const after = this.heap.usedBytes();
    this.baseline = after;
    this.collections++;
    return { before, after };
  }

  get collectionCount(): number {
    return this.collections;
  }
}

/** The two things HeapKeeper needs from the runtime (injected, so tests can count). */
export interface HeapAccess {
  usedBytes(): number;
  /** A full (mark-compact) garbage collection that also compacts, returning fragmented pages. */
  collect(): void;
}

/**
 * V8's own heap, or undefined when a full collection cannot be had. `gc` is not exposed without
 * `--expose-gc`; setting the flag at run time and taking `gc` from a fresh context is the way Jest's
 * leak detector does it, and needs no flag on every way the daemon is started (npm start, Docker,
 * Marathon).
 *
 * The collection also compacts. A plain full collection frees objects but leaves the old space's
 * pages where they are, and V8 evacuates a page only when it is mostly empty. What a cycle leaves
 * scattered over them made the old space's committed size climb one 256 KB page every few minutes
 * while the live heap stayed flat (10.3 MB live in 11.0 → 11.7 MB of pages over 1,000 one-second
 * cycles). `--compact-on-every-full-gc` is set only around this one call, so V8's own collections
 * during a big listing keep V8's heuristics. The price is paid while idle: ~27 ms instead of ~13 ms
 * on a heap holding a 50,000-task listing.
 */
export function v8HeapAccess(): HeapAccess | undefined {
  let gc: unknown = (globalThis as { gc?: unknown }).gc;
  if (typeof gc !== 'function') {
    try {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc');
    } catch {
      return undefined;
    }
  }
  if (typeof gc !== 'function') return undefined;
  const fullGc = gc as () => void;
  const collect = (): void => {
    setFlagsFromString('--compact-on-every-full-gc');
    try {
      fullGc();
    } finally {
      setFlagsFromString('--no-compact-on-every-full-gc');
    }
  };
  return { usedBytes: () => getHeapStatistics().used_heap_size, collect };
}
