import type { z } from 'zod';
import { dataPath, formatDataIssue, valueAt } from '@tributary/core';
import { ProducerValidationError } from './errors.js';
import type { EventInput } from './event-input.js';

const BRAND = Symbol.for('tributary.sdk.EventDefinition');

/** Attributes a typed send may still set per call (`type` and `data` come from the definition). */
export type EventOverrides = Pick<EventInput, 'id' | 'source' | 'time' | 'subject' | 'extensions'>;

/**
 * A typed event: its CloudEvents `type` (and optional `source`/`dataschema`) bound to a zod schema
 * for `data`. `Schema`'s input type is what `producer.send(definition, data)` accepts.
 */
export interface EventDefinition<Schema extends z.ZodType = z.ZodType> {
  readonly [BRAND]: true;
  /** Name used in error messages (defaults to `type`). */
  readonly name: string;
  readonly type: string;
  readonly source?: string;
  readonly dataschema?: string;
  readonly schema: Schema;
  /**
   * Validates `data` against the schema and returns the {@link EventInput} to send (with the
   * schema's output, so defaults and transforms apply). Throws {@link ProducerValidationError}.
   */
  event(data: z.input<Schema>, overrides?: EventOverrides): EventInput;
}

/** Options of {@link defineEvent}. */
export interface DefineEventOptions<Schema extends z.ZodType> {
  /** CloudEvents `type`, e.g. `com.example.order.created`. */
  readonly type: string;
  /** Default `source` for this event (else the producer's). */
  readonly source?: string;
  /** Optional `dataschema` URI sent with every event of this kind. */
  readonly dataschema?: string;
  /** A readable name for messages, e.g. `OrderCreated` (defaults to `type`). */
  readonly name?: string;
  /** The zod schema of `data`. */
  readonly schema: Schema;
}

/** The data type `producer.send(definition, data)` accepts for a definition. */
export type EventData<D> = D extends EventDefinition<infer S> ? z.input<S> : never;

/**
 * Defines a typed event. `producer.send(OrderCreated, data)` then checks `data` at compile time
 * (TypeScript infers it from the schema) and at run time (zod), failing with a message that
 * names the field, e.g. `OrderCreated data.total: expected number, received string`.
 *
 * @example
 * const OrderCreated = defineEvent({ name: 'OrderCreated', type: 'com.example.order.created',
 *   schema: z.object({ orderId: z.string(), total: z.number() }) });
 */
export function defineEvent<Schema extends z.ZodType>(
  options: DefineEventOptions<Schema>,
): EventDefinition<Schema> {
  const name = options.name ?? options.type;
  return {
    [BRAND]: true,
    name,
    type: options.type,
    source: options.source,
    dataschema: options.dataschema,
    schema: options.schema,
    event(data, overrides = {}) {
      const result = options.schema.safeParse(data);
      if (!result.success) {
        const lines = result.error.issues.map((issue) => formatDataIssue(name, data, issue));
        const first = result.error.issues[0]!;
        const field = dataPath(first.path);
        throw new ProducerValidationError(
          field,
          valueAt(data, first.path),
          lines.join('; '),
          lines,
        );
      }
      return {
        type: options.type,
        source: overrides.source ?? options.source,
        dataschema: options.dataschema,
        id: overrides.id,
        time: overrides.time,
        subject: overrides.subject,
        extensions: overrides.extensions,
        datacontenttype: 'application/json',
        data: result.data,
      };
    },
  };
}

/** True when `value` was made by {@link defineEvent}. */
export function isEventDefinition(value: unknown): value is EventDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[BRAND] === true
  );
}
