import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_BYTES,
  SqliteConfigError,
  capsFrom,
  openDataStore,
  parseQuantity,
  sqliteBackendProvider,
} from '../src/index.js';

describe('Broker size caps', () => {
  it('parses quantities with binary and decimal units', () => {
    expect(parseQuantity('1000', 'x')).toBe(1000);
    expect(parseQuantity('64Ki', 'x')).toBe(65_536);
    expect(parseQuantity('512Mi', 'x')).toBe(512 * 1024 ** 2);
    expect(parseQuantity('2G', 'x')).toBe(2e9);
    expect(capsFrom(undefined)).toEqual({ maxBytes: DEFAULT_MAX_BYTES, maxEvents: undefined });
    expect(
      capsFrom({ 'tributary.dev/max-events': '10', 'tributary.dev/max-bytes': '1Mi' }),
    ).toEqual({ maxBytes: 1024 ** 2, maxEvents: 10 });
  });

  it('refuses an unknown durability level', async () => {
    await expect(
      openDataStore({ dir: tmpdir(), durability: 'sometimes' as 'power-loss' }),
    ).rejects.toThrow(/durability 'sometimes' is not known; use process-crash or power-loss/);
  });

  it('refuses a bad annotation naming it, its value and the accepted form', async () => {
    expect(() => capsFrom({ 'tributary.dev/max-bytes': 'lots' })).toThrow(SqliteConfigError);
    expect(() => capsFrom({ 'tributary.dev/max-bytes': 'lots' })).toThrow(
      /tributary\.dev\/max-bytes 'lots' is not a size; .* e\.g\. 512Mi/,
    );
    expect(() => capsFrom({ 'tributary.dev/max-events': '0' })).toThrow(/greater than 0/);
    const dir = mkdtempSync(path.join(tmpdir(), 'trib-sqlite-caps-'));
    const store = await openDataStore({ dir });
    try {
      const provider = sqliteBackendProvider(store);
      expect(() =>
        provider.create(provider.configSchema.parse({}), {
          logger: silentLogger,
          annotations: { 'tributary.dev/max-events': 'many' },
        }),
      ).toThrow(/tributary\.dev\/max-events 'many'/);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
