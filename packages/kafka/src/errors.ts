/** Errors of @tributary/kafka. */

/** A Kafka configuration value is missing or invalid; the message names the field and the fix. */
export class KafkaConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KafkaConfigError';
  }
}

/** A Kafka record could not be read as a CloudEvent (broker topics hold only CloudEvents). */
export class KafkaRecordError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'KafkaRecordError';
  }
}

/**
 * A consumer group could not store where it starts (its committed start offsets), so delivery
 * cannot be promised yet: the Trigger or KafkaSource stays not Ready with this message.
 */
export class KafkaStartOffsetsError extends Error {
  readonly code = 'TRIB_ERR_KAFKA_START_OFFSETS';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'KafkaStartOffsetsError';
  }
}
