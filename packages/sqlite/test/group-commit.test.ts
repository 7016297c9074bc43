import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type SqliteDatabase from 'better-sqlite3';
import { silentLogger } from '@tributary/core';
import { afterAll, describe, expect, it } from 'vitest';
import { GroupCommit } from '../src/group-commit.js';
import { WalSync } from '../src/wal-sync.js';

const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof SqliteDatabase;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function walDb(): { db: SqliteDatabase.Database; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'trib-sqlite-gc-'));
  dirs.push(dir);
  const file = path.join(dir, 'db.sqlite');
  const db = new Sqlite(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE t (v INTEGER)');
  return { db, file };
}

/** A WalSync stand-in whose syncs complete when the test says so. */
function manualSync() {
  const syncs: Array<Array<(err: Error | null) => void>> = [];
  let next: Array<(err: Error | null) => void> = [];
  let running = false;
  const start = () => {
    running = true;
    syncs.push(next);
    next = [];
  };
  return {
    sync: {
      after(done: (err: Error | null) => void) {
        next.push(done);
        if (!running) start();
      },
      close() {},
    } as unknown as WalSync,
    /** Completes the oldest running sync (starting the next if commits wait for one). */
    complete(err: Error | null = null) {
      const waiting = syncs.shift() ?? [];
      running = false;
      for (const w of waiting) w(err);
      if (next.length > 0) start();
    },
    get started() {
      return syncs.length;
    },
  };
}

describe('group commit at durability power-loss', () => {
  it('answers a write only after a WAL sync that started after its commit', () => {
    const { db } = walDb();
    const m = manualSync();
    const gc = new GroupCommit(db, silentLogger, 1_000, m.sync);
    const seen: string[] = [];
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const op = (v: number) => ({
      apply: () => void insert.run(v),
      committed: () => seen.push(`committed ${v}`),
      durable: (err: Error | null) => seen.push(`durable ${v}${err ? ' failed' : ''}`),
    });
    gc.enqueue(op(1));
    gc.flush();
    expect(seen).toEqual(['committed 1']);
    // Committed while the first sync runs: waits for the second one.
    gc.enqueue(op(2));
    gc.flush();
    expect(seen).toEqual(['committed 1', 'committed 2']);
    m.complete();
    expect(seen).toEqual(['committed 1', 'committed 2', 'durable 1']);
    m.complete(new Error('EIO'));
    expect(seen).toEqual(['committed 1', 'committed 2', 'durable 1', 'durable 2 failed']);
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 2 });
    db.close();
  });

  it('without a sync (process-crash) a write is durable as soon as it committed', () => {
    const { db } = walDb();
    const gc = new GroupCommit(db, silentLogger);
    const seen: string[] = [];
    gc.enqueue({
      apply: () => void db.prepare('INSERT INTO t (v) VALUES (1)').run(),
      committed: () => seen.push('committed'),
      durable: () => seen.push('durable'),
    });
    gc.flush();
    expect(seen).toEqual(['committed', 'durable']);
    db.close();
  });
});

describe('WalSync', () => {
  it('calls back after fdatasync of the WAL file, and close syncs what still waits', async () => {
    const { db, file } = walDb();
    db.prepare('INSERT INTO t (v) VALUES (1)').run();
    const sync = new WalSync(file);
    const first = await new Promise<Error | null>((r) => sync.after(r));
    expect(first).toBeNull();
    const results: Array<Error | null> = [];
    sync.after((e) => results.push(e)); // starts a sync in the thread pool
    sync.after((e) => results.push(e)); // waits for the next one
    sync.close(); // syncs the waiting one synchronously
    expect(results).toEqual([null]);
    await new Promise((r) => setTimeout(r, 50));
    expect(results).toEqual([null, null]);
    const late = await new Promise<Error | null>((r) => sync.after(r));
    expect(late?.message).toMatch(/closed/);
    db.close();
  });
});
