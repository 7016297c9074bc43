/**
 * Registers the source kinds with core's kind registry (at import time of this package), so
 * `tributary validate`, `match` and `run` accept them.
 */
import { type Dependency, destinationDependency, registerKind } from '@tributary/core';
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

let registered = false;

/** Registers the six source kinds once (idempotent). */
export function registerSourceKinds(): void {
  if (registered) return;
  registered = true;
  const replace = { replace: true };
  registerKind(
    {
      apiVersion: 'sources.knative.dev/v1',
      kind: 'PingSource',
      schema: PingSourceSchema,
      dependencies: sinkDependency,
    },
    replace,
  );
  registerKind(
    {
      apiVersion: 'sources.knative.dev/v1alpha1',
      kind: 'GitHubSource',
      schema: GitHubSourceSchema,
      dependencies: sinkDependency,
    },
    replace,
  );
  registerKind(
    {
      apiVersion: 'sources.knative.dev/v1alpha1',
      kind: 'GitLabSource',
      schema: GitLabSourceSchema,
      dependencies: sinkDependency,
    },
    replace,
  );
  registerKind(
    {
      apiVersion: 'tributary.dev/v1alpha1',
      kind: 'WebhookSource',
      schema: WebhookSourceSchema,
      dependencies: sinkDependency,
    },
    replace,
  );
  registerKind(
    {
      apiVersion: 'sources.knative.dev/v1',
      kind: 'ContainerSource',
      schema: ContainerSourceSchema,
      dependencies: sinkDependency,
    },
    replace,
  );
  registerKind(
    {
      apiVersion: 'sources.knative.dev/v1',
      kind: 'SinkBinding',
      schema: SinkBindingSchema,
      dependencies: sinkDependency,
    },
    replace,
  );
}

registerSourceKinds();
