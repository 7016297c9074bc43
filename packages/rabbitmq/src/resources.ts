/**
 * The RabbitMQ resource kinds: `RabbitmqBrokerConfig` (eventing.knative.dev/v1alpha1, what a
 * RabbitMQBroker's `spec.config` names) and `RabbitmqSource` (sources.knative.dev/v1alpha1,
 * docs/knative-behaviour.md §7.5). Registered with core's kind registry when this package is imported.
 */
import {
  DeliverySpecSchema,
  DestinationSchema,
  ResourceNameSchema,
  destinationDependency,
  type KindDefinition,
  defineKind,
  resourceSchema,
} from '@tributary/core';
import { z } from 'zod';

/** `rabbitmqClusterReference`: Tributary connects through `connectionSecret` (a RabbitmqCluster `name` needs the operator). */
export const RabbitmqClusterReferenceSchema = z
  .strictObject({
    name: ResourceNameSchema.optional(),
    namespace: ResourceNameSchema.optional(),
    connectionSecret: z.strictObject({ name: ResourceNameSchema }).optional(),
  })
  .refine((r) => r.connectionSecret !== undefined, {
    message:
      'connectionSecret is required: Tributary has no RabbitMQ cluster operator; set connectionSecret.name to a Secret with uri, username and password',
    path: ['connectionSecret'],
  });
export type RabbitmqClusterReference = z.output<typeof RabbitmqClusterReferenceSchema>;

/** Queue types of trigger queues. */
export const QUEUE_TYPES = ['quorum', 'classic'] as const;
export type QueueType = (typeof QUEUE_TYPES)[number];

/** `RabbitmqBrokerConfig` spec. */
export const RabbitmqBrokerConfigSpecSchema = z.strictObject({
  rabbitmqClusterReference: RabbitmqClusterReferenceSchema,
  queueType: z
    .enum(QUEUE_TYPES, { message: "queueType must be 'quorum' (default) or 'classic'" })
    .default('quorum'),
  vhost: z.string().optional(),
});

export const RabbitmqBrokerConfigSchema = resourceSchema(
  'eventing.knative.dev/v1alpha1',
  'RabbitmqBrokerConfig',
  RabbitmqBrokerConfigSpecSchema,
);
export type RabbitmqBrokerConfig = z.output<typeof RabbitmqBrokerConfigSchema>;

/** `rabbitmqResourcesConfig` of a RabbitmqSource. */
export const RabbitmqResourcesConfigSchema = z.strictObject({
  vhost: z.string().optional(),
  queueName: z.string().min(1, 'queueName is required: the queue the source consumes'),
  exchangeName: z.string().optional(),
  parallelism: z
    .number()
    .int()
    .min(1, 'parallelism must be between 1 and 1000')
    .max(1000, 'parallelism must be between 1 and 1000')
    .default(1),
  predeclared: z.boolean().default(false),
});

/** RabbitmqSource spec (docs/knative-behaviour.md §7.5). */
export const RabbitmqSourceSpecSchema = z.strictObject({
  rabbitmqClusterReference: RabbitmqClusterReferenceSchema,
  rabbitmqResourcesConfig: RabbitmqResourcesConfigSchema,
  delivery: DeliverySpecSchema.optional(),
  sink: DestinationSchema,
  serviceAccountName: z.string().optional(),
});

export const RabbitmqSourceSchema = resourceSchema(
  'sources.knative.dev/v1alpha1',
  'RabbitmqSource',
  RabbitmqSourceSpecSchema,
);
export type RabbitmqSource = z.output<typeof RabbitmqSourceSchema>;

declare module '@tributary/core' {
  interface KindMap {
    RabbitmqBrokerConfig: RabbitmqBrokerConfig;
    RabbitmqSource: RabbitmqSource;
  }
}

/** RabbitmqBrokerConfig and RabbitmqSource, for `createKindSet(coreKinds, rabbitmqKinds, …)`. */
export const rabbitmqKinds: readonly KindDefinition[] = Object.freeze([
  defineKind({
    apiVersion: 'eventing.knative.dev/v1alpha1',
    kind: 'RabbitmqBrokerConfig',
    schema: RabbitmqBrokerConfigSchema,
  }),
  defineKind({
    apiVersion: 'sources.knative.dev/v1alpha1',
    kind: 'RabbitmqSource',
    schema: RabbitmqSourceSchema,
    dependencies: (r) =>
      destinationDependency(r.spec.sink, r.metadata.namespace, 'sink', 'SinkNotFound', [
        'spec',
        'sink',
      ]),
  }),
]);
