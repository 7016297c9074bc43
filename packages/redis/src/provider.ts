import { type BackendProvider, lazyBackend } from '@tributary/core';
import { type RedisBackendConfig, brokerConnection, redisBackendConfigSchema } from './config.js';
import type { RedisBackendOptions } from './redis-backend.js';

/** Annotation of a Trigger asking for per-`partitionkey` ordered delivery on a Redis broker. */
export const DELIVERY_ORDER_ANNOTATION = 'redis.eventing.tributary.dev/delivery.order';
/** {@link DELIVERY_ORDER_ANNOTATION} under the name the runtime's tests and docs use. */
export const REDIS_DELIVERY_ORDER_ANNOTATION = DELIVERY_ORDER_ANNOTATION;

/** Provider for broker class `Redis`: config = the data of the Broker's `spec.config` ConfigMap. */
export const redisBackendProvider: BackendProvider<RedisBackendConfig> = {
  kind: 'redis',
  brokerClasses: ['Redis'],
  configSchema:
    redisBackendConfigSchema as unknown as BackendProvider<RedisBackendConfig>['configSchema'],
  subscribeOptions: (a) => (a[DELIVERY_ORDER_ANNOTATION] === 'ordered' ? { ordered: true } : {}),
  // Options are worked out now (config errors surface at create); ioredis and bullmq load on start().
  create: (config, ctx) => {
    const options: RedisBackendOptions = {
      connection: brokerConnection(config, ctx),
      config,
      logger: ctx.logger,
      clientName: ctx.clientName,
    };
    return lazyBackend('redis', async () =>
      (await import('./redis-backend.js')).createRedisBackend(options),
    );
  },
};
