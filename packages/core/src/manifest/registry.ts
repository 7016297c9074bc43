/**
 * The kind registry: which `apiVersion` + `kind` documents the loader accepts, their schema, and
 * kind-specific checks. Later kinds (Channel, Sequence, sources, …) register here; the loader does
 * not change.
 */
import type { z } from 'zod';
import type { KnativeDefaults } from './knative-defaults.js';
import type { BaseResource, Dependency, Loaded, ResourceProblem } from './types.js';

/** How one kind is validated and what it depends on. */
export interface KindDefinition<T extends BaseResource = BaseResource> {
  /** e.g. `eventing.knative.dev/v1`. */
  readonly apiVersion: string;
  /** e.g. `Trigger`. Topology lookups use the kind alone, so one kind may be registered under several apiVersions. */
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

const byKey = new Map<string, KindDefinition>();
const keyOf = (apiVersion: string, kind: string) => `${apiVersion}\u0000${kind}`;

/**
 * Registers a kind. Throws when the same `apiVersion` + `kind` is already registered, unless
 * `replace` is true.
 */
export function registerKind<T extends BaseResource>(
  definition: KindDefinition<T>,
  options: { replace?: boolean } = {},
): void {
  const key = keyOf(definition.apiVersion, definition.kind);
  if (byKey.has(key) && !options.replace) {
    throw new Error(
      `kind ${definition.kind} of apiVersion ${definition.apiVersion} is already registered`,
    );
  }
  byKey.set(key, definition as unknown as KindDefinition);
}

/** The definition for `apiVersion` + `kind`, if registered. */
export function getKind(apiVersion: string, kind: string): KindDefinition | undefined {
  return byKey.get(keyOf(apiVersion, kind));
}

/** Every registered definition, in registration order. */
export function registeredKinds(): readonly KindDefinition[] {
  return [...byKey.values()];
}

/** Registered apiVersions of a kind (empty when the kind is unknown). */
export function apiVersionsOf(kind: string): string[] {
  return registeredKinds()
    .filter((d) => d.kind === kind)
    .map((d) => d.apiVersion);
}

/** Registered kinds of an apiVersion (all kinds when the apiVersion is unknown). */
export function kindsOf(apiVersion: string): string[] {
  const all = registeredKinds();
  const of = all.filter((d) => d.apiVersion === apiVersion);
  return [...new Set((of.length ? of : all).map((d) => d.kind))];
}
