/**
 * Errors of @tributary/function. A handler throws {@link NonRetryableError} to say "retrying will not
 * help" (the event goes straight to the dead-letter sink); any other throw counts as a retryable
 * failure (HTTP 500 semantics).
 */

/** Statuses that the dispatcher retries (Knative SelectiveRetry), so a NonRetryableError cannot use them. */
const RETRYABLE_4XX = new Set([404, 408, 409, 429]);

/**
 * Thrown by a function handler when the event can never be processed (bad payload, unknown type).
 * The delivery fails with `status` (default 400) and the error message as the response body, is not
 * retried, and goes to the dead-letter sink with `knativeerrorcode = status`.
 */
export class NonRetryableError extends Error {
  /** The HTTP status the failure is reported as: a 4xx that Knative does not retry. */
  readonly status: number;

  constructor(message: string, options?: ErrorOptions & { status?: number }) {
    super(message, options);
    this.name = 'NonRetryableError';
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
export class InvalidFunctionResultError extends Error {
  constructor(
    message: string,
    readonly problems: readonly string[] = [message],
  ) {
    super(message);
    this.name = 'InvalidFunctionResultError';
  }
}

/** A function module could not be loaded, or its export is not a handler. */
export class FunctionLoadError extends Error {
  constructor(
    message: string,
    /** The absolute path of the module that was being loaded. */
    readonly modulePath: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'FunctionLoadError';
  }
}
