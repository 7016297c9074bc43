import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeDeadLetterStoreConformance, makeDeadLetterEntry } from '@tributary/testkit';
import { describe, expect, it } from 'vitest';
import { type DataStore, openDataStore } from '../src/index.js';

const broker = { namespace: 'default', name: 'b' };

describeDeadLetterStoreConformance('sqlite', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'trib-sqlite-dlq-'));
  const opened: DataStore[] = [await openDataStore({ dir })];
  return {
    store: opened[0]!.deadLetterStore(broker),
    reopen: async () => {
      opened[opened.length - 1]!.close();
      const again = await openDataStore({ dir });
      opened.push(again);
      return again.deadLetterStore(broker);
    },
    cleanup: () => {
      for (const s of opened) s.close();
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
});

describe('sqlite dead-letter stores of several brokers', () => {
  it('keeps each broker’s entries apart in the one database', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'trib-sqlite-dlq-'));
    const data = await openDataStore({ dir });
    try {
      const a = data.deadLetterStore({ namespace: 'default', name: 'a' });
      const b = data.deadLetterStore({ namespace: 'default', name: 'b' });
      const e = makeDeadLetterEntry();
      await a.put(e);
      expect(await b.get(e.id)).toBeUndefined();
      expect(await b.remove(e.id)).toBe(false);
      expect(await a.size()).toBe(1);
      expect(await b.size()).toBe(0);
    } finally {
      data.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects after the data store closed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'trib-sqlite-dlq-'));
    const data = await openDataStore({ dir });
    const store = data.deadLetterStore(broker);
    data.close();
    await expect(store.put(makeDeadLetterEntry())).rejects.toThrow();
    rmSync(dir, { recursive: true, force: true });
  });
});
