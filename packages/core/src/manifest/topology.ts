/**
 * The Topology: the validated, frozen set of resources the runtime consumes, with lookups and the
 * readiness the manifests alone can tell (e.g. a Trigger whose Broker does not exist is not Ready).
 */
import type { Broker, ConfigMap, FunctionResource, Secret, Trigger } from '../resources/kinds.js';
import { nameIndex, satisfied, suggestionFor } from './references.js';
import { coreKindSet } from './builtin-kinds.js';
import type { KindSet } from './kind-set.js';
import type { BaseResource, KindMap, Loaded, LoadedResource, ResourceStatus } from './types.js';

/** The validated model of a set of manifests. Everything in it is deeply frozen. */
export interface Topology {
  /** Every valid resource, in file and document order. */
  readonly resources: readonly LoadedResource[];
  readonly brokers: readonly Loaded<Broker>[];
  readonly triggers: readonly Loaded<Trigger>[];
  readonly functions: readonly Loaded<FunctionResource>[];
  readonly secrets: readonly Loaded<Secret>[];
  readonly configMaps: readonly Loaded<ConfigMap>[];
  /** Readiness of every resource, in the order of `resources`. */
  readonly status: readonly ResourceStatus[];
  /** Resources of one kind (e.g. `'Trigger'`), in order. */
  byKind<K extends keyof KindMap>(kind: K): readonly Loaded<KindMap[K]>[];
  byKind<T extends BaseResource>(kind: string): readonly Loaded<T>[];
  /** One resource by kind, namespace and name. */
  get<K extends keyof KindMap>(
    kind: K,
    namespace: string,
    name: string,
  ): Loaded<KindMap[K]> | undefined;
  get<T extends BaseResource>(kind: string, namespace: string, name: string): Loaded<T> | undefined;
  /** Readiness of one resource. */
  statusOf(kind: string, namespace: string, name: string): ResourceStatus | undefined;
  /** Resources that are not Ready, with reasons. */
  notReady(): readonly ResourceStatus[];
  /** The Broker a Trigger names (`undefined` when it does not exist). */
  brokerOf(trigger: Trigger): Loaded<Broker> | undefined;
  /** The Triggers of a Broker, in order. */
  triggersOf(broker: Broker): readonly Loaded<Trigger>[];
}

/**
 * Values by kind, namespace and name, in nested maps: a `Kind/namespace/name` string key per
 * resource (in two indexes, resources and statuses) was ~0.25 KB of concatenated strings per
 * Trigger (heap snapshots of `tributary run` with 10,000 Triggers, bench/footprint.mjs).
 */
class ResourceIndex<V> {
  readonly #byKind = new Map<string, Map<string, Map<string, V>>>();

  get(kind: string, namespace: string, name: string): V | undefined {
    return this.#byKind.get(kind)?.get(namespace)?.get(name);
  }

  has(kind: string, namespace: string, name: string): boolean {
    return this.get(kind, namespace, name) !== undefined;
  }

  set(kind: string, namespace: string, name: string, value: V): void {
    let namespaces = this.#byKind.get(kind);
    if (!namespaces) this.#byKind.set(kind, (namespaces = new Map()));
    let names = namespaces.get(namespace);
    if (!names) namespaces.set(namespace, (names = new Map()));
    names.set(name, value);
  }
}

/** The `reasons` of every Ready resource (one frozen empty list). */
const NO_REASONS: ResourceStatus['reasons'] = Object.freeze([]);

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const child of Object.values(v)) deepFreeze(child);
  }
  return v;
}

/**
 * Readiness of each resource, in order. Apart from createTopology so that the names index it
 * uses for suggestions is not kept by the topology's closures.
 */
function statusesOf(
  resources: readonly LoadedResource[],
  index: ResourceIndex<number>,
  kinds: KindSet,
): ResourceStatus[] {
  const names = nameIndex(resources);
  return resources.map((r) => {
    const deps = kinds.get(r.apiVersion, r.kind)?.dependencies?.(r as never) ?? [];
    const reasons = deps
      .filter((d) => !satisfied(d, (k) => index.has(k, d.namespace, d.name)))
      .map((d) => ({ reason: d.reason, message: `${d.message}${suggestionFor(d, names)}` }));
    return {
      kind: r.kind,
      namespace: r.metadata.namespace,
      name: r.metadata.name,
      ready: reasons.length === 0,
      reasons: reasons.length === 0 ? NO_REASONS : reasons,
    };
  });
}

/**
 * Builds a Topology from validated resources (normally via the loader). Later duplicates of a
 * `Kind/namespace/name` are ignored (the loader reports them as problems). `kinds` tells what
 * each resource depends on (its readiness); pass the set the resources were loaded with.
 */
export function createTopology(
  input: readonly LoadedResource[],
  kinds: KindSet = coreKindSet,
): Topology {
  // Each resource's position in `resources` (and `status`, in the same order): one index for both.
  const index = new ResourceIndex<number>();
  const resources: LoadedResource[] = [];
  for (const r of input) {
    const { namespace, name } = r.metadata;
    if (index.has(r.kind, namespace, name)) continue;
    index.set(r.kind, namespace, name, resources.length);
    resources.push(deepFreeze(r));
  }
  const byKey = (kind: string, namespace: string, name: string) => {
    const i = index.get(kind, namespace, name);
    return i === undefined ? undefined : resources[i];
  };
  const byKind = (kind: string) => resources.filter((r) => r.kind === kind);
  const status = statusesOf(resources, index, kinds);

  const topology: Topology = {
    resources,
    brokers: byKind('Broker') as Loaded<Broker>[],
    triggers: byKind('Trigger') as Loaded<Trigger>[],
    functions: byKind('Function') as Loaded<FunctionResource>[],
    secrets: byKind('Secret') as Loaded<Secret>[],
    configMaps: byKind('ConfigMap') as Loaded<ConfigMap>[],
    status,
    byKind: ((kind: string) => byKind(kind)) as Topology['byKind'],
    get: byKey as Topology['get'],
    statusOf: (kind, namespace, name) => {
      const i = index.get(kind, namespace, name);
      return i === undefined ? undefined : status[i];
    },
    notReady: () => status.filter((s) => !s.ready),
    brokerOf: (t) => {
      const name = t.spec.broker ?? t.spec.brokerRef?.name;
      return name === undefined
        ? undefined
        : (byKey('Broker', t.metadata.namespace, name) as Loaded<Broker> | undefined);
    },
    triggersOf: (b) =>
      (byKind('Trigger') as Loaded<Trigger>[]).filter(
        (t) =>
          t.metadata.namespace === b.metadata.namespace &&
          (t.spec.broker ?? t.spec.brokerRef?.name) === b.metadata.name,
      ),
  };
  for (const list of [
    topology.brokers,
    topology.triggers,
    topology.functions,
    topology.secrets,
    topology.configMaps,
    status,
  ])
    Object.freeze(list);
  for (const s of status) deepFreeze(s);
  return Object.freeze(Object.assign(topology, { resources: Object.freeze(resources) }));
}
