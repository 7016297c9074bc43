import {
  type Dependency,
  DestinationSchema,
  ResourceNameSchema,
  destinationDependency,
  type KindDefinition,
  defineKind,
  resourceSchema,
} from '@tributary/core';
import { z } from 'zod';

/** `{secretKeyRef: {name, key}}`: a v1 Secret key, or the environment `<NAME>_<KEY>`. */
const SecretValueSchema = z.strictObject({
  secretKeyRef: z.strictObject({ name: ResourceNameSchema, key: z.string().min(1) }),
});

/** RedisStreamSource spec (`sources.knative.dev/v1alpha1`, docs/knative-behaviour.md §7.6). */
export const RedisStreamSourceSpecSchema = z.strictObject({
  /** `redis://host:port`, `rediss://…` or `host:port`. */
  address: z.string().min(1),
  stream: z.string().min(1),
  /** Consumer group; default `tributary-<namespace>-<name>`. */
  group: z.string().min(1).optional(),
  /** Parallel consumers of the group in this process. */
  consumers: z.coerce.number().int().min(1).max(64).default(1),
  dialOptions: z
    .strictObject({
      username: z.string().optional(),
      password: SecretValueSchema.optional(),
      tls: z.boolean().optional(),
    })
    .optional(),
  sink: DestinationSchema,
  ceOverrides: z
    .strictObject({ extensions: z.record(z.string(), z.string()).optional() })
    .optional(),
});

/** A RedisStreamSource document. */
export const RedisStreamSourceSchema = resourceSchema(
  'sources.knative.dev/v1alpha1',
  'RedisStreamSource',
  RedisStreamSourceSpecSchema,
);
export type RedisStreamSource = z.output<typeof RedisStreamSourceSchema>;

declare module '@tributary/core' {
  interface KindMap {
    RedisStreamSource: RedisStreamSource;
  }
}

/** RedisStreamSource, for `createKindSet(coreKinds, redisKinds, …)`. */
export const redisKinds: readonly KindDefinition[] = Object.freeze([
  defineKind({
    apiVersion: 'sources.knative.dev/v1alpha1',
    kind: 'RedisStreamSource',
    schema: RedisStreamSourceSchema,
    dependencies: (r: RedisStreamSource): Dependency[] =>
      destinationDependency(r.spec.sink, r.metadata.namespace, 'sink', 'SinkNotFound', [
        'spec',
        'sink',
      ]),
  }),
]);
