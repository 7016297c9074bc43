// The stream consumer's delivery paths: the unordered first delivery (the handler's promise with
// one continuation, XACKed through the batcher's callback) and its slow paths (a synchronous
// throw, a rejection, RedeliverLaterError with a retry queue, a failed XACK), and close() waiting
// for running handlers.
import { randomUUID } from 'node:crypto';
import {
  type CloudEvent,
  type EventHandler,
  type Logger,
  RedeliverLaterError,
  type Subscription,
  silentLogger,
} from '@tributary/core';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeEntry } from '../src/codec.js';
import type { RetryQueue } from '../src/retry-queue.js';
import { RespSender } from '../src/resp.js';
import { startStreamConsumer } from '../src/stream-consumer.js';

const connection = { host: '127.0.0.1', port: 6379 };
const admin = new Redis(connection);
const keys: string[] = [];

afterAll(async () => {
  if (keys.length > 0) await admin.del(...keys);
  admin.disconnect();
});

const connected = async (): Promise<Redis> => {
  const r = new Redis(connection);
  await r.ping();
  return r;
};

const until = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
};

/** IDs (attribute `id`) of the entries still pending in group `g`. */
async function pendingIds(stream: string): Promise<string[]> {
  const pend = (await admin.xpending(stream, 'g', '-', '+', 100)) as Array<[string]>;
  const out: string[] = [];
  for (const [entryId] of pend) {
    const [[, fields]] = (await admin.xrange(stream, entryId, entryId)) as [[string, string[]]];
    out.push((JSON.parse(fields[1]!) as { id: string }).id);
  }
  return out.sort();
}

interface Setup {
  readonly handler: EventHandler;
  readonly sender?: boolean;
  readonly ordered?: boolean;
  readonly retryQueue?: RetryQueue;
  readonly minIdleMs?: number;
  readonly logger?: Logger;
  /** Wraps the shared connection before the consumer gets it (e.g. to fail XACKs). */
  readonly patch?: (redis: Redis) => void;
}

async function consume(s: Setup) {
  const stream = `stream-consumer-test-${randomUUID()}`;
  keys.push(stream);
  const redis = await connected();
  const blocking = await connected();
  await redis.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');
  s.patch?.(redis);
  const sub: Subscription = startStreamConsumer({
    redis,
    ...(s.sender === false ? {} : { sender: new RespSender(redis) }),
    blocking,
    stream,
    group: 'g',
    consumer: 'c',
    handler: s.handler,
    ordered: s.ordered ?? false,
    concurrency: 8,
    readCount: 8,
    minIdleMs: s.minIdleMs ?? 200,
    claimIntervalMs: 50,
    retryQueue: s.retryQueue,
    logger: s.logger ?? silentLogger,
  });
  const publish = async (...ids: string[]): Promise<void> => {
    for (const id of ids) await admin.xadd(stream, '*', ...encodeEntry({ attributes: { id } }));
  };
  const close = async (drainMs?: number): Promise<void> => {
    await sub.close(drainMs === undefined ? undefined : { drainMs });
    redis.disconnect();
  };
  return { stream, publish, close };
}

