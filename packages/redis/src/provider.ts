import type { BackendProvider } from '@tributary/core';
import { type RedisBackendConfig, brokerConnection, redisBackendConfigSchema } from './config.js';
import { createRedisBackend } from './redis-backend.js';

/** Annotation of a Trigger asking for per-`partitionkey` ordered delivery on a Redis broker. */
export const DELIVERY_ORDER_ANNOTATION = 'redis.eventing.tributary.dev/delivery.order';

/** Provider for broker class `Redis`: config = the data of the Broker's `spec.config` ConfigMap. */
export const redisBackendProvider: BackendProvider<RedisBackendConfig> = {
  kind: 'redis',
  brokerClasses: ['Redis'],
  configSchema:
    redisBackendConfigSchema as unknown as BackendProvider<RedisBackendConfig>['configSchema'],
  create: (config, ctx) =>
    createRedisBackend({
      connection: brokerConnection(config, ctx),
      config,
      logger: ctx.logger,
      clientName: ctx.clientName,
    }),
};
