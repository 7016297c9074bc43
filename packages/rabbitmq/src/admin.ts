/** Maintenance helpers (tests, benchmarks, tools). */
import amqp from 'amqplib';

/** Deletes queues and exchanges over one connection (missing ones are fine). */
export async function deleteRabbitmqTopology(
  url: string,
  names: { exchanges?: readonly string[]; queues?: readonly string[] },
): Promise<void> {
  const conn = await amqp.connect(url);
  try {
    const each = async (fn: (ch: amqp.Channel) => Promise<unknown>): Promise<void> => {
      const ch = await conn.createChannel();
      ch.on('error', () => undefined);
      await fn(ch).catch(() => undefined);
      await ch.close().catch(() => undefined);
    };
    for (const q of names.queues ?? []) await each((ch) => ch.deleteQueue(q));
    for (const e of names.exchanges ?? []) await each((ch) => ch.deleteExchange(e));
  } finally {
    await conn.close().catch(() => undefined);
  }
}
