/**
 * Errors of @tributary/cli, derived from the core base `TributaryError` (codes in docs/errors.md).
 * Told apart by class or `code`, never by `name`.
 */
import { TributaryError } from '@tributary/core';

/** Codes of this package's errors. */
export const cliErrorCodes = {
  TRIB_ERR_MESH_STATE: 'a mesh call out of order: start() twice, subscribe() after start(), …',
  TRIB_ERR_CATALOG_READ: 'the event catalog could not be read from a server or the manifests',
} as const;

export type CliErrorCode = keyof typeof cliErrorCodes;

/** `start()` twice, `subscribe()` after `start()`, or `publish()` while not running. */
export class MeshStateError extends TributaryError<CliErrorCode> {
  constructor(message: string) {
    super('TRIB_ERR_MESH_STATE', message);
  }
}

/** A failure to read the event catalog; the command prints it and exits 1. */
export class CatalogReadError extends TributaryError<CliErrorCode> {
  constructor(message: string, options?: ErrorOptions) {
    super('TRIB_ERR_CATALOG_READ', message, options);
  }
}
