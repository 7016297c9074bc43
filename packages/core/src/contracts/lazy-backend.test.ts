import { describe, expect, it } from 'vitest';
import type { Backend, EventRouter } from './backend.js';
import { lazyBackend } from './lazy-backend.js';

/** A backend that records what it was asked (the implementation a lazy backend loads). */
function recordingBackend(calls: string[]): Backend {
  return {
    kind: 'recording',
    async start() {
      calls.push('start');
    },
    async publish(topic) {
      calls.push(`publish ${topic}`);
    },
    async subscribe(topic, subscription) {
      calls.push(`subscribe ${topic}/${subscription}`);
      return { close: async () => undefined } as unknown as Awaited<
        ReturnType<Backend['subscribe']>
      >;
    },
    setRouter(topic: string, route: EventRouter | undefined) {
      calls.push(`router ${topic} ${route ? 'set' : 'removed'}`);
    },
    backlog: () => 7,
    async close() {
      calls.push('close');
    },
  };
}

describe('lazyBackend', () => {
  it('loads nothing until start, and closing an unstarted backend loads nothing', async () => {
    let loads = 0;
    const b = lazyBackend('recording', async () => {
      loads++;
      return recordingBackend([]);
    });
    expect(b.kind).toBe('recording');
    expect(b.backlog?.('t', 's')).toBeUndefined();
    await b.close();
    expect(loads).toBe(0);
  });

  it('loads once on start, hands over routers set before, then delegates', async () => {
    const calls: string[] = [];
    let loads = 0;
    const b = lazyBackend('recording', async () => {
      loads++;
      return recordingBackend(calls);
    });
    b.setRouter?.('early', () => []);
    await b.start();
    await b.publish('t', []);
    await b.subscribe('t', 's', async () => undefined, {} as never);
    b.setRouter?.('late', undefined);
    expect(b.backlog?.('t', 's')).toBe(7);
    await b.close();
    expect(loads).toBe(1);
    expect(calls).toEqual([
      'router early set',
      'start',
      'publish t',
      'subscribe t/s',
      'router late removed',
      'close',
    ]);
  });

  it('retries a failed load on the next start', async () => {
    let attempt = 0;
    const b = lazyBackend('recording', async () => {
      if (++attempt === 1) throw new Error('driver missing');
      return recordingBackend([]);
    });
    await expect(b.start()).rejects.toThrow('driver missing');
    await b.start();
    expect(attempt).toBe(2);
  });

  it("offers the loaded implementation's dead-letter store, and none when it has none", async () => {
    const store = { kind: 'store' } as unknown as NonNullable<
      ReturnType<NonNullable<Backend['deadLetterStore']>>
    >;
    const withStore = lazyBackend('recording', async () => ({
      ...recordingBackend([]),
      deadLetterStore: () => store,
    }));
    expect(withStore.deadLetterStore?.({ namespace: 'ns', name: 'b' })).toBeUndefined();
    await withStore.start();
    expect(withStore.deadLetterStore?.({ namespace: 'ns', name: 'b' })).toBe(store);
    const without = lazyBackend('recording', async () => recordingBackend([]));
    await without.start();
    expect(without.deadLetterStore?.({ namespace: 'ns', name: 'b' })).toBeUndefined();
  });
});
