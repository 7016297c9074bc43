import { randomUUID } from 'node:crypto';
import { describeDeadLetterStoreConformance } from '@tributary/testkit';
import { Redis } from 'ioredis';
import { createRedisDeadLetterStore, deadLetterStreamKey } from '../src/index.js';

const connection = { host: '127.0.0.1', port: 6379 };

describeDeadLetterStoreConformance('redis', async () => {
  const broker = { namespace: 'conformance', name: `dlq-${randomUUID()}` };
  const clients: Redis[] = [];
  const client = () => {
    const r = new Redis(connection);
    clients.push(r);
    return r;
  };
  const first = client();
  return {
    store: createRedisDeadLetterStore(() => first, broker),
    reopen: () => {
      const r = client();
      return Promise.resolve(createRedisDeadLetterStore(() => r, broker));
    },
    cleanup: async () => {
      const key = deadLetterStreamKey(broker);
      await first.del(key, `${key}:index`);
      for (const c of clients) c.disconnect();
    },
  };
});
