/**
 * The security seams between the data path and `@tributary/auth` (docs/security.md). The ingress
 * asks one question, {@link IngressAuthorizer.authorize}; deliveries ask
 * {@link DeliveryCredentials} for the headers that prove Tributary sent them. Nothing else in the
 * data path knows about tokens.
 */
import type { CloudEvent } from '../cloudevents/cloud-event.js';

/** An addressable that receives events: a Broker, Channel, Sequence, Parallel, … */
export interface IngressResource {
  /** The kind as in the manifests, e.g. `Broker`, `InMemoryChannel`, `Sequence`. */
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** What the ingress knows about a request when it asks. */
export interface IngressRequest {
  /** The HTTP request headers (lower-case names); absent for in-process hops. */
  readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
  /** The sender's subject when the sender is in-process (a source, a Trigger): no token then. */
  readonly subject?: string;
  /** The decoded events of the request (EventPolicy `filters` look at them). */
  readonly events: readonly CloudEvent[];
}

/** The answer: allowed (with the sender's subject when known), or refused with 401/403. */
export type AuthorizationDecision =
  | { readonly allowed: true; readonly subject?: string | undefined }
  | { readonly allowed: false; readonly status: 401 | 403; readonly message: string };

/** Decides whether a request may publish to a resource. */
export interface IngressAuthorizer {
  authorize(
    request: IngressRequest,
    resource: IngressResource,
  ): AuthorizationDecision | Promise<AuthorizationDecision>;
}

/** Who delivers: the Trigger or Subscription (or source) that owns a Destination. */
export interface DeliveryOwner {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** Mints what a delivery carries to prove Tributary sent it. */
export interface DeliveryCredentials {
  /** `Bearer <JWT>` for `audience`, naming `owner` as the subject (cached until near expiry). */
  authorization(owner: DeliveryOwner, audience: string): Promise<string>;
}

/**
 * The OIDC subject of a resource, Knative's naming (`system:serviceaccount:<ns>:<name>-oidc-<group>-<kind>`,
 * lower-cased): what deliveries from a Trigger carry and what an EventPolicy `from.ref` matches.
 */
export function oidcSubjectOf(ref: {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}): string {
  const group = ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0] : '';
  const sa = `${ref.name}-oidc-${group ? `${group}-` : ''}${ref.kind}`.toLowerCase();
  return `system:serviceaccount:${ref.namespace}:${sa}`;
}
