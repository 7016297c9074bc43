export * from './errors.js';
export * from './resources.js';
export { resolveAmqpUrl, redactUrl } from './connection-url.js';
export { AmqpLink, type BackoffOptions } from './amqp-link.js';
export {
  encodeEvent,
  decodeEvent,
  messageToEvent,
  attributesFromHeaders,
  sourceUri,
  type SourceIdentity,
} from './codec.js';
export {
  createRabbitmqBackend,
  queueName,
  type RabbitmqBackend,
  type RabbitmqBackendOptions,
} from './rabbitmq-backend.js';
export {
  rabbitmqBackendProvider,
  rabbitmqBackendConfigSchema,
  resolveBrokerConnection,
  parallelismOverrides,
  PARALLELISM_ANNOTATION,
  RABBITMQ_PARALLELISM_ANNOTATION,
  parallelismSubscribeOptions,
  type RabbitmqBackendConfig,
} from './rabbitmq-provider.js';
export { SourceConsumer, type SourceConsumerOptions } from './source-consumer.js';
export { createRabbitmqSourcePlugin, type RabbitmqSourcePluginOptions } from './source-plugin.js';
export { deleteRabbitmqTopology } from './admin.js';
export { createRabbitmqDeadLetterStore, deadLetterQueueName } from './dead-letter-store.js';
export { rabbitmqSourcePluginDescriptor } from './kinds-entry.js';
