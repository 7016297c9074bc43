/** The broker publisher against the local RabbitMQ: what cannot be a message is refused at once. */
import { afterAll, expect, it } from 'vitest';
import { createRabbitmqBackend, type RabbitmqBackend } from '../src/index.js';
import { RABBITMQ_URL, deleteTopology } from './support.js';

const created: RabbitmqBackend[] = [];
afterAll(async () => {
  for (const b of created) await b.close({ drainMs: 100 });
  await deleteTopology({ exchanges: created.flatMap((b) => b.declared().exchanges) });
});

const event = (id: string, extra: Record<string, string> = {}) => ({
  attributes: { specversion: '1.0', id, source: '/test', type: 't', ...extra },
  data: new Uint8Array(Buffer.from('{}')),
});

it('rejects an event whose id or datacontenttype is longer than an AMQP short string, and goes on publishing', async () => {
  const b = createRabbitmqBackend({ url: RABBITMQ_URL, pendingTimeoutMs: 60_000 });
  created.push(b);
  await b.start();
  const topic = `tributary-test-publisher-${process.pid}-${Date.now()}`;
  await expect(b.publish(topic, [event('x'.repeat(300))])).rejects.toMatchObject({
    code: 'TRIB_ERR_EVENT_UNSUPPORTED',
    attribute: 'id',
    message: expect.stringContaining("attribute 'id' is 300 bytes"),
  });
  await expect(
    b.publish(topic, [event('ok-1', { datacontenttype: `text/${'p'.repeat(300)}` })]),
  ).rejects.toMatchObject({ code: 'TRIB_ERR_EVENT_UNSUPPORTED', attribute: 'datacontenttype' });
  // 100 characters of three UTF-8 bytes each: short in characters, too long in bytes.
  await expect(b.publish(topic, [event('€'.repeat(100))])).rejects.toMatchObject({
    code: 'TRIB_ERR_EVENT_UNSUPPORTED',
    message: expect.stringContaining('300 bytes'),
  });
  // One bad event refuses the whole request before any of it is published.
  await expect(b.publish(topic, [event('ok-0'), event('z'.repeat(256))])).rejects.toMatchObject({
    code: 'TRIB_ERR_EVENT_UNSUPPORTED',
  });
  expect(b.unconfirmed).toBe(0);
  await expect(b.publish(topic, [event('y'.repeat(255))])).resolves.toBeUndefined();
  await expect(b.publish(topic, [event('€'.repeat(85))])).resolves.toBeUndefined();
  await expect(b.publish(topic, [event('ok-2'), event('ok-3')])).resolves.toBeUndefined();
  // Larger than one frame (131072 bytes): amqplib's path, which splits the body.
  await expect(
    b.publish(topic, [{ ...event('big'), data: new Uint8Array(300_000) }]),
  ).resolves.toBeUndefined();
  expect(b.unconfirmed).toBe(0);
});
