/**
 * `@tributary/rabbitmq/wiring`: what a program wires in (the broker class provider, the plugin
 * that runs RabbitmqSources, the RabbitMQ kinds) without loading amqplib. amqplib loads when a
 * RabbitMQBroker starts or a RabbitmqSource runs (docs/architecture.md, "Lazy technology packages").
 */
export * from './errors.js';
export * from './resources.js';
export {
  rabbitmqBackendProvider,
  rabbitmqBackendConfigSchema,
  PARALLELISM_ANNOTATION,
  RABBITMQ_PARALLELISM_ANNOTATION,
  parallelismSubscribeOptions,
  type RabbitmqBackendConfig,
} from './rabbitmq-provider.js';
export { createRabbitmqSourcePlugin, type RabbitmqSourcePluginOptions } from './source-plugin.js';
export { rabbitmqSourcePluginDescriptor } from './kinds-entry.js';
