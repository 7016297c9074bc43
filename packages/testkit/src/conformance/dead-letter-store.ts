import { randomUUID } from 'node:crypto';
import type { DeadLetterEntry, DeadLetterStore } from '@tributary/core';
import { afterEach, describe, expect, it } from 'vitest';

/** What a {@link describeDeadLetterStoreConformance} factory returns for one test. */
export interface DeadLetterStoreUnderTest {
  /** A store on a fresh, empty location (e.g. a random broker name). */
  readonly store: DeadLetterStore;
  /**
   * Durable stores: a NEW store instance (new connection) on the same location, as after a
   * restart. Omit for stores that do not survive a restart (memory).
   */
  readonly reopen?: () => Promise<DeadLetterStore>;
  /** Deletes what the test created and closes connections. */
  readonly cleanup: () => Promise<void>;
}

/** Builds a dead-letter entry for tests; `over` replaces fields. */
export function makeDeadLetterEntry(over: Partial<DeadLetterEntry> = {}): DeadLetterEntry {
  return {
    id: randomUUID(),
    broker: { namespace: 'default', name: 'b' },
    owner: { kind: 'Trigger', namespace: 'default', name: 't1' },
    event: {
      attributes: {
        specversion: '1.0',
        id: randomUUID(),
        source: '/test',
        type: 'test.dlq',
        knativearrivaltime: new Date().toISOString(),
      },
      data: new Uint8Array([0xff, 0x00, 0x7b, 0x22]),
    },
    attempts: [
      { time: '2026-01-01T00:00:00.000Z', status: 503 },
      { time: '2026-01-01T00:00:01.000Z', status: null, error: 'connect ECONNREFUSED' },
    ],
    lastResponseBody: 'service unavailable',
    errorExtensions: {
      knativeerrordest: 'http://127.0.0.1:1/',
      knativeerrorcode: '500',
      knativeerrordata: '',
    },
    deadLetteredAt: new Date().toISOString(),
    ...over,
  };
}

/**
 * The contract every DeadLetterStore meets (core `DeadLetterStore`), as a vitest suite. Call it at
 * the top level of a test file with a factory that returns a store on a fresh location.
 */
export function describeDeadLetterStoreConformance(
  name: string,
  factory: () => Promise<DeadLetterStoreUnderTest>,
  options: { timeoutMs?: number } = {},
): void {
  const timeout = options.timeoutMs ?? 30_000;
  describe(`DeadLetterStore conformance: ${name}`, () => {
    const open: DeadLetterStoreUnderTest[] = [];
    const fresh = async () => {
      const s = await factory();
      open.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of open.splice(0)) await s.cleanup();
    });

    it(
      'get returns the entry as it was put (binary data, attempts, extensions)',
      async () => {
        const { store } = await fresh();
        const e = makeDeadLetterEntry();
        await store.put(e);
        const got = await store.get(e.id);
        expect(got).toBeDefined();
        expect({ ...got!, event: { ...got!.event, data: [...(got!.event.data ?? [])] } }).toEqual({
          ...e,
          event: { ...e.event, data: [...e.event.data!] },
        });
        const noData = makeDeadLetterEntry({
          event: { attributes: { specversion: '1.0', id: 'x', source: '/s', type: 't' } },
        });
        await store.put(noData);
        expect((await store.get(noData.id))!.event.data).toBeUndefined();
      },
      timeout,
    );

    it(
      'unknown ids: get is undefined, remove is false',
      async () => {
        const { store } = await fresh();
        expect(await store.get(randomUUID())).toBeUndefined();
        expect(await store.remove(randomUUID())).toBe(false);
        expect(await store.size()).toBe(0);
      },
      timeout,
    );

    it(
      'lists in storing order and pages through every entry exactly once',
      async () => {
        const { store } = await fresh();
        const ids: string[] = [];
        for (let i = 0; i < 7; i++) {
          const e = makeDeadLetterEntry();
          ids.push(e.id);
          await store.put(e);
        }
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await store.list({ limit: 3, cursor });
          expect(page.items.length).toBeLessThanOrEqual(3);
          seen.push(...page.items.map((e) => e.id));
          cursor = page.next;
          pages++;
        } while (cursor !== undefined && pages < 10);
        expect(seen).toEqual(ids);
        expect(await store.size()).toBe(7);
      },
      timeout,
    );

    it(
      'filters by owner name and namespace, pages included',
      async () => {
        const { store } = await fresh();
        const mine: string[] = [];
        for (let i = 0; i < 5; i++) {
          const a = makeDeadLetterEntry({
            owner: { kind: 'Trigger', namespace: 'ns-a', name: 'orders' },
          });
          mine.push(a.id);
          await store.put(a);
          await store.put(
            makeDeadLetterEntry({ owner: { kind: 'Trigger', namespace: 'ns-b', name: 'orders' } }),
          );
          await store.put(
            makeDeadLetterEntry({ owner: { kind: 'Trigger', namespace: 'ns-a', name: 'other' } }),
          );
        }
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.list({ owner: 'orders', namespace: 'ns-a', limit: 2, cursor });
          seen.push(...page.items.map((e) => e.id));
          cursor = page.next;
        } while (cursor !== undefined);
        expect(seen).toEqual(mine);
        const orders = await store.list({ owner: 'orders', limit: 100 });
        expect(orders.items).toHaveLength(10);
        expect(orders.next).toBeUndefined();
      },
      timeout,
    );

    it(
      'put with an existing id replaces the entry and moves it last',
      async () => {
        const { store } = await fresh();
        const first = makeDeadLetterEntry();
        const second = makeDeadLetterEntry();
        await store.put(first);
        await store.put(second);
        const again = {
          ...first,
          attempts: [...first.attempts, { time: '2026-01-02T00:00:00.000Z', status: 500 }],
        };
        await store.put(again);
        expect(await store.size()).toBe(2);
        expect((await store.get(first.id))!.attempts).toHaveLength(3);
        const page = await store.list({ limit: 10 });
        expect(page.items.map((e) => e.id)).toEqual([second.id, first.id]);
      },
      timeout,
    );

    it(
      'remove deletes only that entry',
      async () => {
        const { store } = await fresh();
        const a = makeDeadLetterEntry();
        const b = makeDeadLetterEntry();
        await store.put(a);
        await store.put(b);
        expect(await store.remove(a.id)).toBe(true);
        expect(await store.remove(a.id)).toBe(false);
        expect(await store.get(a.id)).toBeUndefined();
        expect((await store.get(b.id))?.id).toBe(b.id);
        expect((await store.list({ limit: 10 })).items.map((e) => e.id)).toEqual([b.id]);
        expect(await store.size()).toBe(1);
      },
      timeout,
    );

    it(
      'durable stores: entries, replacements and removals survive a reopen',
      async () => {
        const under = await fresh();
        if (!under.reopen) {
          // Not durable by contract (memory): nothing to check across a restart.
          expect(under.store.kind).toBe('memory');
          return;
        }
        const kept = makeDeadLetterEntry();
        const removed = makeDeadLetterEntry();
        await under.store.put(kept);
        await under.store.put(removed);
        await under.store.remove(removed.id);
        const reopened = await under.reopen();
        expect((await reopened.get(kept.id))?.event.attributes['id']).toBe(
          kept.event.attributes['id'],
        );
        expect(await reopened.get(removed.id)).toBeUndefined();
        expect((await reopened.list({ limit: 10 })).items.map((e) => e.id)).toEqual([kept.id]);
      },
      timeout,
    );
  });
}
