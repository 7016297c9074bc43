/**
 * KafkaSource (`sources.knative.dev/v1` and `v1beta1`, docs/knative-behaviour.md §7.4): schema and registration
 * with the manifest loader.
 */
import {
  DeliverySpecSchema,
  type Destination,
  DestinationSchema,
  ResourceNameSchema,
  destinationDependency,
  type KindDefinition,
  defineKind,
  resourceSchema,
} from '@tributary/core';
import { z } from 'zod';

/** Label choosing how record keys are read. */
export const KEY_TYPE_LABEL = 'kafkasources.sources.knative.dev/key-type';
export const KEY_TYPES = ['string', 'int', 'float', 'byte-array'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

const SecretRef = z.strictObject({
  secretKeyRef: z.strictObject({ name: ResourceNameSchema, key: z.string().min(1) }),
});
const secretValue = z.strictObject({ secretKeyRef: SecretRef.shape.secretKeyRef.optional() });

/** `spec.net`: SASL and TLS settings, values from Secrets. */
export const KafkaNetSchema = z.strictObject({
  sasl: z
    .strictObject({
      enable: z.boolean().default(false),
      user: secretValue.optional(),
      password: secretValue.optional(),
      type: secretValue.optional(),
    })
    .optional(),
  tls: z
    .strictObject({
      enable: z.boolean().default(false),
      cert: secretValue.optional(),
      key: secretValue.optional(),
      caCert: secretValue.optional(),
    })
    .optional(),
});
export type KafkaNet = z.output<typeof KafkaNetSchema>;

const servers = z
  .array(z.string().regex(/^[^:\s]+:\d+$/, 'write host:port, e.g. "kafka:9092"'))
  .min(1, 'list at least one broker, e.g. ["kafka:9092"]');

/** KafkaSource spec. */
export const KafkaSourceSpecSchema = z.strictObject({
  bootstrapServers: servers,
  topics: z.array(z.string().min(1)).min(1, 'list at least one topic'),
  consumerGroup: z.string().min(1).optional(),
  initialOffset: z.enum(['earliest', 'latest']).default('latest'),
  consumers: z.number().int().positive().default(1),
  ordering: z.enum(['ordered', 'unordered']).default('ordered'),
  delivery: DeliverySpecSchema.optional(),
  net: KafkaNetSchema.optional(),
  sink: DestinationSchema,
  ceOverrides: z
    .strictObject({ extensions: z.record(z.string(), z.string()).optional() })
    .optional(),
});

const resource = <V extends string>(apiVersion: V) =>
  resourceSchema(apiVersion, 'KafkaSource', KafkaSourceSpecSchema).superRefine((r, ctx) => {
    const kt = r.metadata.labels?.[KEY_TYPE_LABEL];
    if (kt !== undefined && !(KEY_TYPES as readonly string[]).includes(kt))
      ctx.addIssue({
        code: 'custom',
        path: ['metadata', 'labels', KEY_TYPE_LABEL],
        message: `key type '${kt}' is not known; use one of ${KEY_TYPES.join(', ')}`,
      });
  });

export const KafkaSourceV1Schema = resource('sources.knative.dev/v1');
export const KafkaSourceV1Beta1Schema = resource('sources.knative.dev/v1beta1');
export type KafkaSource = z.output<typeof KafkaSourceV1Schema>;

declare module '@tributary/core' {
  interface KindMap {
    KafkaSource: KafkaSource;
  }
}

/** KafkaSource v1 and v1beta1, for `createKindSet(coreKinds, kafkaKinds, …)`. */
export const kafkaSourceKinds: readonly KindDefinition[] = Object.freeze(
  (
    [
      ['sources.knative.dev/v1', KafkaSourceV1Schema],
      ['sources.knative.dev/v1beta1', KafkaSourceV1Beta1Schema],
    ] as const
  ).map(([apiVersion, schema]) =>
    defineKind({
      apiVersion,
      kind: 'KafkaSource',
      schema: schema as typeof KafkaSourceV1Schema,
      dependencies: (r: { metadata: { namespace: string }; spec: { sink: Destination } }) =>
        destinationDependency(r.spec.sink, r.metadata.namespace, 'sink', 'SinkNotFound', [
          'spec',
          'sink',
        ]),
    }),
  ),
);
