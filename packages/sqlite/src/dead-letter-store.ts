/**
 * A broker's dead-letter store in the data directory's database: table `dead_letters` (schema
 * version 2, docs/embedded-durable.md). Rows are written synchronously in their own transaction, so
 * an entry is committed before the dispatcher acknowledges the event it came from.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { DeadLetterEntry, DeadLetterEntryJson, DeadLetterStore } from '@tributary/core';
import { deadLetterEntryFromJson, deadLetterEntryToJson } from '@tributary/core';

interface Row {
  seq: number;
  attributes: string;
  data: Buffer | null;
  details: string;
}

type Details = Omit<DeadLetterEntryJson, 'event'>;

/** Statements shared by every broker's store of one database. */
export class DeadLetterTable {
  readonly #insert: Statement;
  readonly #delete: Statement;
  readonly #get: Statement;
  readonly #count: Statement;
  readonly #page: Statement;
  readonly put: (broker: string, e: DeadLetterEntry) => void;

  constructor(db: Database) {
    this.#insert = db.prepare(
      `INSERT INTO dead_letters (id, broker, owner_namespace, owner_name, attributes, data, details, dead_lettered_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#delete = db.prepare('DELETE FROM dead_letters WHERE id = ? AND broker = ?');
    this.#get = db.prepare(
      'SELECT seq, attributes, data, details FROM dead_letters WHERE id = ? AND broker = ?',
    );
    this.#count = db.prepare('SELECT count(*) FROM dead_letters WHERE broker = ?').pluck();
    this.#page = db.prepare(
      `SELECT seq, attributes, data, details FROM dead_letters
       WHERE broker = @broker AND seq > @after
         AND (@owner IS NULL OR owner_name = @owner)
         AND (@namespace IS NULL OR owner_namespace = @namespace)
       ORDER BY seq LIMIT @limit`,
    );
    this.put = db.transaction((broker: string, e: DeadLetterEntry) => {
      const { event, ...details } = deadLetterEntryToJson(e);
      this.#delete.run(e.id, broker);
      this.#insert.run(
        e.id,
        broker,
        e.owner.namespace,
        e.owner.name,
        JSON.stringify(event.attributes),
        e.event.data === undefined ? null : Buffer.from(e.event.data),
        JSON.stringify(details),
        Date.parse(e.deadLetteredAt) || Date.now(),
      );
    });
  }

  store(broker: { namespace: string; name: string }, assertOpen: () => void): DeadLetterStore {
    const key = `${broker.namespace}/${broker.name}`;
    const run = <T>(fn: () => T): Promise<T> => {
      try {
        assertOpen();
        return Promise.resolve(fn());
      } catch (err) {
        return Promise.reject(err as Error);
      }
    };
    return {
      kind: 'sqlite',
      put: (e) => run(() => this.put(key, e)),
      list: (q) =>
        run(() => {
          const rows = this.#page.all({
            broker: key,
            after: q.cursor === undefined ? 0 : Number(q.cursor) || 0,
            owner: q.owner ?? null,
            namespace: q.namespace ?? null,
            limit: q.limit + 1,
          }) as Row[];
          const more = rows.length > q.limit;
          const items = rows.slice(0, q.limit);
          const page = items.map(entryOf);
          return more
            ? { items: page, next: String(items[items.length - 1]!.seq) }
            : { items: page };
        }),
      get: (id) =>
        run(() => {
          const row = this.#get.get(id, key) as Row | undefined;
          return row && entryOf(row);
        }),
      remove: (id) => run(() => this.#delete.run(id, key).changes > 0),
      size: () => run(() => Number(this.#count.get(key))),
    };
  }
}

function entryOf(row: Row): DeadLetterEntry {
  const details = JSON.parse(row.details) as Details;
  const attributes = JSON.parse(row.attributes) as Record<string, string>;
  const entry = deadLetterEntryFromJson({ ...details, event: { attributes } });
  return row.data === null
    ? entry
    : { ...entry, event: { attributes, data: new Uint8Array(row.data) } };
}
