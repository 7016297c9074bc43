export * from './errors.js';
export * from './auth.js';
export * from './record-codec.js';
export { PartitionOffsets } from './offset-tracker.js';
export {
  startGroupConsumer,
  type GroupConsumer,
  type GroupConsumerOptions,
  type GroupTimeouts,
} from './group-consumer.js';
export {
  createKafkaBackend,
  kafkaLogCreator,
  type KafkaBackend,
  type KafkaBackendOptions,
} from './kafka-backend.js';
export {
  kafkaBackendProvider,
  kafkaBackendConfigSchema,
  kafkaChannelBackendConfig,
  KAFKA_DELIVERY_ORDER_ANNOTATION,
  bootstrapServers,
  securityFromSecret,
  BOOTSTRAP_ENV,
  type KafkaBackendConfig,
} from './kafka-provider.js';
export * from './source/kafka-source-resource.js';
export { sourceRecordEvent, typedKey, type SourceRecord } from './source/source-record.js';
export {
  startKafkaSource,
  sourceConsumerGroup,
  sourceSecurity,
  type KafkaSourceRunner,
  type KafkaSourceRunnerOptions,
} from './source/kafka-source-runner.js';
export { createKafkaPlugin, KAFKA_CHANNEL_CONFIG, type KafkaPluginOptions } from './plugin.js';
export { createKafkaDeadLetterStore, deadLetterTopicName } from './dead-letter-store.js';
export * from './channel/kafka-channel-resource.js';
export * from './sink/kafka-sink-resource.js';
export {
  kafkaSinkRecord,
  startKafkaSinkWriter,
  type KafkaSinkWriter,
} from './sink/kafka-sink-writer.js';
export { KAFKA_SINK_PATH } from './sink/kafka-sinks.js';
export { kafkaKinds, kafkaPluginDescriptor } from './kinds-entry.js';
