import { BackendUnavailableError, type CloudEvent } from '@tributary/core';
import { makeEvents } from '@tributary/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Deque } from './deque.js';
import { createMemoryBackend, type MemoryBackend } from './memory-backend.js';
import { memoryBackendProvider } from './memory-provider.js';
import { RetryHeap } from './retry-heap.js';

let backend: MemoryBackend | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await backend?.close({ drainMs: 0 });
  backend = undefined;
});
const never = (): Promise<void> => new Promise(() => {});
const ids = (events: readonly CloudEvent[]): string[] => events.map((e) => e.attributes['id']!);

describe('MemoryBackend', () => {
  it('hands an event only to the subscriptions a router names, and counts capacity for those only', async () => {
    backend = createMemoryBackend({ maxQueuedPerSubscription: 2 });
    await backend.subscribe('t', 'odd', never, { ordered: false, concurrency: 1 });
    await backend.subscribe('t', 'even', never, { ordered: false, concurrency: 1 });
    backend.setRouter('t', (e) =>
      Number(e.attributes['id']!.split('-').pop()) % 2 ? ['odd'] : ['even'],
    );
    await backend.publish('t', makeEvents(4, 'r'));
    expect(backend.backlog('t', 'odd')).toBe(2);
    expect(backend.backlog('t', 'even')).toBe(2);
    await expect(backend.publish('t', makeEvents(1, 'x'))).rejects.toBeInstanceOf(
      BackendUnavailableError,
    );
    backend.setRouter('t', () => []);
    await expect(backend.publish('t', makeEvents(3, 'y'))).resolves.toBeUndefined();
    expect(backend.backlog('t', 'odd')).toBe(2);
  });

  it('accepts a publish to a topic without subscriptions', async () => {
    backend = createMemoryBackend();
    await expect(backend.publish('nobody', makeEvents(3))).resolves.toBeUndefined();
    expect(backend.backlog('nobody', 'x')).toBeUndefined();
  });

  it('counts queued plus in-flight events in backlog()', async () => {
    backend = createMemoryBackend();
    await backend.subscribe('t', 's', never, { ordered: false, concurrency: 2 });
    await backend.publish('t', makeEvents(5));
    expect(backend.backlog('t', 's')).toBe(5);
  });

  it('rejects a publish that would overflow any subscription with BackendUnavailableError and enqueues nothing', async () => {
    backend = createMemoryBackend({ maxQueuedPerSubscription: 4, retryAfterSeconds: 3 });
    await backend.subscribe('t', 'roomy', async () => {}, { ordered: false, concurrency: 1 });
    await backend.subscribe('t', 'stuck', never, { ordered: true, concurrency: 1 });
    await backend.publish('t', makeEvents(3));
    await new Promise((r) => setTimeout(r, 10)); // 'roomy' acknowledges its three
    expect(backend.backlog('t', 'roomy')).toBe(0);
    const err = await backend.publish('t', makeEvents(2)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as BackendUnavailableError).retryAfterSeconds).toBe(3);
    expect((err as Error).message).toMatch(/'stuck'.*limit 4/);
    expect(backend.backlog('t', 'stuck')).toBe(3);
    await backend.publish('t', makeEvents(1));
    expect(backend.backlog('t', 'stuck')).toBe(4);
  });

  it('redelivers with capped exponential delay by deliveryCount', async () => {
    vi.useFakeTimers();
    backend = createMemoryBackend({ redeliveryDelayMs: 100, maxRedeliveryDelayMs: 300 });
    const at: number[] = [];
    await backend.subscribe(
      't',
      's',
      async () => {
        at.push(Date.now());
        throw new Error('no');
      },
      { ordered: false, concurrency: 1 },
    );
    const start = Date.now();
    await backend.publish('t', makeEvents(1));
    await vi.advanceTimersByTimeAsync(2_000);
    const gaps = at.map((t, i) => t - (i === 0 ? start : at[i - 1]!));
    expect(gaps.slice(0, 6)).toEqual([0, 100, 200, 300, 300, 300]);
  });

  it('keeps an unacknowledged event with its delivery count for the next consumer', async () => {
    backend = createMemoryBackend();
    let seen: (() => void) | undefined;
    const first = new Promise<void>((r) => (seen = r));
    const sub = await backend.subscribe('t', 's', async () => (seen?.(), never()), {
      ordered: true,
      concurrency: 1,
    });
    await backend.publish('t', makeEvents(2, 'k'));
    await first;
    await sub.close({ drainMs: 10 });
    expect(backend.backlog('t', 's')).toBe(2);
    const got: Array<[string, number]> = [];
    await new Promise<void>((resolve) => {
      void backend!.subscribe(
        't',
        's',
        async (e, i) => {
          got.push([e.attributes['id']!, i.deliveryCount]);
          if (got.length === 2) resolve();
        },
        { ordered: true, concurrency: 1 },
      );
    });
    expect(got).toEqual([
      ['k-0', 2],
      ['k-1', 1],
    ]);
  });

  it('refuses a second consumer for the same subscription', async () => {
    backend = createMemoryBackend();
    await backend.subscribe('t', 's', async () => {}, { ordered: false, concurrency: 1 });
    await expect(
      backend.subscribe('t', 's', async () => {}, { ordered: false, concurrency: 1 }),
    ).rejects.toThrow(/already has a consumer/);
  });

  it('deleteSubscription drops what the subscription holds', async () => {
    backend = createMemoryBackend({ maxQueuedPerSubscription: 2 });
    const sub = await backend.subscribe('t', 's', never, { ordered: false, concurrency: 1 });
    await sub.close({ drainMs: 0 });
    await backend.publish('t', makeEvents(2));
    await expect(backend.publish('t', makeEvents(1))).rejects.toBeInstanceOf(
      BackendUnavailableError,
    );
    await backend.deleteSubscription('t', 's');
    expect(backend.backlog('t', 's')).toBeUndefined();
    await backend.publish('t', makeEvents(5));
  });

  it('waits for in-flight handlers on close and then refuses publishes with 503 semantics', async () => {
    backend = createMemoryBackend();
    const finished: string[] = [];
    await backend.subscribe(
      't',
      's',
      async (e) => {
        await new Promise((r) => setTimeout(r, 20));
        finished.push(e.attributes['id']!);
      },
      { ordered: false, concurrency: 4 },
    );
    const events = makeEvents(3);
    await backend.publish('t', events);
    await backend.close({ drainMs: 1_000 });
    expect(finished.sort()).toEqual(ids(events).sort());
    await expect(backend.publish('t', makeEvents(1))).rejects.toBeInstanceOf(
      BackendUnavailableError,
    );
    backend = undefined;
  });
});

