import { getHeapStatistics } from 'node:v8';

/**
 * Keeps the daemon's JavaScript heap small between cycles.
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
 * Only when the process was started with `node --expose-gc` (see v8HeapAccess); the daemon runs
 * without a keeper otherwise.
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
  /** A full (mark-compact) garbage collection. */
  collect(): void;
}

/**
 * V8's own heap, or undefined when the process was started without `--expose-gc`: then there is
 * no collection between cycles and V8 collects when it decides to (the daemon works the same, its
 * heap just waits longer for a full collection). The launcher decides, not the daemon: the Docker
 * image and `npm start` run `node --expose-gc dist/cli.js`. V8's flags are never changed once the
 * VM runs (Node documents `v8.setFlagsFromString` after start-up as unsafe).
 *
 * `gc()` is a full, synchronous mark-compact collection; V8 compacts the pages it judges worth it
 * (mostly empty ones), not all of them.
 */
export function v8HeapAccess(): HeapAccess | undefined {
  const gc: unknown = (globalThis as { gc?: unknown }).gc;
  if (typeof gc !== 'function') return undefined;
  const fullGc = gc as () => void;
  return { usedBytes: () => getHeapStatistics().used_heap_size, collect: () => fullGc() };
}
