import { z } from 'zod';

/** Attribute names usable in filters: `^[a-z][a-z0-9]*$` (Knative's trigger validation). */
export const FILTER_ATTRIBUTE_PATTERN = /^[a-z][a-z0-9]*$/;

const attributeMap = z.record(
  z.string().regex(FILTER_ATTRIBUTE_PATTERN, 'attribute names are lower-case letters and digits, starting with a letter'),
  z.string(),
);

/** One entry of a Trigger's `filters` (CloudEvents Subscriptions API dialects): exactly one dialect. */
export interface SubscriptionsApiFilter {
  exact?: Record<string, string> | undefined;
  prefix?: Record<string, string> | undefined;
  suffix?: Record<string, string> | undefined;
  all?: SubscriptionsApiFilter[] | undefined;
  any?: SubscriptionsApiFilter[] | undefined;
  not?: SubscriptionsApiFilter | undefined;
  cesql?: string | undefined;
}

export const DIALECTS = ['exact', 'prefix', 'suffix', 'all', 'any', 'not', 'cesql'] as const;

export const SubscriptionsApiFilterSchema: z.ZodType<SubscriptionsApiFilter> = z.lazy(() =>
  z
    .strictObject({
      exact: attributeMap.optional(),
      prefix: attributeMap.optional(),
      suffix: attributeMap.optional(),
      all: z.array(SubscriptionsApiFilterSchema).optional(),
      any: z.array(SubscriptionsApiFilterSchema).optional(),
      not: SubscriptionsApiFilterSchema.optional(),
      cesql: z.string().optional(),
    })
    .superRefine((f, ctx) => {
      const set = DIALECTS.filter((d) => f[d] !== undefined);
      if (set.length > 1) {
        ctx.addIssue({
          code: 'custom',
          message: `multiple dialects found (${set.join(', ')}): put each in its own filters entry`,
        });
      }
    }),
);

/** The legacy `filter: { attributes: {...} }`. */
export const TriggerFilterSchema = z.strictObject({
  attributes: z.record(z.string(), z.string()).optional(),
});
export type TriggerFilter = z.output<typeof TriggerFilterSchema>;
