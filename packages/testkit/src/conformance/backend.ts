import { randomUUID } from 'node:crypto';
import type {
  Backend,
  CloudEvent,
  DeliveryInfo,
  SubscribeOptions,
  Subscription,
} from '@tributary/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeEvents } from '../fixtures/events.js';

/** Options of {@link describeBackendConformance}. */
export interface BackendConformanceOptions {
  /** How long a test waits for deliveries before failing. @default 10000 */
  readonly timeoutMs?: number;
  /** `drainMs` used when closing subscriptions and backends. @default 200 */
  readonly drainMs?: number;
  /** Titles (or parts of titles) of tests to skip, with the reason in a comment at the call site. */
  readonly skip?: readonly string[];
}

/**
 * The contract every Backend must meet, as a vitest suite. Call it at the top level of a test file:
 *
 * ```ts
 * describeBackendConformance('memory', () => createMemoryBackend({ redeliveryDelayMs: 5 }));
 * ```
 *
 * The factory is called once per test and must return a fresh, not yet started backend (the
 * suite calls `start` and `close`). Configure short redelivery delays: tests wait for redeliveries.
 *
 * Each test subscribes BEFORE it publishes, on a fresh random topic: that order is meaningful for
 * both the memory backend (which delivers to subscriptions existing at publish time) and durable
 * backends (whose `subscribe` must resolve only once the subscription's position is established,
 * e.g. the consumer group's offset committed or the queue bound). A durable backend that needs
 * `startFrom: 'earliest'` for that is non-conformant: `subscribe` is the point from which delivery
 * is promised.
 */
