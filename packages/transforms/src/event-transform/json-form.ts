/**
 * The JSON form an expression sees and must produce: a CloudEvent in structured mode, attributes
 * as top-level fields, JSON data parsed under `data`, text data as a string, other bytes as
 * `data_base64` (docs/transforms.md).
 */
import {
  type CloudEvent,
  CloudEventDecodeError,
  fromStructured,
  toStructured,
  validateCloudEvent,
} from '@tributary/core';
import { TransformResultError } from '../errors.js';

/** The expression's input for `event`. */
export function eventToJson(event: CloudEvent): Record<string, unknown> {
  return toStructured(event);
}

const preview = (value: unknown): string => {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
};

/**
 * The CloudEvent an expression's result describes. Throws {@link TransformResultError} listing
 * every problem (missing required attributes, values that are not strings, numbers or booleans,
 * invalid names) and a preview of the result.
 */
export function jsonToEvent(result: unknown, what: string): CloudEvent {
  const fail = (problems: string[]): never => {
    throw new TransformResultError(
      `${what} is not a valid CloudEvent: ${problems.join('; ')}; the expression returned ${preview(result)}`,
    );
  };
  if (result === undefined) fail(['the expression returned nothing (undefined)']);
  if (result === null || typeof result !== 'object' || Array.isArray(result))
    fail(['it must be a JSON object with specversion, id, source and type']);
  const obj = result as Record<string, unknown>;
  const problems: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'data' || k === 'data_base64' || v === null || v === undefined) continue;
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
      problems.push(
        `attribute '${k}' must be a string, number or boolean, got ${Array.isArray(v) ? 'an array' : typeof v}`,
      );
  }
  if (problems.length > 0) fail(problems);
  let event: CloudEvent;
  try {
    event = fromStructured(obj);
  } catch (err) {
    if (!(err instanceof CloudEventDecodeError)) throw err;
    return fail([err.message]);
  }
  const invalid = validateCloudEvent(event.attributes);
  if (invalid.length > 0) fail(invalid);
  return event;
}
