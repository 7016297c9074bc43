/**
 * The publishes of one turn of the event loop as one write of the group commit: their events go
 * into the database with multi-row INSERTs (event-log.ts `insertAll`) instead of two statements
 * and one queued write (with its closures) per publish. Each publish still resolves only once the
 * transaction holding its events committed (and, at `power-loss`, the WAL sync after it), and a
 * failed transaction still fails each publish alone: `split` hands the group commit one write per
 * publish to retry one by one (group-commit.ts).
 */
import { BackendUnavailableError, type CloudEvent, type Logger } from '@tributary/core';
import type { AttachedConsumer, TopicRecord } from './data-store.js';
import type { EncodedEvent, EventLog, NewEvent } from './event-log.js';
import type { GroupCommit, WriteOp } from './group-commit.js';

/** One `publish` call waiting for its commit; its events and bytes are reserved on its topic. */
export interface PendingPublish {
  readonly topic: TopicRecord;
  readonly events: readonly CloudEvent[];
  /** Per event: its encoding, undefined when no subscription gets it. */
  readonly encoded: ReadonlyArray<EncodedEvent | undefined>;
  /** Per event: the subscriptions that get a delivery row. */
  readonly targets: ReadonlyArray<readonly number[]>;
  /** Events stored and their bytes (reserved against the topic's caps until settled). */
  readonly n: number;
  readonly bytes: number;
  /** `Retry-After` seconds of the 503 when storing fails. */
  readonly retryAfter: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/** What the batch needs from the data store. */
export interface PublishTarget {
  readonly log: EventLog;
  readonly writer: GroupCommit;
  readonly logger: Logger;
  consumer(subscription: number): AttachedConsumer | undefined;
}

/** Collects the publishes of one turn into one write. */
export class PublishBatcher {
  #open: PublishBatch | undefined;

  constructor(private readonly store: PublishTarget) {}

  add(p: PendingPublish): void {
    if (this.#open) {
      this.#open.pending.push(p);
      return;
    }
    const batch = new PublishBatch(this.store, [p], () => {
      if (this.#open === batch) this.#open = undefined; // later publishes start a new batch
    });
    this.#open = batch;
    this.store.writer.enqueue(batch);
  }
}

class PublishBatch implements WriteOp {
  /** Per pending publish, per event: its seq once inserted (undefined: not stored). */
  #seqs: Array<Array<number | undefined>> = [];

  constructor(
    private readonly store: PublishTarget,
    readonly pending: PendingPublish[],
    private readonly closing: () => void,
  ) {}

  apply(): void {
    this.closing();
    const items: NewEvent[] = [];
    for (const p of this.pending)
      for (const [i, encoded] of p.encoded.entries())
        if (encoded) items.push({ topicId: p.topic.id, encoded, subscriptions: p.targets[i]! });
    const seqs = this.store.log.insertAll(items, Date.now());
    let k = 0;
    this.#seqs = this.pending.map((p) => p.encoded.map((e) => (e ? seqs[k++] : undefined)));
  }

  committed(): void {
    for (const [j, p] of this.pending.entries()) {
      const t = p.topic;
      t.reservedEvents -= p.n;
      t.reservedBytes -= p.bytes;
      t.events += p.n;
      t.bytes += p.bytes;
      const seqs = this.#seqs[j]!;
      for (const [i, seq] of seqs.entries()) {
        if (seq === undefined) continue;
        const targets = p.targets[i]!;
        const bytes = p.encoded[i]!.bytes;
        for (const sub of targets)
          this.store.consumer(sub)?.offer(seq, p.events[i]!, bytes, targets.length > 1);
      }
    }
  }

  durable(err: Error | null): void {
    for (const p of this.pending) {
      if (!err) p.resolve();
      else
        p.reject(
          new BackendUnavailableError(
            `could not sync the events of '${p.topic.name}': ${err.message}`,
            p.retryAfter,
            { cause: err },
          ),
        );
    }
  }

  failed(err: Error): void {
    this.closing(); // also when the writer refused it (closed) without applying it
    for (const p of this.pending) {
      const t = p.topic;
      t.reservedEvents -= p.n;
      t.reservedBytes -= p.bytes;
      // The group commit logs the failure once per streak at error level.
      this.store.logger.debug(
        { topic: t.name, err: err.message, code: (err as { code?: string }).code },
        'storing events failed; answering 503',
      );
      p.reject(
        new BackendUnavailableError(
          `could not store the events of '${t.name}': ${err.message}`,
          p.retryAfter,
          { cause: err },
        ),
      );
    }
  }

  /** One write per publish, so that a failing one fails only itself. */
  split(): WriteOp[] {
    this.closing();
    return this.pending.map((p) => new PublishBatch(this.store, [p], () => {}));
  }
}
