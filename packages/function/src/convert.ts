import { randomUUID } from 'node:crypto';
import {
  type CloudEvent,
  EXTENSION_NAME_PATTERN,
  isJsonContentType,
  isSpecAttribute,
  validateCloudEvent,
} from '@tributary/core';
import { InvalidFunctionResultError } from './errors.js';
import type { FunctionEvent, FunctionResult } from './types.js';

/**
 * Conversions between Tributary's wire-level {@link CloudEvent} and the friendly shapes functions
 * use ({@link FunctionEvent} in, {@link FunctionResult} out).
 */

function bufferOf(data: Uint8Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function isTextContentType(contentType: string): boolean {
  return /^\s*text\//i.test(contentType);
}

/** Decodes data for a function: JSON → value, text/* → string, else the bytes. */
function decodeData(data: Uint8Array | undefined, contentType: string | undefined): unknown {
  if (data === undefined) return undefined;
  if (contentType !== undefined && isTextContentType(contentType))
    return bufferOf(data).toString('utf8');
  if (isJsonContentType(contentType)) {
    try {
      return JSON.parse(bufferOf(data).toString('utf8')) as unknown;
    } catch {
      return data; // declared (or defaulted to) JSON but not JSON: hand over the bytes untouched
    }
  }
  return data;
}

/** The friendly view of an event that a {@link FunctionHandler} receives. */
export function toFunctionEvent(event: CloudEvent): FunctionEvent {
  const a = event.attributes;
  const extensions: Record<string, string> = {};
  for (const [name, value] of Object.entries(a))
    if (!isSpecAttribute(name)) extensions[name] = value;
  return {
    id: a['id'] ?? '',
    type: a['type'] ?? '',
    source: a['source'] ?? '',
    specversion: a['specversion'] ?? '1.0',
    subject: a['subject'],
    time: a['time'],
    datacontenttype: a['datacontenttype'],
    dataschema: a['dataschema'],
    data: decodeData(event.data, a['datacontenttype']),
    extensions,
    attributes: a,
  };
}

const RESERVED_FIELDS = [
  'type',
  'source',
  'id',
  'subject',
  'time',
  'datacontenttype',
  'dataschema',
] as const;

/**
 * The CloudEvent a handler's return value stands for, or undefined when it returned nothing.
 * Fills `specversion` 1.0, `id` (a UUID) and `source` (the input event's); encodes data (see
 * {@link FunctionReply.data}). Throws {@link InvalidFunctionResultError} naming every problem.
 */
export function fromFunctionResult(
  result: FunctionResult,
  input: CloudEvent,
): CloudEvent | undefined {
  if (result === undefined || result === null) return undefined;
  if (typeof result !== 'object' || Array.isArray(result)) {
    throw new InvalidFunctionResultError(
      `a function must return nothing or a reply object with at least 'type', got ${Array.isArray(result) ? 'an array' : typeof result}`,
    );
  }
  const problems: string[] = [];
  const attributes: Record<string, string> = { specversion: '1.0' };
  for (const name of RESERVED_FIELDS) {
    const v: unknown = result[name];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string')
      problems.push(`reply field '${name}' must be a string, got ${typeof v}`);
    else attributes[name] = v;
  }
  attributes['id'] ??= randomUUID();
  const inputSource = input.attributes['source'];
  if (attributes['source'] === undefined && inputSource !== undefined)
    attributes['source'] = inputSource;

  for (const [rawName, value] of Object.entries(result.extensions ?? {})) {
    const name = rawName.toLowerCase();
    if (!EXTENSION_NAME_PATTERN.test(name)) {
      problems.push(
        `extension name '${rawName}' is invalid: use lower-case ASCII letters and digits`,
      );
    } else if (isSpecAttribute(name)) {
      problems.push(
        `extension '${rawName}' names a spec attribute; set it as a reply field instead`,
      );
    } else if (
      typeof value !== 'string' &&
      typeof value !== 'number' &&
      typeof value !== 'boolean'
    ) {
      problems.push(
        `extension '${rawName}' must be a string, number or boolean, got ${typeof value}`,
      );
    } else {
      attributes[name] = String(value);
    }
  }

  let data: Uint8Array | undefined;
  const d = result.data;
  if (d instanceof Uint8Array) {
    data = d;
    attributes['datacontenttype'] ??= 'application/octet-stream';
  } else if (typeof d === 'string') {
    data = Buffer.from(d, 'utf8');
    attributes['datacontenttype'] ??= 'text/plain; charset=utf-8';
  } else if (d !== undefined) {
    attributes['datacontenttype'] ??= 'application/json';
    if (!isJsonContentType(attributes['datacontenttype'])) {
      problems.push(
        `reply data is a ${d === null ? 'null' : typeof d} but datacontenttype '${attributes['datacontenttype']}' is not JSON; ` +
          'pass a string or Uint8Array for non-JSON content',
      );
    } else {
      const json = safeStringify(d);
      if (json === undefined) problems.push('reply data cannot be encoded as JSON');
      else data = Buffer.from(json, 'utf8');
    }
  }

  problems.push(...validateCloudEvent(attributes));
  if (problems.length > 0) {
    throw new InvalidFunctionResultError(
      `invalid function reply: ${problems.join('; ')}`,
      problems,
    );
  }
  return { attributes, data };
}

function safeStringify(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}
