const EMPTY: never[] = [];

/**
 * A growable ring buffer: O(1) push/shift at both ends, so long queues never pay for
 * `Array.prototype.shift` moving every element.
 */
export class Deque<T> {
  // Empty until the first push: two queues per subscription of 10,000 idle Triggers held ~2.8 MiB
  // of 16-slot buffers (heap snapshots of `tributary run`, bench/footprint.mjs). A full buffer
  // (size === length, here 0 === 0) grows before any write, so the shared empty one is never written.
  private buf: (T | undefined)[] = EMPTY;
  private head = 0;
  private size = 0;
  private readonly initialCapacity: number;

  constructor(initialCapacity = 16) {
    let cap = 1;
    while (cap < initialCapacity) cap <<= 1;
    this.initialCapacity = cap;
  }

  /** Number of items held. */
  get length(): number {
    return this.size;
  }

  /** Appends at the back. */
  push(item: T): void {
    if (this.size === this.buf.length) this.grow();
    this.buf[(this.head + this.size) & (this.buf.length - 1)] = item;
    this.size++;
  }

  /** Inserts at the front (the next `shift` returns it). */
  unshift(item: T): void {
    if (this.size === this.buf.length) this.grow();
    this.head = (this.head - 1 + this.buf.length) & (this.buf.length - 1);
    this.buf[this.head] = item;
    this.size++;
  }

  /** Removes and returns the front item, or undefined when empty. */
  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.size--;
    if (this.size === 0) this.head = 0;
    return item;
  }

  /** The front item without removing it. */
  peek(): T | undefined {
    return this.size === 0 ? undefined : this.buf[this.head];
  }

  /** Removes everything. */
  clear(): void {
    this.buf = EMPTY;
    this.head = 0;
    this.size = 0;
  }

  /** Items front to back. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.size; i++)
      yield this.buf[(this.head + i) & (this.buf.length - 1)] as T;
  }

  private grow(): void {
    const old = this.buf;
    const next = new Array<T | undefined>(Math.max(this.initialCapacity, old.length * 2));
    for (let i = 0; i < this.size; i++) next[i] = old[(this.head + i) & (old.length - 1)];
    this.buf = next;
    this.head = 0;
  }
}
