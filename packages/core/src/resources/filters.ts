import { z } from 'zod';

/** Attribute names usable in filters: `^[a-z][a-z0-9]*$` (Knative's trigger validation). */
export const FILTER_ATTRIBUTE_PATTERN = /^[a-z][a-z0-9]*$/;

/** A filter attribute name (key of `filter.attributes`, `exact`, `prefix`, `suffix`). */
export const FilterAttributeNameSchema = z.string().regex(FILTER_ATTRIBUTE_PATTERN, {
  error: (iss) =>
    `attribute name '${String(iss.input)}' is invalid: CloudEvents attribute names are lower-case letters and digits, starting with a letter (^[a-z][a-z0-9]*$)`,
});

const attributeMap = z.record(FilterAttributeNameSchema, z.string());

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
  attributes: attributeMap.optional(),
});
export type TriggerFilter = z.output<typeof TriggerFilterSchema>;
