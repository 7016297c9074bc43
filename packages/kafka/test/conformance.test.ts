import {
  describeBackendConformance,
  startKafkaMock,
  type KafkaMockCluster,
} from '@tributary/testkit';
import { afterAll, beforeAll } from 'vitest';
import { createKafkaBackend } from '../src/index.js';

let cluster: KafkaMockCluster;
beforeAll(async () => {
  cluster = await startKafkaMock();
}, 30_000);
afterAll(async () => {
  await cluster?.stop();
});

// One partition per topic: the suite's ordered tests publish keyless events and expect one total
// order, which Kafka gives per partition (see packages/kafka/test/ordering.test.ts for 4 partitions).
describeBackendConformance(
  'kafka (librdkafka mock cluster)',
  () =>
    createKafkaBackend({
      brokers: cluster.brokers,
      partitions: 1,
      replicationFactor: 1,
      sessionTimeoutMs: 3_000,
      rebalanceTimeoutMs: 3_000,
      heartbeatIntervalMs: 300,
      redeliveryDelayMs: 50,
    }),
  { timeoutMs: 20_000 },
);
