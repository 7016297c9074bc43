/**
 * Webhook verification schemes, all compared in constant time: HMAC signatures (GitHub-, Stripe-,
 * Slack-, Shopify-style), Standard Webhooks, HTTP basic auth, bearer tokens, plain shared tokens.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { VerificationError } from '../errors.js';
import type { HmacVerification } from '../resources/webhook.js';

/** The request as a verifier sees it. */
export interface WebhookRequest {
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Checks a request; throws {@link VerificationError} when it fails. */
export type Verifier = (req: WebhookRequest, nowMs: number) => void;

/** Constant-time string equality (both sides hashed first, so lengths do not leak either). */
export function safeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** A single header value (first of repeated ones). */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** HMAC of `content` with `secret`, encoded. */
export function hmac(
  algorithm: string,
  secret: string | Buffer,
  content: Buffer,
  encoding: 'hex' | 'base64',
): string {
  return createHmac(algorithm, secret).update(content).digest(encoding);
}

/** Parses a `k=v,k=v` list (Stripe-Signature): every value per key. */
export function parseKeyValueList(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const k = part.slice(0, eq).trim();
    const list = out.get(k) ?? [];
    list.push(part.slice(eq + 1).trim());
    out.set(k, list);
  }
  return out;
}

function checkTimestamp(
  raw: string | undefined,
  toleranceSeconds: number,
  nowMs: number,
  where: string,
): string {
  if (raw === undefined || !/^\d+$/.test(raw))
    throw new VerificationError(`missing or invalid timestamp in ${where}`);
  const skew = Math.abs(nowMs / 1000 - Number(raw));
  if (skew > toleranceSeconds)
    throw new VerificationError(
      `timestamp ${raw} is outside the tolerance of ${toleranceSeconds}s (possible replay)`,
    );
  return raw;
}

/** Builds the signed content from a template: `{body}`, `{timestamp}`, `{header:<name>}`. */
export function signedContent(
  template: string,
  req: WebhookRequest,
  timestamp: string | undefined,
): Buffer {
  const parts: Buffer[] = [];
  const re = /\{(body|timestamp|header:[^}]+)\}/g;
  let last = 0;
  for (let m = re.exec(template); m; m = re.exec(template)) {
    parts.push(Buffer.from(template.slice(last, m.index), 'utf8'));
    const name = m[1]!;
    if (name === 'body') parts.push(req.body);
    else if (name === 'timestamp') parts.push(Buffer.from(timestamp ?? '', 'utf8'));
    else parts.push(Buffer.from(header(req.headers, name.slice('header:'.length)) ?? '', 'utf8'));
    last = m.index + m[0].length;
  }
  parts.push(Buffer.from(template.slice(last), 'utf8'));
  return Buffer.concat(parts);
}

/** A verifier for a declared HMAC scheme with its resolved secret. */
export function hmacVerifier(spec: HmacVerification, secret: string): Verifier {
  return (req, nowMs) => {
    const raw = header(req.headers, spec.header);
    if (raw === undefined || raw === '')
      throw new VerificationError(`missing signature header ${spec.header}`);
    const list = spec.signatureKey !== undefined ? parseKeyValueList(raw) : undefined;
    let candidates = list ? (list.get(spec.signatureKey!) ?? []) : [raw.trim()];
    if (spec.prefix !== undefined) {
      const prefix = spec.prefix;
      candidates = candidates
        .filter((c) => c.startsWith(prefix))
        .map((c) => c.slice(prefix.length));
    }
    if (candidates.length === 0)
      throw new VerificationError(`no signature in header ${spec.header}`);
    let timestamp: string | undefined;
    if (spec.timestamp) {
      const t = spec.timestamp;
      const rawTs = t.key !== undefined ? list?.get(t.key)?.[0] : header(req.headers, t.header!);
      timestamp = checkTimestamp(
        rawTs,
        t.toleranceSeconds,
        nowMs,
        t.key !== undefined ? `${spec.header} key ${t.key}` : `header ${t.header}`,
      );
    }
    const expected = hmac(
      spec.algorithm,
      secret,
      signedContent(spec.signedContent, req, timestamp),
      spec.encoding,
    );
    // Every candidate is compared (no early exit on the first match).
    const ok = candidates.map((c) => safeEqual(c, expected)).some(Boolean);
    if (!ok) throw new VerificationError(`signature in ${spec.header} does not match`);
  };
}

/**
 * Standard Webhooks (standardwebhooks.com): `webhook-id`, `webhook-timestamp`, `webhook-signature`
 * (space-separated `v1,<base64>`), HMAC-SHA256 over `<id>.<timestamp>.<body>` with the base64 key
 * of a `whsec_` secret.
 */
export function standardWebhooksVerifier(secret: string, toleranceSeconds: number): Verifier {
  const key = Buffer.from(
    secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret,
    'base64',
  );
  return (req, nowMs) => {
    const id = header(req.headers, 'webhook-id');
    const sigs = header(req.headers, 'webhook-signature');
    if (!id || !sigs) throw new VerificationError('missing webhook-id or webhook-signature header');
    const ts = checkTimestamp(
      header(req.headers, 'webhook-timestamp'),
      toleranceSeconds,
      nowMs,
      'header webhook-timestamp',
    );
    const expected = hmac(
      'sha256',
      key,
      Buffer.concat([Buffer.from(`${id}.${ts}.`), req.body]),
      'base64',
    );
    const candidates = sigs
      .split(' ')
      .filter((s) => s.startsWith('v1,'))
      .map((s) => s.slice(3));
    if (!candidates.map((c) => safeEqual(c, expected)).some(Boolean))
      throw new VerificationError('no v1 signature in webhook-signature matches');
  };
}

/** HTTP basic auth against a username and a secret password. */
export function basicAuthVerifier(username: string, password: string): Verifier {
  const expected = `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
  return (req) => {
    const got = header(req.headers, 'authorization');
    if (!got)
      throw new VerificationError('missing Authorization header (basic auth required)', 401, true);
    if (!safeEqual(got, expected))
      throw new VerificationError('wrong basic auth credentials', 401, true);
  };
}

/** `Authorization: Bearer <token>`. */
export function bearerTokenVerifier(token: string): Verifier {
  return (req) => {
    const got = header(req.headers, 'authorization');
    if (!got) throw new VerificationError('missing Authorization header (bearer token required)');
    if (!safeEqual(got, `Bearer ${token}`)) throw new VerificationError('wrong bearer token');
  };
}
