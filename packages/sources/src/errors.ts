/**
 * Errors of @tributary/sources. Each carries a stable code; messages name the source, the value and
 * the fix when there is one.
 */
import { TributaryError, type TributaryErrorOptions } from '@tributary/core';

export const codes = {
  TRIB_ERR_SOURCE_SINK_FAILED: 'the sink did not accept an event after the retries',
  TRIB_ERR_SOURCE_SCHEDULE_INVALID: 'a PingSource schedule or timezone is invalid',
  TRIB_ERR_WEBHOOK_VERIFICATION: 'a webhook request failed its signature or credential check',
} as const;

export type SourcesErrorCode = keyof typeof codes;

/** Base class of the errors this package throws. */
export class SourcesError extends TributaryError<SourcesErrorCode> {
  constructor(code: SourcesErrorCode, message: string, options?: TributaryErrorOptions) {
    super(code, message, options);
  }
}

/** The sink refused an event (non-retryable answer) or kept failing until the retries ran out. */
export class SinkDeliveryError extends SourcesError {
  constructor(
    message: string,
    /** HTTP status of the last answer; undefined for a network error or timeout. */
    readonly status?: number,
  ) {
    super('TRIB_ERR_SOURCE_SINK_FAILED', message);
  }
}

/** A PingSource schedule or timezone that cannot be used; `field` is `schedule` or `timezone`. */
export class ScheduleError extends SourcesError {
  constructor(
    readonly field: 'schedule' | 'timezone',
    message: string,
  ) {
    super('TRIB_ERR_SOURCE_SCHEDULE_INVALID', message);
  }
}

/** A webhook request that failed verification; answered with `status` (401 unless said otherwise). */
export class VerificationError extends SourcesError {
  constructor(
    message: string,
    readonly status = 401,
    /** True when the answer should carry a `WWW-Authenticate: Basic` challenge (basic auth). */
    readonly basicAuthChallenge = false,
  ) {
    super('TRIB_ERR_WEBHOOK_VERIFICATION', message);
  }
}
