/**
 * The AES keys a RequestReply seals and verifies its correlation ids with (docs/request-reply.md):
 * the entries `<namespace>.<name>.<key name>` of the Secret `request-reply-keys` (Knative's), in
 * the RequestReply's namespace or in `knative-eventing`. The last entry by name seals new ids;
 * every entry verifies, so a key can be rotated by adding `…key-1` and removing `…key-0` after
 * the timeout. Without a Secret entry the process generates a 32-byte key of its own.
 */
import { randomBytes } from 'node:crypto';
import {
  REQUEST_REPLY_KEYS_SECRET,
  correlationSecret,
  requestReplyKeysIn,
} from '@tributary/broker';
import type { Topology } from '@tributary/core';
import { isAesKeyLength } from '@tributary/filter';

/** The keys of one RequestReply. */
export interface RequestReplyKeys {
  /** Seals new correlation ids. */
  readonly current: Uint8Array;
  /** Verify replies (includes `current`). */
  readonly all: readonly Uint8Array[];
  /** Where they came from, for logs and status: `Secret ns/name` or `generated`. */
  readonly origin: string;
}

/** Resolves the keys, or a message naming the entry whose length is wrong. */
export function requestReplyKeys(
  topology: Topology,
  namespace: string,
  name: string,
): RequestReplyKeys | { error: string } {
  const secret = correlationSecret(topology, REQUEST_REPLY_KEYS_SECRET, namespace);
  const entries = secret ? requestReplyKeysIn(secret, namespace, name) : [];
  if (!secret || entries.length === 0) {
    const key = randomBytes(32);
    return { current: key, all: [key], origin: 'generated' };
  }
  const secretName = `${secret.metadata.namespace}/${secret.metadata.name}`;
  for (const e of entries)
    if (!isAesKeyLength(e.key.byteLength))
      return {
        error: `Secret '${secretName}' entry '${e.entry}' is ${e.key.byteLength} bytes: an AES key must be 16, 24 or 32 bytes (e.g. 32 random bytes, base64 under data)`,
      };
  const all = entries.map((e) => e.key);
  return { current: all[all.length - 1]!, all, origin: `Secret ${secretName}` };
}
