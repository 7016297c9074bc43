import type { ChannelModel, ConsumeMessage } from 'amqplib';
import type { DeadLetterStore, Logger } from '@tributary/core';
import { type DeadLetterLogBackend, createLogBackedDeadLetterStore } from '@tributary/broker';

/**
 * A broker's dead-letter store on RabbitMQ (docs/rabbitmq.md, docs/failed-deliveries.md): a stream
 * queue per broker, `tributary.deadletters.<ns>.<name>`, holding the log of records of a log-backed
 * store (@tributary/broker's log-backed-store.ts: index, read-back, compaction) that every store
 * replays from the first offset and then tails. A classic or quorum queue cannot list without
 * consuming nor remove one message in the middle; a stream can be read again from the start by
 * any number of processes, so list/get/remove work and entries survive restarts. Appends are
 * publisher-confirmed. A stream cannot drop its oldest records on demand: compaction bounds the
 * index, not the stream's size on disk (docs/rabbitmq.md, "Dead letters").
 */

/** Stream queue of a broker's dead-letter store. */
export function deadLetterQueueName(broker: { namespace: string; name: string }): string {
  return `tributary.deadletters.${broker.namespace}.${broker.name}`;
}

export function createRabbitmqDeadLetterStore(
  model: () => ChannelModel | undefined,
  broker: { namespace: string; name: string },
  logger: Logger,
  options: { compactAfter?: number } = {},
): DeadLetterStore {
  const queue = deadLetterQueueName(broker);
  const log: DeadLetterLogBackend = {
    kind: 'rabbitmq',
    async open(onRecord, onLost) {
      const m = model();
      if (!m) throw new Error('rabbitmq is not connected: the dead-letter store is unavailable');
      const publish = await m.createConfirmChannel();
      const consume = await m.createChannel();
      const broken = (err: unknown) => {
        logger.warn({ queue, err: (err as Error)?.message }, 'dead-letter store channel lost');
        onLost();
      };
      publish.on('error', broken);
      consume.on('error', broken);
      publish.on('close', onLost);
      consume.on('close', onLost);
      await publish.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'stream' } });
      await consume.prefetch(500);
      await consume.consume(
        queue,
        (msg: ConsumeMessage | null) => {
          if (!msg) return;
          consume.ack(msg);
          onRecord(Number(msg.properties.headers?.['x-stream-offset'] ?? 0), msg.content);
        },
        { noAck: false, arguments: { 'x-stream-offset': 'first' } },
      );
      return {
        append: (record) =>
          new Promise<void>((resolve, reject) =>
            publish.sendToQueue(
              queue,
              Buffer.from(JSON.stringify(record)),
              { persistent: true, contentType: 'application/json' },
              (err) =>
                err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(),
            ),
          ),
        async close() {
          await consume.close().catch(() => undefined);
          await publish.close().catch(() => undefined);
        },
      };
    },
  };
  return createLogBackedDeadLetterStore(log, { logger, name: queue, ...options });
}
