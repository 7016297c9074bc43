/** Errors of @tributary/kafka (codes in docs/errors.md). */
import { TributaryError } from '@tributary/core';

/** Codes of this package's errors. */
export const kafkaErrorCodes = {
  TRIB_ERR_KAFKA_CONFIG: 'a Kafka configuration value is missing or invalid',
  TRIB_ERR_KAFKA_RECORD: 'a Kafka record could not be read as a CloudEvent',
  TRIB_ERR_KAFKA_START_OFFSETS: 'a consumer group could not store its committed start offsets',
} as const;

export type KafkaErrorCode = keyof typeof kafkaErrorCodes;

/** A Kafka configuration value is missing or invalid; the message names the field and the fix. */
export class KafkaConfigError extends TributaryError<KafkaErrorCode> {
  constructor(message: string) {
    super('TRIB_ERR_KAFKA_CONFIG', message);
  }
}

/** A Kafka record could not be read as a CloudEvent (broker topics hold only CloudEvents). */
export class KafkaRecordError extends TributaryError<KafkaErrorCode> {
  constructor(message: string, options?: ErrorOptions) {
    super('TRIB_ERR_KAFKA_RECORD', message, options);
  }
}

/**
 * A consumer group could not store where it starts (its committed start offsets), so delivery
 * cannot be promised yet: the Trigger or KafkaSource stays not Ready with this message.
 */
export class KafkaStartOffsetsError extends TributaryError<KafkaErrorCode> {
  constructor(message: string, options?: ErrorOptions) {
    super('TRIB_ERR_KAFKA_START_OFFSETS', message, options);
  }
}
