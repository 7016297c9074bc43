/**
 * Errors of @tributary/function. A handler throws {@link NonRetryableError} to say "retrying will not
 * help" (the event goes straight to the dead-letter sink); any other throw counts as a retryable
 * failure (HTTP 500 semantics).
 */

import { TributaryError } from '@tributary/core';

/** Codes of this package's errors (docs/errors.md). */
export const functionErrorCodes = {
  TRIB_ERR_NON_RETRYABLE: 'a handler said the event can never be processed (not retried)',
  TRIB_ERR_FUNCTION_RESULT: "a function's return value is not a valid CloudEvent",
  TRIB_ERR_FUNCTION_LOAD: 'a function module could not be loaded, or exports no handler',
  TRIB_ERR_FUNCTION_BODY_TOO_LARGE: 'a request body to a served function is over the size limit',
} as const;

export type FunctionErrorCode = keyof typeof functionErrorCodes;

/** Statuses that the dispatcher retries (Knative SelectiveRetry), so a NonRetryableError cannot use them. */
const RETRYABLE_4XX = new Set([404, 408, 409, 429]);

/**
 * Thrown by a function handler when the event can never be processed (bad payload, unknown type).
 * The delivery fails with `status` (default 400) and the error message as the response body, is not
 * retried, and goes to the dead-letter sink with `knativeerrorcode = status`.
 */
export class NonRetryableError extends TributaryError<FunctionErrorCode> {
  /** The HTTP status the failure is reported as: a 4xx that Knative does not retry. */
  readonly status: number;

  constructor(message: string, options?: ErrorOptions & { status?: number }) {
    super('TRIB_ERR_NON_RETRYABLE', message, options);
    const status = options?.status ?? 400;
    if (!Number.isInteger(status) || status < 400 || status > 499 || RETRYABLE_4XX.has(status)) {
      throw new RangeError(
        `NonRetryableError status ${String(status)} is not a non-retryable 4xx; ` +
          'use 400-499 except 404, 408, 409 and 429 (those are retried)',
      );
    }
    this.status = status;
  }
}

/** A function's return value could not be turned into a CloudEvent (missing type, bad extension name, …). */
export class InvalidFunctionResultError extends TributaryError<FunctionErrorCode> {
  constructor(
    message: string,
    readonly problems: readonly string[] = [message],
  ) {
    super('TRIB_ERR_FUNCTION_RESULT', message);
  }
}

/** A function module could not be loaded, or its export is not a handler. */
export class FunctionLoadError extends TributaryError<FunctionErrorCode> {
  constructor(
    message: string,
    /** The absolute path of the module that was being loaded. */
    readonly modulePath: string,
    options?: ErrorOptions,
  ) {
    super('TRIB_ERR_FUNCTION_LOAD', message, options);
  }
}

/** A request body to a served function is larger than its limit (answered 413). */
export class BodyTooLargeError extends TributaryError<FunctionErrorCode> {
  constructor(readonly limit: number) {
    super('TRIB_ERR_FUNCTION_BODY_TOO_LARGE', `request body is larger than ${limit} bytes`);
  }
}

/**
 * True for a NonRetryableError from another copy of this package (a function module may bundle its
 * own, whose class is then a different object): told by its code, or by its class name for copies
 * that predate the code, the one documented exception to "never by name" (docs/errors.md).
 */
export function isForeignNonRetryable(err: unknown): err is Error {
  if (!(err instanceof Error)) return false;
  return (
    (err as { code?: unknown }).code === 'TRIB_ERR_NON_RETRYABLE' ||
    err.name === 'NonRetryableError'
  );
}
