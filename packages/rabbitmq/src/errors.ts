/** Errors of @tributary/rabbitmq. */

/** A RabbitMQ broker config, source or connection Secret is missing or invalid; the message names the field and the fix. */
export class RabbitmqConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RabbitmqConfigError';
  }
}

/** RabbitMQ could not be reached (initial connection). */
export class RabbitmqConnectionError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RabbitmqConnectionError';
  }
}
