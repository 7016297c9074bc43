/**
 * Who a Trigger delivers as (docs/security.md): the owner its delivery tokens and in-process
 * EventPolicy checks name, and its Standard Webhooks signer when the Trigger's
 * `tributary.dev/webhook-signing-secret` annotation names a Secret.
 */
import {
  type DeliveryOwner,
  type Topology,
  type Trigger,
  resolveSecretKeyRef,
  signWebhook,
  webhookSecretKey,
  webhookSigningRef,
} from '@tributary/core';
import type { ResolveOptions } from './destination-resolver.js';

/** The resolve options of a Trigger's Destinations, or why its signing Secret is missing. */
export function triggerIdentity(
  t: Trigger,
  topology: Topology,
): { options: ResolveOptions & { owner: DeliveryOwner } } | { error: string } {
  const { namespace, name } = t.metadata;
  const owner = { apiVersion: t.apiVersion, kind: 'Trigger', namespace, name };
  const ref = webhookSigningRef(t);
  if (!ref) return { options: { owner } };
  try {
    const key = webhookSecretKey(resolveSecretKeyRef(topology, namespace, ref));
    return {
      options: { owner, sign: (id, body) => signWebhook(key, id, body) },
    };
  } catch (err) {
    return { error: (err as Error).message };
  }
}
