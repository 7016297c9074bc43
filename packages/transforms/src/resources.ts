/**
 * Schemas of `eventing.knative.dev/v1alpha1` EventTransform and RequestReply, with Knative's field
 * names (docs/transforms.md, docs/request-reply.md). Strict objects: an unknown field is an error
 * naming it.
 */
import { z } from 'zod';
import {
  DeliverySpecSchema,
  DestinationSchema,
  IsoDurationSchema,
  KReferenceSchema,
  resourceSchema,
} from '@tributary/core';

/** `eventing.knative.dev/v1alpha1`. */
export const EVENTING_V1ALPHA1 = 'eventing.knative.dev/v1alpha1';

/** `jsonata: { expression }`. */
export const JsonataTransformationSchema = z.strictObject({
  expression: z.string().optional(),
});

/** `spec.reply`: a transformation of the sink's reply, or `discard: true`. */
export const EventTransformReplySchema = z.strictObject({
  jsonata: JsonataTransformationSchema.optional(),
  discard: z.boolean().optional(),
});

export const EventTransformSpecSchema = z.strictObject({
  sink: DestinationSchema.optional(),
  reply: EventTransformReplySchema.optional(),
  jsonata: JsonataTransformationSchema.optional(),
});
export const EventTransformSchema = resourceSchema(
  EVENTING_V1ALPHA1,
  'EventTransform',
  EventTransformSpecSchema,
);
export type EventTransform = z.output<typeof EventTransformSchema>;

/** Knative's defaults for the RequestReply attribute names and timeout. */
export const DEFAULT_CORRELATION_ATTRIBUTE = 'correlationid';
export const DEFAULT_REPLY_ATTRIBUTE = 'replyid';
export const DEFAULT_REQUEST_TIMEOUT = 'PT30S';

export const RequestReplySpecSchema = z.strictObject({
  brokerRef: KReferenceSchema,
  correlationAttribute: z.string().optional(),
  replyAttribute: z.string().optional(),
  timeout: IsoDurationSchema.optional(),
  delivery: DeliverySpecSchema.optional(),
});
export const RequestReplySchema = resourceSchema(
  EVENTING_V1ALPHA1,
  'RequestReply',
  RequestReplySpecSchema,
);
export type RequestReply = z.output<typeof RequestReplySchema>;

/** Tributary's bound on requests one RequestReply holds at once in a process (503 beyond). */
export const MAX_HELD_REQUESTS_ANNOTATION = 'tributary.dev/max-held-requests';
/** Default of {@link MAX_HELD_REQUESTS_ANNOTATION}. */
export const DEFAULT_MAX_HELD_REQUESTS = 1000;
