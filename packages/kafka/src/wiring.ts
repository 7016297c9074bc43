/**
 * `@tributary/kafka/wiring`: what a program wires in (the broker class provider, the plugin that
 * runs KafkaSources and configures KafkaChannel, the KafkaSource kind) without loading kafkajs.
 * kafkajs loads when a Kafka broker or channel starts or a KafkaSource runs
 * (docs/architecture.md, "Lazy technology packages").
 */
export * from './errors.js';
export {
  kafkaBackendProvider,
  kafkaBackendConfigSchema,
  kafkaChannelBackendConfig,
  KAFKA_DELIVERY_ORDER_ANNOTATION,
  BOOTSTRAP_ENV,
  type KafkaBackendConfig,
} from './kafka-provider.js';
export * from './source/kafka-source-resource.js';
export { createKafkaPlugin, KAFKA_CHANNEL_CONFIG, type KafkaPluginOptions } from './plugin.js';
export * from './channel/kafka-channel-resource.js';
export * from './sink/kafka-sink-resource.js';
export { KAFKA_SINK_PATH } from './sink/kafka-sinks.js';
export { kafkaKinds, kafkaPluginDescriptor } from './kinds-entry.js';
