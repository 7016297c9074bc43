/**
 * `@tributary/redis/wiring`: what a program wires in (the broker class provider, the plugin that
 * runs RedisStreamSources, the RedisStreamSource kind) without loading ioredis or bullmq. They
 * load when a Redis broker starts or a RedisStreamSource runs (docs/architecture.md, "Lazy
 * technology packages").
 */
export * from './errors.js';
export {
  redisBackendProvider,
  DELIVERY_ORDER_ANNOTATION,
  REDIS_DELIVERY_ORDER_ANNOTATION,
} from './provider.js';
export { redisBackendConfigSchema, type RedisBackendConfig } from './config.js';
export { createRedisPlugin, type RedisPluginOptions } from './source/plugin.js';
export {
  RedisStreamSourceSchema,
  RedisStreamSourceSpecSchema,
  type RedisStreamSource,
  redisKinds,
} from './source/resource.js';
export { redisPluginDescriptor } from './kinds-entry.js';
