/**
 * XACKs of one consumer group, sent together: every entry acknowledged in the same event-loop
 * turn goes into ONE `XACK stream group id…` (docs/redis.md, "What is batched"), and each caller's
 * promise settles with that command's reply, so an entry still counts as acknowledged only once
 * Redis answered. Saves a command (request, reply, parse) per entry; indicative, on the shared
 * bench machine (32 requests in flight): 128–139 against 137–150 µs of broker-process CPU per event.
 */
import type { Redis } from 'ioredis';

export class XackBatcher {
  #ids: string[] = [];
  #waiters: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];
  #scheduled = false;

  constructor(
    private readonly redis: Redis,
    private readonly stream: string,
    private readonly group: string,
  ) {}

  /** Acknowledges `id`; resolves once Redis answered the XACK that carried it. */
  ack(id: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#ids.push(id);
      this.#waiters.push({ resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const ids = this.#ids;
    const waiters = this.#waiters;
    this.#ids = [];
    this.#waiters = [];
    this.redis.xack(this.stream, this.group, ...ids).then(
      () => {
        for (const w of waiters) w.resolve();
      },
      (err: unknown) => {
        for (const w of waiters) w.reject(err);
      },
    );
  }
}
