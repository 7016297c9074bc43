/**
 * Pure helpers to resolve Destinations: what a `ref` points at, and `ref` + relative `uri`.
 */
import type { KReference } from '../resources/common.js';

/** What a `ref` resolves to inside Tributary. */
export type RefTargetKind = 'function' | 'broker' | 'channel' | 'sequence' | 'parallel' | 'unknown';

/** The target of a `ref`: its Tributary kind, namespace (defaulted to the owner's) and name. */
export interface RefTarget {
  readonly kind: RefTargetKind;
  readonly namespace: string;
  readonly name: string;
}

const group = (apiVersion: string) =>
  apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';

/**
 * Classifies a `ref` (any version of the API group is accepted):
 * `serving.knative.dev` Service and `tributary.dev` Function → `function`; `eventing.knative.dev`
 * Broker → `broker`; `messaging.knative.dev` Channel, InMemoryChannel, KafkaChannel → `channel`;
 * `flows.knative.dev` Sequence → `sequence`, Parallel → `parallel`; anything else → `unknown`.
 */
export function refTarget(
  ref: Pick<KReference, 'apiVersion' | 'kind' | 'name' | 'namespace'>,
  ownerNamespace: string,
): RefTarget {
  const g = group(ref.apiVersion);
  const k = ref.kind;
  let kind: RefTargetKind = 'unknown';
  if (
    (g === 'serving.knative.dev' && k === 'Service') ||
    (g === 'tributary.dev' && k === 'Function')
  )
    kind = 'function';
  else if (g === 'eventing.knative.dev' && k === 'Broker') kind = 'broker';
  else if (
    g === 'messaging.knative.dev' &&
    ['Channel', 'InMemoryChannel', 'KafkaChannel'].includes(k)
  )
    kind = 'channel';
  else if (g === 'flows.knative.dev' && k === 'Sequence') kind = 'sequence';
  else if (g === 'flows.knative.dev' && k === 'Parallel') kind = 'parallel';
  return { kind, namespace: ref.namespace ?? ownerNamespace, name: ref.name };
}

/** The topology kind a ref target is looked up as (`Function` for Services and Functions, else the ref's kind). */
export function refTopologyKind(ref: Pick<KReference, 'apiVersion' | 'kind'>): string {
  return refTarget({ ...ref, name: '' }, '').kind === 'function' ? 'Function' : ref.kind;
}

/**
 * Resolves a Destination's relative `uri` against the address of its `ref` (RFC 3986 reference
 * resolution, as Knative does): `resolveUri('http://h/a/b', 'c')` is `http://h/a/c`,
 * `resolveUri('http://h/a/b', '/c?x=1')` is `http://h/c?x=1`. Without `relative`, returns `base`.
 */
export function resolveUri(base: string, relative?: string): string {
  if (relative === undefined || relative === '') return base;
  return new URL(relative, base).toString();
}
