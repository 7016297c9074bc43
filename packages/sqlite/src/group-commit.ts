/**
 * Group commit: every write queued during one turn of the event loop goes into one transaction,
 * so concurrent publishes share one commit (and, at durability `power-loss`, one fsync, which runs
 * off the event loop: wal-sync.ts).
 */
import type { Database } from 'better-sqlite3';
import type { Logger } from '@tributary/core';
import type { WalSync } from './wal-sync.js';

/** One write. `apply` runs inside the transaction and must touch nothing but the database. */
export interface WriteOp {
  apply(): void;
  /** After the transaction committed: update in-memory state (resolve the caller in `durable`). */
  committed?(): void;
  /**
   * After `committed`, once the write is as durable as the store's level promises: at once at
   * `process-crash`, after the WAL sync that covers it at `power-loss`. `err` when that sync
   * failed (the write is committed but may not survive a power cut).
   */
  durable?(err: Error | null): void;
  /** The transaction rolled back (disk full, I/O error). Not called for `keep` ops. */
  failed?(err: Error): void;
  /**
   * Bookkeeping (acknowledgements, retry times): on failure the op is kept and applied again
   * later instead of failing; losing it to a crash only means a redelivery.
   */
  readonly keep?: boolean;
  /**
   * May wait up to {@link LAZY_COMMIT_MS} for the next commit (acknowledgements): it then rides
   * along with the publishes committed meanwhile instead of costing a commit of its own.
   */
  readonly lazy?: boolean;
  /**
   * A write made of several (the publishes of a turn, publish-batch.ts): when the shared
   * transaction fails, these parts are retried one by one instead, each failing only itself.
   */
  split?(): WriteOp[];
}

/** Longest a lazy write waits for a commit. */
export const LAZY_COMMIT_MS = 5;

export class GroupCommit {
  #queue: WriteOp[] = [];
  #held: WriteOp[] = [];
  #scheduled: NodeJS.Immediate | undefined;
  #lazyTimer: NodeJS.Timeout | undefined;
  #retry: NodeJS.Timeout | undefined;
  #failing = false;
  #closed = false;
  #commits = 0;

  readonly #apply: (ops: readonly WriteOp[]) => void;

  constructor(
    db: Database,
    private readonly logger: Logger,
    private readonly retryDelayMs = 1_000,
    /** Present at durability `power-loss`: `durable` waits for it. */
    private readonly sync?: WalSync,
  ) {
    this.#apply = db.transaction((ops: readonly WriteOp[]) => {
      for (const op of ops) op.apply();
    });
  }

  /** Queues a write for the next commit. */
  enqueue(op: WriteOp): void {
    if (this.#closed) {
      op.failed?.(new Error('the data store is closed'));
      return;
    }
    this.#queue.push(op);
    if (this.#scheduled) return;
    if (!op.lazy) {
      if (this.#lazyTimer) clearTimeout(this.#lazyTimer);
      this.#lazyTimer = undefined;
      this.#scheduled = setImmediate(() => this.flush());
    } else
      this.#lazyTimer ??= setTimeout(() => {
        this.#lazyTimer = undefined;
        this.flush();
      }, LAZY_COMMIT_MS);
  }

  /** Transactions committed so far (each holding every write queued since the previous one). */
  get commits(): number {
    return this.#commits;
  }

  /** Number of writes waiting (queued and held after a failure). */
  get waiting(): number {
    return this.#queue.length + this.#held.length;
  }

  /** Commits everything queued now (synchronously). */
  flush(): void {
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    if (this.#lazyTimer) clearTimeout(this.#lazyTimer);
    this.#lazyTimer = undefined;
    const ops = this.#held.length > 0 ? [...this.#held.splice(0), ...this.#queue] : this.#queue;
    this.#queue = [];
    if (ops.length === 0) return;
    try {
      this.#apply(ops);
      this.#commits++;
    } catch (err) {
      this.#fallback(ops, err as Error);
      return;
    }
    if (this.#failing) {
      this.#failing = false;
      this.logger.info({}, 'data store writes succeed again');
    }
    this.#settle(ops);
  }

  /** Runs the committed callbacks; one that throws (a bug) is logged, never crashes the loop. */
  #settle(ops: readonly WriteOp[]): void {
    let durable: WriteOp[] | undefined;
    for (const op of ops) {
      try {
        op.committed?.();
      } catch (err) {
        this.logger.error({ err }, 'handling a committed write failed');
      }
      if (op.durable) (durable ??= []).push(op);
    }
    if (!durable) return;
    if (!this.sync) this.#durable(durable, null);
    else this.sync.after((err) => this.#durable(durable, err));
  }

  #durable(ops: readonly WriteOp[], err: Error | null): void {
    if (err) this.logger.error({ err: err.message }, 'syncing the data store to disk failed');
    for (const op of ops) {
      try {
        op.durable?.(err);
      } catch (e) {
        this.logger.error({ err: e }, 'handling a durable write failed');
      }
    }
  }

  /** The shared transaction failed: commit each op alone, so one bad write fails only itself. */
  #fallback(ops: WriteOp[], first: Error): void {
    if (!this.#failing) {
      this.#failing = true;
      this.logger.error(
        { err: first.message, code: (first as { code?: string }).code },
        'data store write failed; publishes answer 503 until writes succeed again',
      );
    }
    const done: WriteOp[] = [];
    for (const op of ops.flatMap((o) => (o.split ? o.split() : [o]))) {
      try {
        this.#apply([op]);
        done.push(op);
      } catch (err) {
        if (op.keep) this.#held.push(op);
        else op.failed?.(err as Error);
      }
    }
    this.#settle(done);
    if (this.#held.length > 0 && !this.#closed)
      this.#retry ??= setTimeout(() => {
        this.#retry = undefined;
        this.flush();
      }, this.retryDelayMs).unref();
  }

  /** Flushes what is queued and refuses further writes. */
  close(): void {
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = undefined;
    this.flush();
    this.#closed = true;
    this.sync?.close();
    if (this.#held.length > 0)
      this.logger.warn(
        { writes: this.#held.length },
        'data store closed with acknowledgements it could not write; those events are delivered again',
      );
    this.#held = [];
  }
}
