/**
 * The consumer of one stored subscription in this process: keeps a window of its ack set in
 * memory (loaded from the database in publish order, or handed over right after a publish
 * committed), runs the handler with bounded concurrency (ordered: one event at a time per
 * `partitionkey`), and writes acknowledgements and retry times through the group commit.
 */
import {
  type CloudEvent,
  type DeliveryInfo,
  type EventHandler,
  type Logger,
  RedeliverLaterError,
} from '@tributary/core';
import type { AttachedConsumer, DataStore, TopicRecord } from './data-store.js';
import { DueHeap } from './due-heap.js';

export interface SubscriptionEngineOptions {
  readonly store: DataStore;
  readonly topic: TopicRecord;
  readonly subscriptionId: number;
  readonly subscription: string;
  readonly handler: EventHandler;
  readonly ordered: boolean;
  readonly concurrency: number;
  /** Most events held in memory with their data (waiting retries are held without it). */
  readonly window: number;
  readonly redeliveryDelayMs: number;
  readonly maxRedeliveryDelayMs: number;
  /** Offered as DeliveryInfo.deferral: backoffs at least this long are stored. */
  readonly deferralMinDelayMs: number;
  readonly logger: Logger;
}

interface Entry {
  readonly seq: number;
  /** Undefined while an unordered entry waits out a stored retry (read again when due). */
  event: CloudEvent | undefined;
  readonly key: string;
  deliveryCount: number;
  attempt: number | undefined;
  dueAt: number;
  /** The event's size against caps. */
  readonly bytes: number;
  /** Other subscriptions may hold the event too (its acknowledgement cannot delete it alone). */
  readonly shared: boolean;
}

export class SubscriptionEngine implements AttachedConsumer {
  readonly #o: SubscriptionEngineOptions;
  readonly #entries = new Map<number, Entry>();
  #heavy = 0;
  #ready: Entry[] = [];
  #readyHead = 0;
  readonly #delayed = new DueHeap<Entry>();
  readonly #keys = new Map<string, Entry[]>();
  readonly #runnable = new Set<string>();
  #inFlight = 0;
  /** Resolves `close`'s wait once no handler runs any more. */
  #idle: (() => void) | undefined;
  #loadedUpTo = 0;
  #caughtUp = false;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = 0;
  readonly #deferral: { readonly minDelayMs: number };

  constructor(options: SubscriptionEngineOptions) {
    this.#o = options;
    this.#deferral = { minDelayMs: options.deferralMinDelayMs };
  }

  /** Starts consuming: attaches to the store, loads the first window, hands events out. */
  start(): void {
    this.#o.store.attach(this.#o.subscriptionId, this);
    this.#pump();
  }

