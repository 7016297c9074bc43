import { describeBackendConformance } from '@tributary/testkit';
import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import { createRedisBackend } from '../src/index.js';

const connection = { host: '127.0.0.1', port: 6379 };
// Short claim times: the suite waits for redeliveries of rejected and abandoned entries.
const config = { 'claim.min.idle.ms': 300, 'claim.interval.ms': 100 };

describeBackendConformance('redis', () => createRedisBackend({ connection, config }));
describeBackendConformance('redis (no durable retries)', () =>
  createRedisBackend({ connection, config: { ...config, 'retry.durable': false } }),
);

afterAll(async () => {
  const r = new Redis(connection);
  for (const pattern of ['conformance-*', 'tributary:conformance-*']) {
    const keys = await r.keys(pattern);
    if (keys.length > 0) await r.del(...keys);
  }
  r.disconnect();
});
