/**
 * @tributary/transforms — `eventing.knative.dev/v1alpha1` EventTransform (JSONata, loaded only
 * when a manifest has one) and RequestReply, addressables on the broker's data path. Pass
 * `transformsKinds` to the manifest loader; add `createEventTransformPlugin()` and
 * `createRequestReplyPlugin()` to the runtime's plugins.
 */
export * from './resources.js';
export * from './errors.js';
export { transformsKinds, validateEventTransform, validateRequestReply } from './kinds.js';
export { eventTransformPluginDescriptor, requestReplyPluginDescriptor } from './kinds-entry.js';
export {
  createEventTransformPlugin,
  EVENT_TRANSFORM_PATH,
  type EventTransformPluginOptions,
} from './event-transform/plugin.js';
export {
  createTransformTarget,
  TRANSFORM_FAILED_STATUS,
  type TransformTargetOptions,
} from './event-transform/transform-target.js';
export {
  compileExpression,
  loadJsonata,
  type CompiledExpression,
  type EvaluationLimits,
} from './event-transform/jsonata-expression.js';
export { eventToJson, jsonToEvent } from './event-transform/json-form.js';
export {
  createRequestReplyPlugin,
  REQUEST_REPLY_PATH,
  PROCESS_INDEX_MODULUS,
  type RequestReplyPlugin,
  type RequestReplyPluginOptions,
} from './request-reply/plugin.js';
export type { RequestResult } from './request-reply/request-reply-runner.js';
export { requestReplyKeys, type RequestReplyKeys } from './request-reply/keys.js';
export { HeldRequests, type HeldOutcome } from './request-reply/held-requests.js';
