/**
 * Errors of @tributary/broker, derived from the core base `TributaryError` (codes in
 * docs/errors.md). Told apart by class or `code`, never by `name`.
 */
import { TributaryError } from '@tributary/core';

/** Codes of this package's errors. */
export const brokerErrorCodes = {
  TRIB_ERR_HTTP: 'a request that becomes an HTTP error response (status and JSON body)',
  TRIB_ERR_DISPATCHER_CLOSED: 'the dispatcher was closed; the event stays with the backend',
  TRIB_ERR_DEAD_LETTER_FAILED: 'delivery and dead-lettering both failed; the event stays held',
} as const;

export type BrokerErrorCode = keyof typeof brokerErrorCodes;

/** An error that becomes an HTTP response: `status` and a JSON body `{"error": message}`. */
export class HttpError extends TributaryError<BrokerErrorCode> {
  constructor(
    readonly status: number,
    message: string,
    /** Extra response headers (e.g. `Retry-After`). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super('TRIB_ERR_HTTP', message);
  }
}

/** The dispatcher was closed; the event was not acknowledged. */
export class DispatcherClosedError extends TributaryError<BrokerErrorCode> {
  constructor(name: string) {
    super(
      'TRIB_ERR_DISPATCHER_CLOSED',
      `dispatcher '${name}' is closed; the event stays with the backend`,
    );
  }
}

/** Delivery and dead-lettering both failed; the event stays with the backend (docs/decisions.md D7). */
export class DeadLetterFailedError extends TributaryError<BrokerErrorCode> {
  constructor(message: string) {
    super('TRIB_ERR_DEAD_LETTER_FAILED', message);
  }
}
