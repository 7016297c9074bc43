import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import type { DeadLetterStore, Logger } from '@tributary/core';
import { type DeadLetterLogBackend, createLogBackedDeadLetterStore } from '@tributary/broker';

/**
 * A broker's dead-letter store on Kafka (docs/kafka.md, docs/failed-deliveries.md): a topic per
 * broker, `tributary.deadletters.<ns>.<name>` (one partition; every record has the same key), holding
 * the log of records of a log-backed store (@tributary/broker's log-backed-store.ts: index, read-back,
 * compaction). Each store reads the topic from the beginning (its own throw-away consumer group, no
 * committed offsets) and keeps tailing it, so several processes share the store; appends are acked
 * by all in-sync replicas (acks=all). After a compaction the records up to its marker are dropped
 * with DeleteRecords (the topic keeps `cleanup.policy=delete`).
 */

/** Topic of a broker's dead-letter store. */
export function deadLetterTopicName(broker: { namespace: string; name: string }): string {
  return `tributary.deadletters.${broker.namespace}.${broker.name}`;
}

export interface KafkaDeadLetterStoreOptions {
  readonly kafka: Kafka;
  readonly producer: Producer;
  readonly admin: Admin;
  readonly broker: { namespace: string; name: string };
  readonly replicationFactor?: number | undefined;
  readonly sessionTimeoutMs?: number | undefined;
  readonly heartbeatIntervalMs?: number | undefined;
  readonly logger: Logger;
  /** Records that no longer matter before the log is compacted. @default 1000 */
  readonly compactAfter?: number | undefined;
}

export function createKafkaDeadLetterStore(o: KafkaDeadLetterStoreOptions): DeadLetterStore {
  const topic = deadLetterTopicName(o.broker);

  async function ensureTopic(): Promise<void> {
    try {
      await o.admin.createTopics({
        topics: [{ topic, numPartitions: 1, replicationFactor: o.replicationFactor ?? 3 }],
        waitForLeaders: true,
      });
    } catch {
      // As for broker topics: fall back to automatic creation (the mock cluster refuses CreateTopics).
      await o.admin.fetchTopicMetadata({ topics: [topic] });
    }
  }

  const log: DeadLetterLogBackend = {
    kind: 'kafka',
    async open(onRecord) {
      await ensureTopic();
      const consumer: Consumer = o.kafka.consumer({
        groupId: `tributary-deadletters-${randomUUID()}`,
        sessionTimeout: o.sessionTimeoutMs ?? 30_000,
        heartbeatInterval: o.heartbeatIntervalMs ?? 3_000,
        // A write waits to read itself back: poll briskly rather than Kafka's 5 s long poll.
        maxWaitTimeInMs: 250,
      });
      /** The partition the records land in (one key; an auto-created topic may have more). */
      let partition = 0;
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ message, partition: p }) => {
          partition = p;
          onRecord(Number(message.offset), message.value);
          return Promise.resolve();
        },
      });
      let truncateRefused = false;
      return {
        async append(record) {
          await o.producer.send({
            topic,
            acks: -1,
            messages: [{ key: 'deadletters', value: JSON.stringify(record) }],
          });
        },
        async truncate(upTo) {
          if (truncateRefused) return;
          try {
            await o.admin.deleteTopicRecords({
              topic,
              partitions: [{ partition, offset: String(upTo + 1) }],
            });
          } catch (err) {
            // librdkafka's mock cluster does not implement DeleteRecords (docs/kafka.md).
            truncateRefused = true;
            o.logger.warn(
              { topic, err: (err as Error).message },
              'DeleteRecords refused: the dead-letter topic keeps its compacted records',
            );
          }
        },
        close: () => consumer.disconnect(),
      };
    },
  };
  return createLogBackedDeadLetterStore(log, {
    logger: o.logger,
    name: topic,
    compactAfter: o.compactAfter,
  });
}
