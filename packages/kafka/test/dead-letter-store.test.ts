import { randomUUID } from 'node:crypto';
import {
  describeDeadLetterStoreConformance,
  makeDeadLetterEntry,
  startKafkaMock,
  type KafkaMockCluster,
} from '@tributary/testkit';
import { type DeadLetterStore, silentLogger } from '@tributary/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createKafkaBackend,
  createKafkaDeadLetterStore,
  deadLetterTopicName,
} from '../src/index.js';

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

describe('kafka dead-letter store compaction', () => {
  it('rewrites the live entries; a store reading the topic later sees exactly them', async () => {
    // The mock cluster refuses DeleteRecords, so the records before the compaction stay in the
    // topic here (docs/kafka.md); what this checks is that the copies and the marker replay right.
    const broker = { namespace: 'conformance', name: `dlq-c-${randomUUID().slice(0, 8)}` };
    const backend = createKafkaBackend({
      brokers: cluster.brokers,
      partitions: 1,
      replicationFactor: 1,
      sessionTimeoutMs: 3_000,
      heartbeatIntervalMs: 300,
    });
    await backend.start();
    const producer = backend.kafka.producer({ allowAutoTopicCreation: true });
    const admin = backend.kafka.admin();
    await producer.connect();
    await admin.connect();
    const open = () =>
      createKafkaDeadLetterStore({
        kafka: backend.kafka,
        producer,
        admin,
        broker,
        replicationFactor: 1,
        sessionTimeoutMs: 3_000,
        heartbeatIntervalMs: 300,
        logger: silentLogger,
        compactAfter: 5,
      });
    const store = open();
    const later = open();
    try {
      const entries = Array.from({ length: 12 }, () => makeDeadLetterEntry());
      for (const e of entries) await store.put(e);
      for (const e of entries.slice(0, 10)) await store.remove(e.id);
      await store.close?.(); // waits for a compaction in progress
      const ids = entries.slice(10).map((e) => e.id);
      expect((await later.list({ limit: 100 })).items.map((e) => e.id)).toEqual(ids);
      const offsets = await admin.fetchTopicOffsets(deadLetterTopicName(broker));
      // 1 sync + 12 puts + 10 removes + the later store's sync, plus the compaction's copies and marker.
      expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBeGreaterThan(24);
    } finally {
      await later.close?.();
      await producer.disconnect();
      await admin.disconnect();
      await backend.close({ drainMs: 0 });
    }
  }, 60_000);
});
