/**
 * Where `KN_VERIFY_CORRELATION_ID(id, name, namespace, secret_name, …)` finds its keys: the
 * `v1 Secret` named `secret_name` in the manifests, in the RequestReply's namespace or else in
 * `knative-eventing` (Knative's system namespace, where its `request-reply-keys` Secret lives).
 * The keys of RequestReply `namespace/name` are the entries named `<namespace>.<name>.<key name>`
 * (`data` base64-decoded, `stringData` as UTF-8 bytes), as Knative names them
 * (docs/request-reply.md).
 */
import type { Secret, Topology } from '@tributary/core';

/** Knative's system namespace, searched after the RequestReply's own. */
export const KNATIVE_SYSTEM_NAMESPACE = 'knative-eventing';
/** The Secret Knative keeps RequestReply keys in. */
export const REQUEST_REPLY_KEYS_SECRET = 'request-reply-keys';

/** The key entries of RequestReply `namespace/name` in one Secret, sorted by entry name. */
export function requestReplyKeysIn(
  secret: Secret,
  namespace: string,
  name: string,
): { entry: string; key: Uint8Array }[] {
  const prefix = `${namespace}.${name}.`;
  const found = new Map<string, Uint8Array>();
  for (const [k, v] of Object.entries(secret.data ?? {}))
    if (k.startsWith(prefix)) found.set(k, Buffer.from(v, 'base64'));
  for (const [k, v] of Object.entries(secret.stringData ?? {}))
    if (k.startsWith(prefix)) found.set(k, Buffer.from(v, 'utf8'));
  return [...found.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([entry, key]) => ({ entry, key }));
}

/** The Secret a lookup reads: `secretName` in `namespace`, else in `knative-eventing`. */
export function correlationSecret(
  topology: Topology,
  secretName: string,
  namespace: string,
): Secret | undefined {
  return (
    topology.get('Secret', namespace, secretName) ??
    topology.get('Secret', KNATIVE_SYSTEM_NAMESPACE, secretName)
  );
}

/**
 * A key lookup over the current topology (read at each call, cached per topology, so a reload
 * that changes the Secret takes effect).
 */
export function topologyCorrelationKeys(
  topology: () => Topology,
): (secretName: string, namespace: string, name: string) => readonly Uint8Array[] {
  let cachedFor: Topology | undefined;
  let cache = new Map<string, readonly Uint8Array[]>();
  return (secretName, namespace, name) => {
    const t = topology();
    if (t !== cachedFor) {
      cachedFor = t;
      cache = new Map();
    }
    const k = `${secretName}\u0000${namespace}\u0000${name}`;
    let keys = cache.get(k);
    if (!keys) {
      const secret = correlationSecret(t, secretName, namespace);
      keys = secret ? requestReplyKeysIn(secret, namespace, name).map((e) => e.key) : [];
      cache.set(k, keys);
    }
    return keys;
  };
}
