/**
 * @tributary/function: the contract of in-process function sinks (handlers that receive CloudEvents
 * and may reply), conversions between wire events and the friendly function view, and the module
 * loader used for `tributary.dev/v1alpha1` Function `spec.module`.
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
export { NonRetryableError, InvalidFunctionResultError, FunctionLoadError } from './errors.js';
