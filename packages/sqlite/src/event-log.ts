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
}

interface DeliveryRow {
  seq: number;
  delivery_count: number;
  attempt: number | null;
  due_at: number;
  attributes: string;
  data: Buffer | null;
}

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
  readonly #insertEvent: Statement;
  readonly #insertDelivery: Statement;
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

  constructor(db: Database) {
    this.#insertEvent = db.prepare(
      'INSERT INTO events (topic_id, attributes, data, bytes, published_at, pending) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#insertDelivery = db.prepare(
      'INSERT OR IGNORE INTO deliveries (subscription_id, seq) VALUES (?, ?)',
    );
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
      `SELECT d.seq, d.delivery_count, d.attempt, d.due_at, e.attributes, e.data
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
  }

  /** Inserts an encoded event held for `subscriptions`; resolves with its sequence number. */
  insert(topicId: number, e: EncodedEvent, subscriptions: readonly number[], now: number): number {
    const info = this.#insertEvent.run(
      topicId,
      e.attributes,
      e.data,
      e.bytes,
      now,
      subscriptions.length,
    );
    const seq = Number(info.lastInsertRowid);
    for (const sub of subscriptions) this.#insertDelivery.run(sub, seq);
    return seq;
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
