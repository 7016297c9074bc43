/**
 * publish-frames.ts writes what amqplib writes: the bytes are compared with amqplib's own encoder
 * (its `defs`, `api_args` and `frame` modules, as `Connection.sendMessage` calls them), and a
 * message published both ways through the local RabbitMQ arrives the same.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import amqp from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { ACCEPTED_AT_HEADER } from '../src/codec.js';
import { encodePublishFrames, framePublisher } from '../src/publish-frames.js';
import { RABBITMQ_URL, deleteTopology } from './support.js';

const require = createRequire(import.meta.url);
const lib = path.join(path.dirname(require.resolve('amqplib')), 'lib');
const defs = require(path.join(lib, 'defs.js')) as {
  BasicPublish: number;
  BasicProperties: number;
  encodeMethod(id: number, channel: number, fields: unknown): Buffer;
  encodeProperties(id: number, channel: number, size: number, fields: unknown): Buffer;
};
const Args = require(path.join(lib, 'api_args.js')) as {
  publish(exchange: string, routingKey: string, options: unknown): unknown;
};
const frame = require(path.join(lib, 'frame.js')) as {
  makeBodyFrame(channel: number, body: Buffer): Buffer;
};

/** What amqplib writes for the broker's publish (publisher.ts's fallback path). */
function amqplibBytes(
  channel: number,
  exchange: string,
  attributes: Record<string, unknown>,
  stamp: string,
  body: Buffer,
): Buffer {
  const a = attributes;
  const options = {
    persistent: true,
    headers: { ...a, [ACCEPTED_AT_HEADER]: stamp },
    ...(a['datacontenttype'] !== undefined && { contentType: a['datacontenttype'] }),
    messageId: a['id'],
  };
  const fields = Args.publish(exchange, '', options);
  const parts = [
    defs.encodeMethod(defs.BasicPublish, channel, fields),
    defs.encodeProperties(defs.BasicProperties, channel, body.length, fields),
  ];
  if (body.length > 0) parts.push(frame.makeBodyFrame(channel, body));
  return Buffer.concat(parts);
}

const base = {
  specversion: '1.0',
  id: 'e-1',
  source: '/bench',
  type: 'bench.event',
  datacontenttype: 'application/json',
};
const cases: Array<[string, Record<string, unknown>, Buffer]> = [
  ['a binary event', base, Buffer.from('{"order":42}')],
  ['no data', base, Buffer.alloc(0)],
  ['no datacontenttype', { ...base, datacontenttype: undefined }, Buffer.from('x')],
  [
    'non-ASCII values',
    { ...base, source: '/bänch/€', subject: '日本語', id: 'ü-1' },
    Buffer.from('é'),
  ],
  [
    'extensions',
    { ...base, time: '2026-12-01T18:00:00Z', traceparent: '00-ab-cd-01', n1: '' },
    Buffer.from('b'),
  ],
  [
    'the stamp among the attributes',
    { ...base, [ACCEPTED_AT_HEADER]: 'old', z: 'last' },
    Buffer.from('b'),
  ],
  ['no id', { specversion: '1.0', source: '/s', type: 't' }, Buffer.from('b')],
  ['a large body', base, Buffer.alloc(100_000, 7)],
  ['a body of 4 KiB', base, Buffer.alloc(4096, 1)],
];

