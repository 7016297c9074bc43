/**
 * EventPolicy evaluation (Knative's `eventing.knative.dev/v1alpha1` semantics, docs/security.md):
 * which policies apply to a resource (`spec.to` refs and label selectors; no `to` = every resource
 * of the namespace), and whether a sender and its events are allowed by one of them.
 */
import { type CloudEvent, type Filter, type IngressResource, oidcSubjectOf } from '@tributary/core';
import { compileTriggerFilter } from '@tributary/filter';
import type { DefaultAuthorization, EventPolicy, LabelSelector } from './resources.js';

/** A policy compiled once: subject matchers and the filter of its `spec.filters`. */
export interface CompiledPolicy {
  readonly namespace: string;
  readonly name: string;
  /** True when the policy protects the resource (with the resource's labels). */
  appliesTo(resource: IngressResource, labels: Readonly<Record<string, string>>): boolean;
  /** True when `subject` is one of the policy's `from` senders. */
  allowsSubject(subject: string): boolean;
  /** True unless an event fails the policy's filters. */
  allowsEvents(events: readonly CloudEvent[]): boolean;
}

/** Compiles an EventPolicy. Throws FilterValidationError for invalid filters. */
export function compilePolicy(
  p: EventPolicy & { metadata: { namespace: string } },
): CompiledPolicy {
  const ns = p.metadata.namespace;
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const f of p.spec.from) {
    const sub = f.sub ?? oidcSubjectOf({ ...f.ref!, namespace: f.ref!.namespace ?? ns });
    const lower = sub.toLowerCase();
    if (lower.endsWith('*')) prefixes.push(lower.slice(0, -1));
    else exact.add(lower);
  }
  const filter: Filter | undefined =
    p.spec.filters && p.spec.filters.length > 0
      ? compileTriggerFilter({ filters: p.spec.filters }, { filterData: false })
      : undefined;
  const to = p.spec.to ?? [];
  return {
    namespace: ns,
    name: p.metadata.name,
    appliesTo(resource, labels) {
      if (resource.namespace !== ns) return false;
      if (to.length === 0) return true;
      return to.some((t) =>
        t.ref
          ? kindMatches(t.ref.kind, resource.kind) && t.ref.name === resource.name
          : selectorMatches(t.selector!, resource, labels),
      );
    },
    allowsSubject(subject) {
      const s = subject.toLowerCase();
      return exact.has(s) || prefixes.some((pre) => s.startsWith(pre));
    },
    allowsEvents(events) {
      return !filter || events.every((e) => filter.match(e) !== 'fail');
    },
  };
}

/** The outcome of the policy check (the authentication already passed). */
export type PolicyDecision = { allowed: true } | { allowed: false; message: string };

/**
 * Knative's decision: with policies, allowed iff some policy lists the subject and its filters
 * pass every event; without, `defaultAuthorization` decides.
 */
export function decide(
  policies: readonly CompiledPolicy[],
  resource: IngressResource,
  labels: Readonly<Record<string, string>>,
  subject: string,
  events: readonly CloudEvent[],
  mode: DefaultAuthorization,
): PolicyDecision {
  const target = `${resource.kind} '${resource.namespace}/${resource.name}'`;
  const applicable = policies.filter((p) => p.appliesTo(resource, labels));
  if (applicable.length === 0) {
    if (mode === 'allow-all') return { allowed: true };
    if (mode === 'deny-all')
      return {
        allowed: false,
        message: `${target} has no EventPolicy and defaultAuthorization is deny-all`,
      };
    if (subject.toLowerCase().startsWith(`system:serviceaccount:${resource.namespace}:`))
      return { allowed: true };
    return {
      allowed: false,
      message: `subject '${subject}' is not in namespace '${resource.namespace}' (defaultAuthorization allow-same-namespace) and no EventPolicy applies to ${target}`,
    };
  }
  const listing = applicable.filter((p) => p.allowsSubject(subject));
  if (listing.length === 0)
    return {
      allowed: false,
      message: `subject '${subject}' is not allowed by the EventPolicies of ${target} (${names(applicable)})`,
    };
  if (listing.some((p) => p.allowsEvents(events))) return { allowed: true };
  return {
    allowed: false,
    message: `the event is refused by the filters of EventPolicy ${names(listing)} for ${target}`,
  };
}

const names = (ps: readonly CompiledPolicy[]) => ps.map((p) => p.name).join(', ');

/** Kinds in refs match case-insensitively; a ref to `Channel` also protects `InMemoryChannel`s. */
function kindMatches(refKind: string, kind: string): boolean {
  const a = refKind.toLowerCase();
  const b = kind.toLowerCase();
  return a === b || (a === 'channel' && b.endsWith('channel'));
}

function selectorMatches(
  s: LabelSelector,
  resource: IngressResource,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (s.kind !== undefined && !kindMatches(s.kind, resource.kind)) return false;
  for (const [k, v] of Object.entries(s.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of s.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const v = labels[e.key];
    const vals = e.values ?? [];
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
    if (e.operator === 'In' && (!has || !vals.includes(v!))) return false;
    if (e.operator === 'NotIn' && has && vals.includes(v!)) return false;
  }
  return true;
}
