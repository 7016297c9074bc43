/**
 * WebhookSource (`tributary.dev/v1alpha1`): any provider's webhook, with the verification scheme and
 * the event mapping declared in YAML. See docs/sources.md for the fields and provider examples.
 */
import { IsoDurationSchema } from '@tributary/core';
import { z } from 'zod';
import { SecretValueSchema, sourceDuck, sourceResource } from './common.js';

const HeaderName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, {
  error: (iss) => `'${String(iss.input)}' is not an HTTP header name`,
});

/** Where a value comes from: a constant, a request header or a JSON pointer into the body. */
export const ValueFromSchema = z
  .strictObject({
    value: z.string().min(1).optional(),
    header: HeaderName.optional(),
    jsonPointer: z
      .string()
      .regex(/^(\/([^~]|~[01])*)*$/, {
        error: (iss) =>
          `jsonPointer '${String(iss.input)}' must be an RFC 6901 pointer, e.g. /data/object/id`,
      })
      .optional(),
    /** Prepended to a header or JSON pointer value, e.g. `com.stripe.`. */
    prefix: z.string().optional(),
  })
  .refine((v) => [v.value, v.header, v.jsonPointer].filter((x) => x !== undefined).length === 1, {
    error: 'set exactly one of value, header or jsonPointer',
  });
export type ValueFrom = z.output<typeof ValueFromSchema>;

const ToleranceSeconds = z.number().int().min(1, { error: 'toleranceSeconds must be at least 1' });

/** HMAC over the signed content (GitHub-, Stripe-, Slack-, Shopify-style). */
export const HmacSchema = z
  .strictObject({
    secret: SecretValueSchema,
    algorithm: z.enum(['sha1', 'sha256', 'sha512']).default('sha256'),
    encoding: z.enum(['hex', 'base64']).default('hex'),
    /** The header carrying the signature. */
    header: HeaderName,
    /** Stripped from the signature before comparing, e.g. `sha256=` or `v0=`. */
    prefix: z.string().optional(),
    /** When the header is a `k=v,k=v` list (Stripe `t=…,v1=…`): the key whose values are signatures. */
    signatureKey: z.string().min(1).optional(),
    timestamp: z
      .strictObject({
        header: HeaderName.optional(),
        /** Key in the signature header's `k=v` list, e.g. `t` (needs signatureKey). */
        key: z.string().min(1).optional(),
        toleranceSeconds: ToleranceSeconds.default(300),
      })
      .refine((t) => (t.header === undefined) !== (t.key === undefined), {
        error: 'set exactly one of timestamp.header or timestamp.key',
      })
      .optional(),
    /** What is signed: placeholders `{body}`, `{timestamp}`, `{header:<name>}`. @default "{body}" */
    signedContent: z.string().min(1).default('{body}'),
  })
  .superRefine((h, ctx) => {
    if (h.timestamp?.key !== undefined && h.signatureKey === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['timestamp', 'key'],
        message: 'timestamp.key reads the signature header list; set signatureKey too',
      });
    if (h.signedContent.includes('{timestamp}') && !h.timestamp)
      ctx.addIssue({
        code: 'custom',
        path: ['signedContent'],
        message: 'signedContent uses {timestamp}; declare where it comes from in timestamp',
      });
    if (!h.signedContent.includes('{body}'))
      ctx.addIssue({
        code: 'custom',
        path: ['signedContent'],
        message: 'signedContent must include {body}',
      });
  });
export type HmacVerification = z.output<typeof HmacSchema>;

/** Exactly one verification scheme. */
export const VerificationSchema = z
  .strictObject({
    hmac: HmacSchema.optional(),
    standardWebhooks: z
      .strictObject({ secret: SecretValueSchema, toleranceSeconds: ToleranceSeconds.default(300) })
      .optional(),
    basicAuth: z
      .strictObject({ username: z.string().min(1), password: SecretValueSchema })
      .optional(),
    bearerToken: z.strictObject({ token: SecretValueSchema }).optional(),
  })
  .refine((v) => Object.values(v).filter((x) => x !== undefined).length === 1, {
    error: 'set exactly one of hmac, standardWebhooks, basicAuth or bearerToken',
  });
export type Verification = z.output<typeof VerificationSchema>;

export const WebhookSourceSpecSchema = z.strictObject({
  verification: VerificationSchema.optional(),
  event: z.strictObject({
    type: ValueFromSchema,
    source: ValueFromSchema,
    subject: ValueFromSchema.optional(),
    /** Default: `webhook-id` with standardWebhooks, else a random UUID (no dedupe). */
    id: ValueFromSchema.optional(),
    /** `datacontenttype`; default: the request's Content-Type. */
    dataContentType: z.string().min(1).optional(),
  }),
  dedupe: z
    .strictObject({
      /** How long a delivery id is remembered; PT0S disables. @default PT1H */
      window: IsoDurationSchema.default('PT1H'),
      /** At most this many ids are remembered (oldest forgotten first). @default 10000 */
      maxEntries: z.number().int().min(1).default(10_000),
    })
    .optional(),
  ...sourceDuck,
});
export const WebhookSourceSchema = sourceResource(
  'tributary.dev/v1alpha1',
  'WebhookSource',
  WebhookSourceSpecSchema,
);
export type WebhookSource = z.output<typeof WebhookSourceSchema>;
