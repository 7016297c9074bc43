/**
 * A standalone KafkaChannel (`messaging.knative.dev/v1beta1`): a channel on its own Kafka topic
 * (`knative-messaging-<ns>-<name>`), fed over `POST /<ns>/channels/<name>` or a ref, read by
 * Subscriptions. Its Kafka connection comes from the `kafka-channel-config` ConfigMap; its own
 * `numPartitions` and `replicationFactor` apply to the topic it creates (docs/kafka.md).
 */
import {
  DeliverySpecSchema,
  IsoDurationSchema,
  destinationDependency,
  type KindDefinition,
  defineKind,
  resourceSchema,
} from '@tributary/core';
import { SubscriberSpecSchema } from '@tributary/flows/kinds';
import { z } from 'zod';

export const MESSAGING_V1BETA1 = 'messaging.knative.dev/v1beta1';

export const KafkaChannelSpecSchema = z.strictObject({
  numPartitions: z.number().int().positive().optional(),
  replicationFactor: z.number().int().positive().optional(),
  retentionDuration: IsoDurationSchema.optional(),
  delivery: DeliverySpecSchema.optional(),
  subscribers: z.array(SubscriberSpecSchema).optional(),
});
export const KafkaChannelSchema = resourceSchema(
  MESSAGING_V1BETA1,
  'KafkaChannel',
  KafkaChannelSpecSchema.default({}),
);
export type KafkaChannel = z.output<typeof KafkaChannelSchema>;

declare module '@tributary/core' {
  interface KindMap {
    KafkaChannel: KafkaChannel;
  }
}

/** Backend config entries a KafkaChannel's (or a KafkaChannel template's) spec sets. */
export function kafkaChannelConfig(
  spec: Readonly<Record<string, unknown>> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  const n = spec?.['numPartitions'];
  const r = spec?.['replicationFactor'];
  if (typeof n === 'number' && Number.isInteger(n) && n > 0)
    out['default.topic.partitions'] = String(n);
  if (typeof r === 'number' && Number.isInteger(r) && r > 0)
    out['default.topic.replication.factor'] = String(r);
  return out;
}

/** The KafkaChannel kind, for `createKindSet(coreKinds, kafkaKinds, …)`. */
export const kafkaChannelKind: KindDefinition = defineKind({
  apiVersion: MESSAGING_V1BETA1,
  kind: 'KafkaChannel',
  schema: KafkaChannelSchema,
  dependencies: (c) =>
    destinationDependency(
      c.spec.delivery?.deadLetterSink,
      c.metadata.namespace,
      'channel deadLetterSink',
      'DeadLetterSinkResolveFailed',
      ['spec', 'delivery', 'deadLetterSink'],
    ),
});
