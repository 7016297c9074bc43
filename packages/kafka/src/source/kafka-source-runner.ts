/**
 * Runs one KafkaSource: `consumers` members of its consumer group read its topics, map each
 * record (§7.4) and send it to the sink (retries per `spec.delivery`, none when absent; then the
 * dead-letter sink). A record's offset is committed once the sink or the dead-letter sink
 * accepted it, or both gave up (Knative commits then too); never before. The source never creates
 * topics: those that do not exist yet are looked for every `topicDiscoveryIntervalMs` and read
 * from their first record once they appear (docs/kafka.md, "Topics created later").
 */
import type { DeliveryTarget } from '@tributary/broker';
import {
  type CloudEvent,
  type Logger,
  type Loaded,
  type Topology,
  clientName,
  compileDelivery,
  resolveSecretKeyRef,
} from '@tributary/core';
import { createSourceSink } from '@tributary/sources';
import { Kafka } from 'kafkajs';
import { type KafkaSecurity, kafkaSecurity } from '../auth.js';
import { type GroupConsumer, startGroupConsumer } from '../group-consumer.js';
import { useFastKafkaCodec } from '../wire/kafkajs-codec.js';
import { stopRequestQueueTimerLoop } from '../wire/kafkajs-request-queue.js';
import { kafkaLogCreator } from '../kafka-backend.js';
import { KEY_TYPE_LABEL, type KafkaSource, type KeyType } from './kafka-source-resource.js';
import { sourceRecordEvent } from './source-record.js';

/** A running KafkaSource. */
export interface KafkaSourceRunner {
  /** Topics of `spec.topics` that did not exist when last looked for. */
  readonly missingTopics: readonly string[];
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
  /** How often topics that do not exist yet are looked for. @default 5000 */
  readonly topicDiscoveryIntervalMs?: number;
  /** How long a consumer drains its deliveries when it rejoins for a new topic. @default 10000 */
  readonly rejoinDrainMs?: number;
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

/**
 * Starts a KafkaSource; resolves once every consumer joined its group and its start offsets are
 * committed (for the topics that exist; the others are read from their start when they appear).
 */
export async function startKafkaSource(o: KafkaSourceRunnerOptions): Promise<KafkaSourceRunner> {
  const s = o.source;
  const { namespace, name } = s.metadata;
  const keyType = (s.metadata.labels?.[KEY_TYPE_LABEL] ?? 'string') as KeyType;
  const abort = new AbortController();
  useFastKafkaCodec();
  stopRequestQueueTimerLoop();
  const kafka = new Kafka({
    clientId: clientName(`source-${namespace}-${name}`),
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
  const wanted = [...new Set(s.spec.topics)];
  /** Topics found after the start: every record in them is newer than the source's Ready. */
  const late = new Set<string>();

  const handler = async (event: CloudEvent): Promise<void> => {
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
        o.logger.error({ id: event.attributes['id'], err: dlsErr }, 'dead-letter sink failed');
      }
    }
  };

  const startConsumers = async (topics: readonly string[]): Promise<GroupConsumer[]> => {
    const started = await Promise.allSettled(
      Array.from({ length: s.spec.consumers }, () =>
        startGroupConsumer({
          kafka,
          admin,
          topics,
          groupId,
          ordered: s.spec.ordering === 'ordered',
          concurrency: 50, // Knative: max.poll.records
          startFrom: (topic) => (late.has(topic) ? 'earliest' : s.spec.initialOffset),
          allowAutoTopicCreation: false,
          logger: o.logger,
          sessionTimeoutMs: o.sessionTimeoutMs ?? 30_000,
          rebalanceTimeoutMs: o.rebalanceTimeoutMs ?? 60_000,
          heartbeatIntervalMs: o.heartbeatIntervalMs ?? 3_000,
          ensureTopic: async () => undefined,
          toEvent: (m, topic, partition) =>
            sourceRecordEvent({ ...m, topic, partition }, { namespace, name, keyType }),
          handler,
        }),
      ),
    );
    const ok = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) {
      await Promise.all(ok.map((c) => c.close({ drainMs: 0 })));
      throw (failed as PromiseRejectedResult).reason;
    }
    return ok;
  };
  const existing = async (): Promise<string[]> => {
    const all = new Set(await admin.listTopics());
    return wanted.filter((t) => all.has(t));
  };

  let reading: string[] = [];
  let consumers: GroupConsumer[] = [];
  try {
    reading = await existing();
    if (reading.length > 0) consumers = await startConsumers(reading);
  } catch (err) {
    await admin.disconnect().catch(() => undefined);
    throw err;
  }
  const atStart = new Set(reading);
  const missing = () => wanted.filter((t) => !reading.includes(t));
  if (missing().length > 0)
    o.logger.info(
      { missing: missing(), everyMs: o.topicDiscoveryIntervalMs ?? 5_000 },
      'KafkaSource topics do not exist yet; looking for them',
    );

  // Topic discovery: a topic that appears joins the group (the consumers rejoin with it).
  let stopped = false;
  let discovering: Promise<void> = Promise.resolve();
  const discover = async (): Promise<void> => {
    let now: string[];
    try {
      now = await existing();
    } catch (err) {
      o.logger.debug({ err: (err as Error).message }, 'topic discovery failed; trying again');
      return;
    }
    const added = now.filter((t) => !reading.includes(t));
    if (added.length === 0 || stopped) return;
    for (const t of added) if (!atStart.has(t)) late.add(t);
    o.logger.info({ topics: added }, 'KafkaSource topics appeared; reading them from the start');
    await Promise.all(consumers.map((c) => c.close({ drainMs: o.rejoinDrainMs ?? 10_000 })));
    consumers = [];
    reading = [];
    if (stopped) return;
    try {
      consumers = await startConsumers(now);
      reading = now;
    } catch (err) {
      o.logger.error({ err: (err as Error).message }, 'KafkaSource could not rejoin; retrying');
    }
  };
  const timer = setInterval(() => {
    if (missing().length === 0 && reading.length > 0) return;
    discovering = discovering.then(discover);
  }, o.topicDiscoveryIntervalMs ?? 5_000);

  return {
    get missingTopics() {
      return missing();
    },
    async stop(drainMs) {
      stopped = true;
      clearInterval(timer);
      await discovering;
      await Promise.all(consumers.map((c) => c.close({ drainMs })));
      abort.abort();
      await admin.disconnect().catch(() => undefined);
    },
  };
}
