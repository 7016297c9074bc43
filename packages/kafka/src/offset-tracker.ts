/**
 * Which offset of a partition may be committed: everything below the lowest record that was
 * handed out and is not finished yet (delivered or dead-lettered), so a crash never skips one.
 */
export class PartitionOffsets {
  readonly #pending = new Set<number>();
  #next = -1;
  #committed = -1;

  /** Marks a record as handed out. */
  start(offset: number): void {
    this.#pending.add(offset);
    if (offset + 1 > this.#next) this.#next = offset + 1;
  }

  /** Marks a record as finished. */
  finish(offset: number): void {
    this.#pending.delete(offset);
  }

  /** Records still in flight. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /** The offset to commit (the next record to read after a restart), or undefined if unchanged. */
  commitPoint(): number | undefined {
    if (this.#next < 0) return undefined;
    let point = this.#next;
    for (const o of this.#pending) if (o < point) point = o;
    return point > this.#committed ? point : undefined;
  }

  /** Remembers that `offset` was committed. */
  committed(offset: number): void {
    if (offset > this.#committed) this.#committed = offset;
  }
}
