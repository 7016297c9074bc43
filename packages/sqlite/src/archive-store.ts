/**
 * The archive and the replay progress of `--data-dir` (docs/failed-deliveries.md, "Archive and
 * replay"): a second SQLite file, `archive.db`, next to `tributary.db` in the data directory, so
 * the archive's writes and schema stay apart from the event tables. Its shapes match
 * @tributary/broker's `EventArchive` and `ReplayStore` contracts.
 */
import path from 'node:path';
import type { Database, Statement } from 'better-sqlite3';
import type { CloudEvent } from '@tributary/core';
import { encode } from './event-log.js';
import type { Durability } from './store-options.js';

/** File name of the archive in the data directory. */
export const ARCHIVE_FILE = 'archive.db';

export interface StoredArchivedEvent {
  readonly seq: number;
  readonly archivedAt: number;
  readonly event: CloudEvent;
}

/** A replay record as the broker's ReplayStore keeps it (opaque here except for its id). */
export interface StoredReplay {
  readonly id: string;
}

/** How often (appends) the archive deletes events past their retention. */
const PURGE_EVERY = 500;

export class ArchiveStore {
  readonly #db: Database;
  readonly #insert: Statement;
  readonly #purge: Statement;
  readonly #read: Statement;
  readonly #count: Statement;
  readonly #saveReplay: Statement;
  readonly #listReplays: Statement;
  readonly #append: (broker: string, events: readonly CloudEvent[], now: number) => void;
  #sincePurge = 0;

  constructor(db: Database) {
    this.#db = db;
    db.exec(`
      CREATE TABLE IF NOT EXISTS archive (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        broker TEXT NOT NULL,
        archived_at INTEGER NOT NULL,
        attributes TEXT NOT NULL,
        data BLOB
      );
      CREATE INDEX IF NOT EXISTS archive_window ON archive (broker, archived_at, seq);
      CREATE TABLE IF NOT EXISTS replays (id TEXT PRIMARY KEY, record TEXT NOT NULL);
    `);
    this.#insert = db.prepare(
      'INSERT INTO archive (broker, archived_at, attributes, data) VALUES (?, ?, ?, ?)',
    );
    this.#purge = db.prepare('DELETE FROM archive WHERE broker = ? AND archived_at < ?');
    this.#read = db.prepare(
      'SELECT seq, archived_at, attributes, data FROM archive WHERE broker = ? AND archived_at >= ? AND archived_at <= ? AND seq > ? ORDER BY seq LIMIT ?',
    );
    this.#count = db
      .prepare(
        'SELECT count(*) FROM archive WHERE broker = ? AND archived_at >= ? AND archived_at <= ?',
      )
      .pluck();
    this.#saveReplay = db.prepare('INSERT OR REPLACE INTO replays (id, record) VALUES (?, ?)');
    this.#listReplays = db.prepare('SELECT record FROM replays ORDER BY rowid').pluck();
    this.#append = db.transaction((broker: string, events: readonly CloudEvent[], now: number) => {
      for (const e of events) {
        const enc = encode(e);
        this.#insert.run(broker, now, enc.attributes, enc.data);
      }
    });
  }

  /** Keeps `events` (one transaction, durable on return) and now and then drops expired ones. */
  append(broker: string, events: readonly CloudEvent[], retentionMs: number): void {
    const now = Date.now();
    this.#append(broker, events, now);
    this.#sincePurge += events.length;
    if (this.#sincePurge >= PURGE_EVERY) {
      this.#sincePurge = 0;
      this.#purge.run(broker, now - retentionMs);
    }
  }

  read(
    broker: string,
    fromMs: number,
    toMs: number,
    afterSeq: number,
    limit: number,
  ): StoredArchivedEvent[] {
    const rows = this.#read.all(broker, fromMs, toMs, afterSeq, limit) as Array<{
      seq: number;
      archived_at: number;
      attributes: string;
      data: Buffer | null;
    }>;
    return rows.map((r) => {
      const attributes = JSON.parse(r.attributes) as Record<string, string>;
      return {
        seq: r.seq,
        archivedAt: r.archived_at,
        event: r.data === null ? { attributes } : { attributes, data: r.data },
      };
    });
  }

  count(broker: string, fromMs: number, toMs: number): number {
    return Number(this.#count.get(broker, fromMs, toMs));
  }

  /** Replay records: written on every progress step (the resume point after a crash). */
  readonly replays = {
    list: <T extends StoredReplay>(): T[] =>
      (this.#listReplays.all() as string[]).map((s) => JSON.parse(s) as T),
    save: (record: StoredReplay): void => {
      this.#saveReplay.run(record.id, JSON.stringify(record));
    },
  };

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

/**
 * Opens (or creates) `archive.db` in `dir` (which the data store already owns through its lock
 * file). `power-loss` durability syncs every commit, as for the event tables.
 */
export async function openArchiveStore(
  dir: string,
  durability: Durability = 'process-crash',
): Promise<ArchiveStore> {
  const { default: Sqlite } = await import('better-sqlite3');
  const db = new Sqlite(path.join(dir, ARCHIVE_FILE));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${durability === 'power-loss' ? 'FULL' : 'NORMAL'}`);
  return new ArchiveStore(db);
}
