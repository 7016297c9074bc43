import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RespSender, xaddEncoder } from '../src/resp.js';
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
