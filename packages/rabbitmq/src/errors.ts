/** Errors of @tributary/rabbitmq (codes in docs/errors.md). */
import { TributaryError } from '@tributary/core';

/** Codes of this package's errors. */
export const rabbitmqErrorCodes = {
  TRIB_ERR_RABBITMQ_CONFIG: 'a RabbitMQ broker config, source or connection Secret is invalid',
  TRIB_ERR_RABBITMQ_CONNECTION: 'RabbitMQ could not be reached (initial connection)',
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
