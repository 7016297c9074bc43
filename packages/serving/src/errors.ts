/**
 * Errors of @tributary/serving. Each carries a stable code; messages name the resource, the value
 * and the fix when there is one.
 */
import { TributaryError, type TributaryErrorOptions } from '@tributary/core';

export const codes = {
  TRIB_ERR_SERVICE_NOT_READY: 'no process of a command Service became ready in time',
  TRIB_ERR_JOBSINK_FULL: 'a JobSink cannot accept more jobs right now',
} as const;

export type ServingErrorCode = keyof typeof codes;

/** Base class of the errors this package throws. */
export class ServingError extends TributaryError<ServingErrorCode> {
  constructor(code: ServingErrorCode, message: string, options?: TributaryErrorOptions) {
    super(code, message, options);
  }
}

/** A command Service had no ready process before the delivery's deadline. */
export class ColdStartTimeoutError extends ServingError {
  constructor(message: string) {
    super('TRIB_ERR_SERVICE_NOT_READY', message);
  }
}

/** A JobSink's queue of waiting jobs is full; the sender should retry later (503). */
export class JobQueueFullError extends ServingError {
  constructor(message: string) {
    super('TRIB_ERR_JOBSINK_FULL', message);
  }
}
