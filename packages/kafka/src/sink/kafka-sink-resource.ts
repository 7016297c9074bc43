/**
 * KafkaSink (`eventing.knative.dev/v1alpha1`): an addressable that writes every CloudEvent it
 * accepts to a Kafka topic, in binary (default) or structured content mode, with connection
 * security from the Secret named by `spec.auth.secret.ref.name` (docs/kafka.md).
 */
import {
  type KindDefinition,
  ResourceNameSchema,
  defineKind,
  resourceSchema,
} from '@tributary/core';
import { z } from 'zod';

export const EVENTING_V1ALPHA1 = 'eventing.knative.dev/v1alpha1';

/** Content modes of the records a KafkaSink writes. */
export const KAFKA_SINK_CONTENT_MODES = ['binary', 'structured'] as const;
export type KafkaSinkContentMode = (typeof KAFKA_SINK_CONTENT_MODES)[number];

export const KafkaSinkSpecSchema = z.strictObject({
  topic: z.string().min(1, 'topic is required: the Kafka topic events are written to'),
  bootstrapServers: z
    .array(z.string().regex(/^[^:\s]+:\d+$/, 'write host:port, e.g. "kafka:9092"'))
    .min(1, 'list at least one broker, e.g. ["kafka:9092"]'),
  numPartitions: z.number().int().positive().optional(),
  replicationFactor: z.number().int().positive().optional(),
  contentMode: z
    .enum(KAFKA_SINK_CONTENT_MODES, {
      error: (iss) =>
        `contentMode '${String(iss.input)}' is not supported; use binary (the default) or structured`,
    })
    .default('binary'),
  auth: z
    .strictObject({
      secret: z.strictObject({ ref: z.strictObject({ name: ResourceNameSchema }) }).optional(),
    })
    .optional(),
});
export const KafkaSinkSchema = resourceSchema(EVENTING_V1ALPHA1, 'KafkaSink', KafkaSinkSpecSchema);
export type KafkaSink = z.output<typeof KafkaSinkSchema>;

declare module '@tributary/core' {
  interface KindMap {
    KafkaSink: KafkaSink;
  }
}

/** The KafkaSink kind, for `createKindSet(coreKinds, kafkaKinds, …)`. */
export const kafkaSinkKind: KindDefinition = defineKind({
  apiVersion: EVENTING_V1ALPHA1,
  kind: 'KafkaSink',
  schema: KafkaSinkSchema,
  dependencies: (s) => {
    const name = s.spec.auth?.secret?.ref.name;
    const ns = s.metadata.namespace;
    return name
      ? [
          {
            kind: 'Secret',
            namespace: ns,
            name,
            reason: 'SecretNotFound',
            message: `auth Secret '${ns}/${name}' does not exist`,
            path: ['spec', 'auth', 'secret', 'ref', 'name'],
          },
        ]
      : [];
  },
});
