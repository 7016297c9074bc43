/**
 * Types of loaded resources and of the topology the runtime consumes.
 */
import type { ObjectMeta } from '../resources/common.js';
import type { EventType } from '../resources/eventtype.js';
import type { Broker, ConfigMap, FunctionResource, Secret, Trigger } from '../resources/kinds.js';

/** Where a resource document starts (its first line); line/col are 1-based, 0 when unknown. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** The fields every resource has after validation. */
export interface BaseResource {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
}

/**
 * Kind name → validated document type. An interface so that later kinds can be added by declaration
 * merging (`interface KindMap { Channel: Channel }`) next to their kind definitions.
 */
export interface KindMap {
  Broker: Broker;
  Trigger: Trigger;
  Function: FunctionResource;
  Secret: Secret;
  ConfigMap: ConfigMap;
  EventType: EventType;
}

/** A validated document plus where it came from. `metadata.namespace` is always set (default `default`). */
export type Loaded<T> = T & { readonly source: SourceLocation };

/** Any validated resource of a kind in {@link KindMap}; narrow it with `kind`. */
export type LoadedResource = { [K in keyof KindMap]: Loaded<KindMap[K]> }[keyof KindMap];

/** A problem a validator found, located by a path from the document root, e.g. `['spec','filters',0,'cesql']`. */
export interface ResourceProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * An extra check run on every resource that passed its schema (e.g. the CESQL parse check of
 * @tributary/filter). Return `[]` when the resource is fine; its problems are located like schema errors.
 */
export type ResourceValidator = (resource: LoadedResource) => ResourceProblem[];

/** Something a resource needs to be Ready: another resource, by kind, namespace and name. */
export interface Dependency {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  /** Knative-style condition reason, e.g. `BrokerDoesNotExist`. */
  readonly reason: string;
  /** Says what is missing, e.g. `Broker 'default/orders' does not exist`. */
  readonly message: string;
  /** Other kinds that satisfy it too (a `serving.knative.dev` Service ref: a Function or a Service). */
  readonly orKinds?: readonly string[];
  /** Where the reference is written, from the document root (e.g. `['spec','broker']`). */
  readonly path?: readonly (string | number)[];
}

/** Readiness of one resource as far as the manifests can tell (the runtime may add more). */
export interface ResourceStatus {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly ready: boolean;
  /** Why it is not Ready; empty when Ready. */
  readonly reasons: readonly { readonly reason: string; readonly message: string }[];
}
