/**
 * Remembers webhook delivery ids for a window so that a provider's redelivery of an event the sink
 * already accepted is acknowledged without emitting it again. Memory is bounded by `maxEntries`
 * (oldest ids forgotten first). A delivery still in flight is shared: a concurrent redelivery waits
 * for its outcome instead of emitting a second copy.
 */
export interface DedupeOptions {
  /** How long an accepted id is remembered; 0 disables deduplication. */
  readonly windowMs: number;
  /** @default 10000 */
  readonly maxEntries?: number;
  /** Injectable clock. */
  readonly now?: () => number;
}

/** `emitted`: the work ran and succeeded; `duplicate`: an earlier delivery of the same id succeeded. */
export type DedupeResult = 'emitted' | 'duplicate';

export class DeliveryDedupe {
  readonly #accepted = new Map<string, number>();
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #windowMs: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: DedupeOptions) {
    this.#windowMs = options.windowMs;
    this.#max = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Number of ids currently remembered. */
  get size(): number {
    return this.#accepted.size;
  }

  /**
   * Runs `work` unless `key` was accepted within the window. Without a key (or with the window 0)
   * always runs. Rejects with `work`'s error (nothing is remembered then, so a retry runs again).
   */
  async run(key: string | undefined, work: () => Promise<void>): Promise<DedupeResult> {
    if (key === undefined || this.#windowMs <= 0) {
      await work();
      return 'emitted';
    }
    this.#expire();
    if (this.#accepted.has(key)) return 'duplicate';
    const pending = this.#inFlight.get(key);
    if (pending) {
      try {
        await pending;
        return 'duplicate';
      } catch {
        return this.run(key, work);
      }
    }
    const running = work();
    this.#inFlight.set(key, running);
    try {
      await running;
      this.#remember(key);
      return 'emitted';
    } finally {
      this.#inFlight.delete(key);
    }
  }

  #remember(key: string): void {
    this.#accepted.delete(key);
    this.#accepted.set(key, this.#now() + this.#windowMs);
    while (this.#accepted.size > this.#max) {
      const oldest = this.#accepted.keys().next().value as string;
      this.#accepted.delete(oldest);
    }
  }

  #expire(): void {
    const now = this.#now();
    // Insertion order = expiry order (one window for all), so stop at the first live entry.
    for (const [key, expires] of this.#accepted) {
      if (expires > now) break;
      this.#accepted.delete(key);
    }
  }
}
