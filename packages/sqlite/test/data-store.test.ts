import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type SqliteDatabase from 'better-sqlite3';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BackendUnavailableError, type CloudEvent, RedeliverLaterError } from '@tributary/core';
import { makeEvent, makeEvents } from '@tributary/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DB_FILE,
  DataDirForeignError,
  DataDirLockedError,
  DataDirNewerSchemaError,
  DataDirUnusableError,
  SCHEMA_VERSION,
  createSqliteBackend,
  openDataStore,
} from '../src/index.js';

const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof SqliteDatabase;
const dirs: string[] = [];
const freshDir = (): string => {
  const d = mkdtempSync(path.join(tmpdir(), 'trib-sqlite-store-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (pred: () => boolean, ms = 10_000, what = 'condition'): Promise<void> => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
};
const ids = (events: readonly CloudEvent[]) => events.map((e) => e.attributes['id']);

describe('data directory ownership and format', () => {
  it('refuses a second store on the same directory, naming the directory and the owner pid', async () => {
    const dir = freshDir();
    const first = await openDataStore({ dir });
    const err = await openDataStore({ dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirLockedError);
    expect((err as DataDirLockedError).code).toBe('TRIB_ERR_DATA_DIR_LOCKED');
    expect((err as Error).message).toContain(dir);
    expect((err as Error).message).toContain(`process ${process.pid}`);
    // The first keeps working, and once it closed the directory can be opened again.
    const backend = createSqliteBackend({ store: first });
    await backend.start();
    await backend.subscribe('t', 's', async () => {}, { ordered: false, concurrency: 1 });
    await backend.publish('t', makeEvents(1));
    await backend.close();
    first.close();
    (await openDataStore({ dir })).close();
  });

  it('refuses a file that is not SQLite, a SQLite file of another application, and a newer schema', async () => {
    const garbage = freshDir();
    writeFileSync(
      path.join(garbage, DB_FILE),
      'this is not a database at all, not even close'.repeat(100),
    );
    const e1 = await openDataStore({ dir: garbage }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(DataDirForeignError);
    expect((e1 as Error).message).toContain(path.join(garbage, DB_FILE));

    const other = freshDir();
    const db = new Sqlite(path.join(other, DB_FILE));
    db.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)');
    db.close();
    const e2 = await openDataStore({ dir: other }).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(DataDirForeignError);
    expect((e2 as Error).message).toContain('customers');

    const newer = freshDir();
    (await openDataStore({ dir: newer })).close();
    const raw = new Sqlite(path.join(newer, DB_FILE));
    raw
      .prepare('INSERT INTO tributary_schema (version, description, applied_at) VALUES (?, ?, ?)')
      .run(SCHEMA_VERSION + 1, 'from the future', new Date().toISOString());
    raw.close();
    const e3 = await openDataStore({ dir: newer }).catch((e: unknown) => e);
    expect(e3).toBeInstanceOf(DataDirNewerSchemaError);
    expect((e3 as Error).message).toContain(`schema version ${SCHEMA_VERSION + 1}`);

    const file = path.join(freshDir(), 'plain-file');
    writeFileSync(file, 'x');
    await expect(openDataStore({ dir: file })).rejects.toBeInstanceOf(DataDirUnusableError);
  });
});

describe('embedded durable backend', () => {
  it('keeps accepted events across a close and delivers them in publish order after reopening', async () => {
    const dir = freshDir();
    let store = await openDataStore({ dir });
    let backend = createSqliteBackend({ store });
    const sub = await backend.subscribe('t', 's', () => new Promise(() => {}), {
      ordered: true,
      concurrency: 1,
    });
    const events = Array.from({ length: 50 }, (_, i) => makeEvent({}, { n: i }));
    await backend.publish('t', events.slice(0, 20));
    await backend.publish('t', events.slice(20));
    await sub.close({ drainMs: 10 });
    await backend.close({ drainMs: 10 });
    store.close();

    store = await openDataStore({ dir });
    backend = createSqliteBackend({ store });
    const got: CloudEvent[] = [];
    const counts: number[] = [];
    await backend.subscribe(
      't',
      's',
      async (e, info) => {
        got.push(e);
        counts.push(info.deliveryCount);
      },
      { ordered: true, concurrency: 1 },
    );
    await until(() => got.length === 50, 10_000, '50 events');
    expect(ids(got)).toEqual(ids(events));
    expect(got[7]!.attributes).toEqual(events[7]!.attributes);
    expect(Buffer.from(got[7]!.data!).toString()).toBe('{"n":7}');
    // Acknowledged events leave the database.
    await until(() => backend.backlog!('t', 's') === 0, 5_000, 'empty backlog');
    expect(store.topic('t').events).toBe(0);
    await backend.close();
    store.close();
  });

  it('commits concurrent publishes together (group commit)', async () => {
    const store = await openDataStore({ dir: freshDir() });
    const backend = createSqliteBackend({ store });
    await backend.subscribe('t', 's', async () => {}, { ordered: false, concurrency: 10 });
    const before = store.writer.commits;
    await Promise.all(makeEvents(200).map((e) => backend.publish('t', [e])));
    const commits = store.writer.commits - before;
    expect(commits).toBeGreaterThan(0);
    expect(commits).toBeLessThan(10);
    await backend.close();
    store.close();
  });

  it('stores a retry asked for with RedeliverLaterError and fires it after a reopen, not before it is due', async () => {
    const dir = freshDir();
    let store = await openDataStore({ dir });
    let backend = createSqliteBackend({ store });
    let deferredAt = 0;
    const first = await backend.subscribe(
      't',
      's',
      async (_e, info) => {
        expect(info.deferral?.minDelayMs).toBe(1_000);
        deferredAt = Date.now();
        throw new RedeliverLaterError(1_500, 4);
      },
      { ordered: false, concurrency: 1 },
    );
    await backend.publish('t', makeEvents(1));
    await until(() => deferredAt > 0, 5_000, 'first delivery');
    await first.close({ drainMs: 100 });
    await backend.close();
    store.close();

    store = await openDataStore({ dir });
    backend = createSqliteBackend({ store });
    const seen: Array<{ at: number; attempt: number | undefined; count: number }> = [];
    await backend.subscribe(
      't',
      's',
      async (_e, info) => {
        seen.push({ at: Date.now(), attempt: info.attempt, count: info.deliveryCount });
      },
      { ordered: false, concurrency: 1 },
    );
    await until(() => seen.length === 1, 10_000, 'the stored retry');
    expect(seen[0]!.attempt).toBe(4);
    expect(seen[0]!.count).toBe(2);
    expect(seen[0]!.at).toBeGreaterThanOrEqual(deferredAt + 1_500);
    await backend.close();
    store.close();
  });

  it('ordered: a key waiting out a retry does not hold back another key, and keeps its own order', async () => {
    const store = await openDataStore({ dir: freshDir() });
    const backend = createSqliteBackend({ store, redeliveryDelayMs: 300 });
    const order: string[] = [];
    let failed = false;
    await backend.subscribe(
      't',
      's',
      async (e) => {
        const id = e.attributes['id']!;
        if (id === 'a1' && !failed) {
          failed = true;
          throw new Error('once');
        }
        order.push(id);
      },
      { ordered: true, concurrency: 4 },
    );
    const ev = (id: string, key: string): CloudEvent => ({
      attributes: { specversion: '1.0', id, source: '/s', type: 't', partitionkey: key },
    });
    await backend.publish('t', [ev('a1', 'a'), ev('a2', 'a'), ev('b1', 'b'), ev('b2', 'b')]);
    await until(() => order.length === 4, 10_000, '4 events');
    expect(order.filter((i) => i.startsWith('a'))).toEqual(['a1', 'a2']);
    expect(order.indexOf('b2')).toBeLessThan(order.indexOf('a1'));
    await backend.close();
    store.close();
  });

  it('answers 503 (BackendUnavailableError) beyond its event cap, and accepts again once events are acknowledged', async () => {
    const store = await openDataStore({ dir: freshDir() });
    const backend = createSqliteBackend({ store, maxEvents: 3, capSource: 'test cap' });
    const release: Array<() => void> = [];
    await backend.subscribe('t', 's', () => new Promise<void>((r) => release.push(r)), {
      ordered: false,
      concurrency: 10,
    });
    await backend.publish('t', makeEvents(3));
    const err = await backend.publish('t', makeEvents(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as Error).message).toContain('limit is 3 (test cap)');
    await until(() => release.length === 3, 5_000, 'deliveries');
    for (const r of release) r();
    await until(() => store.topic('t').events === 0, 5_000, 'acknowledgements');
    await backend.publish('t', makeEvents(1));
    await backend.close({ drainMs: 10 });
    store.close();
  });

  it('answers 503 when the database is full, keeps running and stays consistent', async () => {
    const dir = freshDir();
    const store = await openDataStore({ dir, maxDatabaseBytes: 256 * 1024 });
    const backend = createSqliteBackend({ store });
    let hold = true;
    const waiting: Array<() => void> = [];
    await backend.subscribe(
      't',
      's',
      () => (hold ? new Promise<void>((r) => waiting.push(r)) : Promise.resolve()),
      { ordered: false, concurrency: 1_000 },
    );
    const big = (i: number): CloudEvent => ({
      attributes: { specversion: '1.0', id: `big-${i}`, source: '/s', type: 't' },
      data: new Uint8Array(20_000).fill(i % 251),
    });
    let accepted = 0;
    let refusal: unknown;
    for (let i = 0; i < 100 && !refusal; i++) {
      try {
        await backend.publish('t', [big(i)]);
        accepted++;
      } catch (e) {
        refusal = e;
      }
    }
    expect(refusal).toBeInstanceOf(BackendUnavailableError);
    expect(String((refusal as Error).message)).toMatch(/full/i);
    expect(accepted).toBeGreaterThan(0);
    await until(() => waiting.length === accepted, 5_000, 'accepted events delivered');
    hold = false;
    for (const r of waiting) r();
    await until(() => store.topic('t').events === 0, 10_000, 'acknowledgements written');
    await backend.publish('t', [big(1000)]);
    await backend.close({ drainMs: 10 });
    store.close();
    const raw = new Sqlite(path.join(dir, DB_FILE));
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    raw.close();
  });

  it('deleteSubscription drops what only that subscription held', async () => {
    const store = await openDataStore({ dir: freshDir() });
    const backend = createSqliteBackend({ store });
    const s = await backend.subscribe('t', 'gone', () => new Promise(() => {}), {
      ordered: false,
      concurrency: 1,
    });
    await s.close({ drainMs: 10 });
    await backend.publish('t', makeEvents(5));
    expect(store.topic('t').events).toBe(5);
    await backend.deleteSubscription('t', 'gone');
    expect(store.topic('t').events).toBe(0);
    expect(backend.backlog!('t', 'gone')).toBeUndefined();
    await backend.close();
    store.close();
  });

  it('background compaction drops a subscription nobody consumed for the retention time, and keeps attached ones', async () => {
    const store = await openDataStore({
      dir: freshDir(),
      compactIntervalMs: 0,
      subscriptionRetentionMs: 1,
    });
    const backend = createSqliteBackend({ store });
    const held = await backend.subscribe('t', 'abandoned', () => new Promise(() => {}), {
      ordered: false,
      concurrency: 1,
    });
    await held.close({ drainMs: 10 });
    await backend.subscribe('t', 'live', () => new Promise(() => {}), {
      ordered: false,
      concurrency: 100,
    });
    await backend.publish('t', makeEvents(20));
    await sleep(20);
    store.compact();
    expect(backend.backlog!('t', 'abandoned')).toBeUndefined();
    expect(backend.backlog!('t', 'live')).toBe(20);
    expect(store.topic('t').events).toBe(20);
    await backend.close({ drainMs: 10 });
    store.close();
  });

  it('an event shared by two subscriptions leaves the store only once both acknowledged it', async () => {
    const store = await openDataStore({ dir: freshDir() });
    const backend = createSqliteBackend({ store });
    const held: Array<() => void> = [];
    let a = 0;
    await backend.subscribe('t', 'a', async () => void a++, { ordered: false, concurrency: 50 });
    await backend.subscribe('t', 'b', () => new Promise<void>((r) => held.push(r)), {
      ordered: false,
      concurrency: 50,
    });
    await Promise.all(makeEvents(30).map((e) => backend.publish('t', [e])));
    await until(() => a === 30 && held.length === 30, 5_000, 'deliveries');
    await until(() => backend.backlog!('t', 'a') === 0, 5_000, 'acks of a');
    expect(store.topic('t').events).toBe(30);
    expect(backend.backlog!('t', 'b')).toBe(30);
    for (const r of held) r();
    await until(() => store.topic('t').events === 0, 5_000, 'acks of b');
    expect(store.topic('t').bytes).toBe(0);
    await backend.close();
    store.close();
  });
});
