/**
 * The ingress authorizer built from the Authentication resource and the EventPolicies of a
 * topology: authentication (401) first, then the EventPolicy decision (403). In-process senders
 * (sources, Triggers) come with their subject and skip the token check (docs/security.md).
 */
import {
  type AuthorizationDecision,
  type IngressAuthorizer,
  type IngressRequest,
  type IngressResource,
  type Logger,
  type Topology,
  resolveSecretKeyRef,
  silentLogger,
} from '@tributary/core';
import { compilePolicy, decide, type CompiledPolicy } from './event-policy.js';
import type { Authentication, DefaultAuthorization } from './resources.js';
import { TokenVerifier } from './token-verifier.js';
import { AuthConfigError } from './errors.js';

/** What {@link createIngressAuthorizer} built, with what the statuses show. */
export interface BuiltAuthorizer extends IngressAuthorizer {
  readonly defaultAuthorization: DefaultAuthorization;
  /** The policies, each with the resources of the topology it applies to (`Kind/ns/name`). */
  readonly policies: ReadonlyArray<{ namespace: string; name: string; appliesTo: string[] }>;
  /** Every static token value (the log scrubber hides them). */
  readonly secretValues: readonly string[];
}

/** Kinds that have an ingress that policies can protect. */
const ADDRESSABLE_KINDS = [
  'Broker',
  'Channel',
  'InMemoryChannel',
  'KafkaChannel',
  'Sequence',
  'Parallel',
  'EventTransform',
  'RequestReply',
  'JobSink',
];

/** Knative's audience of an addressable: `<group>/<kind>/<namespace>/<name>`, lower-cased. */
export function audienceOf(resource: IngressResource, topology?: Topology): string {
  const r = topology && findResource(topology, resource);
  const group = r?.apiVersion.includes('/')
    ? r.apiVersion.split('/')[0]
    : groupOfKind(resource.kind);
  return `${group}/${resource.kind}/${resource.namespace}/${resource.name}`.toLowerCase();
}

/** The resource of the topology an ingress request names (`Channel` covers every channel kind). */
function findResource(topology: Topology, r: IngressResource) {
  const direct = topology.get(r.kind, r.namespace, r.name);
  if (direct || r.kind !== 'Channel') return direct;
  return (
    topology.get('InMemoryChannel', r.namespace, r.name) ??
    topology.get('KafkaChannel', r.namespace, r.name)
  );
}

function groupOfKind(kind: string): string {
  if (kind === 'Broker') return 'eventing.knative.dev';
  if (kind === 'Sequence' || kind === 'Parallel') return 'flows.knative.dev';
  if (kind === 'EventTransform' || kind === 'RequestReply') return 'eventing.knative.dev';
  if (kind === 'JobSink') return 'sinks.knative.dev';
  return 'messaging.knative.dev';
}

/**
 * Builds the authorizer of a topology, or `undefined` when it has no Authentication resource
 * (then every ingress behaves as without security, and EventPolicies are not enforced — as in
 * Knative, where policies need OIDC authentication).
 *
 * @throws AuthConfigError for a second Authentication resource or a token whose Secret is missing
 */
export function createIngressAuthorizer(
  topology: Topology,
  options: {
    logger?: Logger;
    env?: Readonly<Record<string, string | undefined>>;
    fetch?: typeof fetch;
  } = {},
): BuiltAuthorizer | undefined {
  const auths = topology.byKind('Authentication') as readonly (Authentication & {
    metadata: { namespace: string; name: string };
  })[];
  if (auths.length === 0) return undefined;
  if (auths.length > 1)
    throw new AuthConfigError(
      `only one Authentication resource is allowed per run; found ${auths.map((a) => a.metadata.name).join(', ')}`,
    );
  const auth = auths[0]!;
  const log = options.logger ?? silentLogger;
  const tokens = auth.spec.tokens.map((t) => {
    try {
      return {
        name: t.name,
        value: resolveSecretKeyRef(topology, auth.metadata.namespace, t.secretKeyRef, options.env),
      };
    } catch (err) {
      throw new AuthConfigError(
        `Authentication '${auth.metadata.name}' token '${t.name}': ${(err as Error).message}`,
      );
    }
  });
  const verifier = new TokenVerifier({
    issuers: auth.spec.issuers,
    tokens,
    logger: log,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const compiled: CompiledPolicy[] = topology
    .byKind('EventPolicy')
    .map((p) => compilePolicy(p as never));
  const mode = auth.spec.defaultAuthorization;
  const labelsOf = (r: IngressResource) => findResource(topology, r)?.metadata.labels ?? {};
  const addressables = topology.resources.filter((r) => ADDRESSABLE_KINDS.includes(r.kind));

  return {
    defaultAuthorization: mode,
    secretValues: tokens.map((t) => t.value),
    policies: compiled.map((p) => ({
      namespace: p.namespace,
      name: p.name,
      appliesTo: addressables
        .filter((r) =>
          p.appliesTo(
            { kind: r.kind, namespace: r.metadata.namespace, name: r.metadata.name },
            r.metadata.labels ?? {},
          ),
        )
        .map((r) => `${r.kind}/${r.metadata.namespace}/${r.metadata.name}`),
    })),
    async authorize(
      request: IngressRequest,
      resource: IngressResource,
    ): Promise<AuthorizationDecision> {
      let subject = request.subject;
      if (subject === undefined) {
        const header = request.headers?.['authorization'];
        const v = await verifier.verify(
          Array.isArray(header) ? header[0] : header,
          audienceOf(resource, topology),
        );
        if ('error' in v) return { allowed: false, status: 401, message: v.error };
        subject = v.subject;
      }
      const d = decide(compiled, resource, labelsOf(resource), subject, request.events, mode);
      if (!d.allowed) {
        log.debug(
          { subject, resource: `${resource.kind}/${resource.namespace}/${resource.name}` },
          'request not authorized',
        );
        return { allowed: false, status: 403, message: d.message };
      }
      return { allowed: true, subject };
    },
  };
}
