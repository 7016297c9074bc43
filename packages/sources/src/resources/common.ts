/**
 * Schema pieces every source kind shares: the Knative Source duck type (`sink`, `ceOverrides`),
 * `secretKeyRef` values and the document wrapper.
 */
import { DestinationSchema, ResourceNameSchema, resourceSchema } from '@tributary/core';
import { z } from 'zod';

/** CloudEvents attributes a ceOverrides extension may not replace (Knative ignores them silently; we reject them). */
export const SPEC_ATTRIBUTES = new Set([
  'specversion',
  'id',
  'source',
  'type',
  'subject',
  'time',
  'datacontenttype',
  'dataschema',
  'data',
  'data_base64',
]);

/** `ceOverrides`: extensions added to every emitted event (keys lower-cased, ASCII letters and digits). */
export const CeOverridesSchema = z.strictObject({
  extensions: z
    .record(z.string(), z.string())
    .optional()
    .superRefine((ext, ctx) => {
      for (const key of Object.keys(ext ?? {})) {
        if (!/^[A-Za-z0-9]+$/.test(key))
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `extension name '${key}' is invalid: use ASCII letters and digits only`,
          });
        else if (SPEC_ATTRIBUTES.has(key.toLowerCase()))
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `'${key}' is a CloudEvents spec attribute and cannot be overridden by ceOverrides; remove it`,
          });
      }
    }),
});
export type CeOverrides = z.output<typeof CeOverridesSchema>;

/** `{secretKeyRef: {name, key}}` — resolved from a v1 Secret or the environment `<NAME>_<KEY>`. */
export const SecretValueSchema = z.strictObject({
  secretKeyRef: z.strictObject({ name: ResourceNameSchema, key: z.string().min(1) }),
});
export type SecretValue = z.output<typeof SecretValueSchema>;

/** The duck Source fields; `sink` required. */
export const sourceDuck = {
  sink: DestinationSchema,
  ceOverrides: CeOverridesSchema.optional(),
};

/** Builds the schema of a whole source document (core's resourceSchema). */
export const sourceResource = resourceSchema;
