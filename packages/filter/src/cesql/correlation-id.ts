/**
 * Knative's RequestReply correlation ids (docs/request-reply.md):
 * `<event id>:<base64url(nonce ‖ AES-GCM(key, event id) ‖ tag)>:<index>` with a 12-byte random
 * nonce and a 16-byte tag (Go's crypto/cipher defaults), base64url with padding (Go's
 * `base64.URLEncoding`). The sealed part proves that the RequestReply which holds the key made the
 * id; the index routes the reply to the process (Knative: the pod) that holds the request.
 *
 * Keys are AES-128/192/256 keys (16, 24 or 32 bytes). Verification never throws.
 */
import { type CipherGCMTypes, createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Longest correlation id verified; longer values fail without decrypting (bounds the work per event). */
export const MAX_CORRELATION_ID_LENGTH = 4096;

/** Finds the keys of a RequestReply for `KN_VERIFY_CORRELATION_ID(…, name, namespace, secret, …)`. */
export type CorrelationKeyLookup = (
  secretName: string,
  namespace: string,
  name: string,
) => readonly Uint8Array[];

/** True for a key length AES accepts. */
export function isAesKeyLength(bytes: number): boolean {
  return bytes === 16 || bytes === 24 || bytes === 32;
}

const cipherName = (key: Uint8Array): CipherGCMTypes =>
  `aes-${key.byteLength * 8}-gcm` as CipherGCMTypes;

/** Seals `id` with `key` and returns the full correlation id for the process `index`. */
export function sealCorrelationId(id: string, key: Uint8Array, index: number): string {
  if (!isAesKeyLength(key.byteLength))
    throw new RangeError(`AES key must be 16, 24 or 32 bytes, got ${key.byteLength}`);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv(cipherName(key), key, nonce);
  const sealed = Buffer.concat([
    nonce,
    cipher.update(id, 'utf8'),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  return `${id}:${sealed.toString('base64').replace(/\+/g, '-').replace(/\//g, '_')}:${index}`;
}

/** The parts of a well-formed correlation id, or undefined. */
export function parseCorrelationId(
  value: string,
): { id: string; sealed: string; index: number } | undefined {
  if (value.length > MAX_CORRELATION_ID_LENGTH) return undefined;
  const parts = value.split(':');
  if (parts.length !== 3) return undefined;
  const [id, sealed, idx] = parts as [string, string, string];
  if (!/^-?\d{1,10}$/.test(idx)) return undefined;
  const index = Number(idx);
  if (index > 2147483647 || index < -2147483648) return undefined;
  return { id, sealed, index };
}

/** True when `value` is a correlation id sealed with one of `keys` (its sealed part decrypts to its id). */
export function verifyCorrelationId(value: string, keys: readonly Uint8Array[]): boolean {
  const parsed = parseCorrelationId(value);
  if (!parsed || !/^[A-Za-z0-9_-]+={0,2}$/.test(parsed.sealed)) return false;
  const bytes = Buffer.from(parsed.sealed, 'base64url');
  if (bytes.byteLength < NONCE_BYTES + TAG_BYTES) return false;
  const nonce = bytes.subarray(0, NONCE_BYTES);
  const tag = bytes.subarray(bytes.byteLength - TAG_BYTES);
  const body = bytes.subarray(NONCE_BYTES, bytes.byteLength - TAG_BYTES);
  for (const key of keys) {
    if (!isAesKeyLength(key.byteLength)) continue;
    try {
      const d = createDecipheriv(cipherName(key), key, nonce);
      d.setAuthTag(tag);
      const plain = Buffer.concat([d.update(body), d.final()]).toString('utf8');
      if (plain === parsed.id) return true;
    } catch {
      // wrong key or tampered: try the next key
    }
  }
  return false;
}

/**
 * `KN_VERIFY_CORRELATION_ID(correlation_id, name, namespace, secret_name, pod_idx, replica_count)`,
 * Knative's signature: true when the id's index modulo `replicaCount` is `podIdx` and the id was
 * sealed with a key of the RequestReply `namespace/name` found in `secretName`.
 */
export function knVerifyCorrelationId(
  lookup: CorrelationKeyLookup | undefined,
  value: string,
  name: string,
  namespace: string,
  secretName: string,
  podIdx: number,
  replicaCount: number,
): boolean {
  const parsed = parseCorrelationId(value);
  if (!parsed || replicaCount <= 0) return false;
  if (parsed.index % replicaCount !== podIdx) return false; // truncating remainder, as Go's %
  const keys = lookup?.(secretName, namespace, name) ?? [];
  return keys.length > 0 && verifyCorrelationId(value, keys);
}
