import { randomUUID } from 'node:crypto';
import { type CloudEvent, type Subscription, silentLogger } from '@tributary/core';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RespSender, xaddEncoder } from '../src/resp.js';
import { startStreamConsumer } from '../src/stream-consumer.js';
import { XackBatcher } from '../src/xack-batcher.js';

const connection = { host: '127.0.0.1', port: 6379 };
const admin = new Redis(connection);
const keys: string[] = [];
const key = (): string => {
  const k = `shared-writes-test-${randomUUID()}`;
  keys.push(k);
  return k;
};

afterAll(async () => {
  if (keys.length > 0) await admin.del(...keys);
  admin.disconnect();
});

/** Records what goes through the socket of `redis`, one string per socket-level write. */
function recordWrites(redis: Redis): string[] {
  const writes: string[] = [];
  const socket = redis.stream as unknown as {
    _write(chunk: unknown, enc: unknown, cb: unknown): void;
    _writev(chunks: Array<{ chunk: unknown }>, cb: unknown): void;
  };
  const write = socket._write.bind(socket);
  const writev = socket._writev.bind(socket);
  socket._write = (chunk, enc, cb) => {
    writes.push(String(chunk));
    write(chunk, enc, cb);
  };
  socket._writev = (chunks, cb) => {
    writes.push(chunks.map((c) => String(c.chunk)).join(''));
    writev(chunks, cb);
  };
  return writes;
}

const connected = async (): Promise<Redis> => {
  const r = new Redis(connection);
  await r.ping();
  return r;
};

describe('RespSender.atFlush', () => {
  it('runs the callback at the end of the turn, and what it sends joins the turn’s write', async () => {
    const redis = await connected();
    try {
      const stream = key();
      const sender = new RespSender(redis);
      const encode = xaddEncoder(stream, 0);
      const writes = recordWrites(redis);
      const order: string[] = [];
      let late: Promise<unknown> | undefined;
      sender.atFlush(() => {
        order.push('flush');
        late = sender.send('xlen', `*2\r\n$4\r\nXLEN\r\n$${stream.length}\r\n${stream}\r\n`);
      });
      const added = [0, 1, 2].map((i) =>
        sender.send('xadd', encode({ attributes: { id: `${i}` } })),
      );
      order.push('sync');
      await Promise.all(added);
      expect(order).toEqual(['sync', 'flush']);
      // XLEN went out after the three XADDs, in the same socket write, and counts them.
      expect(await late).toBe(3);
      expect(writes).toHaveLength(1);
      expect(writes[0]!.match(/XADD/g)).toHaveLength(3);
      expect(writes[0]).toContain('XLEN');
    } finally {
      redis.disconnect();
    }
  });

  it('runs a callback registered from another callback, in a later flush', async () => {
    const redis = await connected();
    try {
      const sender = new RespSender(redis);
      const ran = await new Promise<string[]>((resolve) => {
        const seen: string[] = [];
        sender.atFlush(() => {
          seen.push('first');
          sender.atFlush(() => {
            seen.push('second');
            resolve(seen);
          });
        });
      });
      expect(ran).toEqual(['first', 'second']);
    } finally {
      redis.disconnect();
    }
  });
});

describe('XackBatcher with a sender', () => {
  it('sends the turn’s acknowledgements as one XACK in the same write as the turn’s XADDs', async () => {
    const redis = await connected();
    try {
      const stream = key();
      await redis.xgroup('CREATE', stream, 'g', '0', 'MKSTREAM');
      const sender = new RespSender(redis);
      const encode = xaddEncoder(stream, 0);
      for (let i = 0; i < 3; i++) await sender.send('xadd', encode({ attributes: { id: `${i}` } }));
      const read = (await redis.xreadgroup('GROUP', 'g', 'c', 'STREAMS', stream, '>')) as Array<
        [string, Array<[string, string[]]>]
      >;
      const ids = read[0]![1].map(([id]) => id);
      const batcher = new XackBatcher(redis, stream, 'g', sender);
      const writes = recordWrites(redis);
      // The XADD first: an XACK sent from a `setImmediate` of its own would miss its write.
      const added = sender.send('xadd', encode({ attributes: { id: 'more' } }));
      const acked = ids.map((id) => batcher.ack(id));
      await Promise.all([...acked, added]);
      expect(writes).toHaveLength(1);
      expect(writes[0]!.match(/XACK/g)).toHaveLength(1);
      for (const id of ids) expect(writes[0]).toContain(id);
      expect(writes[0]).toContain('XADD');
      expect(((await redis.xpending(stream, 'g')) as unknown[])[0]).toBe(0);
    } finally {
      redis.disconnect();
    }
  });
});

