import type { Logger } from '@tributary/core';
import { z } from 'zod';

/**
 * How much a committed event survives: `process-crash` (default; SQLite `synchronous=NORMAL` in
 * WAL mode: a killed process loses nothing, a power cut may lose the last commits) or
 * `power-loss` (`synchronous=FULL`: every commit is synced to disk before 202).
 */
export const DURABILITIES = ['process-crash', 'power-loss'] as const;
export type Durability = (typeof DURABILITIES)[number];

/** Options of `openDataStore`. See docs/embedded-durable.md. */
export interface DataStoreOptions {
  /** The data directory (created if missing). */
  readonly dir: string;
  /** @default 'process-crash' */
  readonly durability?: Durability;
  /**
   * Hard ceiling of the database file (SQLite `max_page_count`); writes beyond it fail as on a
   * full disk (503). Unset: the disk is the limit.
   */
  readonly maxDatabaseBytes?: number;
  /** Interval of background compaction. 0 = never. @default 30000 */
  readonly compactIntervalMs?: number;
  /** A subscription nobody consumed for this long is dropped with what it holds. @default 7 days */
  readonly subscriptionRetentionMs?: number;
  readonly logger?: Logger;
}

export const dataStoreOptionsSchema = z.object({
  dir: z.string().min(1, 'the data directory must be a non-empty path'),
  durability: z
    .enum(DURABILITIES, {
      error: (i) =>
        `durability '${String(i.input)}' is not known; use ${DURABILITIES.join(' or ')}`,
    })
    .default('process-crash'),
  maxDatabaseBytes: z.number().int().positive().optional(),
  compactIntervalMs: z.number().int().nonnegative().default(30_000),
  subscriptionRetentionMs: z
    .number()
    .int()
    .positive()
    .default(7 * 24 * 3600_000),
});
