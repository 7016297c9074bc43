import { describeDeadLetterStoreConformance, makeDeadLetterEntry } from '@tributary/testkit';
import { describe, expect, it } from 'vitest';
import { createMemoryDeadLetterStore } from './memory-dead-letter-store.js';

describeDeadLetterStoreConformance('memory', () =>
  Promise.resolve({ store: createMemoryDeadLetterStore(), cleanup: () => Promise.resolve() }),
);

describe('memory dead-letter store bound', () => {
  it('drops the oldest entry when full and reports it', async () => {
    const dropped: string[] = [];
    const store = createMemoryDeadLetterStore({ capacity: 3, onDrop: (e) => dropped.push(e.id) });
    const entries = Array.from({ length: 5 }, () => makeDeadLetterEntry());
    for (const e of entries) await store.put(e);
    expect(dropped).toEqual([entries[0]!.id, entries[1]!.id]);
    expect(await store.size()).toBe(3);
    expect((await store.list({ limit: 10 })).items.map((e) => e.id)).toEqual(
      entries.slice(2).map((e) => e.id),
    );
  });
});
