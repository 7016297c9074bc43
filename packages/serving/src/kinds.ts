/**
 * The serving kinds as a value ({@link servingKinds}): `serving.knative.dev/v1` Service, `v1`
 * Service and `sinks.knative.dev/v1alpha1` JobSink (docs/embedding.md, "Wiring").
 */
import { type KindDefinition, defineKind } from '@tributary/core';
import {
  type JobSink,
  JobSinkSchema,
  type KnativeService,
  KnativeServiceSchema,
  type KubernetesService,
  KubernetesServiceSchema,
  SERVING_V1,
  SINKS_V1ALPHA1,
} from './resources.js';
import { validateAutoscaling } from './services/autoscale-config.js';

declare module '@tributary/core' {
  interface KindMap {
    Service: KnativeService | KubernetesService;
    JobSink: JobSink;
  }
}

/** The three serving kinds, for `createKindSet(coreKinds, servingKinds, …)`. */
export const servingKinds: readonly KindDefinition[] = Object.freeze([
  defineKind({
    apiVersion: SERVING_V1,
    kind: 'Service',
    schema: KnativeServiceSchema,
    validate: (s) => validateAutoscaling(s),
  }),
  defineKind({ apiVersion: 'v1', kind: 'Service', schema: KubernetesServiceSchema }),
  defineKind({ apiVersion: SINKS_V1ALPHA1, kind: 'JobSink', schema: JobSinkSchema }),
]);
