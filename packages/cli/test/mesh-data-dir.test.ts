import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMesh } from '@tributary/cli';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const resources = [
  { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name: 'default' } },
];

describe('createMesh({ dataDir })', () => {
  it('keeps an event that was not delivered for the next mesh on the same directory, and refuses a second owner', async () => {
    const root = mkdtempSync(join(tmpdir(), 'trib-mesh-data-'));
    dirs.push(root);
    const dataDir = join(root, 'data');

    const first = await createMesh({ resources }, { logger: 'silent', dataDir });
    let handed = 0;
    first.subscribe('default', 'default', () => {
      handed++;
      return new Promise(() => {}); // never finishes: the event stays held
    });
    await first.start();
    const second = await createMesh({ resources }, { logger: 'silent', dataDir });
    await expect(second.start()).rejects.toMatchObject({
      code: 'TRIB_ERR_DATA_DIR_LOCKED',
      dir: dataDir,
      pid: process.pid,
    });
    await first.publish('default', 'default', { type: 'com.example.kept', id: 'kept-1' });
    const until = Date.now() + 10_000;
    while (handed === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(handed).toBe(1);
    await first.stop({ drainMs: 50 });

    const third = await createMesh({ resources }, { logger: 'silent', dataDir });
    const got = new Promise<string>((resolve) =>
      third.subscribe('default', 'default', (event) => resolve(event.id)),
    );
    await third.start();
    try {
      expect(await got).toBe('kept-1');
    } finally {
      await third.stop({ drainMs: 1000 });
    }
  });
});
