/**
 * One data directory: the SQLite database (WAL, exclusive lock), its catalog of topics and
 * subscriptions with their held counts, the group-commit writer and the background compaction.
 * Every backend of a process built on the same directory shares one store. See
 * docs/embedded-durable.md.
 */
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { type CloudEvent, type Logger, silentLogger } from '@tributary/core';
import {
  DataDirForeignError,
  DataDirLockedError,
  DataDirUnusableError,
  SqliteConfigError,
  StoreClosedError,
} from './errors.js';
import { EventLog } from './event-log.js';
import { DeadLetterTable } from './dead-letter-store.js';
import type { DeadLetterStore } from '@tributary/core';
import { GroupCommit } from './group-commit.js';
import { PublishBatcher } from './publish-batch.js';
import { WalSync } from './wal-sync.js';
import { readLockPid, removeLockFile, writeLockFile } from './lock-file.js';
import { migrate } from './schema.js';
import { type Durability, type DataStoreOptions, dataStoreOptionsSchema } from './store-options.js';

export const DB_FILE = 'tributary.db';

/** A topic (a Broker or a channel) with what it holds. */
export interface TopicRecord {
  readonly id: number;
  readonly name: string;
  /** Subscription name → id, for every stored subscription of the topic. */
  readonly subscriptions: Map<string, number>;
  /** Events stored and not yet acknowledged by every subscription, and their bytes. */
  events: number;
  bytes: number;
  /** Publishes queued for the next commit (counted against caps already). */
  reservedEvents: number;
  reservedBytes: number;
}

/** What a store needs from an attached consumer (see subscription-engine.ts). */
export interface AttachedConsumer {
  /**
   * A just-committed delivery of this subscription: the event, its size against caps and whether
   * other subscriptions hold it too.
   */
  offer(seq: number, event: CloudEvent, bytes: number, shared: boolean): void;
}

