/**
 * CloudEvents ↔ AMQP messages. The broker stores events in binary mode: every attribute is an
 * AMQP header of the same name (as Knative's RabbitMQ broker does, so headers exchanges can match
 * them), `datacontenttype` also becomes the content-type property, the data is the body.
 * Sources read any message (docs/knative-behaviour.md §7.5): binary CloudEvents (headers with `specversion`,
 * optionally prefixed `ce-`, `ce_`, `cloudEvents:` or `cloudEvents_`), structured
 * `application/cloudevents+json` bodies, and plain messages, which are wrapped.
 */
import { randomUUID } from 'node:crypto';
import { type CloudEvent, fromStructured } from '@tributary/core';
import type { MessageProperties, Options } from 'amqplib';

/** Publish options and body of an event as the broker stores it. */
export function encodeEvent(event: CloudEvent): { content: Buffer; options: Options.Publish } {
  const a = event.attributes;
  return {
    content: event.data
      ? Buffer.from(event.data.buffer, event.data.byteOffset, event.data.byteLength)
      : Buffer.alloc(0),
    options: {
      persistent: true,
      headers: { ...a },
      ...(a['datacontenttype'] !== undefined && { contentType: a['datacontenttype'] }),
      messageId: a['id'],
    },
  };
}

/** Header the broker publisher adds: ms since the epoch when it took the event (not an attribute: `x-`). */
export const ACCEPTED_AT_HEADER = 'x-tributary-accepted-ms';

const PREFIXES = ['cloudevents:', 'cloudevents_', 'ce-', 'ce_'];

/** Header value as a canonical string (AMQP tables may carry numbers, booleans, buffers, dates). */
function headerString(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object' && 'value' in (v as object))
    return headerString((v as { value: unknown }).value);
  return String(v);
}

/** `^[a-z0-9]+$`, without a regular expression (called for every header of every message). */
function isAttributeName(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39))) return false;
  }
  return true;
}

/** CloudEvent attributes carried in AMQP headers (prefixes stripped, names lower-cased), or undefined when the headers hold no `specversion`. */
export function attributesFromHeaders(
  headers: Record<string, unknown> | undefined,
): Record<string, string> | undefined {
  if (!headers) return undefined;
  const attrs: Record<string, string> = {};
  for (const rawName in headers) {
    if (!Object.hasOwn(headers, rawName)) continue;
    const raw = headers[rawName];
    // The broker's own headers are attribute names already (lower-case letters and digits, so
    // no prefix and no `x-`): taken as they are, without the lower-casing and prefix scan below.
    let name = rawName;
    if (!isAttributeName(rawName)) {
      name = rawName.toLowerCase();
      for (const p of PREFIXES)
        if (name.startsWith(p)) {
          name = name.slice(p.length);
          break;
        }
      if (name.startsWith('x-') || !isAttributeName(name)) continue;
    }
    const value = typeof raw === 'string' ? raw : headerString(raw);
    if (value !== undefined) attrs[name] = value;
  }
  return attrs['specversion'] !== undefined ? attrs : undefined;
}

/** The event the broker stored in a message (see {@link encodeEvent}). */
export function decodeEvent(content: Buffer, properties: MessageProperties): CloudEvent {
  const attributes = attributesFromHeaders(properties.headers) ?? {};
  if (attributes['datacontenttype'] === undefined && properties.contentType)
    attributes['datacontenttype'] = String(properties.contentType);
  return content.length > 0 ? { attributes, data: new Uint8Array(content) } : { attributes };
}

/** Identity of a RabbitmqSource for {@link messageToEvent}. */
export interface SourceIdentity {
  readonly namespace: string;
  readonly name: string;
  readonly queue: string;
}

/** The default `source` of a RabbitmqSource's events: `/apis/v1/namespaces/<ns>/rabbitmqsources/<name>#<queue>`. */
export function sourceUri(id: SourceIdentity): string {
  return `/apis/v1/namespaces/${id.namespace}/rabbitmqsources/${id.name}#${id.queue}`;
}

/** Maps a consumed message to the CloudEvent a RabbitmqSource emits (docs/knative-behaviour.md §7.5). */
export function messageToEvent(
  content: Buffer,
  properties: MessageProperties,
  id: SourceIdentity,
): CloudEvent {
  const contentType = properties.contentType ? String(properties.contentType) : undefined;
  const withSource = (e: CloudEvent): CloudEvent =>
    e.attributes['source'] ? e : { ...e, attributes: { ...e.attributes, source: sourceUri(id) } };
  const binary = attributesFromHeaders(properties.headers);
  if (binary) {
    if (binary['datacontenttype'] === undefined && contentType)
      binary['datacontenttype'] = contentType;
    if (binary['id'] === undefined) binary['id'] = messageIdOf(properties);
    return withSource(
      content.length > 0
        ? { attributes: binary, data: new Uint8Array(content) }
        : { attributes: binary },
    );
  }
  if (contentType?.split(';')[0]?.trim().toLowerCase() === 'application/cloudevents+json') {
    try {
      return withSource(fromStructured(JSON.parse(content.toString('utf8'))));
    } catch {
      // not a valid structured event: wrapped as a plain message below
    }
  }
  const msgId = messageIdOf(properties);
  const attributes: Record<string, string> = {
    specversion: '1.0',
    id: msgId,
    source: sourceUri(id),
    type: 'dev.knative.rabbitmq.event',
    subject: msgId,
  };
  const ts = Number(properties.timestamp);
  if (properties.timestamp !== undefined && Number.isFinite(ts))
    attributes['time'] = new Date(ts * 1000).toISOString();
  if (contentType) attributes['datacontenttype'] = contentType;
  return content.length > 0 ? { attributes, data: new Uint8Array(content) } : { attributes };
}

function messageIdOf(properties: MessageProperties): string {
  const m = properties.messageId;
  return m !== undefined && m !== null && String(m) !== '' ? String(m) : randomUUID();
}
