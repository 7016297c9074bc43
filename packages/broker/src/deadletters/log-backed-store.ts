/**
 * A dead-letter store kept as an append-only log on a durable backend (Kafka topic, RabbitMQ
 * stream; docs/failed-deliveries.md, docs/kafka.md, docs/rabbitmq.md). The log holds records —
 * `put` (an entry's JSON), `remove` (an id), `sync` (a marker) and `compacted` (see below) — that
 * every store replays from the first record into an in-memory index and then tails, so several
 * processes share one store. A write resolves once the backend holds the record AND this store
 * read it back, so a `list` after a `put` sees it; the first operation waits until a `sync` marker
 * it wrote came back: by then everything stored before is indexed.
 *
 * Compaction keeps the log from growing with every put and remove: once the records that no
 * longer matter (removed or replaced entries, markers) are at least `compactAfter` and at least as
 * many as the live entries, the store appends a copy of every live entry (a `put` naming the offset
 * of the record it copies, `copyOf`), then a `compacted` marker naming the last offset it had read
 * before copying (`upTo`), then asks the backend to drop the records up to that offset (Kafka's
 * DeleteRecords; a backend that cannot leaves them, docs/rabbitmq.md). Records other processes wrote
 * meanwhile sit above `upTo` and stay. A copy only applies when nothing newer happened to its entry:
 * the index still holds the copied record, or holds nothing and no `remove` of that id after the
 * copied offset was read (a reader that starts after the truncation never saw the original) — so a
 * concurrent remove or put is never undone, and a compaction that crashes half-way leaves copies
 * that change nothing.
 */
import { randomUUID } from 'node:crypto';
import {
  type DeadLetterEntry,
  type DeadLetterEntryJson,
  type DeadLetterPage,
  type DeadLetterStore,
  type Logger,
  deadLetterEntryFromJson,
  deadLetterEntryToJson,
} from '@tributary/core';

/** One record of a dead-letter log (JSON in the backend's message or record value). */
export type DeadLetterLogRecord =
  | { op: 'put'; rid: string; entry: DeadLetterEntryJson; copyOf?: number }
  | { op: 'remove'; rid: string; id: string }
  | { op: 'sync'; rid: string }
  | { op: 'compacted'; rid: string; upTo: number };

/** An open log: appends and, where the backend can, drops its oldest records. */
export interface DeadLetterLog {
  /** Appends a record; resolves once the backend holds it (acknowledged or confirmed). */
  append(record: DeadLetterLogRecord): Promise<void>;
  /** Drops every record at an offset ≤ `upTo` (absent when the backend cannot). */
  truncate?(upTo: number): Promise<void>;
  close(): Promise<void>;
}

/** What a backend supplies: a log read from its first record, in order. */
export interface DeadLetterLogBackend {
  readonly kind: string;
  /**
   * Opens the log: `onRecord` is called for every record from the first, in log order, with its
   * offset (growing); `onLost` when the log can no longer be read (the next operation reopens).
   */
  open(
    onRecord: (offset: number, value: Buffer | null) => void,
    onLost: () => void,
  ): Promise<DeadLetterLog>;
}

/** Options of {@link createLogBackedDeadLetterStore}. */
export interface LogBackedStoreOptions {
  readonly logger: Logger;
  /** What the log is called in log lines (topic or queue name). */
  readonly name: string;
  /** Records that no longer matter before the log is compacted. @default 1000 */
  readonly compactAfter?: number;
}

interface Session {
  readonly log: DeadLetterLog;
  /** Entries by id in the order of their latest `put`, with that record's offset. */
  readonly index: Map<string, { offset: number; entry: DeadLetterEntry }>;
  /** Offset of the last `remove` read per id (decides whether a copy still applies). */
  readonly removedAt: Map<string, number>;
  readonly waiting: Map<string, () => void>;
  /** Offset of the last record read. */
  lastOffset: number;
  /** Records read since the start or the last compaction. */
  records: number;
  compacting: Promise<void> | undefined;
}

