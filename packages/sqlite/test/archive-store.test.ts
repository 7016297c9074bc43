import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openArchiveStore, type ArchiveStore } from '../src/archive-store.js';

const dirs: string[] = [];
const stores: ArchiveStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
async function open(dir?: string): Promise<{ dir: string; store: ArchiveStore }> {
  const d = dir ?? mkdtempSync(path.join(os.tmpdir(), 'tributary-archive-'));
  if (!dir) dirs.push(d);
  const store = await openArchiveStore(d);
  stores.push(store);
  return { dir: d, store };
}
const ev = (id: string) => ({
  attributes: { specversion: '1.0', id, source: '/t', type: 'x' },
  data: Buffer.from(id),
});

describe('ArchiveStore (archive.db)', () => {
  it('reads a window in order after a cursor, per broker, and survives reopening', async () => {
    const { dir, store } = await open();
    const t0 = Date.now();
    store.append('default/a', [ev('1'), ev('2'), ev('3')], 3_600_000);
    store.append('default/b', [ev('other')], 3_600_000);
    const all = store.read('default/a', t0 - 1, Date.now() + 1, 0, 10);
    expect(all.map((e) => e.event.attributes['id'])).toEqual(['1', '2', '3']);
    expect(Buffer.from(all[1]!.event.data!).toString()).toBe('2');
    expect(
      store
        .read('default/a', t0 - 1, Date.now() + 1, all[0]!.seq, 1)
        .map((e) => e.event.attributes['id']),
    ).toEqual(['2']);
    expect(store.count('default/a', t0 - 1, Date.now() + 1)).toBe(3);
    expect(store.read('default/a', Date.now() + 10_000, Date.now() + 20_000, 0, 10)).toEqual([]);
    store.replays.save({ id: 'r1', cursor: all[1]!.seq } as { id: string });
    store.close();
    const again = (await open(dir)).store;
    expect(again.count('default/a', t0 - 1, Date.now() + 1)).toBe(3);
    expect(again.replays.list<{ id: string; cursor: number }>()).toEqual([
      { id: 'r1', cursor: all[1]!.seq },
    ]);
  });

  it('deletes events past their retention as new ones arrive', async () => {
    const { store } = await open();
    store.append('default/a', [ev('old')], 1);
    await new Promise((r) => setTimeout(r, 20));
    store.append(
      'default/a',
      Array.from({ length: 500 }, (_, i) => ev(`n-${i}`)),
      1,
    );
    const left = store.read('default/a', 0, Date.now() + 1, 0, 1000);
    expect(left.some((e) => e.event.attributes['id'] === 'old')).toBe(false);
  });
});
