import { TributaryError } from '../errors.js';
import {
  type CloudEvent,
  EXTENSION_NAME_PATTERN,
  isJsonContentType,
  isSpecAttribute,
  isWellFormed,
  validateCloudEvent,
} from './cloud-event.js';

/**
 * The CloudEvents HTTP protocol binding (binary, structured and batch content modes), pure:
 * it works on header maps and byte buffers, so both the ingress server and the delivery client
 * share it.
 */

/** Request or response headers, lower-case names (as Node's `IncomingMessage.headers`). */
export type HeaderMap = Readonly<Record<string, string | string[] | undefined>>;

export type ContentMode = 'binary' | 'structured' | 'batch';

export const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json';
export const BATCH_CONTENT_TYPE = 'application/cloudevents-batch+json';

/** Thrown when an HTTP message does not carry valid CloudEvents; `problems` lists each one. */
export class CloudEventDecodeError extends TributaryError<'TRIB_ERR_CLOUDEVENT_DECODE'> {
  constructor(
    message: string,
    readonly problems: readonly string[] = [message],
  ) {
    super('TRIB_ERR_CLOUDEVENT_DECODE', message);
  }
}

function header(headers: HeaderMap, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function contentTypeOf(headers: HeaderMap): string {
  const ct = header(headers, 'content-type') ?? '';
  const semi = ct.indexOf(';');
  return (semi === -1 ? ct : ct.slice(0, semi)).trim().toLowerCase();
}

/** Which content mode an HTTP message uses, or undefined when it is not a CloudEvent at all. */
export function detectContentMode(headers: HeaderMap): ContentMode | undefined {
  const ct = contentTypeOf(headers);
  if (ct === BATCH_CONTENT_TYPE) return 'batch';
  if (ct.startsWith('application/cloudevents') && ct.endsWith('+json')) return 'structured';
  if (header(headers, 'ce-specversion') !== undefined) return 'binary';
  return undefined;
}

/**
 * Decodes the events an HTTP message carries and validates them. Throws CloudEventDecodeError
 * naming every problem; returns the mode and the events (one, or several in batch mode).
 */
export function decodeHttp(
  headers: HeaderMap,
  body: Uint8Array,
): { mode: ContentMode; events: CloudEvent[] } {
  const mode = detectContentMode(headers);
  if (mode === undefined) {
    throw new CloudEventDecodeError(
      'request is not a CloudEvent: send binary mode (ce-specversion, ce-id, ce-source, ce-type headers) ' +
        `or structured mode (Content-Type: ${STRUCTURED_CONTENT_TYPE})`,
    );
  }
  if (mode === 'binary') return { mode, events: [checked(decodeBinary(headers, body))] };
  const json = parseJson(body);
  if (mode === 'structured') return { mode, events: [checked(fromStructured(json))] };
  if (!Array.isArray(json))
    throw new CloudEventDecodeError('batch body must be a JSON array of CloudEvents');
  const events: CloudEvent[] = [];
  const problems: string[] = [];
  json.forEach((item, i) => {
    try {
      events.push(checked(fromStructured(item)));
    } catch (err) {
      const p = err instanceof CloudEventDecodeError ? err.problems : [String(err)];
      for (const msg of p) problems.push(`event[${i}]: ${msg}`);
    }
  });
  if (problems.length > 0) throw new CloudEventDecodeError(problems.join('; '), problems);
  return { mode, events };
}

function checked(event: CloudEvent): CloudEvent {
  const problems = validateCloudEvent(event.attributes);
  if (problems.length > 0) throw new CloudEventDecodeError(problems.join('; '), problems);
  return event;
}

function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (err) {
    throw new CloudEventDecodeError(`body is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * Percent-decoding of binary-mode header values (CloudEvents HTTP binding §3.1.3.2). A value whose
 * escapes are well-formed but whose bytes are not valid UTF-8 (overlong forms, truncated sequences,
 * encoded surrogates) is refused; a `%` that starts no escape is kept as sent.
 */
function decodeHeaderValue(name: string, v: string): string {
  if (!v.includes('%')) return v;
  try {
    return decodeURIComponent(v);
  } catch {
    if (MALFORMED_ESCAPE.test(v)) return v;
    throw new CloudEventDecodeError(
      `header '${name}' value '${v}' does not percent-decode to valid UTF-8 (CloudEvents HTTP ` +
        'binding §3.1.3.2): percent-encode the UTF-8 bytes of the value, e.g. with encodeURIComponent',
    );
  }
}

/** A `%` not followed by two hex digits: not an escape at all. */
const MALFORMED_ESCAPE = /%(?![0-9A-Fa-f]{2})/;

function invalidName(name: string, mode: 'header' | 'member'): string {
  const suggestion = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  const fix = suggestion ? `rename it, e.g. '${suggestion}'` : 'rename it using only a-z and 0-9';
  const what = mode === 'header' ? `header 'ce-${name}'` : `attribute name '${name}'`;
  return `${what} is invalid: CloudEvents attribute names are lower-case ASCII letters and digits only; ${fix}`;
}

/**
 * Attribute names by `ce-` header name and header names by attribute name, each made (and, for
 * header names, checked) once rather than sliced, lower-cased, tested and interned as a property
 * name on every event: decoding and re-encoding the bench's binary event (bench/hot-path.mjs)
 * went from ~2.0-2.7 to ~0.65-0.7 µs (microbenchmark, one build per process, noisy machine).
 * Bounded, since extension names come from clients.
 */
const NAME_CACHE_LIMIT = 512;
const attributeNames = new Map<string, string>();
const headerNames = new Map<string, string>();

/** The attribute a `ce-` header carries (`name` lower-case, as Node gives it); throws if invalid. */
function attributeNameOf(name: string): string {
  const cached = attributeNames.get(name);
  if (cached !== undefined) return cached;
  const attr = name.slice(3).toLowerCase();
  // Checked here: a name such as `__proto__` would otherwise vanish on assignment.
  if (!EXTENSION_NAME_PATTERN.test(attr))
    throw new CloudEventDecodeError(invalidName(attr, 'header'));
  if (attributeNames.size < NAME_CACHE_LIMIT && name === name.toLowerCase())
    attributeNames.set(name, attr);
  return attr;
}

function headerNameOf(attr: string): string {
  let name = headerNames.get(attr);
  if (name === undefined) {
    name = `ce-${attr}`;
    if (headerNames.size < NAME_CACHE_LIMIT) headerNames.set(attr, name);
  }
  return name;
}

function decodeBinary(headers: HeaderMap, body: Uint8Array): CloudEvent {
  const attributes: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    if (name.length > 3 && name.startsWith('ce-')) {
      const v = header(headers, name);
      if (v === undefined) continue;
      attributes[attributeNameOf(name)] = decodeHeaderValue(name, v);
    }
  }
  const ct = header(headers, 'content-type');
  if (ct !== undefined && ct !== '') attributes['datacontenttype'] = ct;
  return { attributes, data: body.byteLength > 0 ? body : undefined };
}

/** The CloudEvents Integer type: signed 32-bit (spec.md, type system). */
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Canonical string form of a structured-mode attribute value. */
function attributeString(name: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isInteger(value))
      throw new CloudEventDecodeError(
        `attribute '${name}' value ${value} is not an Integer (CloudEvents has no fractional numbers): send it as a string, e.g. "${value}"`,
      );
    if (value < INT32_MIN || value > INT32_MAX)
      throw new CloudEventDecodeError(
        `attribute '${name}' value ${value} is outside the signed 32-bit Integer range (${INT32_MIN} to ${INT32_MAX}): send it as a string, e.g. "${value}"`,
      );
    return String(value);
  }
  throw new CloudEventDecodeError(
    `attribute '${name}' must be a string, number or boolean, got ${value === null ? 'null' : typeof value}`,
  );
}

/** JSON data as bytes; data nested too deeply to re-encode is a 400, not a crash. */
function jsonBytes(d: unknown): Buffer {
  try {
    return Buffer.from(JSON.stringify(d), 'utf8');
  } catch (err) {
    if (err instanceof RangeError)
      throw new CloudEventDecodeError(
        "'data' is nested too deeply to be re-encoded: flatten it, or send the event in binary mode",
      );
    throw err;
  }
}

/**
 * Builds an event from a structured-mode JSON object. Member names must be lower-case letters and
 * digits (never lower-cased here: `comExampleExt` is refused); `"data": null` is JSON null data.
 */
export function fromStructured(json: unknown): CloudEvent {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new CloudEventDecodeError('a structured CloudEvent must be a JSON object');
  }
  const attributes: Record<string, string> = {};
  let data: Uint8Array | undefined;
  const obj = json as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (key === 'data' || key === 'data_base64') continue;
    if (!EXTENSION_NAME_PATTERN.test(key))
      throw new CloudEventDecodeError(invalidName(key, 'member'));
    const value = obj[key];
    if (value === null || value === undefined) continue;
    attributes[key] = attributeString(key, value);
  }
  if (obj['data_base64'] !== undefined && obj['data_base64'] !== null) {
    if (obj['data'] !== undefined)
      throw new CloudEventDecodeError("an event may carry 'data' or 'data_base64', not both");
    if (typeof obj['data_base64'] !== 'string')
      throw new CloudEventDecodeError("'data_base64' must be a string");
    data = Buffer.from(obj['data_base64'], 'base64');
  } else if (obj['data'] !== undefined) {
    const d = obj['data'];
    const ct = attributes['datacontenttype'];
    if (typeof d === 'string' && !isJsonContentType(ct)) {
      if (!isWellFormed(d))
        throw new CloudEventDecodeError(
          `'data' holds a lone UTF-16 surrogate and cannot be encoded as UTF-8 text (content type '${ct ?? ''}'): send valid Unicode, or the bytes as data_base64`,
        );
      data = Buffer.from(d, 'utf8');
    } else data = jsonBytes(d);
    if (ct === undefined && typeof d !== 'string')
      attributes['datacontenttype'] = 'application/json';
  }
  return { attributes, data };
}

/** The structured-mode JSON object of an event: JSON data inline, text as a string, bytes as data_base64. */
export function toStructured(event: CloudEvent): Record<string, unknown> {
  const out: Record<string, unknown> = { ...event.attributes };
  const data = event.data;
  if (data === undefined) return out;
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const ct = event.attributes['datacontenttype'];
  if (isJsonContentType(ct)) {
    try {
      out['data'] = JSON.parse(buf.toString('utf8'));
      return out;
    } catch {
      // not JSON after all: fall through to base64
    }
  } else if (/^text\/|xml/.test(ct ?? '')) {
    out['data'] = buf.toString('utf8');
    return out;
  }
  out['data_base64'] = buf.toString('base64');
  return out;
}

/** Encodes header values that HTTP cannot carry as-is (binding §3.1.3.2). */
function encodeHeaderValue(name: string, v: string): string {
  // Printable ASCII except '"' and '%' passes; everything else is percent-encoded.
  if (/^[\x20-\x21\x23-\x24\x26-\x7e]*$/.test(v)) return v;
  try {
    return encodeURIComponent(v);
  } catch {
    throw new TypeError(
      `attribute '${name}' cannot be encoded in a ce-${name} header: it holds a lone UTF-16 surrogate`,
    );
  }
}

/**
 * An HTTP message (headers and body) carrying one event in the given mode; `omit` names an
 * attribute left out, as if the event did not carry it (saves copying the event to drop it).
 * With `into`, the event's headers are added to that object, which is returned as `headers` (a
 * delivery's request headers are built in one object rather than copied from a second one).
 */
export function encodeHttp(
  event: CloudEvent,
  mode: 'binary' | 'structured' = 'binary',
  omit?: string,
  into?: Record<string, string>,
): { headers: Record<string, string>; body: Uint8Array | undefined } {
  const headers: Record<string, string> = into ?? {};
  if (mode === 'structured') {
    const structured = toStructured(event);
    if (omit !== undefined) delete structured[omit];
    headers['content-type'] = `${STRUCTURED_CONTENT_TYPE}; charset=utf-8`;
    return { headers, body: Buffer.from(JSON.stringify(structured), 'utf8') };
  }
  const attributes = event.attributes;
  // for…in rather than Object.entries: no array of pairs per event.
  for (const name in attributes) {
    if (name === omit || !Object.hasOwn(attributes, name)) continue;
    const value = attributes[name]!;
    if (name === 'datacontenttype') headers['content-type'] = value;
    else headers[headerNameOf(name)] = encodeHeaderValue(name, value);
  }
  return { headers, body: event.data };
}

/** Encodes several events as one batch-mode body. */
export function encodeBatch(events: readonly CloudEvent[]): {
  headers: Record<string, string>;
  body: Uint8Array;
} {
  return {
    headers: { 'content-type': `${BATCH_CONTENT_TYPE}; charset=utf-8` },
    body: Buffer.from(JSON.stringify(events.map(toStructured)), 'utf8'),
  };
}

/** Re-exported for callers that only need to know whether a name is an extension. */
export { isSpecAttribute };
