/**
 * A min-heap of future transitions ordered by (time, insertion order). The cluster pops every due
 * entry when it is asked about `now`, so state is a pure function of the scenario, the requests and
 * the clock: the same steps under a ManualClock always give the same answers.
 */
export interface Scheduled<T> {
  at: number;
  seq: number;
  item: T;
}

export class Timeline<T> {
  private heap: Scheduled<T>[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(at: number, item: T): void {
    const node = { at, seq: this.seq++, item };
    const h = this.heap;
    h.push(node);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(node, h[parent] as Scheduled<T>)) break;
      h[i] = h[parent] as Scheduled<T>;
      i = parent;
    }
    h[i] = node;
  }

  /** The earliest entry if it is due at `now`, removed from the heap. */
  popDue(now: number): Scheduled<T> | undefined {
    const h = this.heap;
    const top = h[0];
    if (top === undefined || top.at > now) return undefined;
    const last = h.pop() as Scheduled<T>;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        let candidate = last;
        if (l < h.length && less(h[l] as Scheduled<T>, candidate)) {
          smallest = l;
          candidate = h[l] as Scheduled<T>;
        }
        if (r < h.length && less(h[r] as Scheduled<T>, candidate)) {
          smallest = r;
        }
        if (smallest === i) break;
        h[i] = h[smallest] as Scheduled<T>;
        i = smallest;
      }
      h[i] = last;
    }
    return top;
  }

  clear(): void {
    this.heap = [];
  }
}

function less<T>(a: Scheduled<T>, b: Scheduled<T>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
