import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import type { FunctionEvent } from '@tributary/function';
import { type Mesh, createMesh } from '@tributary/cli';

const broker = {
  apiVersion: 'eventing.knative.dev/v1',
  kind: 'Broker',
  metadata: { name: 'default' },
};
const channel = {
  apiVersion: 'messaging.knative.dev/v1',
  kind: 'InMemoryChannel',
  metadata: { name: 'extra' },
};

const meshes: Mesh[] = [];
afterEach(async () => {
  await Promise.all(meshes.splice(0).map((m) => m.stop({ drainMs: 1000 })));
});

async function mesh(resources: unknown[]): Promise<Mesh> {
  const m = await createMesh({ resources }, { logger: 'silent' });
  meshes.push(m);
  return m;
}

function waitFor<T>(list: T[], n: number, ms = 20_000): Promise<T[]> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (list.length >= n) resolve(list);
      else if (Date.now() > deadline) reject(new Error(`expected ${n} items, got ${list.length}`));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

const meshDirs = () => readdirSync(tmpdir()).filter((d) => d.startsWith('tributary-mesh-')).length;

describe('mesh subscribers are wired explicitly', () => {
  it('two meshes in one process each call only their own subscriber, and write no module files', async () => {
    const dirsBefore = meshDirs();
    const a = await mesh([broker]);
    const b = await mesh([broker]);
    const seenA: FunctionEvent[] = [];
    const seenB: FunctionEvent[] = [];
    // The same hidden names in both meshes: tributary-mesh-subscriber-1.
    expect(a.subscribe('default', 'default', (e) => void seenA.push(e)).name).toBe(
      b.subscribe('default', 'default', (e) => void seenB.push(e)).name,
    );
    await a.start();
    await b.start();
    expect(Object.getOwnPropertySymbols(globalThis).map(String)).not.toContain(
      'Symbol(tributary.mesh.subscribers)',
    );
    await a.publish('default', 'default', { type: 'to.a', id: 'a1' });
    await b.publish('default', 'default', { type: 'to.b', id: 'b1' });
    await waitFor(seenA, 1);
    await waitFor(seenB, 1);
    expect(seenA.map((e) => e.id)).toEqual(['a1']);
    expect(seenB.map((e) => e.id)).toEqual(['b1']);
    expect(meshDirs()).toBe(dirsBefore);
  });

  it('a reload that restarts the plugins keeps subscribers, unsubscribed ones acknowledge without a call', async () => {
    const m = await mesh([broker]);
    const kept: string[] = [];
    const dropped: string[] = [];
    m.subscribe('default', 'default', (e) => void kept.push(e.id));
    const sub = m.subscribe('default', 'default', (e) => void dropped.push(e.id));
    await m.start();
    await m.publish('default', 'default', { type: 't', id: 'before' });
    await waitFor(kept, 1);
    await waitFor(dropped, 1);
    sub.unsubscribe();
    const report = await m.reload([broker, channel]);
    expect(report.pluginsRestarted).toBe(true);
    expect(await m.publish('default', 'default', { type: 't', id: 'after' })).toEqual({
      status: 202,
    });
    await waitFor(kept, 2);
    expect(kept).toEqual(['before', 'after']);
    expect(dropped).toEqual(['before']);
    const triggers = (m.statuses?.list() ?? []).filter((s) => s.kind === 'Trigger');
    expect(triggers.map((s) => [s.name, s.ready]).sort()).toEqual([
      ['tributary-mesh-subscriber-1', true],
      ['tributary-mesh-subscriber-2', true],
    ]);
  });
});
