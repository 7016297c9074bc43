/**
 * Runs one KafkaSource: `consumers` members of its consumer group read its topics, map each
 * record (§7.4) and send it to the sink (retries per `spec.delivery`, none when absent; then the
 * dead-letter sink). A record's offset is committed once the sink or the dead-letter sink
 * accepted it, or both gave up (Knative commits then too); never before.
 */
import type { DeliveryTarget } from '@tributary/broker';
import {
  type Logger,
  type Loaded,
  type Topology,
  compileDelivery,
  resolveSecretKeyRef,
} from '@tributary/core';
import { createSourceSink } from '@tributary/sources';
import { Kafka } from 'kafkajs';
import { type KafkaSecurity, kafkaSecurity } from '../auth.js';
import { type GroupConsumer, startGroupConsumer } from '../group-consumer.js';
import { kafkaLogCreator } from '../kafka-backend.js';
import { KEY_TYPE_LABEL, type KafkaSource, type KeyType } from './kafka-source-resource.js';
import { sourceRecordEvent } from './source-record.js';

/** A running KafkaSource. */
export interface KafkaSourceRunner {
  stop(drainMs: number): Promise<void>;
}

export interface KafkaSourceRunnerOptions {
  readonly source: Loaded<KafkaSource>;
  readonly topology: Topology;
  readonly sink: DeliveryTarget;
  readonly deadLetter?: DeliveryTarget | undefined;
  readonly logger: Logger;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Consumer group timing; defaults suit a real cluster. */
  readonly sessionTimeoutMs?: number;
  readonly rebalanceTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
}

/** The consumer group of a KafkaSource: `spec.consumerGroup`, else `knative-kafka-source-<ns>-<name>`. */
export function sourceConsumerGroup(s: Loaded<KafkaSource>): string {
  return s.spec.consumerGroup ?? `knative-kafka-source-${s.metadata.namespace}-${s.metadata.name}`;
}

/** kafkajs security options from `spec.net` (values resolved from Secrets or the environment). */
export function sourceSecurity(
  s: Loaded<KafkaSource>,
  topology: Topology,
  env?: Readonly<Record<string, string | undefined>>,
): KafkaSecurity {
  const net = s.spec.net;
  const read = (v: { secretKeyRef?: { name: string; key: string } | undefined } | undefined) =>
    v?.secretKeyRef
      ? resolveSecretKeyRef(topology, s.metadata.namespace, v.secretKeyRef, env)
      : undefined;
  const sasl = net?.sasl?.enable === true;
  const tls = net?.tls?.enable === true;
  return kafkaSecurity(
    {
      protocol: sasl ? (tls ? 'SASL_SSL' : 'SASL_PLAINTEXT') : tls ? 'SSL' : 'PLAINTEXT',
      saslMechanism: sasl ? read(net?.sasl?.type) : undefined,
      user: sasl ? read(net?.sasl?.user) : undefined,
      password: sasl ? read(net?.sasl?.password) : undefined,
      caCert: tls ? read(net?.tls?.caCert) : undefined,
      userCert: tls ? read(net?.tls?.cert) : undefined,
      userKey: tls ? read(net?.tls?.key) : undefined,
    },
    `KafkaSource ${s.metadata.namespace}/${s.metadata.name} spec.net`,
  );
}

/** Starts a KafkaSource; resolves once every consumer joined its group. */
export async function startKafkaSource(o: KafkaSourceRunnerOptions): Promise<KafkaSourceRunner> {
  const s = o.source;
  const { namespace, name } = s.metadata;
  const keyType = (s.metadata.labels?.[KEY_TYPE_LABEL] ?? 'string') as KeyType;
  const abort = new AbortController();
  const kafka = new Kafka({
    clientId: `kafkasource-${namespace}-${name}`,
    brokers: s.spec.bootstrapServers,
    ...sourceSecurity(s, o.topology, o.env),
    logCreator: kafkaLogCreator(o.logger),
    retry: { retries: 5, initialRetryTime: 100 },
  });
  const admin = kafka.admin();
  await admin.connect();
  const policy = compileDelivery(s.spec.delivery, {});
  const send = createSourceSink({
    target: o.sink,
    policy,
    logger: o.logger,
    signal: abort.signal,
    ceOverrides: s.spec.ceOverrides,
  });
  const dls = o.deadLetter
    ? createSourceSink({ target: o.deadLetter, policy, logger: o.logger, signal: abort.signal })
    : undefined;
  const groupId = sourceConsumerGroup(s);
  const consumers: GroupConsumer[] = [];
  try {
    const started = Array.from({ length: s.spec.consumers }, () =>
      startGroupConsumer({
        kafka,
        admin,
        topics: s.spec.topics,
        groupId,
        ordered: s.spec.ordering === 'ordered',
        concurrency: 50, // Knative: max.poll.records
        startFrom: s.spec.initialOffset,
        logger: o.logger,
        sessionTimeoutMs: o.sessionTimeoutMs ?? 30_000,
        rebalanceTimeoutMs: o.rebalanceTimeoutMs ?? 60_000,
        heartbeatIntervalMs: o.heartbeatIntervalMs ?? 3_000,
        ensureTopic: async (topic) => {
          await admin.fetchTopicMetadata({ topics: [topic] });
        },
        toEvent: (m, topic, partition) =>
          sourceRecordEvent({ ...m, topic, partition }, { namespace, name, keyType }),
        handler: async (event) => {
          if (abort.signal.aborted) throw new Error('source stopping');
          try {
            await send(event);
            o.logger.debug({ id: event.attributes['id'] }, 'record delivered to sink');
            return;
          } catch (err) {
            if (abort.signal.aborted) throw err;
            if (!dls) {
              o.logger.error({ id: event.attributes['id'], err }, 'sink refused record; dropped');
              return;
            }
            try {
              await dls(event);
            } catch (dlsErr) {
              if (abort.signal.aborted) throw dlsErr;
              o.logger.error(
                { id: event.attributes['id'], err: dlsErr },
                'dead-letter sink failed',
              );
            }
          }
        },
      }),
    );
    const results = await Promise.allSettled(started);
    for (const r of results) if (r.status === 'fulfilled') consumers.push(r.value);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  } catch (err) {
    await Promise.all(consumers.map((c) => c.close({ drainMs: 0 })));
    await admin.disconnect().catch(() => undefined);
    throw err;
  }
  return {
    async stop(drainMs) {
      await Promise.all(consumers.map((c) => c.close({ drainMs })));
      abort.abort();
      await admin.disconnect().catch(() => undefined);
    },
  };
}
