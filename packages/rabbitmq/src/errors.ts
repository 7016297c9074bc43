/** Errors of @tributary/rabbitmq (codes in docs/errors.md). */
import { TributaryError } from '@tributary/core';

/** Codes of this package's errors. */
export const rabbitmqErrorCodes = {
  TRIB_ERR_RABBITMQ_CONFIG: 'a RabbitMQ broker config, source or connection Secret is invalid',
  TRIB_ERR_RABBITMQ_CONNECTION: 'RabbitMQ could not be reached (initial connection)',
  TRIB_ERR_RABBITMQ_MESSAGE: 'an event cannot be encoded as a RabbitMQ message',
} as const;

export type RabbitmqErrorCode = keyof typeof rabbitmqErrorCodes;

/** A RabbitMQ broker config, source or connection Secret is missing or invalid; the message names the field and the fix. */
export class RabbitmqConfigError extends TributaryError<RabbitmqErrorCode> {
  constructor(message: string) {
    super('TRIB_ERR_RABBITMQ_CONFIG', message);
  }
}

/** RabbitMQ could not be reached (initial connection). */
export class RabbitmqConnectionError extends TributaryError<RabbitmqErrorCode> {
  constructor(message: string, options?: ErrorOptions) {
    super('TRIB_ERR_RABBITMQ_CONNECTION', message, options);
  }
}

/**
 * An event cannot be encoded as a RabbitMQ message, e.g. an `id` or `datacontenttype` longer than
 * the 255 bytes of an AMQP short string (message-id, content-type): publishing it can never work.
 */
export class RabbitmqMessageError extends TributaryError<RabbitmqErrorCode> {
  constructor(message: string, options?: ErrorOptions) {
    super('TRIB_ERR_RABBITMQ_MESSAGE', message, options);
  }
}
