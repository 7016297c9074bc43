/**
 * CloudEvents ⇄ Kafka records, Kafka protocol binding: binary content mode (`ce_<attr>` headers,
 * `content-type` for `datacontenttype`, value = data) for what Tributary writes; binary or
 * structured (`content-type: application/cloudevents+json`) for what it reads.
 */
import { type CloudEvent, fromStructured } from '@tributary/core';
import { KafkaRecordError } from './errors.js';

/** A record as kafkajs takes it for producing. */
export interface OutgoingRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** Headers as kafkajs delivers them (values may be buffers, strings, arrays or undefined). */
export type RecordHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** Extension whose value becomes the record key (Knative's Kafka broker). */
export const PARTITION_KEY_EXTENSION = 'partitionkey';

/** Encodes an event in binary content mode; the key is its `partitionkey` extension, if any. */
export function encodeRecord(event: CloudEvent): OutgoingRecord {
  const headers: Record<string, string> = {};
  const { attributes, data } = event;
  for (const name of Object.keys(attributes)) headers[headerOf(name)] = attributes[name]!;
  const key = attributes[PARTITION_KEY_EXTENSION];
  return {
    key: key === undefined ? null : Buffer.from(key, 'utf8'),
    // A view of the event's bytes, not a copy: the produce encoder copies them into the request.
    value: data === undefined ? null : Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    headers,
  };
}

/** Attribute name → header name, for the names every event repeats (no string built per event). */
const headerNames = new Map<string, string>();

function headerOf(attribute: string): string {
  let h = headerNames.get(attribute);
  if (h === undefined) {
    h = attribute === 'datacontenttype' ? 'content-type' : `ce_${attribute}`;
    if (headerNames.size >= 1024) headerNames.clear();
    headerNames.set(attribute, h);
  }
  return h;
}

/** A header's value as a UTF-8 string (the last one when repeated). */
export function headerString(value: RecordHeaders[string]): string | undefined {
  if (value === undefined) return undefined;
  const v = Array.isArray(value) ? value[value.length - 1] : value;
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : v.toString('utf8');
}

/** Header names lower-cased, values as strings. */
export function normalizeHeaders(headers: RecordHeaders | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of Object.entries(headers ?? {})) {
    const s = headerString(value);
    if (s !== undefined) out.set(name.toLowerCase(), s);
  }
  return out;
}

const CONTENT_TYPE = Symbol('content-type');
/** Header name → attribute name (CONTENT_TYPE, or null for other headers), for repeated names. */
const attributeNames = new Map<string, string | typeof CONTENT_TYPE | null>();

function attributeOf(name: string): string | typeof CONTENT_TYPE | null {
  let a = attributeNames.get(name);
  if (a === undefined) {
    const lower = name.toLowerCase();
    a = lower.startsWith('ce_') ? lower.slice(3) : lower === 'content-type' ? CONTENT_TYPE : null;
    if (attributeNames.size >= 1024) attributeNames.clear();
    attributeNames.set(name, a);
  }
  return a;
}

/**
 * Decodes a record that carries a CloudEvent (binary `ce_specversion` header, or structured
 * `application/cloudevents+json`); returns undefined for any other record.
 */
export function decodeRecord(
  value: Buffer | null,
  headers: RecordHeaders | undefined,
): CloudEvent | undefined {
  // One pass over the headers, what normalizeHeaders gives without building a Map and new
  // attribute names for every record: 1.9 to 1.2 µs a CloudEvent record.
  const attributes: Record<string, string> = {};
  let contentType: string | undefined;
  let binary = false;
  if (headers)
    for (const name of Object.keys(headers)) {
      const a = attributeOf(name);
      if (a === null) continue;
      const v = headerString(headers[name]);
      if (v === undefined) continue;
      if (a === CONTENT_TYPE) contentType = v;
      else {
        attributes[a] = v;
        if (a === 'specversion') binary = true;
      }
    }
  if (binary) {
    if (contentType !== undefined) attributes['datacontenttype'] = contentType;
    return value === null ? { attributes } : { attributes, data: new Uint8Array(value) };
  }
  if (contentType?.toLowerCase().startsWith('application/cloudevents+json')) {
    let json: unknown;
    try {
      json = JSON.parse((value ?? Buffer.alloc(0)).toString('utf8'));
    } catch (err) {
      throw new KafkaRecordError(
        `record has content-type ${contentType} but its value is not JSON: ${(err as Error).message}`,
        { cause: err },
      );
    }
    return fromStructured(json);
  }
  return undefined;
}