export class DataStore {
  readonly log: EventLog;
  readonly writer: GroupCommit;
  /** Collects each turn's publishes into one write of {@link writer}. */
  readonly publishes: PublishBatcher;
  readonly #topics = new Map<string, TopicRecord>();
  readonly #topicsById = new Map<number, TopicRecord>();
  readonly #attached = new Map<number, AttachedConsumer>();
  readonly #compactTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    readonly dir: string,
    readonly file: string,
    readonly durability: Durability,
    private readonly db: Database,
    private readonly options: Required<
      Pick<DataStoreOptions, 'compactIntervalMs' | 'subscriptionRetentionMs'>
    >,
    readonly logger: Logger,
  ) {
    this.log = new EventLog(db);
    this.writer = new GroupCommit(
      db,
      logger,
      undefined,
      durability === 'power-loss' ? new WalSync(file) : undefined,
    );
    this.publishes = new PublishBatcher(this);
    this.#loadCatalog();
    if (options.compactIntervalMs > 0) {
      this.#compactTimer = setInterval(() => this.compact(), options.compactIntervalMs);
      this.#compactTimer.unref();
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  #loadCatalog(): void {
    // Time the process was down does not count towards a subscription's retention.
    this.db.prepare('UPDATE subscriptions SET last_active_at = ?').run(Date.now());
    for (const t of this.db.prepare('SELECT id, name FROM topics').all() as Array<{
      id: number;
      name: string;
    }>)
      this.#remember(t.id, t.name);
    for (const s of this.db.prepare('SELECT id, topic_id, name FROM subscriptions').all() as Array<{
      id: number;
      topic_id: number;
      name: string;
    }>)
      this.#topicsById.get(s.topic_id)?.subscriptions.set(s.name, s.id);
    const held = this.db
      .prepare('SELECT topic_id, count(*) AS n, total(bytes) AS b FROM events GROUP BY topic_id')
      .all() as Array<{ topic_id: number; n: number; b: number }>;
    for (const h of held) {
      const t = this.#topicsById.get(h.topic_id);
      if (t) {
        t.events = h.n;
        t.bytes = h.b;
      }
    }
  }

  #remember(id: number, name: string): TopicRecord {
    const t: TopicRecord = {
      id,
      name,
      subscriptions: new Map(),
      events: 0,
      bytes: 0,
      reservedEvents: 0,
      reservedBytes: 0,
    };
    this.#topics.set(name, t);
    this.#topicsById.set(id, t);
    return t;
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreClosedError(this.dir);
  }

  #deadLetters: DeadLetterTable | undefined;

  /** The dead-letter store of a broker, in table `dead_letters` (docs/failed-deliveries.md). */
  deadLetterStore(broker: { namespace: string; name: string }): DeadLetterStore {
    this.#assertOpen();
    this.#deadLetters ??= new DeadLetterTable(this.db);
    return this.#deadLetters.store(broker, () => this.#assertOpen());
  }

  /** The topic named `name`, stored on first use. */
  topic(name: string): TopicRecord {
    const known = this.#topics.get(name);
    if (known) return known;
    this.#assertOpen();
    const id = Number(
      this.db
        .prepare('INSERT INTO topics (name, created_at) VALUES (?, ?) RETURNING id')
        .pluck()
        .get(name, Date.now()),
    );
    return this.#remember(id, name);
  }

  /** The id of subscription `name` of a topic, stored on first use (it then holds every later event). */
  subscription(topic: TopicRecord, name: string): number {
    const known = topic.subscriptions.get(name);
    if (known !== undefined) return known;
    this.#assertOpen();
    const now = Date.now();
    const id = Number(
      this.db
        .prepare(
          'INSERT INTO subscriptions (topic_id, name, created_at, last_active_at) VALUES (?, ?, ?, ?) RETURNING id',
        )
        .pluck()
        .get(topic.id, name, now, now),
    );
    topic.subscriptions.set(name, id);
    return id;
  }

  /** Drops a subscription and every event only it still held. */
  removeSubscription(topic: TopicRecord, name: string): void {
    const id = topic.subscriptions.get(name);
    if (id === undefined) return;
    this.#assertOpen();
    this.writer.flush();
    this.#drop(id);
    topic.subscriptions.delete(name);
  }

  #drop(id: number): void {
    const freed = this.db.transaction(() => {
      const f = this.log.dropDeliveries(id);
      this.db.prepare('DELETE FROM subscriptions WHERE id = ?').run(id);
      return f;
    })();
    for (const [topicId, f] of freed) this.released(topicId, f.events, f.bytes);
  }

  /** Events left the store (acknowledged by everyone): lowers the topic's held counts. */
  released(topicId: number, events: number, bytes: number): void {
    const t = this.#topicsById.get(topicId);
    if (!t) return;
    t.events = Math.max(0, t.events - events);
    t.bytes = Math.max(0, t.bytes - bytes);
  }

  /** Registers the consumer of a subscription (one per process); it gets every new delivery. */
  attach(subscription: number, consumer: AttachedConsumer): void {
    if (this.#attached.has(subscription))
      throw new Error(`subscription ${subscription} already has a consumer in this process`);
    this.#attached.set(subscription, consumer);
    this.#touch(subscription);
  }

  detach(subscription: number, consumer: AttachedConsumer): void {
    if (this.#attached.get(subscription) !== consumer) return;
    this.#attached.delete(subscription);
    if (!this.#closed) this.#touch(subscription);
  }

  consumer(subscription: number): AttachedConsumer | undefined {
    return this.#attached.get(subscription);
  }

  #touch(subscription: number): void {
    const now = Date.now();
    this.writer.enqueue({
      keep: true,
      apply: () =>
        this.db
          .prepare('UPDATE subscriptions SET last_active_at = ? WHERE id = ?')
          .run(now, subscription),
    });
  }

  /**
   * Background upkeep: forgets subscriptions nobody consumed for the retention time while the
   * store was open (a Trigger deleted while the process was down), and gives freed pages back to
   * the file system.
   */
  compact(): void {
    if (this.#closed) return;
    try {
      for (const id of this.#attached.keys()) this.#touch(id);
      this.writer.flush();
      const cutoff = Date.now() - this.options.subscriptionRetentionMs;
      const stale = this.db
        .prepare('SELECT id, topic_id, name FROM subscriptions WHERE last_active_at < ?')
        .all(cutoff) as Array<{ id: number; topic_id: number; name: string }>;
      for (const s of stale) {
        if (this.#attached.has(s.id)) continue;
        const t = this.#topicsById.get(s.topic_id);
        this.logger.warn(
          { topic: t?.name, subscription: s.name },
          'subscription unused for longer than the retention; dropping it and the events it held',
        );
        this.#drop(s.id);
        t?.subscriptions.delete(s.name);
      }
      const free = Number(this.db.pragma('freelist_count', { simple: true }));
      if (free > 256) this.db.pragma('incremental_vacuum(4096)');
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'data store compaction failed; will retry');
    }
  }

  /** Flushes queued writes, checkpoints, closes the database and releases the directory. */
  close(): void {
    if (this.#closed) return;
    clearInterval(this.#compactTimer);
    try {
      this.writer.close();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'final data store flush failed');
    }
    this.#closed = true;
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // The WAL is replayed at the next open.
    }
    this.db.close();
    removeLockFile(this.dir);
    this.logger.info({ dir: this.dir }, 'data store closed');
  }
}

/**
 * Opens (creating if needed) the data directory `options.dir`: takes ownership, checks and
 * migrates the schema. Loads better-sqlite3 on first use. Throws {@link DataDirLockedError}
 * when another process owns it, {@link DataDirForeignError} or `DataDirNewerSchemaError` for a
 * file that is not Tributary's or is newer, {@link DataDirUnusableError} otherwise.
 */
export async function openDataStore(input: DataStoreOptions): Promise<DataStore> {
  const parsed = dataStoreOptionsSchema.safeParse(input);
  if (!parsed.success)
    throw new SqliteConfigError(
      `data store options: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`).join('; ')}`,
    );
  const o = parsed.data;
  const logger = (input.logger ?? silentLogger).child({ dataDir: path.resolve(o.dir) });
  const dir = path.resolve(o.dir);
  try {
    mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) throw new Error('it is not a directory');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new DataDirUnusableError(dir, e.code === 'EEXIST' ? 'it is not a directory' : e.message, {
      cause: err,
    });
  }
  const { default: Sqlite } = await import('better-sqlite3');
  const file = path.join(dir, DB_FILE);
  let db: Database;
  try {
    db = new Sqlite(file, { timeout: 0 });
  } catch (err) {
    throw new DataDirUnusableError(dir, (err as Error).message, { cause: err });
  }
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    const before = migrate(db, file);
    const mode = String(db.pragma('journal_mode = WAL', { simple: true }));
    if (mode !== 'wal')
      throw new DataDirUnusableError(dir, `journal mode stays '${mode}', not WAL`);
    // power-loss: the group commit syncs the WAL itself, off the event loop (wal-sync.ts).
    db.pragma('synchronous = NORMAL');
    db.pragma('journal_size_limit = 67108864');
    db.pragma('cache_size = -16384');
    if (o.maxDatabaseBytes !== undefined) {
      const page = Number(db.pragma('page_size', { simple: true }));
      db.pragma(`max_page_count = ${Math.max(16, Math.floor(o.maxDatabaseBytes / page))}`);
    }
    db.exec('BEGIN IMMEDIATE; COMMIT'); // holds the exclusive lock from here on
    writeLockFile(dir);
    logger.info(
      { file, durability: o.durability, schemaBefore: before, pid: process.pid },
      'data store opened',
    );
  } catch (err) {
    db.close();
    throw translateOpenError(err, dir, file);
  }
  try {
    return new DataStore(
      dir,
      file,
      o.durability,
      db,
      {
        compactIntervalMs: o.compactIntervalMs,
        subscriptionRetentionMs: o.subscriptionRetentionMs,
      },
      logger,
    );
  } catch (err) {
    db.close();
    removeLockFile(dir);
    throw translateOpenError(err, dir, file);
  }
}

function translateOpenError(err: unknown, dir: string, file: string): Error {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_LOCKED')
    return new DataDirLockedError(dir, readLockPid(dir), { cause: err });
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT')
    return new DataDirForeignError(file, (err as Error).message, { cause: err });
  if (err instanceof Error && 'dir' in err) return err;
  if (err instanceof Error && 'file' in err) return err;
  return new DataDirUnusableError(dir, (err as Error).message, { cause: err });
}
