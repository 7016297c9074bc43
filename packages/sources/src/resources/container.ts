import { ResourceNameSchema } from '@tributary/core';
import { z } from 'zod';
import { SecretValueSchema, sourceDuck, sourceResource } from './common.js';

/** A container `env` entry: `value`, or `valueFrom.secretKeyRef`. */
export const EnvVarSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, {
    error: (iss) => `env name '${String(iss.input)}' is invalid: use letters, digits and '_'`,
  }),
  value: z.string().optional(),
  valueFrom: SecretValueSchema.optional(),
});
export type EnvVar = z.output<typeof EnvVarSchema>;

const COMMAND_REQUIRED =
  'command is required: Tributary runs no images, it runs command + args as a local process (e.g. command: [node, emitter.mjs])';

/**
 * A container of the pod template, run as a child process: `command` (required here) + `args`,
 * `env`, `workingDir`. `image` and other Kubernetes fields are accepted and ignored.
 */
export const ContainerSchema = z.looseObject({
  name: z.string().min(1).optional(),
  image: z.string().optional(),
  command: z.array(z.string(), { error: COMMAND_REQUIRED }).min(1, { error: COMMAND_REQUIRED }),
  args: z.array(z.string()).optional(),
  env: z.array(EnvVarSchema).optional(),
  workingDir: z.string().optional(),
});
export type Container = z.output<typeof ContainerSchema>;

export const ContainerSourceSpecSchema = z.strictObject({
  template: z.looseObject({
    metadata: z.looseObject({}).optional(),
    spec: z.looseObject({
      containers: z
        .array(ContainerSchema)
        .min(1, { error: 'template.spec.containers needs at least one container' }),
    }),
  }),
  ...sourceDuck,
});
export const ContainerSourceSchema = sourceResource(
  'sources.knative.dev/v1',
  'ContainerSource',
  ContainerSourceSpecSchema,
);
export type ContainerSource = z.output<typeof ContainerSourceSchema>;

/** SinkBinding subject: a ContainerSource by `name`, or every ContainerSource whose labels match `selector.matchLabels`. */
export const SubjectSchema = z
  .strictObject({
    apiVersion: z.string().min(1),
    kind: z.string().min(1),
    namespace: ResourceNameSchema.optional(),
    name: ResourceNameSchema.optional(),
    selector: z.strictObject({ matchLabels: z.record(z.string(), z.string()) }).optional(),
  })
  .superRefine((s, ctx) => {
    if ((s.name === undefined) === (s.selector === undefined))
      ctx.addIssue({
        code: 'custom',
        message: 'set exactly one of subject.name or subject.selector',
      });
    if (s.kind !== 'ContainerSource' || !s.apiVersion.startsWith('sources.knative.dev/'))
      ctx.addIssue({
        code: 'custom',
        path: ['kind'],
        message: `subject ${s.apiVersion} ${s.kind} cannot be bound here: Tributary runs no Deployments or Jobs; bind a sources.knative.dev/v1 ContainerSource (its processes get K_SINK)`,
      });
  });

export const SinkBindingSpecSchema = z.strictObject({ subject: SubjectSchema, ...sourceDuck });
export const SinkBindingSchema = sourceResource(
  'sources.knative.dev/v1',
  'SinkBinding',
  SinkBindingSpecSchema,
);
export type SinkBinding = z.output<typeof SinkBindingSchema>;
