import { randomUUID } from 'node:crypto';
import {
  type CloudEvent,
  isJsonContentType,
  isSpecAttribute,
  validateCloudEvent,
} from '@tributary/core';
import { ProducerValidationError } from './errors.js';

/** Extension attribute values: CloudEvents String, Integer or Boolean. */
export type ExtensionValue = string | number | boolean;

/** An event to send, before the producer fills `id`, `time`, `specversion` and the default `source`. */
export interface EventInput {
  /** Event type, e.g. `com.example.order.created`. Required, non-empty. */
  readonly type: string;
  /** URI-reference of the producer; defaults to the producer's `source` option. */
  readonly source?: string;
  /** Unique id; defaults to a random UUID. */
  readonly id?: string;
  /** Occurrence time (RFC 3339 string or Date); defaults to now. */
  readonly time?: string | Date;
  readonly subject?: string;
  /** Media type of `data`; defaults to `application/json` (or `application/octet-stream` for bytes). */
  readonly datacontenttype?: string;
  /** Absolute URI of the data's schema. */
  readonly dataschema?: string;
  /**
   * The payload. A `Uint8Array` is sent as-is; a string with a non-JSON content type is sent as
   * UTF-8 text; anything else is JSON-encoded.
   */
  readonly data?: unknown;
  /** Extension attributes: names are lower-case ASCII letters and digits. */
  readonly extensions?: Readonly<Record<string, ExtensionValue>>;
}

const EXTENSION_NAME = /^[a-z0-9]+$/;
const RESERVED = new Set(['data', 'data_base64', 'specversion']);
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** The CloudEvents `Integer` range and canonical form; booleans as `true`/`false`. */
function extensionString(field: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX) return String(value);
    throw new ProducerValidationError(
      field,
      value,
      `${field}: numeric extension values must be 32-bit integers (CloudEvents Integer), got ${value}; send a string instead`,
    );
  }
  throw new ProducerValidationError(
    field,
    value,
    `${field}: extension values must be a string, number or boolean, got ${value === null ? 'null' : typeof value}`,
  );
}

function requireText(field: string, value: unknown, required: boolean): string | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value === '') {
    throw new ProducerValidationError(
      field,
      value,
      `${field}: ${required ? 'is required and ' : ''}must be a non-empty string, got ${describe(value)}`,
    );
  }
  return value;
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') return `'${value}'`;
  return typeof value;
}

function encodeData(input: EventInput): { data?: Uint8Array; contentType?: string } {
  const { data, datacontenttype: ct } = input;
  if (data === undefined) return { contentType: ct };
  if (data instanceof Uint8Array) return { data, contentType: ct ?? 'application/octet-stream' };
  if (typeof data === 'string' && ct !== undefined && !isJsonContentType(ct)) {
    return { data: Buffer.from(data, 'utf8'), contentType: ct };
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(data);
  } catch (err) {
    throw new ProducerValidationError(
      'data',
      data,
      `data: cannot be JSON-encoded: ${(err as Error).message}`,
    );
  }
  if (json === undefined)
    throw new ProducerValidationError(
      'data',
      data,
      `data: a ${typeof data} cannot be JSON-encoded`,
    );
  return { data: Buffer.from(json, 'utf8'), contentType: ct ?? 'application/json' };
}

/**
 * Turns an {@link EventInput} into the wire-level {@link CloudEvent}: fills `specversion` 1.0, a
 * UUID `id`, the current `time` and `defaultSource`, encodes `data`, and validates every attribute.
 * Throws {@link ProducerValidationError} naming the first invalid field (all problems in `problems`).
 */
export function buildEvent(input: EventInput, defaultSource?: string): CloudEvent {
  if (input === null || typeof input !== 'object') {
    throw new ProducerValidationError(
      'event',
      input,
      `event: must be an object with at least 'type', got ${describe(input)}`,
    );
  }
  const attributes: Record<string, string> = { specversion: '1.0' };
  attributes['id'] = requireText('id', input.id ?? randomUUID(), true)!;
  attributes['type'] = requireText('type', input.type, true)!;
  const source = input.source ?? defaultSource;
  if (source === undefined) {
    throw new ProducerValidationError(
      'source',
      undefined,
      "source: is required: set it on the event or pass 'source' to createProducer()",
    );
  }
  attributes['source'] = requireText('source', source, true)!;
  const subject = requireText('subject', input.subject, false);
  if (subject !== undefined) attributes['subject'] = subject;
  const time = input.time ?? new Date();
  if (time instanceof Date) {
    if (Number.isNaN(time.getTime()))
      throw new ProducerValidationError('time', time, 'time: is an invalid Date');
    attributes['time'] = time.toISOString();
  } else attributes['time'] = requireText('time', time, true)!;
  const dataschema = requireText('dataschema', input.dataschema, false);
  if (dataschema !== undefined) attributes['dataschema'] = dataschema;
  if (input.datacontenttype !== undefined)
    requireText('datacontenttype', input.datacontenttype, true);
  const { data, contentType } = encodeData(input);
  if (contentType !== undefined) attributes['datacontenttype'] = contentType;

  for (const [name, value] of Object.entries(input.extensions ?? {})) {
    const field = `extensions.${name}`;
    if (!EXTENSION_NAME.test(name)) {
      throw new ProducerValidationError(
        field,
        value,
        `${field}: extension names must be lower-case ASCII letters and digits (a-z, 0-9), got '${name}'`,
      );
    }
    if (isSpecAttribute(name) || RESERVED.has(name)) {
      throw new ProducerValidationError(
        field,
        value,
        `${field}: '${name}' is a CloudEvents attribute, set it as a top-level field instead`,
      );
    }
    if (value === undefined) continue;
    attributes[name] = extensionString(field, value);
  }

  const problems = validateCloudEvent(attributes);
  if (problems.length > 0) {
    const name = /'([a-z0-9]+)'/.exec(problems[0]!)?.[1] ?? 'event';
    const field = name in (input.extensions ?? {}) ? `extensions.${name}` : name;
    throw new ProducerValidationError(
      field,
      attributes[name],
      `${field}: ${problems[0]}`,
      problems,
    );
  }
  return { attributes, data };
}
