/** Test helpers: the local RabbitMQ (127.0.0.1:5672, guest/guest) and cleanup of what tests declared. */
import amqp from 'amqplib';

/** URL of the test server (override with RABBITMQ_URL). */
export const RABBITMQ_URL = process.env['RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Deletes queues and exchanges (missing ones are fine). */
export async function deleteTopology(names: { exchanges?: string[]; queues?: string[] }): Promise<void> {
  const conn = await amqp.connect(RABBITMQ_URL);
  try {
    for (const q of names.queues ?? []) {
      const ch = await conn.createChannel();
      await ch.deleteQueue(q).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
    for (const e of names.exchanges ?? []) {
      const ch = await conn.createChannel();
      await ch.deleteExchange(e).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
  } finally {
    await conn.close().catch(() => undefined);
  }
}
