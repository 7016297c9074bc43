import { z } from 'zod';
import {
  DeliverySpecSchema,
  DestinationSchema,
  KReferenceSchema,
  ObjectMetaSchema,
  ResourceNameSchema,
} from './common.js';
import { SubscriptionsApiFilterSchema, TriggerFilterSchema } from './filters.js';

/**
 * Builds the strict schema of a whole resource document of one kind: literal apiVersion and kind,
 * metadata, the given spec, and an ignored status. Every kind (core, flows, sources, backends) uses it.
 */
export function resourceSchema<A extends string, K extends string, S extends z.ZodType>(
  apiVersion: A,
  kind: K,
  spec: S,
) {
  return z.strictObject({
    apiVersion: z.literal(apiVersion),
    kind: z.literal(kind),
    metadata: ObjectMetaSchema,
    spec,
    status: z.unknown().optional(),
  });
}

export const BrokerSpecSchema = z.strictObject({
  config: KReferenceSchema.optional(),
  delivery: DeliverySpecSchema.optional(),
});
export const BrokerSchema = resourceSchema(
  'eventing.knative.dev/v1',
  'Broker',
  BrokerSpecSchema.default({}),
);
export type Broker = z.output<typeof BrokerSchema>;

export const TriggerSpecSchema = z
  .strictObject({
    broker: ResourceNameSchema.optional(),
    brokerRef: KReferenceSchema.optional(),
    filter: TriggerFilterSchema.optional(),
    filters: z.array(SubscriptionsApiFilterSchema).optional(),
    subscriber: DestinationSchema,
    delivery: DeliverySpecSchema.optional(),
  })
  .superRefine((t, ctx) => {
    if (t.broker && t.brokerRef)
      ctx.addIssue({
        code: 'custom',
        path: ['brokerRef'],
        message: 'set broker or brokerRef, not both',
      });
    if (t.brokerRef?.namespace !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['brokerRef', 'namespace'],
        message:
          'brokerRef.namespace is not allowed (cross-namespace event links are disabled, as in Knative); remove it',
      });
    if (!t.broker && !t.brokerRef)
      ctx.addIssue({
        code: 'custom',
        path: ['broker'],
        message: 'broker is required: the name of a Broker in the same namespace',
      });
  });
export const TriggerSchema = resourceSchema(
  'eventing.knative.dev/v1',
  'Trigger',
  TriggerSpecSchema,
);
export type Trigger = z.output<typeof TriggerSchema>;

/** Tributary's sink: an HTTP function (`url`) or an in-process module (`module`, optional `export`). */
export const FunctionSpecSchema = z
  .strictObject({
    url: z
      .url({
        protocol: /^https?$/,
        error: (iss) =>
          `url '${String(iss.input)}' must be an absolute http(s) URL, e.g. http://localhost:8081/`,
      })
      .optional(),
    module: z.string().min(1).optional(),
    export: z.string().min(1).optional(),
  })
  .superRefine((f, ctx) => {
    if (!!f.url === !!f.module)
      ctx.addIssue({
        code: 'custom',
        message: 'set exactly one of url (an HTTP function) or module (an in-process handler)',
      });
    if (f.export && !f.module)
      ctx.addIssue({
        code: 'custom',
        path: ['export'],
        message: 'export only applies with module',
      });
  });
export const FunctionSchema = resourceSchema(
  'tributary.dev/v1alpha1',
  'Function',
  FunctionSpecSchema,
);
export type FunctionResource = z.output<typeof FunctionSchema>;

const dataDocument = <K extends string, E extends z.ZodRawShape>(kind: K, extra: E) =>
  z.strictObject({
    apiVersion: z.literal('v1'),
    kind: z.literal(kind),
    metadata: ObjectMetaSchema,
    ...extra,
  });

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const SecretSchema = dataDocument('Secret', {
  type: z.string().optional(),
  data: z
    .record(
      z.string(),
      z.string().regex(BASE64, {
        error: () => 'Secret data values must be base64; put plain text under stringData instead',
      }),
    )
    .optional(),
  stringData: z.record(z.string(), z.string()).optional(),
  immutable: z.boolean().optional(),
});
export type Secret = z.output<typeof SecretSchema>;

export const ConfigMapSchema = dataDocument('ConfigMap', {
  data: z.record(z.string(), z.string()).optional(),
  binaryData: z.record(z.string(), z.string()).optional(),
  immutable: z.boolean().optional(),
});
export type ConfigMap = z.output<typeof ConfigMapSchema>;
