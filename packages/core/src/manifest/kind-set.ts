/**
 * Kinds as values: which `apiVersion` + `kind` documents the loader accepts, their schema, and
 * kind-specific checks. Each package exports its definitions as a list (`flowsKinds`, …); the
 * program that loads manifests builds one immutable {@link KindSet} from the lists it wants and
 * passes it to the loader (docs/decisions.md, D-wiring; docs/embedding.md, "Wiring"). There is no
 * process-wide registry.
 */
import type { z } from 'zod';
import type { KnativeDefaults } from './knative-defaults.js';
import type { BaseResource, Dependency, Loaded, ResourceProblem } from './types.js';

/** How one kind is validated and what it depends on. */
export interface KindDefinition<T extends BaseResource = BaseResource> {
  /** e.g. `eventing.knative.dev/v1`. */
  readonly apiVersion: string;
  /** e.g. `Trigger`. Topology lookups use the kind alone, so one kind may be defined under several apiVersions. */
  readonly kind: string;
  /** Schema of the whole document (apiVersion, kind, metadata, spec…); strict objects give unknown-field errors. */
  readonly schema: z.ZodType<T>;
  /** Semantic checks after the schema passed (annotation values, …), located by path. */
  readonly validate?: (resource: Loaded<T>) => ResourceProblem[];
  /**
   * When true, `validate` also runs (best effort, exceptions ignored) on documents that failed their
   * schema, so every problem shows at once. Only for validators that read their input defensively.
   */
  readonly validateUnparsed?: boolean;
  /** What the resource needs to be Ready (its broker, the targets of its refs); missing ones make it not Ready. */
  readonly dependencies?: (resource: Loaded<T>) => Dependency[];
  /**
   * Knative's defaulting (its admission webhook): returns the resource with the cluster and
   * namespace defaults of `config-br-defaults` / `default-ch-webhook` applied where the resource
   * sets nothing itself. Runs after validation, before the topology is built.
   */
  readonly defaults?: (resource: Loaded<T>, defaults: KnativeDefaults) => Loaded<T>;
}

/** A kind definition typed for its resource, widened for a list of definitions of any kind. */
export function defineKind<T extends BaseResource>(definition: KindDefinition<T>): KindDefinition {
  return definition as unknown as KindDefinition;
}

/** An immutable set of kind definitions, looked up by `apiVersion` + `kind`. */
export interface KindSet {
  /** Every definition, in the order of the lists it was built from. */
  readonly definitions: readonly KindDefinition[];
  /** The definition for `apiVersion` + `kind`, if the set has it. */
  get(apiVersion: string, kind: string): KindDefinition | undefined;
  /** The apiVersions of a kind (empty when the kind is unknown). */
  apiVersionsOf(kind: string): string[];
  /** The kinds of an apiVersion (all kinds when the apiVersion is unknown). */
  kindsOf(apiVersion: string): string[];
  /** Whether the set has `kind` under any apiVersion. */
  hasKind(kind: string): boolean;
}

const keyOf = (apiVersion: string, kind: string) => `${apiVersion}\u0000${kind}`;

/**
 * Builds a KindSet from lists of definitions. The same definition object may appear in several
 * lists; two different definitions of one `apiVersion` + `kind` throw a `TypeError`.
 */
export function createKindSet(...lists: readonly (readonly KindDefinition[])[]): KindSet {
  const byKey = new Map<string, KindDefinition>();
  for (const list of lists)
    for (const d of list) {
      const key = keyOf(d.apiVersion, d.kind);
      const known = byKey.get(key);
      if (known === d) continue;
      if (known)
        throw new TypeError(
          `kind ${d.kind} of apiVersion ${d.apiVersion} is defined twice; pass one definition`,
        );
      byKey.set(key, d);
    }
  const definitions = Object.freeze([...byKey.values()]);
  const kinds = new Set(definitions.map((d) => d.kind));
  return Object.freeze({
    definitions,
    get: (apiVersion: string, kind: string) => byKey.get(keyOf(apiVersion, kind)),
    apiVersionsOf: (kind: string) =>
      definitions.filter((d) => d.kind === kind).map((d) => d.apiVersion),
    kindsOf: (apiVersion: string) => {
      const of = definitions.filter((d) => d.apiVersion === apiVersion);
      return [...new Set((of.length ? of : definitions).map((d) => d.kind))];
    },
    hasKind: (kind: string) => kinds.has(kind),
  });
}
