/**
 * @tributary/sdk — send CloudEvents to a Tributary (or Knative) broker: typed events, binary,
 * structured and batch content modes, retries with backoff, keep-alive connections.
 */
export * from './errors.js';
export * from './event-input.js';
export * from './typed-event.js';
export type { RetryOptions, RetryPolicy } from './retry.js';
export { backoffDelay, isRetryableStatus, retryAfterMs, retryPolicy } from './retry.js';
export type { SendResult } from './transport.js';
export type { BatchOptions } from './batcher.js';
export * from './producer.js';
