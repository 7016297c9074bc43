import { describe, expect, it } from 'vitest';
import type { PluginContext, RuntimePlugin } from '@tributary/broker';
import { coreKinds, createKindSet, loadResources } from '@tributary/core';
import { defaultPlugins, lazyPlugin, pluginDescriptors, tributaryKinds } from '@tributary/cli';

const topologyOf = (objects: unknown[]) =>
  loadResources(objects, { kinds: tributaryKinds }).topology;
const broker = { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name: 'b' } };
const sequence = {
  apiVersion: 'flows.knative.dev/v1',
  kind: 'Sequence',
  metadata: { name: 's' },
  spec: { steps: [{ uri: 'http://127.0.0.1:9/' }] },
};

describe('lazyPlugin', () => {
  it('loads and registers the real plugin only when the topology has one of its kinds', async () => {
    const calls: string[] = [];
    const real: RuntimePlugin = {
      name: 'flows',
      register: () => void calls.push('register'),
      start: async () => void calls.push('start'),
      stop: async () => void calls.push('stop'),
    };
    let loads = 0;
    const descriptor = {
      name: 'flows',
      activatedBy: ['Sequence'],
      load: async () => (loads++, real),
    };
    const idle = lazyPlugin(descriptor);
    const ctx = (objects: unknown[]) => ({ topology: topologyOf(objects) }) as PluginContext;
    await idle.register?.(ctx([broker]));
    await idle.start?.(ctx([broker]));
    await idle.stop?.({ drainMs: 0 });
    expect([loads, calls, idle.loaded]).toEqual([0, [], undefined]);
    // A reload that adds a Sequence loads it; later generations keep the instance.
    await idle.register?.(ctx([broker, sequence]));
    await idle.start?.(ctx([broker, sequence]));
    await idle.register?.(ctx([broker]));
    expect([loads, calls, idle.loaded]).toEqual([1, ['register', 'start', 'register'], real]);
  });

  it('the default plugins are lazy, in start order, and activated by kinds the CLI knows', () => {
    expect(defaultPlugins().map((p) => p.name)).toEqual(pluginDescriptors.map((d) => d.name));
    expect(defaultPlugins().every((p) => p.loaded === undefined)).toBe(true);
    for (const d of pluginDescriptors)
      for (const k of d.activatedBy)
        expect(tributaryKinds.hasKind(k), `${d.name}: ${k}`).toBe(true);
    expect(createKindSet(coreKinds).hasKind('Sequence')).toBe(false);
  });
});
