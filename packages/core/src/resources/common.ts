import { z } from 'zod';
import { isIsoDuration, parseIsoDuration } from '../config/duration.js';

/** Kubernetes object names (DNS-1123 label, as Knative resources use). */
export const NAME_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const ResourceNameSchema = z
  .string({
    error: (iss) =>
      iss.input === undefined
        ? 'a name is required'
        : `a name must be a string, got ${JSON.stringify(iss.input)}`,
  })
  .max(63, { error: (iss) => `name '${String(iss.input)}' is longer than 63 characters` })
  .regex(NAME_PATTERN, {
    error: (iss) =>
      `name '${String(iss.input)}' is invalid: use lower-case letters, digits and '-', starting and ending with a letter or digit`,
  });

/** `metadata`: the fields Tributary reads, plus the ones kubectl output carries (ignored). */
export const ObjectMetaSchema = z.strictObject({
  name: ResourceNameSchema,
  namespace: ResourceNameSchema.default('default'),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  uid: z.string().optional(),
  generation: z.number().optional(),
  resourceVersion: z.string().optional(),
  creationTimestamp: z.string().nullable().optional(),
  generateName: z.string().optional(),
  deletionTimestamp: z.string().nullable().optional(),
  finalizers: z.array(z.string()).optional(),
  ownerReferences: z.array(z.unknown()).optional(),
  managedFields: z.array(z.unknown()).optional(),
  selfLink: z.string().optional(),
});
export type ObjectMeta = z.output<typeof ObjectMetaSchema>;

/** ISO-8601 duration string (kept as written; parse with parseIsoDuration). */
export const IsoDurationSchema = z.string().refine(isIsoDuration, {
  error: (iss) =>
    `'${String(iss.input)}' is not an ISO-8601 duration; write e.g. PT0.2S, PT5S or PT1M`,
});

/** A reference to another resource (Knative's KReference). */
export const KReferenceSchema = z.strictObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  name: ResourceNameSchema,
  namespace: ResourceNameSchema.optional(),
  group: z.string().optional(),
});
export type KReference = z.output<typeof KReferenceSchema>;

/**
 * Knative's Destination: `ref` and/or `uri`. With both, `uri` must be relative and resolves against
 * the ref's address; `uri` alone must be absolute with a host.
 */
export const DestinationSchema = z
  .strictObject({
    ref: KReferenceSchema.optional(),
    uri: z.string().min(1).optional(),
    CACerts: z.string().optional(),
    audience: z.string().optional(),
  })
  .superRefine((d, ctx) => {
    if (!d.ref && !d.uri) {
      ctx.addIssue({ code: 'custom', message: 'a destination needs ref or uri (or both)' });
      return;
    }
    if (d.uri !== undefined) {
      let absolute: URL | undefined;
      try {
        absolute = new URL(d.uri);
      } catch {
        absolute = undefined;
      }
      if (d.ref && absolute) {
        ctx.addIssue({
          code: 'custom',
          path: ['uri'],
          message: `with ref set, uri '${d.uri}' must be relative (e.g. /path)`,
        });
      } else if (!d.ref && (!absolute || !absolute.host)) {
        ctx.addIssue({
          code: 'custom',
          path: ['uri'],
          message: `uri '${d.uri}' must be absolute with a host, e.g. http://localhost:8081/`,
        });
      }
    }
  });
export type Destination = z.output<typeof DestinationSchema>;

/** Knative's DeliverySpec (duck v1). */
export const DeliverySpecSchema = z.strictObject({
  deadLetterSink: DestinationSchema.optional(),
  retry: z
    .number()
    .int({ error: (iss) => `retry ${String(iss.input)} must be a whole number` })
    .min(0, { error: (iss) => `retry ${String(iss.input)} must be 0 or more` })
    .max(2147483647, {
      error: (iss) => `retry ${String(iss.input)} must fit in an int32 (at most 2147483647)`,
    })
    .optional(),
  backoffPolicy: z.enum(['linear', 'exponential']).optional(),
  backoffDelay: IsoDurationSchema.optional(),
  timeout: IsoDurationSchema.refine((t) => !isIsoDuration(t) || parseIsoDuration(t) > 0, {
    error: (iss) => `timeout '${String(iss.input)}' must be greater than zero, e.g. PT30S`,
  }).optional(),
  retryAfterMax: IsoDurationSchema.optional(),
  format: z.enum(['json', 'binary']).optional(),
});
export type DeliverySpec = z.output<typeof DeliverySpecSchema>;

/** Top-level fields every resource document has; `spec` is per kind. */
export const TypeMetaSchema = z.object({ apiVersion: z.string(), kind: z.string() });
