/**
 * The data path of a KafkaSink: a kafkajs producer (loaded at first use) that writes each event
 * as one record, acks -1, key = the `partitionkey` extension; binary mode puts attributes in
 * `ce_` headers, structured mode writes the JSON event format with
 * `content-type: application/cloudevents+json`.
 */
import {
  type CloudEvent,
  type Logger,
  STRUCTURED_CONTENT_TYPE,
  type Topology,
  toStructured,
} from '@tributary/core';
import type { Producer } from 'kafkajs';
import { securityFromSecret } from '../kafka-provider.js';
import { PARTITION_KEY_EXTENSION, encodeRecord, type OutgoingRecord } from '../record-codec.js';
import type { KafkaSink, KafkaSinkContentMode } from './kafka-sink-resource.js';

/** A started KafkaSink writer. */
export interface KafkaSinkWriter {
  /** Resolves once Kafka acknowledged every record (acks -1). */
  write(events: readonly CloudEvent[]): Promise<void>;
  close(): Promise<void>;
}

/** Encodes one event as the record a KafkaSink writes in `mode`. */
export function kafkaSinkRecord(event: CloudEvent, mode: KafkaSinkContentMode): OutgoingRecord {
  if (mode === 'binary') return encodeRecord(event);
  const key = event.attributes[PARTITION_KEY_EXTENSION];
  return {
    key: key === undefined ? null : Buffer.from(key, 'utf8'),
    value: Buffer.from(JSON.stringify(toStructured(event)), 'utf8'),
    headers: { 'content-type': STRUCTURED_CONTENT_TYPE },
  };
}

/** Connects a producer for the sink (and creates its topic when the cluster allows it). */
export async function startKafkaSinkWriter(
  sink: KafkaSink,
  topology: Topology,
  logger: Logger,
): Promise<KafkaSinkWriter> {
  const { Kafka, logLevel } = await import('kafkajs');
  const { kafkaLogCreator } = await import('../kafka-backend.js');
  const security = securityFromSecret(
    topology,
    sink.metadata.namespace,
    sink.spec.auth?.secret?.ref.name,
  );
  const { useFastKafkaCodec } = await import('../wire/kafkajs-codec.js');
  const { stopRequestQueueTimerLoop } = await import('../wire/kafkajs-request-queue.js');
  useFastKafkaCodec();
  stopRequestQueueTimerLoop();
  const kafka = new Kafka({
    clientId: `tributary-kafkasink-${sink.metadata.namespace}-${sink.metadata.name}`,
    brokers: [...sink.spec.bootstrapServers],
    ...security,
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(logger),
    retry: { retries: 5, initialRetryTime: 100 },
  });
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: true });
  const admin = kafka.admin();
  await admin.connect();
  await producer.connect();
  const topic = sink.spec.topic;
  try {
    await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: sink.spec.numPartitions ?? 1,
          replicationFactor: sink.spec.replicationFactor ?? 1,
        },
      ],
    });
  } catch (err) {
    // e.g. librdkafka's mock cluster or restricted ACLs: the first produce creates the topic.
    logger.debug(
      { topic, err: (err as Error).message },
      'createTopics failed; relying on auto-creation',
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  const mode = sink.spec.contentMode;
  return {
    async write(events) {
      await producer.send({
        topic,
        acks: -1,
        messages: events.map((e) => kafkaSinkRecord(e, mode)),
      });
    },
    close: () => producer.disconnect().catch(() => undefined),
  };
}
