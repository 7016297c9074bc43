/**
 * Schemas of the flow kinds, with Knative's field names: `messaging.knative.dev/v1` Channel,
 * InMemoryChannel, Subscription and `flows.knative.dev/v1` Sequence, Parallel. Strict objects, so an
 * unknown field is an error naming it.
 */
import { z } from 'zod';
import {
  DeliverySpecSchema,
  DestinationSchema,
  KReferenceSchema,
  SubscriptionsApiFilterSchema,
  resourceSchema,
} from '@tributary/core';

/** `messaging.knative.dev/v1`. */
export const MESSAGING_V1 = 'messaging.knative.dev/v1';
/** `flows.knative.dev/v1`. */
export const FLOWS_V1 = 'flows.knative.dev/v1';

/**
 * `channelTemplate`: which channel kind backs a Channel, Sequence or Parallel (InMemoryChannel by
 * default). `spec` is the spec of the channels it creates (for InMemoryChannel: `delivery`).
 */
export const ChannelTemplateSchema = z.strictObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  spec: z.record(z.string(), z.unknown()).optional(),
});
export type ChannelTemplate = z.output<typeof ChannelTemplateSchema>;

/** One entry of an InMemoryChannel's `spec.subscribers` (normally written by the Subscription reconciler). */
export const SubscriberSpecSchema = z.strictObject({
  uid: z.string().optional(),
  generation: z.number().optional(),
  name: z.string().optional(),
  subscriberUri: z.url().optional(),
  subscriberCACerts: z.string().optional(),
  subscriberAudience: z.string().optional(),
  replyUri: z.url().optional(),
  replyCACerts: z.string().optional(),
  replyAudience: z.string().optional(),
  delivery: DeliverySpecSchema.optional(),
});
export type SubscriberSpec = z.output<typeof SubscriberSpecSchema>;

export const InMemoryChannelSpecSchema = z.strictObject({
  delivery: DeliverySpecSchema.optional(),
  subscribers: z.array(SubscriberSpecSchema).optional(),
});
export const InMemoryChannelSchema = resourceSchema(
  MESSAGING_V1,
  'InMemoryChannel',
  InMemoryChannelSpecSchema.default({}),
);
export type InMemoryChannel = z.output<typeof InMemoryChannelSchema>;

export const ChannelSpecSchema = z.strictObject({
  channelTemplate: ChannelTemplateSchema.optional(),
  delivery: DeliverySpecSchema.optional(),
  subscribers: z.array(SubscriberSpecSchema).optional(),
});
export const ChannelSchema = resourceSchema(MESSAGING_V1, 'Channel', ChannelSpecSchema.default({}));
export type Channel = z.output<typeof ChannelSchema>;

export const SubscriptionSpecSchema = z.strictObject({
  channel: KReferenceSchema,
  subscriber: DestinationSchema,
  reply: DestinationSchema.optional(),
  delivery: DeliverySpecSchema.optional(),
});
export const SubscriptionSchema = resourceSchema(
  MESSAGING_V1,
  'Subscription',
  SubscriptionSpecSchema,
);
export type Subscription = z.output<typeof SubscriptionSchema>;

/** A Sequence step: a Destination plus the delivery of that step's subscription. */
export const SequenceStepSchema = DestinationSchema.safeExtend({
  delivery: DeliverySpecSchema.optional(),
});
export type SequenceStep = z.output<typeof SequenceStepSchema>;

export const SequenceSpecSchema = z.strictObject({
  steps: z.array(SequenceStepSchema).min(1, { error: 'steps needs at least one step' }),
  channelTemplate: ChannelTemplateSchema.optional(),
  reply: DestinationSchema.optional(),
});
export const SequenceSchema = resourceSchema(FLOWS_V1, 'Sequence', SequenceSpecSchema);
export type Sequence = z.output<typeof SequenceSchema>;

/**
 * A Parallel branch. `filter` is a service (Knative): the branch proceeds with the filter's reply.
 * `filters` (Tributary extension, not Knative) are Trigger filter dialects evaluated in-process.
 */
export const ParallelBranchSchema = z
  .strictObject({
    filter: DestinationSchema.optional(),
    filters: z.array(SubscriptionsApiFilterSchema).optional(),
    subscriber: DestinationSchema,
    reply: DestinationSchema.optional(),
    delivery: DeliverySpecSchema.optional(),
  })
  .superRefine((b, ctx) => {
    if (b.filter && b.filters)
      ctx.addIssue({
        code: 'custom',
        path: ['filters'],
        message: 'set filter (a filter service) or filters (in-process filter dialects), not both',
      });
  });
export type ParallelBranch = z.output<typeof ParallelBranchSchema>;

export const ParallelSpecSchema = z.strictObject({
  branches: z.array(ParallelBranchSchema).min(1, { error: 'branches needs at least one branch' }),
  channelTemplate: ChannelTemplateSchema.optional(),
  reply: DestinationSchema.optional(),
});
export const ParallelSchema = resourceSchema(FLOWS_V1, 'Parallel', ParallelSpecSchema);
export type Parallel = z.output<typeof ParallelSchema>;
