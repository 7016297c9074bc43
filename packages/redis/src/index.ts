export { createRedisBackend, type RedisBackendOptions } from './redis-backend.js';
export { redisBackendProvider, DELIVERY_ORDER_ANNOTATION } from './provider.js';
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
