/**
 * The fsync of durability `power-loss`, off the event loop (docs/embedded-durable.md, "Group commit
 * and durability levels"). SQLite runs with `synchronous=NORMAL` (a commit writes its WAL frames
 * without syncing them) and this syncs the WAL file with `fdatasync` in libuv's thread pool; a
 * publish is answered only after a sync that started after its commit completed. While one sync
 * runs, the event loop keeps accepting and committing; everything committed meanwhile shares the
 * next sync. `synchronous=FULL` did the same fsync inside every commit, on the event loop, which
 * then accepted nothing for its duration.
 *
 * Why this is as durable as FULL: Linux syncs a file's dirty pages whatever descriptor asks, so
 * the WAL frames SQLite wrote are on disk once `fdatasync` returns; checkpoints sync the WAL
 * before copying it and the database after, at NORMAL as at FULL. The directory is synced once,
 * at the first sync, as SQLite does for a WAL file it created.
 */
import { closeSync, fdatasync, fdatasyncSync, fsyncSync, openSync } from 'node:fs';
import path from 'node:path';

export class WalSync {
  #fd: number | undefined;
  #running = false;
  /** Callbacks of commits made since the running sync started: they need the next one. */
  #next: Array<(err: Error | null) => void> = [];
  #closed = false;

  constructor(private readonly dbFile: string) {}

  /** Calls `done` once everything committed before this call is on disk (or the sync failed). */
  after(done: (err: Error | null) => void): void {
    if (this.#closed) {
      done(new Error('the data store is closed'));
      return;
    }
    this.#next.push(done);
    if (!this.#running) this.#start();
  }

  #open(): number {
    if (this.#fd === undefined) {
      this.#fd = openSync(`${this.dbFile}-wal`, 'r');
      const dir = openSync(path.dirname(this.dbFile), 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    }
    return this.#fd;
  }

  #start(): void {
    const waiting = this.#next;
    this.#next = [];
    let fd: number;
    try {
      fd = this.#open();
    } catch (err) {
      for (const w of waiting) w(err as Error);
      return;
    }
    this.#running = true;
    fdatasync(fd, (err) => {
      this.#running = false;
      for (const w of waiting) w(err);
      if (this.#closed) this.#closeFd();
      else if (this.#next.length > 0) this.#start();
    });
  }

  /**
   * Syncs synchronously what still waits and stops. A sync already running in the pool settles its
   * own callbacks, and the descriptor is closed when it returns.
   */
  close(): void {
    if (this.#closed) return;
    const waiting = this.#next;
    this.#next = [];
    let err: Error | null = null;
    if (waiting.length > 0)
      try {
        fdatasyncSync(this.#open());
      } catch (e) {
        err = e as Error;
      }
    this.#closed = true;
    for (const w of waiting) w(err);
    if (!this.#running) this.#closeFd();
  }

  #closeFd(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}
