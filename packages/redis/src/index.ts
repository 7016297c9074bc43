export { createRedisBackend, type RedisBackendOptions } from './redis-backend.js';
export {
  redisBackendProvider,
  DELIVERY_ORDER_ANNOTATION,
  REDIS_DELIVERY_ORDER_ANNOTATION,
} from './provider.js';
export {
  redisBackendConfigSchema,
  type RedisBackendConfig,
  brokerConnection,
  connectionOptions,
} from './config.js';
export { createRetryQueue, type RetryQueue, type RetryQueueOptions } from './retry-queue.js';
export { startStreamConsumer, type StreamConsumerOptions } from './stream-consumer.js';
export { trimAcknowledged } from './trim.js';
export { encodeEntry, decodeEntry } from './codec.js';
export * from './errors.js';
export { createRedisPlugin, type RedisPluginOptions } from './source/plugin.js';
export {
  RedisStreamSourceSchema,
  RedisStreamSourceSpecSchema,
  type RedisStreamSource,
  redisKinds,
} from './source/resource.js';
export { streamEntryEvent, REDIS_STREAM_EVENT_TYPE } from './source/stream-event.js';
export { createRedisDeadLetterStore, deadLetterStreamKey } from './dead-letter-store.js';
export { redisPluginDescriptor } from './kinds-entry.js';
