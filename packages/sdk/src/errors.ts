/**
 * Errors of @tributary/sdk. Each class has a stable `code` (`TRIB_ERR_SDK_…`) that callers can
 * switch on; messages name the field, the status or the URL involved.
 */
import { TributaryError, type TributaryErrorOptions } from '@tributary/core';

export const sdkErrorCodes = {
  TRIB_ERR_SDK_VALIDATION: 'an event or an option failed validation before anything was sent',
  TRIB_ERR_SDK_EVENT_REJECTED:
    'the broker answered with a status that is not retried, or retries ran out',
  TRIB_ERR_SDK_BROKER_UNREACHABLE: 'network errors or timeouts on every attempt',
  TRIB_ERR_SDK_PRODUCER_CLOSED: 'send was called after close()',
  TRIB_ERR_SDK_REPLY_TIMEOUT:
    'request() got no reply in time (504 from the RequestReply, or the timeout passed)',
  TRIB_ERR_SDK_REPLY_INVALID: 'request() got a 2xx answer that is not a CloudEvent',
  TRIB_ERR_SDK_ATTEMPT_TIMEOUT:
    'one attempt ran longer than its timeout (retried; never thrown to callers)',
} as const;

/** One of the stable codes in {@link sdkErrorCodes}. */
export type SdkErrorCode = keyof typeof sdkErrorCodes;

/** Base class of every error the SDK throws on purpose. */
export class SdkError extends TributaryError<SdkErrorCode> {
  constructor(code: SdkErrorCode, message: string, options?: TributaryErrorOptions) {
    super(code, message, options);
  }
}

/**
 * An event (or a producer option) is invalid; nothing was sent. `field` is the dotted path of the
 * offending field (`type`, `extensions.traceid`, `data.total`, `data.items[0].sku`), `value` what
 * was given there.
 */
export class ProducerValidationError extends SdkError {
  constructor(
    /** Dotted path of the invalid field. */
    readonly field: string,
    /** The value found at that path. */
    readonly value: unknown,
    message: string,
    /** Every problem found, one line each (the first one is also in `field`/`message`). */
    readonly problems: readonly string[] = [message],
  ) {
    super('TRIB_ERR_SDK_VALIDATION', message);
  }
}

/**
 * The broker refused the event: a status that is not retried (400, 401, 403, 413, …), or a
 * retried status (404, 408, 409, 429, 5xx) that persisted through every attempt. `message` is the
 * broker's `{ "error": … }` text when the body is JSON, else the body text.
 */
export class EventRejectedError extends SdkError {
  constructor(
    /** HTTP status of the last response. */
    readonly status: number,
    /** What the broker said (its JSON `error` field or the body text; may be empty). */
    readonly brokerMessage: string,
    /** How many requests were made for this call. */
    readonly attempts: number,
    url: string,
  ) {
    super(
      'TRIB_ERR_SDK_EVENT_REJECTED',
      `broker at ${url} rejected the event with HTTP ${status}` +
        (brokerMessage ? `: ${brokerMessage}` : '') +
        (attempts > 1 ? ` (after ${attempts} attempts)` : ''),
    );
  }
}

/** Every attempt failed with a network error or a timeout. `cause` is the last failure. */
export class BrokerUnreachableError extends SdkError {
  constructor(
    /** The broker ingress URL. */
    readonly url: string,
    /** How many requests were attempted. */
    readonly attempts: number,
    cause: unknown,
  ) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      'TRIB_ERR_SDK_BROKER_UNREACHABLE',
      `broker at ${url} unreachable after ${attempts} attempt(s): ${why}`,
      {
        cause,
      },
    );
  }
}

/** `send` or `sendBatch` was called after `close()`. */
export class ProducerClosedError extends SdkError {
  constructor(url: string) {
    super(
      'TRIB_ERR_SDK_PRODUCER_CLOSED',
      `producer for ${url} is closed; create a new one with createProducer()`,
    );
  }
}

/** `request()` got no reply in time: the RequestReply answered 504, or `timeout` passed first. */
export class ReplyTimeoutError extends SdkError {
  constructor(
    readonly url: string,
    readonly timeoutMs: number,
    /** What the RequestReply said when it answered 504. */
    readonly serverMessage?: string,
  ) {
    super(
      'TRIB_ERR_SDK_REPLY_TIMEOUT',
      `no reply from ${url} within ${timeoutMs} ms` + (serverMessage ? `: ${serverMessage}` : ''),
    );
  }
}

/** `request()` got a 2xx answer that is not a CloudEvent. */
export class InvalidReplyError extends SdkError {
  constructor(url: string, why: string) {
    super('TRIB_ERR_SDK_REPLY_INVALID', `answer from ${url} is not a CloudEvent: ${why}`);
  }
}

/** One attempt ran longer than its timeout (retried like a network error). */
export class AttemptTimeoutError extends TributaryError<SdkErrorCode> {
  constructor(readonly timeoutMs: number) {
    super('TRIB_ERR_SDK_ATTEMPT_TIMEOUT', `request timed out after ${timeoutMs} ms`);
  }
}
