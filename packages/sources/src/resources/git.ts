import { z } from 'zod';
import { SecretValueSchema, sourceDuck, sourceResource } from './common.js';

/**
 * GitHubSource spec (`sources.knative.dev/v1alpha1`, docs/knative-behaviour.md §7.7). `eventTypes`, `accessToken`,
 * `githubAPIURL` and `secure` only configure the webhook on GitHub in Knative; Tributary does not
 * call GitHub, so they are accepted and ignored. Without `secretToken` requests are not verified.
 */
export const GitHubSourceSpecSchema = z.strictObject({
  ownerAndRepository: z.string().regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)?$/, {
    error: (iss) =>
      `ownerAndRepository '${String(iss.input)}' must be 'owner/repository' or 'organization'`,
  }),
  eventTypes: z.array(z.string().min(1)).optional(),
  accessToken: SecretValueSchema.optional(),
  secretToken: SecretValueSchema.optional(),
  githubAPIURL: z.string().optional(),
  secure: z.boolean().optional(),
  serviceAccountName: z.string().optional(),
  ...sourceDuck,
});
export const GitHubSourceSchema = sourceResource(
  'sources.knative.dev/v1alpha1',
  'GitHubSource',
  GitHubSourceSpecSchema,
);
export type GitHubSource = z.output<typeof GitHubSourceSchema>;

/** GitLabSource spec (`sources.knative.dev/v1alpha1`, docs/knative-behaviour.md §7.8). */
export const GitLabSourceSpecSchema = z.strictObject({
  projectUrl: z.url({
    protocol: /^https?$/,
    error: (iss) =>
      `projectUrl '${String(iss.input)}' must be an absolute URL, e.g. https://gitlab.com/group/project`,
  }),
  eventTypes: z.array(z.string().min(1)).optional(),
  accessToken: SecretValueSchema.optional(),
  secretToken: SecretValueSchema.optional(),
  sslverify: z.boolean().optional(),
  serviceAccountName: z.string().optional(),
  ...sourceDuck,
});
export const GitLabSourceSchema = sourceResource(
  'sources.knative.dev/v1alpha1',
  'GitLabSource',
  GitLabSourceSpecSchema,
);
export type GitLabSource = z.output<typeof GitLabSourceSchema>;
