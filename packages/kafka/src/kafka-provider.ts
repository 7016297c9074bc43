/**
 * Provider of broker class `Kafka`: config from the Broker's `spec.config` ConfigMap, as in
 * Knative's `kafka-broker-config` (`bootstrap.servers`, `default.topic.partitions`,
 * `default.topic.replication.factor`, `auth.secret.ref.name`), plus consumer group timing.
 */
import {
  type BackendProvider,
  lazyBackend,
  type ProviderContext,
  type Topology,
  configMapData,
  resolveSecretKeyRef,
} from '@tributary/core';
import { z } from 'zod';
import { type KafkaSecurity, kafkaSecurity } from './auth.js';
import type { KafkaBackendOptions } from './kafka-backend.js';
import { KafkaConfigError } from './errors.js';
import { kafkaChannelConfig } from './channel/kafka-channel-resource.js';

/** Knative's Kafka broker: a Trigger with `ordered` delivers per partition in order. */
export const KAFKA_DELIVERY_ORDER_ANNOTATION = 'kafka.eventing.knative.dev/delivery.order';

/** Name of the ConfigMap holding the KafkaChannel backend config (`bootstrap.servers`, …). */
export const KAFKA_CHANNEL_CONFIG = 'kafka-channel-config';

/**
 * The KafkaChannel backend config: the ConfigMap `kafka-channel-config` (as Knative's, in
 * `knative-eventing` or any namespace), with what the channel's own spec sets over it.
 */
export function kafkaChannelBackendConfig(
  spec: Readonly<Record<string, unknown>> | undefined,
  topology: Topology | undefined,
): Record<string, unknown> {
  const cm =
    topology?.configMaps.find(
      (c) =>
        c.metadata.name === KAFKA_CHANNEL_CONFIG && c.metadata.namespace === 'knative-eventing',
    ) ?? topology?.configMaps.find((c) => c.metadata.name === KAFKA_CHANNEL_CONFIG);
  const data =
    cm && topology ? configMapData(topology, cm.metadata.namespace, cm.metadata.name) : undefined;
  return { ...(data ?? {}), ...kafkaChannelConfig(spec) };
}

/** Environment variable used when a config has no `bootstrap.servers`. */
export const BOOTSTRAP_ENV = 'KAFKA_BOOTSTRAP_SERVERS';

const int = (d: number) => z.coerce.number().int().positive().default(d);

/** Schema of the Kafka broker config (ConfigMap data: strings; unknown keys are ignored). */
export const kafkaBackendConfigSchema = z.object({
  'bootstrap.servers': z.string().optional(),
  'default.topic.partitions': int(10),
  'default.topic.replication.factor': int(3),
  'auth.secret.ref.name': z.string().optional(),
  'session.timeout.ms': int(30_000),
  'rebalance.timeout.ms': int(60_000),
  'heartbeat.interval.ms': int(3_000),
  'redelivery.delay.ms': int(200),
});

/** Validated Kafka broker config. */
export type KafkaBackendConfig = z.output<typeof kafkaBackendConfigSchema>;

/** `bootstrap.servers` (comma-separated) or the environment; throws naming both when absent. */
export function bootstrapServers(
  value: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string[] {
  const raw = value ?? env[BOOTSTRAP_ENV];
  const list = (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0)
    throw new KafkaConfigError(
      `bootstrap.servers is not set: add it to the Broker's spec.config ConfigMap (e.g. bootstrap.servers: "localhost:9092") or set ${BOOTSTRAP_ENV}`,
    );
  for (const s of list)
    if (!/^[^:\s]+:\d+$/.test(s))
      throw new KafkaConfigError(
        `bootstrap.servers entry '${s}' is not host:port; write e.g. "kafka-1:9092,kafka-2:9092"`,
      );
  return list;
}

/** Reads the Knative Kafka auth Secret (`protocol`, `sasl.mechanism`, `user`, `password`, certs). */
export function securityFromSecret(
  topology: Topology | undefined,
  namespace: string,
  name: string | undefined,
): KafkaSecurity {
  if (!name || !topology) return {};
  const read = (key: string): string | undefined => {
    try {
      return resolveSecretKeyRef(topology, namespace, { name, key });
    } catch {
      return undefined;
    }
  };
  return kafkaSecurity(
    {
      protocol: read('protocol'),
      saslMechanism: read('sasl.mechanism'),
      user: read('user'),
      password: read('password'),
      caCert: read('ca.crt'),
      userCert: read('user.crt'),
      userKey: read('user.key'),
    },
    `auth Secret '${namespace}/${name}'`,
  );
}

/**
 * Provider for broker classes `Kafka` and `KafkaNamespaced` (Knative runs a data plane per
 * namespace for the latter; one process serves both here, with the same config) and for
 * KafkaChannel.
 */
export const kafkaBackendProvider: BackendProvider<KafkaBackendConfig> = {
  kind: 'kafka',
  brokerClasses: ['Kafka', 'KafkaNamespaced'],
  configSchema: kafkaBackendConfigSchema,
  channelKinds: [
    { kind: 'KafkaChannel', config: (spec, ctx) => kafkaChannelBackendConfig(spec, ctx.topology) },
  ],
  subscribeOptions: (a) =>
    a[KAFKA_DELIVERY_ORDER_ANNOTATION] === 'ordered' ? { ordered: true } : {},
  // Options are worked out now (config errors surface at create); kafkajs loads on start().
  create: (config, ctx: ProviderContext) => {
    const options: KafkaBackendOptions = {
      brokers: bootstrapServers(config['bootstrap.servers']),
      partitions: config['default.topic.partitions'],
      replicationFactor: config['default.topic.replication.factor'],
      security: securityFromSecret(
        ctx.topology,
        ctx.namespace ?? 'default',
        config['auth.secret.ref.name'],
      ),
      sessionTimeoutMs: config['session.timeout.ms'],
      rebalanceTimeoutMs: config['rebalance.timeout.ms'],
      heartbeatIntervalMs: config['heartbeat.interval.ms'],
      redeliveryDelayMs: config['redelivery.delay.ms'],
      logger: ctx.logger,
      ...(ctx.clientName ? { clientId: ctx.clientName } : {}),
    };
    return lazyBackend('kafka', async () =>
      (await import('./kafka-backend.js')).createKafkaBackend(options),
    );
  },
};
