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
  for (const [name, value] of Object.entries(event.attributes)) {
    if (name === 'datacontenttype') headers['content-type'] = value;
    else headers[`ce_${name}`] = value;
  }
  const key = event.attributes[PARTITION_KEY_EXTENSION];
  return {
    key: key === undefined ? null : Buffer.from(key, 'utf8'),
    value: event.data === undefined ? null : Buffer.from(event.data),
    headers,
  };
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

/**
 * Decodes a record that carries a CloudEvent (binary `ce_specversion` header, or structured
 * `application/cloudevents+json`); returns undefined for any other record.
 */
export function decodeRecord(
  value: Buffer | null,
  headers: RecordHeaders | undefined,
): CloudEvent | undefined {
  const h = normalizeHeaders(headers);
  const contentType = h.get('content-type');
  if (h.has('ce_specversion')) {
    const attributes: Record<string, string> = {};
    for (const [name, v] of h) if (name.startsWith('ce_')) attributes[name.slice(3)] = v;
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