describe('stream consumer reads', () => {
  async function consume(
    stream: string,
    sender: boolean,
    onEvent?: (id: string, redis: Redis) => void,
  ) {
    const redis = await connected();
    const blocking = await connected();
    await redis.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');
    const s = new RespSender(redis);
    const got: string[] = [];
    const mainWrites = recordWrites(redis);
    const blockingWrites = recordWrites(blocking);
    const sub: Subscription = startStreamConsumer({
      redis,
      ...(sender ? { sender: s } : {}),
      blocking,
      stream,
      group: 'g',
      consumer: 'c',
      handler: async (e: CloudEvent) => {
        got.push(e.attributes['id']!);
        onEvent?.(e.attributes['id']!, redis);
      },
      ordered: false,
      concurrency: 8,
      readCount: 4,
      minIdleMs: 30_000,
      claimIntervalMs: 30_000,
      logger: silentLogger,
    });
    return { redis, s, got, mainWrites, blockingWrites, sub };
  }
  const until = async (cond: () => boolean): Promise<void> => {
    for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(cond()).toBe(true);
  };
  const reads = (writes: string[]): number =>
    writes.reduce((n, w) => n + (w.match(/XREADGROUP/gi)?.length ?? 0), 0);

  it('polls on the shared connection while reads find entries, and blocks again once one finds none', async () => {
    const stream = key();
    const c = await consume(stream, true);
    try {
      const encode = xaddEncoder(stream, 0);
      // 40 entries at once, read 4 at a time: after the first (blocking) read, the reads that
      // follow find entries and go out on the shared connection without BLOCK.
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          c.s.send('xadd', encode({ attributes: { id: `${i}` } })),
        ),
      );
      await until(() => c.got.length === 40);
      expect(new Set(c.got).size).toBe(40);
      const polls = c.mainWrites.filter((w) => /XREADGROUP/.test(w));
      expect(polls.length).toBeGreaterThanOrEqual(9);
      expect(polls.every((w) => !w.includes('BLOCK'))).toBe(true);
      await new Promise((r) => setTimeout(r, 100));
      expect(((await admin.xpending(stream, 'g')) as unknown[])[0]).toBe(0);
      // Quiet again: the next entry is found by a blocking read, and after the poll that follows
      // it (which finds nothing) the consumer blocks once more.
      const blockingBefore = reads(c.blockingWrites);
      await c.s.send('xadd', encode({ attributes: { id: 'later' } }));
      await until(() => c.got.includes('later'));
      await new Promise((r) => setTimeout(r, 100));
      expect(reads(c.blockingWrites)).toBeGreaterThan(blockingBefore);
      expect(c.blockingWrites.at(-1)).toMatch(/BLOCK/);
    } finally {
      await c.sub.close({ drainMs: 1000 });
      c.redis.disconnect();
    }
  });

  it('without a sender, reads only on the blocking connection', async () => {
    const stream = key();
    const c = await consume(stream, false);
    try {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          admin.xadd(stream, '*', 'a', JSON.stringify({ id: `${i}` })),
        ),
      );
      await until(() => c.got.length === 20);
      expect(reads(c.mainWrites)).toBe(0);
      expect(reads(c.blockingWrites)).toBeGreaterThanOrEqual(5);
    } finally {
      await c.sub.close({ drainMs: 1000 });
      c.redis.disconnect();
    }
  });

  it('closes without waiting for a poll the shared connection does not answer', async () => {
    const stream = key();
    const c = await consume(stream, true, (id, redis) => {
      // The last entry of a full batch: the next read is a poll on the shared connection, whose
      // reply (like the XACKs') is never read once its socket stops reading.
      if (id === '3') redis.stream.pause();
    });
    try {
      const encode = xaddEncoder(stream, 0);
      await admin.xadd(stream, '*', 'a', JSON.stringify({ id: 'first' }));
      await until(() => c.got.length === 1);
      await new Promise((r) => setTimeout(r, 50));
      await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          c.s.send('xadd', encode({ attributes: { id: `${i}` } })),
        ),
      );
      await until(() => c.got.length === 5);
      await new Promise((r) => setTimeout(r, 50));
      expect(c.mainWrites.at(-1)).toMatch(/XREADGROUP/);
      const t0 = Date.now();
      await c.sub.close({ drainMs: 300 });
      expect(Date.now() - t0).toBeLessThan(3000);
    } finally {
      c.redis.stream.resume();
      c.redis.disconnect();
    }
  });
});
