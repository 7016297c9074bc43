import type { z } from 'zod';
import { formatDataIssue } from '@tributary/core';
import { NonRetryableError } from './errors.js';
import type { FunctionContext, FunctionEvent, FunctionHandler, FunctionResult } from './types.js';

/**
 * Typed handlers: `handle(OrderCreated, async (event) => …)` checks the event's type and validates
 * its data against the definition's zod schema before the handler runs, so `event.data` is typed.
 * A definition is anything with `type` and a zod `schema` (optionally `name`), e.g. what
 * `defineEvent` of `@tributary/sdk` returns: producers and functions can share one module.
 */

/** The minimal shape of a typed event definition (`defineEvent` of @tributary/sdk fits it). */
export interface EventDefinitionLike<Schema extends z.ZodType = z.ZodType> {
  /** CloudEvents `type` the handler accepts. */
  readonly type: string;
  /** The zod schema of `data`. */
  readonly schema: Schema;
  /** Readable name for messages, e.g. `OrderCreated` (defaults to `type`). */
  readonly name?: string;
}

/** The event a typed handler receives: {@link FunctionEvent} with `data` validated and typed. */
export type TypedFunctionEvent<Schema extends z.ZodType> = Omit<FunctionEvent, 'data'> & {
  /** The schema's output (defaults and transforms applied). */
  readonly data: z.output<Schema>;
};

/** A handler for one event definition. */
export type TypedFunctionHandler<Schema extends z.ZodType> = (
  event: TypedFunctionEvent<Schema>,
  context: FunctionContext,
) => Promise<FunctionResult> | FunctionResult;

/** Options of {@link handle}. */
export interface HandleOptions {
  /**
   * Whether an event of another `type` is refused (400, dead-lettered). When false it is passed
   * over: the handler is not called and the delivery succeeds without reply (202).
   * @default true
   */
  readonly rejectOtherTypes?: boolean;
}

/**
 * Wraps a typed handler into a plain {@link FunctionHandler} (usable with `serve` and as an
 * in-process Function module). Data that does not match the schema fails the delivery with a
 * {@link NonRetryableError} (400) whose message names the field, e.g.
 * `OrderCreated data.total: expected number, received string`.
 *
 * @example
 * export default handle(OrderCreated, async (event) => ({
 *   type: 'com.example.order.priced', data: { orderId: event.data.orderId },
 * }));
 */
export function handle<Schema extends z.ZodType>(
  definition: EventDefinitionLike<Schema>,
  handler: TypedFunctionHandler<Schema>,
  options: HandleOptions = {},
): FunctionHandler {
  const name = definition.name ?? definition.type;
  const rejectOther = options.rejectOtherTypes ?? true;
  return async (event, context) => {
    if (event.type !== definition.type) {
      if (!rejectOther) return undefined;
      throw new NonRetryableError(
        `${name}: expected an event of type '${definition.type}', got '${event.type}'; ` +
          `filter the Trigger on type '${definition.type}'`,
      );
    }
    const result = definition.schema.safeParse(event.data);
    if (!result.success) {
      const lines = result.error.issues.map((issue) => formatDataIssue(name, event.data, issue));
      throw new NonRetryableError(lines.join('; '));
    }
    return handler({ ...event, data: result.data }, context);
  };
}