describe('encodePublishFrames', () => {
  for (const [name, attributes, body] of cases)
    it(`writes amqplib's bytes: ${name}`, () => {
      for (const channel of [1, 2, 300]) {
        const mine = encodePublishFrames(
          channel,
          131_072,
          'knative-broker-default-orders',
          attributes,
          ACCEPTED_AT_HEADER,
          '1764612000123',
          body.length > 0 ? new Uint8Array(body.buffer, body.byteOffset, body.length) : undefined,
        );
        expect(mine).toBeDefined();
        expect(
          mine!.equals(
            amqplibBytes(
              channel,
              'knative-broker-default-orders',
              attributes,
              '1764612000123',
              body,
            ),
          ),
        ).toBe(true);
      }
    });

  it('leaves to amqplib what it does not encode like amqplib', () => {
    const enc = (attrs: Record<string, unknown>, body?: Uint8Array, frameMax = 131_072) =>
      encodePublishFrames(1, frameMax, 'ex', attrs, ACCEPTED_AT_HEADER, '1', body);
    expect(enc({ ...base, id: 'x'.repeat(256) })).toBeUndefined();
    expect(enc({ ...base, datacontenttype: 'x'.repeat(256) })).toBeUndefined();
    expect(enc({ ...base, ['a'.repeat(256)]: 'v' })).toBeUndefined();
    expect(enc({ ...base, count: 3 })).toBeUndefined();
    expect(enc(base, new Uint8Array(4096), 4096)).toBeUndefined();
    expect(enc({ ...base, id: 'x'.repeat(255) })).toBeDefined();
    expect(
      encodePublishFrames(1, 131_072, 'e'.repeat(256), base, ACCEPTED_AT_HEADER, '1', undefined),
    ).toBeUndefined();
  });
});

describe('framePublisher on a RabbitMQ channel', () => {
  const queue = `tributary-test-frames-${process.pid}-${Date.now()}`;
  afterAll(() => deleteTopology({ queues: [queue] }));

  it('publishes a confirmed message that arrives as amqplib would have sent it', async () => {
    const conn = await amqp.connect(RABBITMQ_URL);
    try {
      const ch = await conn.createConfirmChannel();
      await ch.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'classic' } });
      const publish = framePublisher(ch);
      expect(publish).toBeDefined();
      const attributes = { ...base, source: '/bänch', subject: 's' };
      const body = Buffer.from('{"order":42}');
      // Through the default exchange ('' routes by queue name): the routing key is '' in our
      // frames, so bind a fanout exchange instead.
      const exchange = `${queue}.x`;
      await ch.assertExchange(exchange, 'fanout', { durable: false, autoDelete: true });
      await ch.bindQueue(queue, exchange, '');
      const confirmed = new Promise<Error | null>((resolve) =>
        expect(publish!(exchange, attributes, ACCEPTED_AT_HEADER, '42', body, resolve)).toBe(true),
      );
      expect(await confirmed).toBeNull();
      await new Promise<void>((resolve, reject) =>
        ch.publish(
          exchange,
          '',
          body,
          {
            persistent: true,
            headers: { ...attributes, [ACCEPTED_AT_HEADER]: '42' },
            contentType: attributes.datacontenttype,
            messageId: attributes.id,
          },
          (err) => (err ? reject(err) : resolve()),
        ),
      );
      const got = [];
      for (let i = 0; i < 2; i++) {
        let m: amqp.GetMessage | false = false;
        for (let t = 0; t < 50 && !m; t++) {
          m = await ch.get(queue, { noAck: true });
          if (!m) await new Promise((r) => setTimeout(r, 20));
        }
        expect(m).not.toBe(false);
        got.push(m as amqp.GetMessage);
      }
      const [a, b] = got;
      expect(a!.content.equals(body)).toBe(true);
      expect(a!.content.equals(b!.content)).toBe(true);
      expect(a!.properties).toEqual(b!.properties);
      expect(a!.properties.headers).toEqual({ ...attributes, [ACCEPTED_AT_HEADER]: '42' });
      expect(a!.properties.deliveryMode).toBe(2);
      expect(a!.properties.messageId).toBe('e-1');
      expect(a!.properties.contentType).toBe('application/json');
      await ch.deleteExchange(exchange);
      await ch.close();
      // A closed channel: nothing is sent, amqplib's publish reports it.
      expect(publish!('x', attributes, ACCEPTED_AT_HEADER, '1', body, () => undefined)).toBe(false);
    } finally {
      await conn.close();
    }
  });
});
