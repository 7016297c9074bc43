/**
 * The prepared statements of the event tables (schema in schema.ts): storing an event with its
 * deliveries, acknowledging, storing a retry, reading a subscription's ack set in order.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { CloudEvent } from '@tributary/core';

/** A delivery row as read back: what a subscription still has to acknowledge. */
export interface StoredDelivery {
  readonly seq: number;
  /** Deliveries handed out before (stored with failed or deferred deliveries). */
  readonly deliveryCount: number;
  /** The attempt a stored retry resumes at. */
  readonly attempt: number | undefined;
  /** Not handed out before this time (ms since the epoch); 0 = now. */
  readonly dueAt: number;
  readonly event: CloudEvent;
  /** The event's size against caps (column `bytes`). */
  readonly bytes: number;
  /** Other subscriptions may still hold the event too (`pending` > 1 when read). */
  readonly shared: boolean;
}

interface DeliveryRow {
  seq: number;
  delivery_count: number;
  attempt: number | null;
  due_at: number;
  attributes: string;
  data: Buffer | null;
  bytes: number;
  pending: number;
}

/** An event to store: its topic, its encoding and the subscriptions that get a delivery row. */
export interface NewEvent {
  readonly topicId: number;
  readonly encoded: EncodedEvent;
  readonly subscriptions: readonly number[];
}

/** Rows per multi-row INSERT (6 parameters each for events, 2 for deliveries). */
const INSERT_CHUNK = 64;

/** Bytes an event counts for against a size cap: its attributes as stored plus its data. */
export function storedSize(attributes: string, data: Uint8Array | undefined): number {
  return Buffer.byteLength(attributes) + (data?.byteLength ?? 0);
}

/** An event as stored: attributes JSON, data bytes, and its size against caps. */
export interface EncodedEvent {
  readonly attributes: string;
  readonly data: Buffer | null;
  readonly bytes: number;
}

export function encode(event: CloudEvent): EncodedEvent {
  const attributes = JSON.stringify(event.attributes);
  return { attributes, data: blob(event.data), bytes: storedSize(attributes, event.data) };
}

function decode(attributes: string, data: Buffer | null): CloudEvent {
  const attrs = JSON.parse(attributes) as Record<string, string>;
  return data === null ? { attributes: attrs } : { attributes: attrs, data };
}

