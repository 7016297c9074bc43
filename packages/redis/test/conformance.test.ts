import { describeBackendConformance } from '@tributary/testkit';
import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import { silentLogger } from '@tributary/core';
import { createRedisBackend, redisBackendProvider } from '../src/index.js';

const connection = { host: '127.0.0.1', port: 6379 };
// Short claim times: the suite waits for redeliveries of rejected and abandoned entries.
const config = { 'claim.min.idle.ms': 300, 'claim.interval.ms': 100 };

describeBackendConformance('redis', () => createRedisBackend({ connection, config }));
describeBackendConformance('redis (no durable retries)', () =>
  createRedisBackend({ connection, config: { ...config, 'retry.durable': false } }),
);
// What `tributary run` builds: the provider's lazy backend, which imports ioredis on start().
describeBackendConformance('redis (through its provider, loaded on start)', () =>
  redisBackendProvider.create(
    redisBackendProvider.configSchema.parse({ address: 'redis://127.0.0.1:6379', ...config }),
    { logger: silentLogger },
  ),
);

afterAll(async () => {
  const r = new Redis(connection);
  for (const pattern of ['conformance-*', 'tributary:conformance-*']) {
    const keys = await r.keys(pattern);
    if (keys.length > 0) await r.del(...keys);
  }
  r.disconnect();
});