describe.each([true, false])('stream consumer, unordered (pre-encoded XACKs: %s)', (sender) => {
  it('a synchronous throw and a rejection leave the entry pending; it comes back as delivery 2', async () => {
    const counts = new Map<string, number[]>();
    const c = await consume({
      sender,
      handler: (e, { deliveryCount }) => {
        const id = e.attributes['id']!;
        counts.set(id, [...(counts.get(id) ?? []), deliveryCount]);
        if (deliveryCount === 1 && id === 'sync') throw new Error('sync throw');
        if (deliveryCount === 1 && id === 'async') return Promise.reject(new Error('rejected'));
        return Promise.resolve();
      },
    });
    try {
      await c.publish('sync', 'async', 'ok');
      await until(() => counts.get('ok')?.length === 1 && counts.get('sync')?.length === 1);
      await until(() => counts.get('async')?.length === 1);
      // The two failed entries are still pending right after their first delivery.
      expect(await pendingIds(c.stream)).toEqual(expect.arrayContaining(['async', 'sync']));
      await until(() => counts.get('sync')?.length === 2 && counts.get('async')?.length === 2);
      for (let i = 0; i < 100 && (await pendingIds(c.stream)).length > 0; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(await pendingIds(c.stream)).toEqual([]);
      expect(counts.get('sync')).toEqual([1, 2]);
      expect(counts.get('async')).toEqual([1, 2]);
      expect(counts.get('ok')).toEqual([1]);
    } finally {
      await c.close(100);
    }
  }, 30_000);

  it('a handler that answers with no promise is acknowledged', async () => {
    const got: string[] = [];
    const c = await consume({
      sender,
      handler: ((e: CloudEvent) => {
        got.push(e.attributes['id']!);
      }) as unknown as EventHandler,
      minIdleMs: 30_000,
    });
    try {
      await c.publish('a', 'b');
      await until(() => got.length === 2);
      for (let i = 0; i < 100 && (await pendingIds(c.stream)).length > 0; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(await pendingIds(c.stream)).toEqual([]);
      expect(got).toEqual(['a', 'b']);
    } finally {
      await c.close(100);
    }
  }, 30_000);
});

describe('stream consumer, RedeliverLaterError with a retry queue', () => {
  const later = (): RedeliverLaterError => new RedeliverLaterError(60_000, 3);
  const queue = (schedule: RetryQueue['schedule']): RetryQueue => ({
    minDelayMs: 1000,
    schedule,
    close: async () => undefined,
  });

  it('persists the retry, then acknowledges the entry (both for a throw and a rejection)', async () => {
    const scheduled: Array<[string, number, number]> = [];
    const c = await consume({
      minIdleMs: 30_000,
      handler: (e, info) => {
        expect(info.deferral).toEqual({ minDelayMs: 1000 });
        if (e.attributes['id'] === 'sync') throw later();
        return Promise.reject(later());
      },
      retryQueue: queue(async (e, err, count) => {
        await new Promise((r) => setTimeout(r, 20));
        scheduled.push([e.attributes['id']!, err.delayMs, count]);
      }),
    });
    try {
      await c.publish('sync', 'async');
      await until(() => scheduled.length === 2);
      for (let i = 0; i < 100 && (await pendingIds(c.stream)).length > 0; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(await pendingIds(c.stream)).toEqual([]);
      expect(scheduled.sort()).toEqual([
        ['async', 60_000, 1],
        ['sync', 60_000, 1],
      ]);
    } finally {
      await c.close(100);
    }
  }, 30_000);

  it('leaves the entry pending when the retry could not be persisted', async () => {
    let tries = 0;
    const warned: string[] = [];
    const logger = { ...silentLogger, warn: (_o: unknown, msg: string) => void warned.push(msg) };
    const c = await consume({
      minIdleMs: 30_000,
      handler: () => Promise.reject(later()),
      retryQueue: queue(async () => {
        tries++;
        throw new Error('redis down');
      }),
      logger: logger as Logger,
    });
    try {
      await c.publish('x');
      await until(() => tries === 1 && warned.length === 1);
      expect(await pendingIds(c.stream)).toEqual(['x']);
      expect(warned[0]).toMatch(/stays pending/);
    } finally {
      await c.close(100);
    }
  }, 30_000);
});

describe('stream consumer, failed XACK', () => {
  it.each([true, false])(
    'leaves the entry pending and frees its slot (pre-encoded XACKs: %s)',
    async (sender) => {
      let failNext = true;
      const got: string[] = [];
      const warned: string[] = [];
      const logger = { ...silentLogger, warn: (_o: unknown, msg: string) => void warned.push(msg) };
      const c = await consume({
        sender,
        minIdleMs: 30_000,
        logger: logger as Logger,
        handler: async (e) => void got.push(e.attributes['id']!),
        patch: (redis) => {
          // The first XACK fails (either path: redis.xack, or the pre-encoded one through the
          // sender, which ends in sendCommand).
          const send = redis.sendCommand.bind(redis);
          type Cmd = { name: string; reject: (e: Error) => void; promise: Promise<unknown> };
          redis.sendCommand = ((cmd: Cmd) => {
            if (cmd.name.toLowerCase() === 'xack' && failNext) {
              failNext = false;
              cmd.reject(new Error('XACK refused'));
              return cmd.promise;
            }
            return send(cmd as never);
          }) as typeof redis.sendCommand;
        },
      });
      try {
        await c.publish('first');
        await until(() => warned.length === 1);
        expect(await pendingIds(c.stream)).toEqual(['first']);
        await c.publish('second');
        await until(() => got.includes('second'));
        for (let i = 0; i < 100 && (await pendingIds(c.stream)).length > 1; i++)
          await new Promise((r) => setTimeout(r, 20));
        expect(await pendingIds(c.stream)).toEqual(['first']);
      } finally {
        await c.close(100);
      }
    },
    30_000,
  );
});

describe('stream consumer close', () => {
  it.each([false, true])(
    'waits for running handlers and their XACK (ordered: %s)',
    async (ordered) => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const ran: string[] = [];
      let started = 0;
      let finished = 0;
      const c = await consume({
        ordered,
        minIdleMs: 30_000,
        handler: async (e) => {
          started++;
          ran.push(e.attributes['id']!);
          await gate;
          finished++;
        },
      });
      await c.publish('a', 'b');
      await until(() => started >= 1);
      let closed = false;
      const closing = c.close(10_000).then(() => (closed = true));
      await new Promise((r) => setTimeout(r, 100));
      expect(closed).toBe(false);
      release();
      await closing;
      expect(finished).toBe(started);
      // What ran was acknowledged before close resolved.
      const pending = await pendingIds(c.stream);
      for (const id of ran) expect(pending).not.toContain(id);
    },
    30_000,
  );

  it('gives up waiting after drainMs; the entry stays pending', async () => {
    let started = 0;
    const c = await consume({
      minIdleMs: 30_000,
      handler: () => {
        started++;
        return new Promise<void>(() => undefined);
      },
    });
    await c.publish('stuck');
    await until(() => started === 1);
    const t0 = Date.now();
    await c.close(200);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(await pendingIds(c.stream)).toEqual(['stuck']);
  }, 30_000);
});
