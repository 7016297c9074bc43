import { randomUUID } from 'node:crypto';
import type { CloudEvent } from '@tributary/core';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeEntry } from '../src/codec.js';
import { RespSender, xackEncoder, xaddEncoder } from '../src/resp.js';

const redis = new Redis({ host: '127.0.0.1', port: 6379 });
const keys: string[] = [];
const key = (): string => {
  const k = `resp-test-${randomUUID()}-é`;
  keys.push(k);
  return k;
};

afterAll(async () => {
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

const read = async (stream: string) =>
  (await redis.xrangeBuffer(stream, '-', '+')).map(([id, fields]) =>
    decodeEntry(id.toString(), fields),
  );

describe('pre-encoded XADD and XACK (resp.ts)', () => {
  it('writes entries that decode to the events sent, with and without data, in order', async () => {
    const stream = key();
    const sender = new RespSender(redis);
    const encode = xaddEncoder(stream, 0);
    const events: CloudEvent[] = [
      {
        attributes: { id: '1', type: 't', note: 'ünïcødé ✓ \r\n' },
        data: new Uint8Array([0, 13, 10, 255]),
      },
      { attributes: { id: '2', type: 't' } },
      { attributes: { id: '3', type: 't' }, data: new Uint8Array(0) },
      { attributes: { id: '4', type: 't' }, data: new TextEncoder().encode('x'.repeat(70_000)) },
    ];
    const ids = await Promise.all(events.map((e) => sender.send('xadd', encode(e))));
    // Replies come as Buffers: the Commands have no reply encoding, and a publish needs no ID.
    expect(ids.every((id) => /^\d+-\d+$/.test(String(id)))).toBe(true);
    // Decoded data is a Buffer (a Uint8Array): compared as plain bytes.
    const plain = (e: CloudEvent): CloudEvent =>
      e.data === undefined ? e : { ...e, data: new Uint8Array(e.data) };
    expect((await read(stream)).map(plain)).toEqual(events);
  });

  it('caps the stream with MAXLEN ~ when asked', async () => {
    const stream = key();
    const sender = new RespSender(redis);
    const encode = xaddEncoder(stream, 10);
    for (let i = 0; i < 300; i++) void sender.send('xadd', encode({ attributes: { id: `${i}` } }));
    await sender.send('xadd', encode({ attributes: { id: 'last' } }));
    const len = await redis.xlen(stream);
    expect(len).toBeLessThan(301);
    expect((await read(stream)).at(-1)?.attributes['id']).toBe('last');
  });

  it('acknowledges many IDs in one XACK and rejects on an error reply', async () => {
    const stream = key();
    const sender = new RespSender(redis);
    await redis.xgroup('CREATE', stream, 'g', '0', 'MKSTREAM');
    const encode = xaddEncoder(stream, 0);
    for (let i = 0; i < 5; i++) await sender.send('xadd', encode({ attributes: { id: `${i}` } }));
    const got = (await redis.xreadgroup('GROUP', 'g', 'c', 'STREAMS', stream, '>')) as Array<
      [string, Array<[string, string[]]>]
    >;
    const ids = got[0]![1].map(([id]) => id);
    expect(await sender.send('xack', xackEncoder(stream, 'g')(ids))).toBe(5);
    expect(((await redis.xpending(stream, 'g')) as unknown[])[0]).toBe(0);
    await redis.del(stream);
    await redis.set(stream, 'not a stream');
    await expect(sender.send('xadd', encode({ attributes: { id: 'x' } }))).rejects.toThrow(
      /WRONGTYPE/,
    );
  });

  it('keeps working across a reconnect: commands sent while disconnected wait and go out after', async () => {
    const stream = key();
    const own = new Redis({ host: '127.0.0.1', port: 6379 });
    try {
      const sender = new RespSender(own);
      const encode = xaddEncoder(stream, 0);
      await sender.send('xadd', encode({ attributes: { id: 'before' } }));
      const id = await own.client('ID');
      await redis.client('KILL', 'ID', String(id));
      const after = Array.from({ length: 20 }, (_, i) =>
        sender.send('xadd', encode({ attributes: { id: `after-${i}` } })),
      );
      await Promise.all(after);
      const ids = (await read(stream)).map((e) => e.attributes['id']);
      expect(ids[0]).toBe('before');
      expect(ids.slice(1)).toEqual(Array.from({ length: 20 }, (_, i) => `after-${i}`));
    } finally {
      own.disconnect();
    }
  });
});