export function describeBackendConformance(
  name: string,
  factory: () => Promise<Backend> | Backend,
  options: BackendConformanceOptions = {},
): void {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const drainMs = options.drainMs ?? 200;
  const test = (title: string, fn: () => Promise<void>): void => {
    const skipped = options.skip?.some((s) => title.includes(s)) ?? false;
    (skipped ? it.skip : it)(title, fn, timeoutMs + 5_000);
  };

  describe(`Backend conformance: ${name}`, () => {
    let backend: Backend;
    let subs: Subscription[];
    let releases: Array<() => void>;
    const topic = (): string => `conformance-${randomUUID()}`;
    const subscribe = async (
      t: string,
      sub: string,
      handler: (e: CloudEvent, i: DeliveryInfo) => Promise<void>,
      opts: Partial<SubscribeOptions> = {},
    ): Promise<Subscription> => {
      const s = await backend.subscribe(t, sub, handler, {
        ordered: false,
        concurrency: 8,
        ...opts,
      });
      subs.push(s);
      return s;
    };
    /** A promise that stays pending until the test ends (a handler that never acknowledges). */
    const hang = (): Promise<void> => new Promise<void>((resolve) => releases.push(resolve));

    beforeEach(async () => {
      subs = [];
      releases = [];
      backend = await factory();
      await backend.start();
    });
    afterEach(async () => {
      for (const r of releases) r();
      await Promise.all(subs.map((s) => s.close({ drainMs })));
      await backend.close({ drainMs });
    });

    test('MUST deliver every published event to every subscription at least once', async () => {
      const t = topic();
      const seen = [new Set<string>(), new Set<string>()];
      const waits = seen.map((set, i) => {
        const w = waiter(
          () => set.size === 30,
          timeoutMs,
          () => `subscription ${i} saw ${set.size}/30 events`,
        );
        return { w, set };
      });
      for (const [i, { w, set }] of waits.entries()) {
        await subscribe(t, `sub-${i}`, async (e) => {
          set.add(e.attributes['id']!);
          w.check();
        });
      }
      const events = makeEvents(30);
      await backend.publish(t, events.slice(0, 10)); // a batch
      for (const e of events.slice(10)) await backend.publish(t, [e]);
      await Promise.all(waits.map(({ w }) => w.done));
      for (const { set } of waits)
        expect([...set].sort()).toEqual(events.map((e) => e.attributes['id']).sort());
    });

    test('MUST deliver events and data unchanged (every attribute, data bytes)', async () => {
      const t = topic();
      const got: CloudEvent[] = [];
      const w = waiter(
        () => got.length >= 1,
        timeoutMs,
        () => 'no event delivered',
      );
      await subscribe(t, 'sub', async (e) => {
        got.push(e);
        w.check();
      });
      const sent: CloudEvent = {
        attributes: {
          specversion: '1.0',
          id: 'x-1',
          source: '/s',
          type: 't',
          datacontenttype: 'application/octet-stream',
          ext1: 'v é',
        },
        data: new Uint8Array([0, 1, 2, 255, 10]),
      };
      await backend.publish(t, [sent]);
      await w.done;
      expect(got[0]!.attributes).toEqual(sent.attributes);
      expect(Buffer.from(got[0]!.data ?? new Uint8Array())).toEqual(Buffer.from(sent.data!));
    });

    test('MUST redeliver an event whose handler rejects, counting deliveries 1, 2, 3', async () => {
      const t = topic();
      const counts: number[] = [];
      const w = waiter(
        () => counts.length === 3,
        timeoutMs,
        () => `deliveries so far: ${counts.join(',')}`,
      );
      await subscribe(t, 'sub', async (_e, info) => {
        counts.push(info.deliveryCount);
        w.check();
        if (counts.length < 3) throw new Error('not yet');
      });
      await backend.publish(t, makeEvents(1));
      await w.done;
      expect(counts).toEqual([1, 2, 3]);
    });

    test('MUST redeliver an event left unacknowledged when its subscription closed, to the next consumer of that subscription', async () => {
      const t = topic();
      const first: string[] = [];
      const w1 = waiter(
        () => first.length === 1,
        timeoutMs,
        () => 'first consumer got nothing',
      );
      const s1 = await subscribe(t, 'sub', async (e) => {
        first.push(e.attributes['id']!);
        w1.check();
        return hang();
      });
      const [event] = makeEvents(1);
      await backend.publish(t, [event!]);
      await w1.done;
      await s1.close({ drainMs: 50 });
      const second: Array<{ id: string; count: number }> = [];
      const w2 = waiter(
        () => second.length >= 1,
        timeoutMs,
        () => 'event was not redelivered after re-subscribing',
      );
      await subscribe(t, 'sub', async (e, info) => {
        second.push({ id: e.attributes['id']!, count: info.deliveryCount });
        w2.check();
      });
      await w2.done;
      expect(second[0]!.id).toBe(event!.attributes['id']);
    });

    test('MUST keep events published while a subscription has no consumer and deliver them on re-subscribe', async () => {
      const t = topic();
      const s1 = await subscribe(t, 'sub', async () => {});
      await s1.close({ drainMs });
      const events = makeEvents(5);
      await backend.publish(t, events);
      const got = new Set<string>();
      const w = waiter(
        () => got.size === 5,
        timeoutMs,
        () => `got ${got.size}/5 after re-subscribing`,
      );
      await subscribe(t, 'sub', async (e) => {
        got.add(e.attributes['id']!);
        w.check();
      });
      await w.done;
    });

    test('MUST NOT hand out events after a subscription was closed', async () => {
      const t = topic();
      let calls = 0;
      const s = await subscribe(t, 'sub', async () => {
        calls++;
      });
      await s.close({ drainMs });
      await backend.publish(t, makeEvents(3));
      await new Promise((r) => setTimeout(r, 100));
      expect(calls).toBe(0);
    });

    test('MUST handle an ordered subscription strictly in publish order, one event at a time', async () => {
      const t = topic();
      const order: string[] = [];
      let inFlight = 0;
      let maxInFlight = 0;
      const w = waiter(
        () => order.length === 20,
        timeoutMs,
        () => `handled ${order.length}/20`,
      );
      await subscribe(
        t,
        'sub',
        async (e) => {
          maxInFlight = Math.max(maxInFlight, ++inFlight);
          await new Promise((r) => setTimeout(r, 1));
          order.push(e.attributes['id']!);
          inFlight--;
          w.check();
        },
        { ordered: true, concurrency: 8 },
      );
      const events = makeEvents(20);
      await backend.publish(t, events.slice(0, 10));
      await backend.publish(t, events.slice(10));
      await w.done;
      expect(order).toEqual(events.map((e) => e.attributes['id']));
      expect(maxInFlight).toBe(1);
    });

    test('MUST retry a rejected event of an ordered subscription before any later event', async () => {
      const t = topic();
      const handled: string[] = [];
      const acked: string[] = [];
      const events = makeEvents(6);
      const victim = events[2]!.attributes['id']!;
      let failures = 0;
      const w = waiter(
        () => acked.length === 6,
        timeoutMs,
        () => `acknowledged ${acked.length}/6`,
      );
      await subscribe(
        t,
        'sub',
        async (e) => {
          const id = e.attributes['id']!;
          handled.push(id);
          if (id === victim && failures++ < 2) throw new Error('fail twice');
          acked.push(id);
          w.check();
        },
        { ordered: true, concurrency: 1 },
      );
      await backend.publish(t, events);
      await w.done;
      const ids = events.map((e) => e.attributes['id']!);
      expect(acked).toEqual(ids);
      expect(handled).toEqual([ids[0], ids[1], victim, victim, victim, ids[3], ids[4], ids[5]]);
    });

    test('MUST NOT run more than `concurrency` handlers of a subscription at once', async () => {
      const t = topic();
      let inFlight = 0;
      let maxInFlight = 0;
      let done = 0;
      const w = waiter(
        () => done === 40,
        timeoutMs,
        () => `handled ${done}/40`,
      );
      await subscribe(
        t,
        'sub',
        async () => {
          maxInFlight = Math.max(maxInFlight, ++inFlight);
          await new Promise((r) => setTimeout(r, 5));
          inFlight--;
          done++;
          w.check();
        },
        { ordered: false, concurrency: 3 },
      );
      await backend.publish(t, makeEvents(40));
      await w.done;
      expect(maxInFlight).toBeLessThanOrEqual(3);
      expect(maxInFlight).toBeGreaterThan(0);
    });

    test('MUST deliver to each subscription independently (a failing subscription does not hold back another)', async () => {
      const t = topic();
      const ok: string[] = [];
      const w = waiter(
        () => ok.length === 5,
        timeoutMs,
        () => `healthy subscription got ${ok.length}/5`,
      );
      await subscribe(t, 'failing', async () => {
        throw new Error('always fails');
      });
      await subscribe(t, 'healthy', async (e) => {
        ok.push(e.attributes['id']!);
        w.check();
      });
      await backend.publish(t, makeEvents(5));
      await w.done;
    });
  });
}

/** Resolves `done` when `predicate` holds at a `check()`; rejects after `timeoutMs` with `describe()`. */
function waiter(predicate: () => boolean, timeoutMs: number, describeState: () => string) {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const timer = setTimeout(
    () => reject(new Error(`timed out after ${timeoutMs} ms: ${describeState()}`)),
    timeoutMs,
  );
  const check = (): void => {
    if (predicate()) {
      clearTimeout(timer);
      resolve();
    }
  };
  return { done, check };
}
