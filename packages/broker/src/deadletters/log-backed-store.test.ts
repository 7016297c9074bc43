import { silentLogger } from '@tributary/core';
import { describeDeadLetterStoreConformance, makeDeadLetterEntry } from '@tributary/testkit';
import { describe, expect, it } from 'vitest';
import {
  type DeadLetterLogBackend,
  type DeadLetterLogRecord,
  createLogBackedDeadLetterStore,
} from './log-backed-store.js';

/**
 * An append-only log in this process, shared by every store opened on it (as a topic or stream is
 * shared by processes), that can drop its oldest records. `hold` delays appends of the records it
 * matches until released, to interleave two stores' writes.
 */
function sharedLog() {
  let first = 0; // offset of records[0]
  const records: Buffer[] = [];
  const readers = new Set<(offset: number, value: Buffer) => void>();
  let hold: ((r: DeadLetterLogRecord) => boolean) | undefined;
  const held: Array<() => void> = [];
  const write = (r: DeadLetterLogRecord): void => {
    const offset = first + records.length;
    const value = Buffer.from(JSON.stringify(r));
    records.push(value);
    for (const read of readers) queueMicrotask(() => read(offset, value));
  };
  const backend: DeadLetterLogBackend = {
    kind: 'test',
    open(onRecord) {
      readers.add(onRecord);
      records.forEach((v, i) => onRecord(first + i, v));
      return Promise.resolve({
        append(r) {
          if (hold?.(r)) return new Promise<void>((res) => held.push(() => res(write(r))));
          write(r);
          return Promise.resolve();
        },
        truncate(upTo) {
          const drop = Math.max(0, upTo + 1 - first);
          records.splice(0, drop);
          first += drop;
          return Promise.resolve();
        },
        close() {
          readers.delete(onRecord);
          return Promise.resolve();
        },
      });
    },
  };
  return {
    backend,
    length: () => records.length,
    holdWhile: (match: (r: DeadLetterLogRecord) => boolean) => (hold = match),
    release: () => {
      hold = undefined;
      for (const r of held.splice(0)) r();
    },
  };
}

const open = (log: ReturnType<typeof sharedLog>, compactAfter = 10) =>
  createLogBackedDeadLetterStore(log.backend, { logger: silentLogger, name: 'test', compactAfter });

describeDeadLetterStoreConformance('log-backed (in-process log)', () => {
  const log = sharedLog();
  return Promise.resolve({
    store: open(log),
    reopen: () => Promise.resolve(open(log)),
    cleanup: () => Promise.resolve(),
  });
});

const until = async (cond: () => boolean | Promise<boolean>): Promise<void> => {
  for (let i = 0; i < 200 && !(await cond()); i++) await new Promise((r) => setTimeout(r, 5));
  expect(await cond()).toBe(true);
};

describe('log-backed dead-letter store compaction', () => {
  it('rewrites the live entries and drops the rest of the log', async () => {
    const log = sharedLog();
    const store = open(log);
    const entries = Array.from({ length: 30 }, () => makeDeadLetterEntry());
    for (const e of entries) await store.put(e);
    for (const e of entries.slice(0, 25)) await store.remove(e.id);
    // 1 sync + 30 puts + 25 removes = 56 records; compactions leave the latest copies, their
    // marker and the removes written after it.
    await until(() => log.length() <= 15);
    const ids = entries.slice(25).map((e) => e.id);
    expect((await store.list({ limit: 100 })).items.map((e) => e.id)).toEqual(ids);
    const fresh = open(log);
    expect((await fresh.list({ limit: 100 })).items.map((e) => e.id)).toEqual(ids);
    expect(await fresh.size()).toBe(5);
    await store.close?.();
    await fresh.close?.();
  });

  it('never brings back an entry removed, or loses one put, while another store compacts', async () => {
    const log = sharedLog();
    const compactor = open(log);
    const other = open(log, 1_000_000);
    const keep = makeDeadLetterEntry();
    const gone = makeDeadLetterEntry();
    await compactor.put(keep);
    await compactor.put(gone);
    const filler = Array.from({ length: 12 }, () => makeDeadLetterEntry());
    for (const e of filler) await compactor.put(e);
    // Hold the compactor's copies: the other store removes one entry and puts a new one meanwhile.
    log.holdWhile((r) => r.op === 'put' && r.copyOf !== undefined);
    for (const e of filler) await compactor.remove(e.id);
    expect(await other.remove(gone.id)).toBe(true);
    const late = makeDeadLetterEntry();
    await other.put(late);
    log.release();
    // 40 records written; the 20 read before the compaction started are dropped.
    await until(() => log.length() === 20);
    for (const store of [compactor, other, open(log)]) {
      await until(async () => (await store.size()) === 2);
      expect(await store.get(gone.id)).toBeUndefined();
      expect((await store.list({ limit: 10 })).items.map((e) => e.id).sort()).toEqual(
        [keep.id, late.id].sort(),
      );
    }
  });

  it('a compaction cut short changes nothing for a store that reads the log later', async () => {
    const log = sharedLog();
    const store = open(log);
    const entries = Array.from({ length: 20 }, () => makeDeadLetterEntry());
    for (const e of entries) await store.put(e);
    log.holdWhile((r) => r.op === 'compacted'); // the marker never gets written
    for (const e of entries.slice(0, 18)) await store.remove(e.id);
    await new Promise((r) => setTimeout(r, 20));
    const fresh = open(log);
    expect((await fresh.list({ limit: 100 })).items.map((e) => e.id)).toEqual(
      entries.slice(18).map((e) => e.id),
    );
  });
});