describe('memoryBackendProvider', () => {
  it('serves MTChannelBasedBroker and fills config defaults', () => {
    expect(memoryBackendProvider.brokerClasses).toEqual(['MTChannelBasedBroker']);
    expect(memoryBackendProvider.configSchema.parse({})).toEqual({
      maxQueuedPerSubscription: 10_000,
      redeliveryDelayMs: 1_000,
      maxRedeliveryDelayMs: 30_000,
    });
    expect(() =>
      memoryBackendProvider.configSchema.parse({ maxQueuedPerSubscription: 0 }),
    ).toThrow();
    // ConfigMap data arrives as strings; keys it does not know (Knative's channel-template-spec) are ignored.
    expect(
      memoryBackendProvider.configSchema.parse({
        maxQueuedPerSubscription: '5',
        'channel-template-spec': 'x',
      }),
    ).toMatchObject({ maxQueuedPerSubscription: 5 });
    expect(() =>
      memoryBackendProvider.configSchema.parse({ maxQueuedPerSubscription: 'many' }),
    ).toThrow();
  });
});

describe('Deque and RetryHeap', () => {
  it('Deque keeps FIFO order across growth and wrap-around', () => {
    const d = new Deque<number>(2);
    const model: number[] = [];
    for (let i = 0; i < 1_000; i++) {
      if (i % 3 === 2) expect(d.shift()).toBe(model.shift());
      else if (i % 7 === 0) {
        d.unshift(i);
        model.unshift(i);
      } else {
        d.push(i);
        model.push(i);
      }
      expect(d.length).toBe(model.length);
    }
    expect([...d]).toEqual(model);
  });
  it('Deque holds no buffer until the first item, and none again after clear', () => {
    const a = new Deque<number>();
    const b = new Deque<number>();
    expect(a.shift()).toBeUndefined();
    expect(a.peek()).toBeUndefined();
    expect([...a]).toEqual([]);
    a.unshift(1);
    b.push(2);
    expect([a.shift(), b.shift(), a.length, b.length]).toEqual([1, 2, 0, 0]);
    a.push(3);
    a.clear();
    expect(a.length).toBe(0);
    a.push(4);
    expect([...a, ...b]).toEqual([4]);
  });
  it('RetryHeap pops due items earliest first, ties in insertion order', () => {
    const h = new RetryHeap<string>();
    h.push(30, 'c');
    h.push(10, 'a1');
    h.push(20, 'b');
    h.push(10, 'a2');
    expect(h.popDue(5)).toBeUndefined();
    const out: string[] = [];
    for (let x = h.popDue(25); x; x = h.popDue(25)) out.push(x);
    expect(out).toEqual(['a1', 'a2', 'b']);
    expect(h.size).toBe(1);
  });
});
