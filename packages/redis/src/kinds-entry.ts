/**
 * `@tributary/redis/kinds`: the light entry of the package (docs/embedding.md, "Wiring"): the
 * RedisStreamSource kind as a value, the broker class provider, and the plugin descriptor whose
 * `load` imports the source plugin's code only when a topology has a RedisStreamSource. ioredis
 * and bullmq load later still (docs/architecture.md, "Lazy technology packages").
 */
import type { RuntimePlugin } from '@tributary/broker';

export { redisKinds } from './source/resource.js';
export { redisBackendProvider } from './provider.js';

/** The RedisStreamSource plugin, loaded when a topology has a RedisStreamSource. */
export const redisPluginDescriptor = {
  name: 'redis',
  activatedBy: ['RedisStreamSource'] as readonly string[],
  load: async (): Promise<RuntimePlugin> =>
    (await import('./source/plugin.js')).createRedisPlugin(),
};
