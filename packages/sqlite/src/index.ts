/**
 * @tributary/sqlite — the embedded durable backend (`tributary run --data-dir`): the default
 * broker class and InMemoryChannel on a SQLite database (better-sqlite3, loaded at first open).
 * See docs/embedded-durable.md.
 */
export { openDataStore, DataStore, DB_FILE, type TopicRecord } from './data-store.js';
export { DURABILITIES, type Durability, type DataStoreOptions } from './store-options.js';
export { createSqliteBackend, type SqliteBackendOptions } from './sqlite-backend.js';
export {
  sqliteBackendProvider,
  sqliteBackendConfigSchema,
  type SqliteBackendConfig,
} from './provider.js';
export {
  MAX_BYTES_ANNOTATION,
  MAX_EVENTS_ANNOTATION,
  DEFAULT_MAX_BYTES,
  capsFrom,
  parseQuantity,
} from './caps.js';
export { APPLICATION_ID, SCHEMA_VERSION } from './schema.js';
export { LOCK_FILE, readLockPid } from './lock-file.js';
export * from './errors.js';
export {
  ArchiveStore,
  ARCHIVE_FILE,
  openArchiveStore,
  type StoredArchivedEvent,
  type StoredReplay,
} from './archive-store.js';
