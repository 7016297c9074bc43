/**
 * The database's schema and its migrations. The layout is documented in docs/embedded-durable.md;
 * a new version appends a migration here (never edits an applied one).
 */
import type { Database } from 'better-sqlite3';
import { DataDirForeignError, DataDirNewerSchemaError } from './errors.js';

/** `PRAGMA application_id` of a Tributary data file: the bytes of "Trib". */
export const APPLICATION_ID = 0x54726962;

interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

/**
 * Version 1: topics (a Broker or a channel), events (stored once per topic, `pending` = how many
 * subscriptions still have to acknowledge it), subscriptions (a Trigger or a channel Subscription)
 * and deliveries (one row per event a subscription has not acknowledged: its ack set, with the
 * due time and attempt of a stored retry). The archive of issue 16 gets its own migration later
 * (see docs/embedded-durable.md).
 *
 * Version 2: `dead_letters`, the brokers' dead-letter stores (one row per entry; `seq` is the
 * storing order, a replaced entry gets a new one; `details` is the entry's JSON without the event).
 */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'topics, events, subscriptions, deliveries',
    sql: `
      CREATE TABLE topics (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        topic_id INTEGER NOT NULL,
        attributes TEXT NOT NULL,
        data BLOB,
        bytes INTEGER NOT NULL,
        published_at INTEGER NOT NULL,
        pending INTEGER NOT NULL
      );
      CREATE TABLE subscriptions (
        id INTEGER PRIMARY KEY,
        topic_id INTEGER NOT NULL,
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_active_at INTEGER NOT NULL,
        UNIQUE (topic_id, name)
      );
      CREATE TABLE deliveries (
        subscription_id INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        delivery_count INTEGER NOT NULL DEFAULT 0,
        attempt INTEGER,
        due_at INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (subscription_id, seq)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    description: 'dead_letters (the dead-letter store, docs/failed-deliveries.md)',
    sql: `
      CREATE TABLE dead_letters (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        broker TEXT NOT NULL,
        owner_namespace TEXT NOT NULL,
        owner_name TEXT NOT NULL,
        attributes TEXT NOT NULL,
        data BLOB,
        details TEXT NOT NULL,
        dead_lettered_at INTEGER NOT NULL
      );
      CREATE INDEX dead_letters_by_broker ON dead_letters (broker, seq);
    `,
  },
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/**
 * Checks that `db` is a Tributary data file (or empty) of a version this code knows, then applies
 * the migrations it lacks. Throws {@link DataDirForeignError} or {@link DataDirNewerSchemaError}
 * and changes nothing in those cases. Resolves with the version found before migrating (0 = new).
 */
export function migrate(db: Database, file: string): number {
  const appId = Number(db.pragma('application_id', { simple: true }));
  const tables = db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
    .pluck()
    .all() as string[];
  if (appId === 0 && tables.length === 0) {
    // A new file: incremental vacuum must be chosen before the first table exists.
    db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma(`application_id = ${APPLICATION_ID}`);
  } else if (appId !== APPLICATION_ID) {
    throw new DataDirForeignError(
      file,
      appId === 0
        ? `a SQLite database of another application, with tables ${tables.slice(0, 5).join(', ')}`
        : `a SQLite database with application_id 0x${appId.toString(16)}`,
    );
  }
  let found = 0;
  if (tables.includes('tributary_schema')) {
    found = Number(db.prepare('SELECT max(version) FROM tributary_schema').pluck().get() ?? 0);
  } else {
    db.exec(`CREATE TABLE tributary_schema (
      version INTEGER PRIMARY KEY,
      description TEXT NOT NULL,
      applied_at TEXT NOT NULL
    )`);
  }
  if (found > SCHEMA_VERSION) throw new DataDirNewerSchemaError(file, found, SCHEMA_VERSION);
  const record = db.prepare(
    'INSERT INTO tributary_schema (version, description, applied_at) VALUES (?, ?, ?)',
  );
  for (const m of MIGRATIONS) {
    if (m.version <= found) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.description, new Date().toISOString());
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return found;
}
