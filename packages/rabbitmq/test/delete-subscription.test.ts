import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { createRabbitmqBackend, queueName } from '../src/index.js';
import { RABBITMQ_URL, deleteTopology } from './support.js';

const topic = `tributary-test-del-${randomUUID()}`;
afterAll(() => deleteTopology({ exchanges: [topic] }));

async function queueExists(queue: string): Promise<boolean> {
  const conn = await amqp.connect(RABBITMQ_URL);
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    try {
      await ch.checkQueue(queue);
      await ch.close();
      return true;
    } catch {
      return false;
    }
  } finally {
    await conn.close().catch(() => undefined);
  }
}

describe('RabbitmqBackend.deleteSubscription', () => {
  it('deletes the queue of a closed subscription, so it stops collecting events', async () => {
    const b = createRabbitmqBackend({ url: RABBITMQ_URL, queueType: 'classic' });
    await b.start();
    try {
      const sub = await b.subscribe(topic, 'per-process', async () => undefined, {
        ordered: false,
        concurrency: 1,
      });
      const queue = queueName(topic, 'per-process');
      expect(await queueExists(queue)).toBe(true);
      await sub.close();
      await b.deleteSubscription(topic, 'per-process');
      expect(await queueExists(queue)).toBe(false);
      expect(b.declared().queues).not.toContain(queue);
    } finally {
      await b.close({ drainMs: 0 });
    }
  });
});
