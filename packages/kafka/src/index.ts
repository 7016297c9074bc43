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
  bootstrapServers,
  securityFromSecret,
  BOOTSTRAP_ENV,
  type KafkaBackendConfig,
} from './kafka-provider.js';
