/** One event waiting for its redelivery time. */
export interface Scheduled<T> {
  readonly due: number;
  readonly item: T;
}

/**
 * A binary min-heap ordered by `due` (ties by insertion order), so a subscription needs one timer
 * for all its pending redeliveries instead of one per event.
 */
export class RetryHeap<T> {
  private readonly heap: { due: number; seq: number; item: T }[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  /** Earliest due time, or undefined when empty. */
  peekDue(): number | undefined {
    return this.heap[0]?.due;
  }

  push(due: number, item: T): void {
    const h = this.heap;
    h.push({ due, seq: this.seq++, item });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  /** Removes and returns the earliest item if it is due at `now`. */
  popDue(now: number): T | undefined {
    const h = this.heap;
    const top = h[0];
    if (top === undefined || top.due > now) return undefined;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(l, m)) m = l;
        if (r < h.length && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top.item;
  }

  /** Every item, in no particular order. */
  items(): T[] {
    return this.heap.map((e) => e.item);
  }

  private less(a: number, b: number): boolean {
    const x = this.heap[a]!;
    const y = this.heap[b]!;
    return x.due < y.due || (x.due === y.due && x.seq < y.seq);
  }

  private swap(a: number, b: number): void {
    const h = this.heap;
    [h[a], h[b]] = [h[b]!, h[a]!];
  }
}
