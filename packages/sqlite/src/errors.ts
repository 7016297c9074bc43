import { TributaryError, type TributaryErrorOptions } from '@tributary/core';

/**
 * Errors of @tributary/sqlite. Each carries a stable `code`; messages name the directory or value
 * and say how to fix it.
 */

/** Codes of this package's errors (docs/errors.md). */
export const sqliteErrorCodes = {
  TRIB_ERR_DATA_DIR_LOCKED: 'another process (or store) owns the data directory',
  TRIB_ERR_DATA_DIR_FOREIGN: 'the database file is not a Tributary data file',
  TRIB_ERR_DATA_DIR_NEWER: 'the database was written by a newer Tributary',
  TRIB_ERR_DATA_DIR_UNUSABLE:
    'the data directory cannot be used (not a directory, not writable, …)',
  TRIB_ERR_SQLITE_CONFIG: 'an option or annotation of the embedded durable backend is invalid',
  TRIB_ERR_STORE_CLOSED: 'the data store is closed; nothing more can be written',
} as const;

export type SqliteErrorCode = keyof typeof sqliteErrorCodes;

/** Base of this package's errors. */
export class SqliteStoreError extends TributaryError<SqliteErrorCode> {
  constructor(code: SqliteErrorCode, message: string, options?: TributaryErrorOptions) {
    super(code, message, options);
  }
}

/** Another process (or another store in this process) owns the data directory. */
export class DataDirLockedError extends SqliteStoreError {
  constructor(
    readonly dir: string,
    /** The pid recorded in the directory's LOCK file, when it could be read. */
    readonly pid: number | undefined,
    options?: ErrorOptions,
  ) {
    super(
      'TRIB_ERR_DATA_DIR_LOCKED',
      `data directory '${dir}' is in use by ${pid === undefined ? 'another process' : `process ${pid}`}; ` +
        'stop that process or choose another --data-dir',
      options,
    );
  }
}

/** The database file is not Tributary's (not SQLite, or a SQLite file of another application). */
export class DataDirForeignError extends SqliteStoreError {
  constructor(
    readonly file: string,
    why: string,
    options?: ErrorOptions,
  ) {
    super(
      'TRIB_ERR_DATA_DIR_FOREIGN',
      `'${file}' is not a Tributary data file (${why}); move it away or choose another --data-dir`,
      options,
    );
  }
}

/** The database was written by a newer Tributary (a schema version this one does not know). */
export class DataDirNewerSchemaError extends SqliteStoreError {
  constructor(
    readonly file: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      'TRIB_ERR_DATA_DIR_NEWER',
      `'${file}' has schema version ${found}, newer than the ${supported} this Tributary knows; ` +
        'run the Tributary version that wrote it, or choose another --data-dir',
    );
  }
}

/** The data directory cannot be used (not a directory, not writable, …). */
export class DataDirUnusableError extends SqliteStoreError {
  constructor(
    readonly dir: string,
    why: string,
    options?: ErrorOptions,
  ) {
    super('TRIB_ERR_DATA_DIR_UNUSABLE', `data directory '${dir}' cannot be used: ${why}`, options);
  }
}

/** An option or annotation of the embedded durable backend with a value it cannot use. */
export class SqliteConfigError extends SqliteStoreError {
  constructor(message: string, options?: ErrorOptions) {
    super('TRIB_ERR_SQLITE_CONFIG', message, options);
  }
}

/** The store is closed (the mesh is stopping): nothing more can be written. */
export class StoreClosedError extends SqliteStoreError {
  constructor(dir: string) {
    super('TRIB_ERR_STORE_CLOSED', `the data store in '${dir}' is closed`);
  }
}
