import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeEvent } from '@tributary/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { openDataStore } from '../src/index.js';
import { encode } from '../src/event-log.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A store with topic `t`, subscriptions `a` and `b`, and `n` events stored for `subs`. */
async function stored(n: number, subs: readonly string[]) {
  const dir = mkdtempSync(path.join(tmpdir(), 'trib-sqlite-log-'));
  dirs.push(dir);
  const store = await openDataStore({ dir });
  const t = store.topic('t');
  const ids = subs.map((s) => store.subscription(t, s));
  const encoded = Array.from({ length: n }, (_, i) => encode(makeEvent({}, { n: i })));
  let seqs: number[] = [];
  store.writer.enqueue({
    apply: () => {
      seqs = store.log.insertAll(
        encoded.map((e) => ({ topicId: t.id, encoded: e, subscriptions: ids })),
        Date.now(),
      );
    },
  });
  store.writer.flush();
  const bytes = encoded.reduce((s, e) => s + e.bytes, 0);
  return { store, ids, seqs, bytes, held: (sub: number) => store.log.load(sub, 0, 1000) };
}

describe('EventLog', () => {
  it('insertAll stores each event once with a delivery row per subscription, in publish order', async () => {
    const { store, ids, seqs } = await stored(150, ['a', 'b']); // more than one INSERT's rows
    expect(seqs).toEqual(Array.from({ length: 150 }, (_, i) => seqs[0]! + i));
    for (const sub of ids) {
      const rows = store.log.load(sub, 0, 1000);
      expect(rows.map((r) => r.seq)).toEqual(seqs);
      expect(rows.map((r) => Buffer.from(r.event.data!).toString())).toEqual(
        seqs.map((_, i) => `{"n":${i}}`),
      );
      expect(rows.every((r) => r.shared)).toBe(true);
    }
    store.close();
  });

  it('ackBatch removes a whole range by range, and the events with it', async () => {
    const { store, ids, seqs, bytes } = await stored(20, ['a']);
    const freed = store.log.ackBatch(ids[0]!, [...seqs].reverse(), bytes);
    expect(freed).toEqual({ events: 20, bytes });
    expect(store.log.count(ids[0]!)).toBe(0);
    expect(store.log.fetch(seqs[3]!)).toBeUndefined();
    store.close();
  });

  it('ackBatch never removes a delivery that is not in the batch (a seq acknowledged twice)', async () => {
    const { store, ids, seqs } = await stored(5, ['a']);
    const sub = ids[0]!;
    store.log.ackBatch(sub, [seqs[1]!], undefined);
    // seqs[1] again, with seqs[2] missing: spans the range [0, 2] but is not all of it.
    const freed = store.log.ackBatch(sub, [seqs[0]!, seqs[1]!, seqs[1]!], undefined);
    expect(freed.events).toBe(1);
    expect(store.log.load(sub, 0, 10).map((r) => r.seq)).toEqual(seqs.slice(2));
    // A contiguous batch holding a seq acknowledged already: the others still go, one by one.
    const again = store.log.ackBatch(sub, [seqs[2]!, seqs[1]!], undefined);
    expect(again.events).toBe(1);
    expect(store.log.load(sub, 0, 10).map((r) => r.seq)).toEqual(seqs.slice(3));
    store.close();
  });

  it('ackBatch of a shared range keeps the events until the other subscription acknowledged them', async () => {
    const { store, ids, seqs, bytes } = await stored(10, ['a', 'b']);
    expect(store.log.ackBatch(ids[0]!, seqs, undefined)).toEqual({ events: 0, bytes: 0 });
    expect(store.log.count(ids[0]!)).toBe(0);
    expect(store.log.load(ids[1]!, 0, 100).map((r) => [r.seq, r.shared])).toEqual(
      seqs.map((s) => [s, false]),
    );
    expect(store.log.ackBatch(ids[1]!, seqs, undefined)).toEqual({ events: 10, bytes });
    expect(store.log.fetch(seqs[0]!)).toBeUndefined();
    store.close();
  });
});
