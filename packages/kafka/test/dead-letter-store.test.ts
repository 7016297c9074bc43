import { randomUUID } from 'node:crypto';
import {
  describeDeadLetterStoreConformance,
  startKafkaMock,
  type KafkaMockCluster,
} from '@tributary/testkit';
import type { DeadLetterStore } from '@tributary/core';
import { afterAll, beforeAll } from 'vitest';
import { createKafkaBackend } from '../src/index.js';

let cluster: KafkaMockCluster;
beforeAll(async () => {
  cluster = await startKafkaMock();
}, 30_000);
afterAll(async () => {
  await cluster?.stop();
});

describeDeadLetterStoreConformance(
  'kafka (librdkafka mock cluster)',
  async () => {
    const broker = { namespace: 'conformance', name: `dlq-${randomUUID().slice(0, 8)}` };
    const backends: ReturnType<typeof createKafkaBackend>[] = [];
    const stores: DeadLetterStore[] = [];
    const open = async () => {
      const b = createKafkaBackend({
        brokers: cluster.brokers,
        partitions: 1,
        replicationFactor: 1,
        sessionTimeoutMs: 3_000,
        heartbeatIntervalMs: 300,
      });
      backends.push(b);
      await b.start();
      const s = b.deadLetterStore!(broker)!;
      stores.push(s);
      return s;
    };
    return {
      store: await open(),
      reopen: open,
      cleanup: async () => {
        for (const s of stores) await s.close?.();
        for (const b of backends) await b.close({ drainMs: 0 });
      },
    };
  },
  { timeoutMs: 60_000 },
);
