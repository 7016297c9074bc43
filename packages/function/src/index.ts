/**
 * @tributary/function: the contract of function sinks (handlers that receive CloudEvents and may
 * reply), used in-process (a `tributary.dev/v1alpha1` Function's `spec.module`) or served over HTTP
 * with {@link serve}; typed handlers with {@link handle}; conversions between wire events and the
 * friendly function view; and the module loader.
 */
export type {
  FunctionContext,
  FunctionEvent,
  FunctionHandler,
  FunctionReply,
  FunctionResult,
} from './types.js';
export { toFunctionEvent, fromFunctionResult } from './convert.js';
export { loadFunctionModule } from './load.js';
export {
  NonRetryableError,
  InvalidFunctionResultError,
  FunctionLoadError,
  functionErrorCodes,
  type FunctionErrorCode,
  isForeignNonRetryable,
} from './errors.js';
export { serve, type ServeOptions, type FunctionServer } from './serve.js';
export {
  handleCloudEventRequest,
  DEADLINE_HEADER,
  type FunctionResponse,
} from './serve-request.js';
export {
  handle,
  type EventDefinitionLike,
  type HandleOptions,
  type TypedFunctionEvent,
  type TypedFunctionHandler,
} from './handle.js';
export type { VerifyOptions } from './verify-token.js';
