/**
 * The source kinds as a value ({@link sourcesKinds}): pass it to the manifest loader so
 * `tributary validate`, `match` and `run` accept them (docs/embedding.md, "Wiring").
 */
import {
  type Dependency,
  destinationDependency,
  type KindDefinition,
  defineKind,
} from '@tributary/core';
import type { Destination } from '@tributary/core';
import {
  type ContainerSource,
  ContainerSourceSchema,
  type SinkBinding,
  SinkBindingSchema,
} from './container.js';
import {
  type GitHubSource,
  GitHubSourceSchema,
  type GitLabSource,
  GitLabSourceSchema,
} from './git.js';
import { type PingSource, PingSourceSchema } from './ping.js';
import { type WebhookSource, WebhookSourceSchema } from './webhook.js';

declare module '@tributary/core' {
  interface KindMap {
    PingSource: PingSource;
    GitHubSource: GitHubSource;
    GitLabSource: GitLabSource;
    WebhookSource: WebhookSource;
    ContainerSource: ContainerSource;
    SinkBinding: SinkBinding;
  }
}

const sinkDependency = (r: {
  metadata: { namespace: string };
  spec: { sink: Destination };
}): Dependency[] =>
  destinationDependency(r.spec.sink, r.metadata.namespace, 'sink', 'SinkNotFound', [
    'spec',
    'sink',
  ]);

/** The six source kinds, for `createKindSet(coreKinds, sourcesKinds, …)`. */
export const sourcesKinds: readonly KindDefinition[] = Object.freeze([
  defineKind({
    apiVersion: 'sources.knative.dev/v1',
    kind: 'PingSource',
    schema: PingSourceSchema,
    dependencies: sinkDependency,
  }),
  defineKind({
    apiVersion: 'sources.knative.dev/v1alpha1',
    kind: 'GitHubSource',
    schema: GitHubSourceSchema,
    dependencies: sinkDependency,
  }),
  defineKind({
    apiVersion: 'sources.knative.dev/v1alpha1',
    kind: 'GitLabSource',
    schema: GitLabSourceSchema,
    dependencies: sinkDependency,
  }),
  defineKind({
    apiVersion: 'tributary.dev/v1alpha1',
    kind: 'WebhookSource',
    schema: WebhookSourceSchema,
    dependencies: sinkDependency,
  }),
  defineKind({
    apiVersion: 'sources.knative.dev/v1',
    kind: 'ContainerSource',
    schema: ContainerSourceSchema,
    dependencies: sinkDependency,
  }),
  defineKind({
    apiVersion: 'sources.knative.dev/v1',
    kind: 'SinkBinding',
    schema: SinkBindingSchema,
    dependencies: sinkDependency,
  }),
]);
