import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Backend } from '@tributary/core';
import { describeBackendConformance } from '@tributary/testkit';
import { afterAll } from 'vitest';
import { type Durability, createSqliteBackend, openDataStore } from '../src/index.js';

const dirs: string[] = [];

/** A fresh data directory and store per test; closing the backend closes the store too. */
function factory(durability: Durability) {
  return async (): Promise<Backend> => {
    const dir = mkdtempSync(path.join(tmpdir(), 'trib-sqlite-conf-'));
    dirs.push(dir);
    const store = await openDataStore({ dir, durability });
    // Short redelivery delays: the suite waits for redeliveries of rejected events.
    const backend = createSqliteBackend({ store, redeliveryDelayMs: 5, maxRedeliveryDelayMs: 50 });
    return {
      ...backend,
      async close(o) {
        await backend.close(o);
        store.close();
      },
    };
  };
}

describeBackendConformance('sqlite (process-crash durability)', factory('process-crash'));
describeBackendConformance('sqlite (power-loss durability)', factory('power-loss'));

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