/** Creates a dead-letter store on a backend's log. */
export function createLogBackedDeadLetterStore(
  backend: DeadLetterLogBackend,
  o: LogBackedStoreOptions,
): DeadLetterStore {
  const compactAfter = o.compactAfter ?? 1000;
  let session: Promise<Session> | undefined;

  function apply(s: Session, offset: number, value: Buffer | null): void {
    if (!value) return;
    let rec: DeadLetterLogRecord;
    try {
      rec = JSON.parse(value.toString('utf8')) as DeadLetterLogRecord;
    } catch {
      o.logger.warn({ log: o.name, offset }, 'unreadable dead-letter record skipped');
      return;
    }
    s.lastOffset = offset;
    s.records++;
    if (rec.op === 'put') {
      const id = rec.entry.id;
      if (rec.copyOf === undefined || copyApplies(s, id, rec.copyOf)) {
        s.index.delete(id);
        s.index.set(id, { offset, entry: deadLetterEntryFromJson(rec.entry) });
        s.removedAt.delete(id);
      }
    } else if (rec.op === 'remove') {
      s.index.delete(rec.id);
      s.removedAt.set(rec.id, offset);
    } else if (rec.op === 'compacted') s.records = s.index.size;
    const done = s.waiting.get(rec.rid);
    if (done) {
      s.waiting.delete(rec.rid);
      done();
    }
  }

  function copyApplies(s: Session, id: string, copyOf: number): boolean {
    const held = s.index.get(id);
    if (held) return held.offset === copyOf;
    return (s.removedAt.get(id) ?? -1) < copyOf;
  }

  /** Appends a record and resolves once it was read back. */
  async function write(s: Session, rec: DeadLetterLogRecord): Promise<void> {
    const seen = new Promise<void>((resolve) => s.waiting.set(rec.rid, resolve));
    try {
      await s.log.append(rec);
    } catch (err) {
      s.waiting.delete(rec.rid);
      throw err;
    }
    await seen;
  }

  async function open(): Promise<Session> {
    // Records may arrive before `open` resolved: kept until the session exists.
    const opened: { session?: Session } = {};
    const early: Array<[number, Buffer | null]> = [];
    const log = await backend.open(
      (offset, value) =>
        opened.session ? apply(opened.session, offset, value) : early.push([offset, value]),
      () => {
        if (opened.session) session = undefined;
      },
    );
    const s: Session = (opened.session = {
      log,
      index: new Map(),
      removedAt: new Map(),
      waiting: new Map(),
      lastOffset: -1,
      records: 0,
      compacting: undefined,
    });
    for (const [offset, value] of early) apply(s, offset, value);
    await write(s, { op: 'sync', rid: randomUUID() });
    return s;
  }

  const current = (): Promise<Session> => {
    session ??= open().catch((err: unknown) => {
      session = undefined;
      throw err;
    });
    return session;
  };

  /** Starts a compaction when enough of the log no longer matters (after this store's writes). */
  function maybeCompact(s: Session): void {
    const dead = s.records - s.index.size;
    if (s.compacting || dead < compactAfter || dead < s.index.size) return;
    s.compacting = compact(s)
      .catch((err: Error) =>
        o.logger.warn({ log: o.name, err: err.message }, 'dead-letter log compaction failed'),
      )
      .finally(() => (s.compacting = undefined));
  }

  async function compact(s: Session): Promise<void> {
    const upTo = s.lastOffset;
    const live = [...s.index.values()];
    await Promise.all(
      live.map(({ offset, entry }) =>
        s.log.append({
          op: 'put',
          rid: randomUUID(),
          entry: deadLetterEntryToJson(entry),
          copyOf: offset,
        }),
      ),
    );
    await write(s, { op: 'compacted', rid: randomUUID(), upTo });
    await s.log.truncate?.(upTo);
    o.logger.info({ log: o.name, upTo, live: live.length }, 'dead-letter log compacted');
  }

  return {
    kind: backend.kind,
    async put(entry) {
      const s = await current();
      await write(s, { op: 'put', rid: randomUUID(), entry: deadLetterEntryToJson(entry) });
      maybeCompact(s);
    },
    async list(q): Promise<DeadLetterPage> {
      const s = await current();
      const after = q.cursor === undefined ? -1 : Number(q.cursor);
      const items: DeadLetterEntry[] = [];
      let lastOffset = -1;
      // The index is in offset order: a put (or copy) moves its entry to the end, offsets only grow.
      for (const { offset, entry } of s.index.values()) {
        if (offset <= after) continue;
        if (q.owner !== undefined && entry.owner.name !== q.owner) continue;
        if (q.namespace !== undefined && entry.owner.namespace !== q.namespace) continue;
        if (items.length === q.limit) return { items, next: String(lastOffset) };
        items.push(entry);
        lastOffset = offset;
      }
      return { items };
    },
    async get(id) {
      return (await current()).index.get(id)?.entry;
    },
    async remove(id) {
      const s = await current();
      if (!s.index.has(id)) return false;
      await write(s, { op: 'remove', rid: randomUUID(), id });
      maybeCompact(s);
      return true;
    },
    async size() {
      return (await current()).index.size;
    },
    async close() {
      const s = await session?.catch(() => undefined);
      session = undefined;
      await s?.compacting;
      await s?.log.close().catch(() => undefined);
    },
  };
}
