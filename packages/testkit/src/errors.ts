/**
 * Errors of @tributary/testkit, derived from the core base `TributaryError` (codes in
 * docs/errors.md).
 */
import { TributaryError } from '@tributary/core';

/** Codes of this package's errors. */
export const testkitErrorCodes = {
  TRIB_ERR_TESTKIT_TIMEOUT:
    'a test helper waited for requests or events that did not arrive in time',
  TRIB_ERR_TESTKIT_KAFKA_MOCK: 'the kcat Kafka mock cluster could not be started or did not answer',
} as const;

export type TestkitErrorCode = keyof typeof testkitErrorCodes;

/** A test helper (HTTP sink, …) did not see what it waited for within its timeout. */
export class TestkitTimeoutError extends TributaryError<TestkitErrorCode> {
  constructor(message: string) {
    super('TRIB_ERR_TESTKIT_TIMEOUT', message);
  }
}

/** The Kafka mock cluster (kcat) is missing, exited, or did not answer in time. */
export class KafkaMockError extends TributaryError<TestkitErrorCode> {
  constructor(message: string, options?: ErrorOptions) {
    super('TRIB_ERR_TESTKIT_KAFKA_MOCK', message, options);
  }
}
