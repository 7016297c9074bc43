/**
 * Registers the serving kinds with core's kind registry: `serving.knative.dev/v1` Service, `v1`
 * Service and `sinks.knative.dev/v1alpha1` JobSink. `cli` calls {@link registerServingKinds}
 * explicitly (no import side effect).
 */
import { getKind, registerKind } from '@tributary/core';
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

/** Registers the three kinds once (idempotent). */
export function registerServingKinds(): void {
  if (!getKind(SERVING_V1, 'Service'))
    registerKind({
      apiVersion: SERVING_V1,
      kind: 'Service',
      schema: KnativeServiceSchema,
      validate: (s) => validateAutoscaling(s),
    });
  if (!getKind('v1', 'Service'))
    registerKind({ apiVersion: 'v1', kind: 'Service', schema: KubernetesServiceSchema });
  if (!getKind(SINKS_V1ALPHA1, 'JobSink'))
    registerKind({ apiVersion: SINKS_V1ALPHA1, kind: 'JobSink', schema: JobSinkSchema });
}
