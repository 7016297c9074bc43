/**
 * The security kinds (docs/security.md): Tributary's `Authentication` (one per run) and Knative's
 * `EventPolicy` (`eventing.knative.dev/v1alpha1`, Knative's field names).
 */
import { z } from 'zod';
import {
  KReferenceSchema,
  ResourceNameSchema,
  SubscriptionsApiFilterSchema,
  type KindDefinition,
  defineKind,
  resourceSchema,
} from '@tributary/core';
import { validateTriggerFilters } from '@tributary/filter';

/** What a resource without EventPolicies allows (Knative's `default-authorization-mode`). */
export const DEFAULT_AUTHORIZATION_MODES = [
  'allow-all',
  'allow-same-namespace',
  'deny-all',
] as const;
export type DefaultAuthorization = (typeof DEFAULT_AUTHORIZATION_MODES)[number];

const SecretKeyRefSchema = z.strictObject({ name: ResourceNameSchema, key: z.string().min(1) });

const IssuerSchema = z.strictObject({
  issuer: z.url({
    error: (i) => `issuer '${String(i.input)}' must be a URL, e.g. https://issuer.example.com`,
  }),
  jwksUri: z.url({ error: (i) => `jwksUri '${String(i.input)}' must be a URL` }).optional(),
  audiences: z.array(z.string().min(1)).min(1, { error: 'list at least one audience' }),
});

const StaticTokenSchema = z.strictObject({
  name: ResourceNameSchema,
  secretKeyRef: SecretKeyRefSchema,
});

export const AuthenticationSpecSchema = z
  .strictObject({
    issuers: z.array(IssuerSchema).default([]),
    tokens: z.array(StaticTokenSchema).default([]),
    defaultAuthorization: z
      .enum(DEFAULT_AUTHORIZATION_MODES, {
        error: (i) =>
          `defaultAuthorization '${String(i.input)}' is unknown; use one of: ${DEFAULT_AUTHORIZATION_MODES.join(', ')}`,
      })
      .default('allow-same-namespace'),
  })
  .superRefine((s, ctx) => {
    const names = new Set<string>();
    for (const [i, t] of s.tokens.entries()) {
      if (names.has(t.name))
        ctx.addIssue({
          code: 'custom',
          path: ['tokens', i, 'name'],
          message: `token name '${t.name}' is used twice`,
        });
      names.add(t.name);
    }
  });

export const AuthenticationSchema = resourceSchema(
  'tributary.dev/v1alpha1',
  'Authentication',
  AuthenticationSpecSchema.default({
    issuers: [],
    tokens: [],
    defaultAuthorization: 'allow-same-namespace',
  }),
);
export type Authentication = z.output<typeof AuthenticationSchema>;

const SelectorSchema = z.strictObject({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z
    .array(
      z.strictObject({
        key: z.string().min(1),
        operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});
export type LabelSelector = z.output<typeof SelectorSchema>;

const ToSchema = z
  .strictObject({
    ref: KReferenceSchema.omit({ namespace: true }).optional(),
    selector: SelectorSchema.optional(),
  })
  .refine((t) => (t.ref === undefined) !== (t.selector === undefined), {
    error: 'each `to` entry needs exactly one of ref or selector',
  });

const FromSchema = z
  .strictObject({ ref: KReferenceSchema.optional(), sub: z.string().min(1).optional() })
  .refine((f) => (f.ref === undefined) !== (f.sub === undefined), {
    error: 'each `from` entry needs exactly one of ref or sub',
  });

export const EventPolicySpecSchema = z.strictObject({
  to: z.array(ToSchema).optional(),
  from: z.array(FromSchema).min(1, { error: 'list at least one sender under from' }),
  filters: z.array(SubscriptionsApiFilterSchema).optional(),
});

export const EventPolicySchema = resourceSchema(
  'eventing.knative.dev/v1alpha1',
  'EventPolicy',
  EventPolicySpecSchema,
);
export type EventPolicy = z.output<typeof EventPolicySchema>;

declare module '@tributary/core' {
  interface KindMap {
    Authentication: Authentication;
    EventPolicy: EventPolicy;
  }
}

/** Authentication and EventPolicy, for `createKindSet(coreKinds, authKinds, …)`. */
export const authKinds: readonly KindDefinition[] = Object.freeze([
  defineKind({
    apiVersion: 'tributary.dev/v1alpha1',
    kind: 'Authentication',
    schema: AuthenticationSchema,
  }),
  defineKind({
    apiVersion: 'eventing.knative.dev/v1alpha1',
    kind: 'EventPolicy',
    schema: EventPolicySchema,
    // `spec.filters` are checked like a Trigger's (CESQL syntax, dialects), with positions.
    validate: (p) =>
      validateTriggerFilters({ filters: p.spec.filters }, { filterData: false }).map((x) => ({
        path: ['spec', ...x.path],
        message:
          x.offset === undefined || x.message.includes('position')
            ? x.message
            : `${x.message} (at position ${x.offset} of the expression)`,
      })),
  }),
]);
