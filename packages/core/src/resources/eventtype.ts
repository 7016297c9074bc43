/**
 * EventType (`eventing.knative.dev/v1beta3`) with Knative's fields: `spec.reference` (the
 * addressable the events enter, normally a Broker), `spec.description`, and `spec.attributes`
 * (CloudEvents attributes: `name`, `required`, `value`). Tributary reads a JSON Schema of the
 * data from the annotation `tributary.dev/data-schema` or from `status.schema`
 * (docs/event-catalog.md).
 */
import { z } from 'zod';
import { KReferenceSchema } from './common.js';
import { resourceSchema } from './kinds.js';

export const EVENTING_V1BETA3 = 'eventing.knative.dev/v1beta3';

export { EVENTTYPE_AUTO_CREATE as EVENTTYPE_AUTO_CREATE_ANNOTATION } from './annotations.js';
/** EventType annotation holding a JSON Schema of the data (JSON text). */
export const EVENTTYPE_SCHEMA_ANNOTATION = 'tributary.dev/data-schema';

export const EventAttributeDefinitionSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9]+$/, {
    error: (iss) =>
      `attribute name '${String(iss.input)}' is invalid: CloudEvents attribute names are lower-case letters and digits`,
  }),
  required: z.boolean().default(false),
  value: z.string().optional(),
});
export type EventAttributeDefinition = z.output<typeof EventAttributeDefinitionSchema>;

export const EventTypeSpecSchema = z.strictObject({
  reference: KReferenceSchema.optional(),
  description: z.string().optional(),
  attributes: z.array(EventAttributeDefinitionSchema).default([]),
});
export const EventTypeSchema = resourceSchema(
  EVENTING_V1BETA3,
  'EventType',
  EventTypeSpecSchema.default({ attributes: [] }),
);
export type EventType = z.output<typeof EventTypeSchema>;

/** The value of attribute `name` an EventType declares, if any. */
export function eventTypeAttribute(et: Pick<EventType, 'spec'>, name: string): string | undefined {
  return et.spec.attributes.find((a) => a.name === name)?.value;
}

/** Checks an EventType: one definition per attribute, and a `type` value to catalog it by. */
export function validateEventType(et: EventType): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const seen = new Set<string>();
  et.spec.attributes.forEach((a, i) => {
    if (seen.has(a.name))
      problems.push({
        path: ['spec', 'attributes', i, 'name'],
        message: `attribute '${a.name}' is defined twice; keep one`,
      });
    seen.add(a.name);
  });
  if (!eventTypeAttribute(et, 'type'))
    problems.push({
      path: ['spec', 'attributes'],
      message: "declare the event's type: an attribute { name: type, value: com.example.thing }",
    });
  const schema = et.metadata.annotations?.[EVENTTYPE_SCHEMA_ANNOTATION];
  if (schema !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(schema);
    } catch (err) {
      parsed = err;
    }
    if (parsed === null || typeof parsed !== 'object' || parsed instanceof Error)
      problems.push({
        path: ['metadata', 'annotations', EVENTTYPE_SCHEMA_ANNOTATION],
        message: `${EVENTTYPE_SCHEMA_ANNOTATION} must be a JSON Schema object written as JSON, e.g. {"type":"object"}`,
      });
  }
  return problems;
}
