import { type CloudEvent, encodeBatch } from '@tributary/core';
import type { SendResult, Transport } from './transport.js';

/** When a batch is posted: as soon as it holds `maxEvents`, or `maxDelayMs` after its first event. */
export interface BatchOptions {
  /** Events per request. @default 100 */
  readonly maxEvents?: number;
  /** Longest time an event waits in the queue. @default 50 */
  readonly maxDelayMs?: number;
}

interface Pending {
  readonly event: CloudEvent;
  readonly resolve: (r: SendResult) => void;
  readonly reject: (err: unknown) => void;
  readonly signal?: AbortSignal | undefined;
  readonly onAbort?: () => void;
}

/**
 * Queues events and posts them as `application/cloudevents-batch+json` requests; each caller's
 * promise settles with the outcome of the request that carried its event.
 */
export class Batcher {
  #queue: Pending[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #inflight = new Set<Promise<void>>();

  constructor(
    private readonly transport: Transport,
    private readonly maxEvents: number,
    private readonly maxDelayMs: number,
    private readonly timeoutMs: number,
  ) {}

  /** Events queued and not yet posted. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Queues one event; a `signal` that aborts while the event is still queued withdraws it. */
  enqueue(event: CloudEvent, signal?: AbortSignal): Promise<SendResult> {
    signal?.throwIfAborted();
    return new Promise<SendResult>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.#queue.indexOf(entry);
        if (i !== -1) {
          this.#queue.splice(i, 1);
          reject(signal!.reason);
        }
      };
      const entry: Pending = {
        event,
        resolve,
        reject,
        signal,
        onAbort: signal ? onAbort : undefined,
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(entry);
      if (this.#queue.length >= this.maxEvents) this.flush();
      else this.#timer ??= setTimeout(() => this.flush(), this.maxDelayMs);
    });
  }

  /** Posts a ready-made list of events as batch requests of at most `maxEvents` each. */
  async postAll(events: readonly CloudEvent[], signal?: AbortSignal): Promise<SendResult[]> {
    const chunks: CloudEvent[][] = [];
    for (let i = 0; i < events.length; i += this.maxEvents)
      chunks.push(events.slice(i, i + this.maxEvents));
    return Promise.all(
      chunks.map((chunk) =>
        this.transport.post(encodeBatch(chunk), { timeoutMs: this.timeoutMs, signal }),
      ),
    );
  }

  /** Posts everything queued now (in requests of at most `maxEvents`). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.maxEvents);
      for (const p of batch) if (p.onAbort) p.signal?.removeEventListener('abort', p.onAbort);
      const run = this.transport
        .post(encodeBatch(batch.map((p) => p.event)), { timeoutMs: this.timeoutMs })
        .then(
          (result) => batch.forEach((p) => p.resolve(result)),
          (err: unknown) => batch.forEach((p) => p.reject(err)),
        );
      const tracked = run.finally(() => this.#inflight.delete(tracked));
      this.#inflight.add(tracked);
    }
  }

  /** Flushes the queue and waits until every batch request settled. */
  async drain(): Promise<void> {
    this.flush();
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }
}
