/**
 * Standard Webhooks signatures on deliveries (docs/security.md): `webhook-id`,
 * `webhook-timestamp` (Unix seconds) and `webhook-signature` = `v1,` + base64 HMAC-SHA256 of
 * `<id>.<timestamp>.<body>` with the secret (`whsec_<base64>`, or any other string used as is).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The secret's key bytes: base64 after `whsec_`, else the UTF-8 bytes of the string. */
export function webhookSecretKey(secret: string): Buffer {
  return secret.startsWith('whsec_')
    ? Buffer.from(secret.slice(6), 'base64')
    : Buffer.from(secret, 'utf8');
}

/** The three headers for one delivery attempt. */
export function signWebhook(
  key: Buffer,
  id: string,
  body: Uint8Array | undefined,
  nowSeconds = Math.floor(Date.now() / 1000),
): Record<string, string> {
  const ts = String(nowSeconds);
  const mac = createHmac('sha256', key)
    .update(`${id}.${ts}.`)
    .update(body ?? new Uint8Array())
    .digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': `v1,${mac}` };
}

/** Verifies Standard Webhooks headers (for tests and receivers written in TypeScript). */
export function verifyWebhook(
  key: Buffer,
  headers: Readonly<Record<string, string | undefined>>,
  body: Uint8Array,
  toleranceSeconds = 300,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  const id = headers['webhook-id'];
  const ts = headers['webhook-timestamp'];
  const sig = headers['webhook-signature'];
  if (!id || !ts || !sig || !/^\d+$/.test(ts)) return false;
  if (Math.abs(nowSeconds - Number(ts)) > toleranceSeconds) return false;
  const expected = Buffer.from(
    signWebhook(key, id, body, Number(ts))['webhook-signature']!.slice(3),
    'base64',
  );
  return sig.split(' ').some((s) => {
    if (!s.startsWith('v1,')) return false;
    const got = Buffer.from(s.slice(3), 'base64');
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}
