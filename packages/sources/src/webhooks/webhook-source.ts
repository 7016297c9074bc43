/**
 * WebhookSource: verification declared in YAML and attributes taken from constants, request
 * headers or JSON pointers into the body.
 */
import { randomUUID } from 'node:crypto';
import { HttpError } from '@tributary/broker';
import { type CloudEvent, nowRfc3339Nano } from '@tributary/core';
import type { ValueFrom, Verification, WebhookSource } from '../resources/webhook.js';
import {
  type Verifier,
  type WebhookRequest,
  basicAuthVerifier,
  bearerTokenVerifier,
  header,
  hmacVerifier,
  standardWebhooksVerifier,
} from './verify.js';

/** Resolves a `{secretKeyRef}` to its value (throws when it cannot). */
export type SecretLookup = (ref: { secretKeyRef: { name: string; key: string } }) => string;

/** Compiles `spec.verification` with its secrets resolved; `undefined` when none is declared. */
export function compileVerification(
  v: Verification | undefined,
  secret: SecretLookup,
): Verifier | undefined {
  if (!v) return undefined;
  if (v.hmac) return hmacVerifier(v.hmac, secret(v.hmac.secret));
  if (v.standardWebhooks)
    return standardWebhooksVerifier(
      secret(v.standardWebhooks.secret),
      v.standardWebhooks.toleranceSeconds,
    );
  if (v.basicAuth) return basicAuthVerifier(v.basicAuth.username, secret(v.basicAuth.password));
  if (v.bearerToken) return bearerTokenVerifier(secret(v.bearerToken.token));
  return undefined;
}

/** Evaluates an RFC 6901 JSON pointer. */
export function jsonPointer(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  let cur = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) cur = /^(0|[1-9]\d*)$/.test(token) ? cur[Number(token)] : undefined;
    else if (cur !== null && typeof cur === 'object')
      cur = Object.hasOwn(cur, token) ? (cur as Record<string, unknown>)[token] : undefined;
    else return undefined;
  }
  return cur;
}

/** Reads a declared value; `undefined` when the header or pointer is absent (or not a scalar). */
export function readValue(
  spec: ValueFrom,
  req: WebhookRequest,
  body: () => unknown,
): string | undefined {
  if (spec.value !== undefined) return spec.value;
  let raw: unknown;
  if (spec.header !== undefined) raw = header(req.headers, spec.header);
  else raw = jsonPointer(body(), spec.jsonPointer!);
  if (typeof raw === 'number' || typeof raw === 'boolean') raw = String(raw);
  if (typeof raw !== 'string' || raw === '') return undefined;
  return (spec.prefix ?? '') + raw;
}

const describe = (v: ValueFrom) =>
  v.header !== undefined
    ? `header ${v.header}`
    : v.jsonPointer !== undefined
      ? `JSON pointer ${v.jsonPointer}`
      : 'value';

/** Maps a verified request to the event of a WebhookSource (data: the body, byte for byte). */
export function webhookEvent(
  source: WebhookSource,
  req: WebhookRequest,
): { event: CloudEvent; deliveryId?: string | undefined } {
  const spec = source.spec.event;
  let parsed: { value: unknown } | undefined;
  const body = () => {
    if (!parsed) {
      try {
        parsed = { value: JSON.parse(req.body.toString('utf8')) };
      } catch {
        throw new HttpError(
          400,
          'the request body is not JSON, but this WebhookSource reads attributes with JSON pointers',
        );
      }
    }
    return parsed.value;
  };
  const required = (name: string, v: ValueFrom) => {
    const value = readValue(v, req, body);
    if (value === undefined)
      throw new HttpError(400, `cannot set ${name}: ${describe(v)} is missing from the request`);
    return value;
  };
  const standardId = source.spec.verification?.standardWebhooks
    ? header(req.headers, 'webhook-id')
    : undefined;
  const declaredId = spec.id ? required('id', spec.id) : standardId;
  const attributes: Record<string, string> = {
    specversion: '1.0',
    id: declaredId ?? randomUUID(),
    type: required('type', spec.type),
    source: required('source', spec.source),
    time: nowRfc3339Nano(),
  };
  const subject = spec.subject ? readValue(spec.subject, req, body) : undefined;
  if (subject !== undefined) attributes['subject'] = subject;
  const contentType = spec.dataContentType ?? header(req.headers, 'content-type');
  if (contentType && req.body.length > 0) attributes['datacontenttype'] = contentType;
  const event: CloudEvent = req.body.length > 0 ? { attributes, data: req.body } : { attributes };
  return { event, deliveryId: declaredId };
}
