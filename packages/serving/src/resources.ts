/**
 * Schemas of the kinds this package runs (docs/serving.md, docs/jobs.md): Knative Serving's
 * `serving.knative.dev/v1` Service, Kubernetes' `v1` Service (an address only) and
 * `sinks.knative.dev/v1alpha1` JobSink. Kubernetes fields Tributary does not act on are accepted
 * and ignored (loose objects) where Knative's own manifests carry them.
 */
import { ResourceNameSchema, resourceSchema } from '@tributary/core';
import { z } from 'zod';

export const SERVING_V1 = 'serving.knative.dev/v1';
export const SINKS_V1ALPHA1 = 'sinks.knative.dev/v1alpha1';

/** Annotation giving a Service (either kind) the HTTP address Tributary delivers to. */
export const URL_ANNOTATION = 'tributary.dev/url';

/** `{secretKeyRef: {name, key}}` — resolved from a v1 Secret or the environment `<NAME>_<KEY>`. */
export const EnvSecretSchema = z.strictObject({
  secretKeyRef: z.strictObject({ name: ResourceNameSchema, key: z.string().min(1) }),
});

/** A container `env` entry: `value`, or `valueFrom.secretKeyRef`. */
export const ContainerEnvVarSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, {
    error: (iss) => `env name '${String(iss.input)}' is invalid: use letters, digits and '_'`,
  }),
  value: z.string().optional(),
  valueFrom: EnvSecretSchema.optional(),
});
export type ContainerEnvVar = z.output<typeof ContainerEnvVarSchema>;

/** A container as Tributary reads it: `image` or `command` (+ `args`, `env`, `workingDir`). */
export const ServingContainerSchema = z.looseObject({
  name: z.string().min(1).optional(),
  image: z.string().optional(),
  command: z.array(z.string()).min(1, { error: 'command needs at least one entry' }).optional(),
  args: z.array(z.string()).optional(),
  env: z.array(ContainerEnvVarSchema).optional(),
  workingDir: z.string().optional(),
  ports: z.array(z.looseObject({ containerPort: z.number().int().optional() })).optional(),
});
export type ServingContainer = z.output<typeof ServingContainerSchema>;

const TemplateMetaSchema = z.looseObject({
  annotations: z.record(z.string(), z.string()).optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

/** Knative Service `spec`: the revision template (containers, containerConcurrency, timeoutSeconds). */
export const KnativeServiceSpecSchema = z.looseObject({
  template: z.looseObject({
    metadata: TemplateMetaSchema.optional(),
    spec: z.looseObject({
      containers: z
        .array(ServingContainerSchema)
        .min(1, { error: 'template.spec.containers needs at least one container' }),
      containerConcurrency: z.number().int().min(0).optional(),
      timeoutSeconds: z.number().int().min(1).optional(),
    }),
  }),
});

export const KnativeServiceSchema = resourceSchema(SERVING_V1, 'Service', KnativeServiceSpecSchema);
export type KnativeService = z.output<typeof KnativeServiceSchema>;

/** Kubernetes `v1` Service: only its name and the `tributary.dev/url` annotation matter here. */
export const KubernetesServiceSchema = resourceSchema(
  'v1',
  'Service',
  z.looseObject({}).optional(),
);
export type KubernetesService = z.output<typeof KubernetesServiceSchema>;

/** The batch/v1 Job spec fields a JobSink honours; the pod template's first container runs. */
export const JobSpecSchema = z.looseObject({
  completions: z.number().int().min(1).optional(),
  parallelism: z.number().int().min(0).optional(),
  activeDeadlineSeconds: z.number().int().min(1).optional(),
  backoffLimit: z.number().int().min(0).optional(),
  template: z.looseObject({
    metadata: TemplateMetaSchema.optional(),
    spec: z.looseObject({
      restartPolicy: z.enum(['Never', 'OnFailure']).optional(),
      containers: z
        .array(
          ServingContainerSchema.extend({
            command: z
              .array(z.string(), {
                error:
                  'command is required: Tributary runs no images, it runs command + args as a local process (e.g. command: [cat])',
              })
              .min(1),
          }),
        )
        .min(1, { error: 'job.spec.template.spec.containers needs at least one container' }),
    }),
  }),
});
export type JobSpec = z.output<typeof JobSpecSchema>;

export const JobSinkSpecSchema = z.strictObject({
  job: z.looseObject({ metadata: z.looseObject({}).optional(), spec: JobSpecSchema }),
});
export const JobSinkSchema = resourceSchema(SINKS_V1ALPHA1, 'JobSink', JobSinkSpecSchema);
export type JobSink = z.output<typeof JobSinkSchema>;