function blob(data: Uint8Array | undefined): Buffer | null {
  if (!data) return null;
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

export class EventLog {
  readonly #deleteDelivery: Statement;
  readonly #release: Statement;
  readonly #deleteLast: Statement;
  readonly #update: Statement;
  readonly #load: Statement;
  readonly #fetch: Statement;
  readonly #seqsOf: Statement;
  readonly #deleteDeliveriesOf: Statement;
  readonly #count: Statement;
  readonly #deleteDeliveries: Statement;
  readonly #deleteLastMany: Statement;
  readonly #releaseMany: Statement;
  readonly #countRange: Statement;
  readonly #deleteDeliveryRange: Statement;
  readonly #deleteEventRange: Statement;
  readonly #deleteLastRange: Statement;
  readonly #releaseRange: Statement;
  /** Multi-row INSERTs by row count, prepared on first use. */
  readonly #insertEvents = new Map<number, Statement>();
  readonly #insertDeliveries = new Map<number, Statement>();

  constructor(private readonly db: Database) {
    this.#deleteDelivery = db.prepare(
      'DELETE FROM deliveries WHERE subscription_id = ? AND seq = ?',
    );
    this.#release = db.prepare('UPDATE events SET pending = pending - 1 WHERE seq = ?');
    this.#deleteLast = db.prepare(
      'DELETE FROM events WHERE seq = ? AND pending <= 1 RETURNING bytes, topic_id',
    );
    this.#update = db.prepare(
      'UPDATE deliveries SET delivery_count = ?, attempt = ?, due_at = ? WHERE subscription_id = ? AND seq = ?',
    );
    this.#load = db.prepare(
      `SELECT d.seq, d.delivery_count, d.attempt, d.due_at, e.attributes, e.data, e.bytes, e.pending
         FROM deliveries d JOIN events e ON e.seq = d.seq
        WHERE d.subscription_id = ? AND d.seq > ? ORDER BY d.seq LIMIT ?`,
    );
    this.#fetch = db.prepare('SELECT attributes, data FROM events WHERE seq = ?');
    this.#seqsOf = db
      .prepare('SELECT seq FROM deliveries WHERE subscription_id = ? ORDER BY seq')
      .pluck();
    this.#deleteDeliveriesOf = db.prepare('DELETE FROM deliveries WHERE subscription_id = ?');
    this.#deleteDeliveries = db
      .prepare(
        'DELETE FROM deliveries WHERE subscription_id = ? AND seq IN (SELECT value FROM json_each(?)) RETURNING seq',
      )
      .pluck();
    this.#deleteLastMany = db.prepare(
      'DELETE FROM events WHERE seq IN (SELECT value FROM json_each(?)) AND pending <= 1 RETURNING bytes, topic_id',
    );
    this.#releaseMany = db.prepare(
      'UPDATE events SET pending = pending - 1 WHERE seq IN (SELECT value FROM json_each(?))',
    );
    this.#count = db.prepare('SELECT count(*) FROM deliveries WHERE subscription_id = ?').pluck();
    this.#countRange = db
      .prepare('SELECT count(*) FROM deliveries WHERE subscription_id = ? AND seq BETWEEN ? AND ?')
      .pluck();
    this.#deleteDeliveryRange = db.prepare(
      'DELETE FROM deliveries WHERE subscription_id = ? AND seq BETWEEN ? AND ?',
    );
    this.#deleteEventRange = db.prepare(
      'DELETE FROM events WHERE seq BETWEEN ? AND ? AND pending <= 1',
    );
    this.#deleteLastRange = db
      .prepare('DELETE FROM events WHERE seq BETWEEN ? AND ? AND pending <= 1 RETURNING bytes')
      .pluck();
    this.#releaseRange = db.prepare(
      'UPDATE events SET pending = pending - 1 WHERE seq BETWEEN ? AND ?',
    );
  }

  /**
   * Inserts events with their delivery rows using multi-row INSERTs (up to 64 rows per
   * statement); resolves with their sequence numbers, in order. One statement for a turn's
   * publishes instead of two per event costs ~1.5 µs less CPU per event (bench/sqlite-bench.mjs
   * load, 17 events per commit: 5.2 → 3.8 µs of SQLite work per event together with ackBatch).
   */
  insertAll(items: readonly NewEvent[], now: number): number[] {
    const seqs: number[] = [];
    for (let from = 0; from < items.length; from += INSERT_CHUNK) {
      const k = Math.min(INSERT_CHUNK, items.length - from);
      const args: unknown[] = [];
      for (let i = from; i < from + k; i++) {
        const { topicId, encoded: e, subscriptions } = items[i]!;
        args.push(topicId, e.attributes, e.data, e.bytes, now, subscriptions.length);
      }
      const stmt = this.#multi(this.#insertEvents, k, () =>
        this.db.prepare(
          `INSERT INTO events (topic_id, attributes, data, bytes, published_at, pending) VALUES ${rows(k, 6)}`,
        ),
      );
      // The rows of one INSERT get consecutive seqs: each takes the largest seq so far plus one
      // (AUTOINCREMENT), and nothing else writes in between; the last one is lastInsertRowid.
      const first = Number(stmt.run(args).lastInsertRowid) - k + 1;
      for (let i = 0; i < k; i++) seqs.push(first + i);
    }
    const pairs: number[] = [];
    for (const [i, item] of items.entries())
      for (const sub of item.subscriptions) pairs.push(sub, seqs[i]!);
    for (let from = 0; from < pairs.length; from += 2 * INSERT_CHUNK) {
      const k = Math.min(INSERT_CHUNK, (pairs.length - from) / 2);
      const stmt = this.#multi(this.#insertDeliveries, k, () =>
        this.db.prepare(
          `INSERT OR IGNORE INTO deliveries (subscription_id, seq) VALUES ${rows(k, 2)}`,
        ),
      );
      stmt.run(pairs.slice(from, from + 2 * k));
    }
    return seqs;
  }

  #multi(cache: Map<number, Statement>, k: number, prepare: () => Statement): Statement {
    let stmt = cache.get(k);
    if (!stmt) cache.set(k, (stmt = prepare()));
    return stmt;
  }

  /**
   * Acknowledges a batch of deliveries of one subscription; resolves with what left the store
   * (its events are the subscription's topic's). `bytes` is the batch's total size when no
   * other subscription holds any of its events (each had `pending` 1 when handed out), else
   * undefined.
   *
   * A batch that is every seq of a range and holds each of its delivery rows (the common case:
   * one Trigger acknowledging in publish order) is removed by range, in three statements without
   * JSON or RETURNING; anything else goes through {@link ackMany}. Saves ~1 µs of CPU per
   * acknowledged event (bench/sqlite-bench.mjs load, ~19 acknowledgements per batch).
   */
  ackBatch(
    subscription: number,
    seqs: readonly number[],
    bytes: number | undefined,
  ): { events: number; bytes: number } {
    const range = seqs.length > 1 ? rangeOf(seqs) : undefined;
    if (range && Number(this.#countRange.get(subscription, range[0], range[1])) === seqs.length) {
      // Every row of the subscription in the range is one of the batch, and every seq of the
      // range has one: each event of the range is held by this subscription.
      const [first, last] = range;
      this.#deleteDeliveryRange.run(subscription, first, last);
      if (bytes !== undefined) {
        const gone = this.#deleteEventRange.run(first, last).changes;
        if (gone === seqs.length) return { events: gone, bytes };
        // Not expected (no other subscription held them): keep those another one still holds.
        this.#releaseRange.run(first, last);
        return { events: gone, bytes: Math.round((bytes * gone) / seqs.length) };
      }
      const freed = this.#deleteLastRange.all(first, last) as number[];
      if (freed.length < seqs.length) this.#releaseRange.run(first, last);
      return { events: freed.length, bytes: freed.reduce((a, b) => a + b, 0) };
    }
    let events = 0;
    let total = 0;
    for (const f of this.ackMany(subscription, seqs)) {
      events++;
      total += f.bytes;
    }
    return { events, bytes: total };
  }

  /**
   * Removes a delivery; the event goes too once no subscription holds it. Resolves with the
   * removed event's topic and size, undefined while other subscriptions still hold it.
   */
  ack(subscription: number, seq: number): { topicId: number; bytes: number } | undefined {
    if (this.#deleteDelivery.run(subscription, seq).changes === 0) return undefined;
    // The last holder deletes the event (one statement); others lower its count.
    const row = this.#deleteLast.get(seq) as { bytes: number; topic_id: number } | undefined;
    if (row) return { topicId: row.topic_id, bytes: row.bytes };
    this.#release.run(seq);
    return undefined;
  }

  /**
   * Acknowledges many deliveries of one subscription in three statements; resolves with the
   * topic and size of each event that left the store (no subscription holds it any more).
   */
  ackMany(
    subscription: number,
    seqs: readonly number[],
  ): Array<{ topic_id: number; bytes: number }> {
    if (seqs.length === 1) {
      const one = this.ack(subscription, seqs[0]!);
      return one ? [{ topic_id: one.topicId, bytes: one.bytes }] : [];
    }
    const removed = this.#deleteDeliveries.all(subscription, JSON.stringify(seqs)) as number[];
    if (removed.length === 0) return [];
    const json = JSON.stringify(removed);
    const gone = this.#deleteLastMany.all(json) as Array<{ topic_id: number; bytes: number }>;
    if (gone.length < removed.length) this.#releaseMany.run(json);
    return gone;
  }

  /** Stores a delivery's count and, for a stored retry, its attempt and due time. */
  update(
    subscription: number,
    seq: number,
    deliveryCount: number,
    attempt: number | undefined,
    dueAt: number,
  ): void {
    this.#update.run(deliveryCount, attempt ?? null, dueAt, subscription, seq);
  }

  /** Up to `limit` deliveries of a subscription after `afterSeq`, in publish order. */
  load(subscription: number, afterSeq: number, limit: number): StoredDelivery[] {
    const rows = this.#load.all(subscription, afterSeq, limit) as DeliveryRow[];
    return rows.map((r) => ({
      seq: r.seq,
      deliveryCount: r.delivery_count,
      attempt: r.attempt ?? undefined,
      dueAt: r.due_at,
      event: decode(r.attributes, r.data),
      bytes: r.bytes,
      shared: r.pending > 1,
    }));
  }

  /** The event with sequence number `seq`, if still stored. */
  fetch(seq: number): CloudEvent | undefined {
    const row = this.#fetch.get(seq) as { attributes: string; data: Buffer | null } | undefined;
    return row && decode(row.attributes, row.data);
  }

  /** Deliveries a subscription has not acknowledged. */
  count(subscription: number): number {
    return Number(this.#count.get(subscription));
  }

  /** Drops a subscription's whole ack set; resolves with what was freed per topic. */
  dropDeliveries(subscription: number): Map<number, { events: number; bytes: number }> {
    const freed = new Map<number, { events: number; bytes: number }>();
    for (const seq of this.#seqsOf.all(subscription) as number[]) {
      const r = this.ack(subscription, seq);
      if (!r) continue;
      const f = freed.get(r.topicId) ?? { events: 0, bytes: 0 };
      f.events++;
      f.bytes += r.bytes;
      freed.set(r.topicId, f);
    }
    this.#deleteDeliveriesOf.run(subscription);
    return freed;
  }
}

/** `(?, ?, …), …`: `k` rows of `n` parameters. */
function rows(k: number, n: number): string {
  const row = `(${Array.from({ length: n }, () => '?').join(', ')})`;
  return Array.from({ length: k }, () => row).join(', ');
}

/** [first, last] when `seqs` holds every integer from first to last exactly once; else undefined. */
function rangeOf(seqs: readonly number[]): [number, number] | undefined {
  let first = Infinity;
  let last = -Infinity;
  for (const s of seqs) {
    if (s < first) first = s;
    if (s > last) last = s;
  }
  if (last - first + 1 !== seqs.length) return undefined;
  const seen = new Uint8Array(seqs.length);
  for (const s of seqs) {
    if (seen[s - first]) return undefined;
    seen[s - first] = 1;
  }
  return [first, last];
}
