/**
 * The requests one RequestReply holds in this process while their replies travel through the
 * broker: bounded (503 beyond the cap), one per event id, each with a timer that is always
 * cleared (reply, timeout, caller gone, shutdown).
 */
import type { CloudEvent } from '@tributary/core';

/** How a held request ended. */
export type HeldOutcome =
  | { readonly kind: 'reply'; readonly event: CloudEvent }
  | { readonly kind: 'timeout'; readonly afterMs: number }
  | { readonly kind: 'closed' };

interface Held {
  readonly timer: NodeJS.Timeout;
  readonly settle: (o: HeldOutcome) => void;
}

/** Outcome of {@link HeldRequests.hold} when nothing is held. */
export type HoldRefusal = { readonly refused: 'full' | 'duplicate' };

export class HeldRequests {
  readonly #held = new Map<string, Held>();
  #closed = false;

  constructor(readonly max: number) {}

  /** Requests held now. */
  get size(): number {
    return this.#held.size;
  }

  /**
   * Holds the request `id` for at most `timeoutMs`; the returned promise settles once. `signal`
   * (the caller went away) ends it early as `closed`.
   */
  hold(id: string, timeoutMs: number, signal?: AbortSignal): Promise<HeldOutcome> | HoldRefusal {
    if (this.#closed) return Promise.resolve({ kind: 'closed' });
    if (this.#held.has(id)) return { refused: 'duplicate' };
    if (this.#held.size >= this.max) return { refused: 'full' };
    return new Promise<HeldOutcome>((resolve) => {
      const onAbort = () => settle({ kind: 'closed' });
      const settle = (o: HeldOutcome): void => {
        const h = this.#held.get(id);
        if (h?.settle !== settle) return;
        clearTimeout(h.timer);
        this.#held.delete(id);
        signal?.removeEventListener('abort', onAbort);
        resolve(o);
      };
      const timer = setTimeout(() => settle({ kind: 'timeout', afterMs: timeoutMs }), timeoutMs);
      this.#held.set(id, { timer, settle });
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Hands a reply to the request `id`; false when none is held (late, duplicate, other RequestReply). */
  reply(id: string, event: CloudEvent): boolean {
    const h = this.#held.get(id);
    if (!h) return false;
    h.settle({ kind: 'reply', event });
    return true;
  }

  /** Forgets a held request (its publish failed). */
  release(id: string): void {
    this.#held.get(id)?.settle({ kind: 'closed' });
  }

  /** Ends every held request as `closed` and refuses new ones. */
  close(): void {
    this.#closed = true;
    for (const h of [...this.#held.values()]) h.settle({ kind: 'closed' });
  }
}