  offer(seq: number, event: CloudEvent, bytes: number, shared: boolean): void {
    if (this.#closed || !this.#caughtUp) return;
    if (this.#heavy >= this.#o.window) {
      this.#caughtUp = false; // read from the database once the window has room
      return;
    }
    this.#add({
      seq,
      event,
      key: keyOf(event),
      deliveryCount: 0,
      attempt: undefined,
      dueAt: 0,
      bytes,
      shared,
    });
    this.#pump();
  }

  #add(e: Entry): void {
    this.#entries.set(e.seq, e);
    this.#heavy++;
    this.#loadedUpTo = Math.max(this.#loadedUpTo, e.seq);
    if (this.#o.ordered) {
      const q = this.#keys.get(e.key);
      if (q) q.push(e);
      else {
        this.#keys.set(e.key, [e]);
        this.#head(e);
      }
    } else this.#queue(e);
  }

  /** Unordered: ready now, or wait (without its data) for its due time. */
  #queue(e: Entry): void {
    if (e.dueAt > Date.now()) {
      if (e.event) {
        e.event = undefined;
        this.#heavy--;
      }
      this.#delayed.push(e);
      this.#arm();
    } else this.#ready.push(e);
  }

  /** Ordered: the head of its key's queue runs now or when due. */
  #head(e: Entry): void {
    if (e.dueAt > Date.now()) {
      this.#delayed.push(e);
      this.#arm();
    } else this.#runnable.add(e.key);
  }

  #load(): boolean {
    const limit = this.#o.window - this.#heavy;
    if (limit <= 0) return false;
    let rows;
    try {
      rows = this.#o.store.log.load(this.#o.subscriptionId, this.#loadedUpTo, limit);
    } catch (err) {
      this.#o.logger.warn({ err: (err as Error).message }, 'reading held events failed; retrying');
      this.#arm(Date.now() + 1_000);
      return false;
    }
    for (const r of rows)
      this.#add({
        seq: r.seq,
        event: r.event,
        key: keyOf(r.event),
        deliveryCount: r.deliveryCount,
        attempt: r.attempt,
        dueAt: r.dueAt,
        bytes: r.bytes,
        shared: r.shared,
      });
    if (rows.length < limit) this.#caughtUp = true;
    return rows.length > 0;
  }

  #pump(): void {
    if (this.#closed) return;
    const cap = Math.max(1, this.#o.concurrency);
    for (;;) {
      if (this.#o.ordered) {
        for (const key of this.#runnable) {
          if (this.#inFlight >= cap) break;
          this.#runnable.delete(key);
          const head = this.#keys.get(key)?.[0];
          if (head) this.#run(head);
        }
      } else {
        while (this.#inFlight < cap && this.#readyHead < this.#ready.length) {
          const e = this.#ready[this.#readyHead++]!;
          if (this.#readyHead > 1024 && this.#readyHead * 2 > this.#ready.length) {
            this.#ready = this.#ready.slice(this.#readyHead);
            this.#readyHead = 0;
          }
          this.#run(e);
        }
      }
      if (this.#caughtUp || this.#heavy > this.#o.window / 2 || !this.#load()) return;
    }
  }

  #run(e: Entry): void {
    if (!e.event) {
      let event: CloudEvent | undefined;
      try {
        event = this.#o.store.log.fetch(e.seq);
      } catch (err) {
        this.#o.logger.warn({ err: (err as Error).message, seq: e.seq }, 'reading an event failed');
        e.dueAt = Date.now() + 1_000;
        this.#queue(e);
        return;
      }
      if (!event) {
        this.#entries.delete(e.seq);
        return;
      }
      e.event = event;
      this.#heavy++;
    }
    this.#inFlight++;
    e.deliveryCount++;
    const info: DeliveryInfo =
      e.attempt === undefined
        ? { deliveryCount: e.deliveryCount, deferral: this.#deferral }
        : { deliveryCount: e.deliveryCount, deferral: this.#deferral, attempt: e.attempt };
    void this.#deliver(e, e.event, info);
  }

  /**
   * One delivery. Tracked by the count in flight only (close waits for it to reach 0), not by a
   * set of promises with a `finally` each: one promise per delivery instead of three.
   */
  async #deliver(e: Entry, event: CloudEvent, info: DeliveryInfo): Promise<void> {
    try {
      await this.#o.handler(event, info);
      this.#acked(e);
    } catch (err) {
      this.#failed(e, err);
    } finally {
      this.#inFlight--;
      if (this.#inFlight === 0) this.#idle?.();
      this.#pump();
    }
  }

  /** Acknowledgements waiting for the next commit, written as one batch. */
  #acks: AckBatch | undefined;

  #acked(e: Entry): void {
    const open = this.#acks;
    if (open) {
      open.seqs.push(e.seq);
      open.bytes += e.bytes;
      open.shared ||= e.shared;
    } else {
      const batch: AckBatch = (this.#acks = { seqs: [e.seq], bytes: e.bytes, shared: e.shared });
      const { store, subscriptionId, topic } = this.#o;
      let freed = { events: 0, bytes: 0 };
      store.writer.enqueue({
        keep: true,
        lazy: true,
        apply: () => {
          if (this.#acks === batch) this.#acks = undefined; // later acks start a new batch
          freed = store.log.ackBatch(
            subscriptionId,
            batch.seqs,
            batch.shared ? undefined : batch.bytes,
          );
        },
        committed: () => {
          if (freed.events > 0) store.released(topic.id, freed.events, freed.bytes);
        },
      });
    }
    if (this.#closed) return;
    this.#forget(e);
    if (this.#o.ordered) {
      const q = this.#keys.get(e.key);
      q?.shift();
      if (q && q.length > 0) this.#head(q[0]!);
      else this.#keys.delete(e.key);
    }
  }

  #forget(e: Entry): void {
    if (this.#entries.delete(e.seq) && e.event) this.#heavy--;
  }

  #failed(e: Entry, err: unknown): void {
    const later = err instanceof RedeliverLaterError ? err : undefined;
    if (this.#closed && !later) return; // stays held in the database
    const now = Date.now();
    if (later) {
      e.attempt = later.attempt;
      e.dueAt = now + later.delayMs;
    } else {
      const n = Math.max(0, e.deliveryCount - 1);
      e.dueAt = now + Math.min(this.#o.maxRedeliveryDelayMs, this.#o.redeliveryDelayMs * 2 ** n);
      this.#o.logger.debug(
        { seq: e.seq, err: (err as Error)?.message, deliveryCount: e.deliveryCount },
        'handler rejected; event delivered again later',
      );
    }
    const { store, subscriptionId } = this.#o;
    const { deliveryCount, attempt, dueAt } = e;
    store.writer.enqueue({
      keep: true,
      lazy: !later, // a stored retry is written at once: it must survive a kill
      apply: () => store.log.update(subscriptionId, e.seq, deliveryCount, attempt, dueAt),
    });
    if (this.#closed) return;
    if (this.#o.ordered) this.#head(e);
    else this.#queue(e);
  }

  /** Arms the timer for the earliest due entry (or `at`). */
  #arm(at?: number): void {
    const next = at ?? this.#delayed.peek()?.dueAt;
    if (next === undefined || this.#closed) return;
    if (this.#timer && this.#timerAt <= next) return;
    clearTimeout(this.#timer);
    this.#timerAt = next;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, next - Date.now()));
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = undefined;
    const now = Date.now();
    for (let top = this.#delayed.peek(); top && top.dueAt <= now; top = this.#delayed.peek()) {
      this.#delayed.pop();
      if (!this.#entries.has(top.seq)) continue;
      if (this.#o.ordered) this.#runnable.add(top.key);
      else this.#ready.push(top);
    }
    this.#arm();
    this.#pump();
  }

  /** Stops handing out events, waits up to `drainMs` for handlers in flight, detaches. */
  async close(drainMs: number): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#o.store.detach(this.#o.subscriptionId, this);
    if (this.#inFlight > 0) {
      let t: NodeJS.Timeout | undefined;
      await new Promise<void>((r) => {
        this.#idle = r;
        t = setTimeout(r, drainMs);
      });
      clearTimeout(t);
      this.#idle = undefined;
    }
    if (!this.#o.store.closed) this.#o.store.writer.flush();
    this.#entries.clear();
    this.#keys.clear();
    this.#runnable.clear();
    this.#delayed.clear();
    this.#ready = [];
    this.#readyHead = 0;
  }
}

/** The acknowledgements of one subscription waiting for the next commit. */
interface AckBatch {
  readonly seqs: number[];
  /** Their events' total size, and whether another subscription may hold any of them. */
  bytes: number;
  shared: boolean;
}

function keyOf(event: CloudEvent): string {
  return event.attributes['partitionkey'] ?? '';
}
