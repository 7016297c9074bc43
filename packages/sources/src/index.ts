export * from './errors.js';
export { sourcesKinds } from './resources/register.js';
export { sourcesPluginDescriptor } from './kinds-entry.js';
export * from './resources/common.js';
export * from './resources/ping.js';
export * from './resources/git.js';
export * from './resources/webhook.js';
export * from './resources/container.js';
export {
  createSourcesPlugin,
  DEDUPE_WINDOW_ANNOTATION,
  type SourcesPluginOptions,
} from './plugin.js';
export {
  createSourceSink,
  applyCeOverrides,
  DEFAULT_SOURCE_DELIVERY,
  type SourceSinkOptions,
} from './common/source-sink.js';
export { parseSchedule, nextRuns, validateTimezone, type ParsedSchedule } from './ping/schedule.js';
export { pingEvent, pingEventSource } from './ping/ping-event.js';
export { startPingSource, type PingRunner } from './ping/ping-runner.js';
export { DeliveryDedupe, type DedupeOptions, type DedupeResult } from './webhooks/dedupe.js';
export * from './webhooks/verify.js';
export { githubSubjectAndExtensions } from './webhooks/github-events.js';
export {
  githubEvent,
  gitlabEvent,
  gitlabTypeSuffix,
  verifyGitHubSignature,
  verifyGitLabToken,
} from './webhooks/git-receivers.js';
export {
  compileVerification,
  jsonPointer,
  readValue,
  webhookEvent,
} from './webhooks/webhook-source.js';
export { WEBHOOK_PREFIX, webhookHandler, type WebhookReceiver } from './webhooks/receiver.js';
/** Process supervision lives in @tributary/serving (shared with Services and JobSinks); re-exported. */
export { superviseProcess, type ProcessSpec, type SupervisedProcess } from '@tributary/serving';
export { containerEnv, ceOverridesEnv, bindingSubjects } from './container/container-env.js';
