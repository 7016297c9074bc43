import { randomUUID } from 'node:crypto';
import { silentLogger } from '@tributary/core';
import { freePort, makeEvent, startKafkaMock, type KafkaMockCluster } from '@tributary/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  KafkaStartOffsetsError,
  createKafkaBackend,
  startGroupConsumer,
  type KafkaBackend,
} from '../src/index.js';

// A consumer group's start position is committed (and read back) before start resolves
// (docs/kafka.md, "From when delivery is promised"); when it cannot be, start fails naming why.
let cluster: KafkaMockCluster;
let backend: KafkaBackend;
beforeAll(async () => {
  cluster = await startKafkaMock();
  backend = createKafkaBackend({
    brokers: cluster.brokers,
    partitions: 4,
    sessionTimeoutMs: 3_000,
    rebalanceTimeoutMs: 3_000,
    heartbeatIntervalMs: 300,
  });
  await backend.start();
}, 30_000);
afterAll(async () => {
  await backend?.close();
  await cluster?.stop();
});

for (const startFrom of ['latest', 'earliest'] as const) {
  it(`${startFrom}: every partition has a committed offset when subscribe resolves`, async () => {
    const topic = `so-${randomUUID()}`;
    const group = `g-${randomUUID()}`;
    await backend.publish(
      topic,
      Array.from({ length: 20 }, (_, i) => makeEvent({ partitionkey: `k${i}` })),
    );
    const sub = await backend.subscribe(topic, group, async () => undefined, {
      ordered: false,
      concurrency: 1,
      startFrom,
    });
    const admin = backend.kafka.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      const ends = await admin.fetchTopicOffsets(topic);
      expect(committed!.partitions).toHaveLength(ends.length);
      for (const p of committed!.partitions) {
        const end = ends.find((e) => e.partition === p.partition)!;
        // latest: the end as it was at subscribe; earliest: the start (or later, once read).
        if (startFrom === 'latest') expect(p.offset).toBe(end.high);
        else expect(Number(p.offset)).toBeGreaterThanOrEqual(Number(end.low));
        expect(p.offset).not.toBe('-1');
      }
    } finally {
      await admin.disconnect();
      await sub.close({ drainMs: 0 });
    }
  }, 60_000);
}

it('fails with KafkaStartOffsetsError naming the group when the start position cannot be read or stored', async () => {
  // A cluster that does not answer: every attempt fails until the start deadline.
  const kafka = new Kafka({
    brokers: [`127.0.0.1:${await freePort()}`],
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const group = `g-${randomUUID()}`;
  const topic = `t-${randomUUID()}`;
  const err = await startGroupConsumer({
    kafka,
    admin,
    topics: [topic],
    groupId: group,
    handler: async () => undefined,
    ordered: false,
    concurrency: 1,
    startFrom: 'latest',
    logger: silentLogger,
    toEvent: () => undefined,
    ensureTopic: async () => undefined,
    sessionTimeoutMs: 3_000,
    rebalanceTimeoutMs: 3_000,
    heartbeatIntervalMs: 300,
    startTimeoutMs: 1_000,
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  await admin.disconnect();
  expect(err).toBeInstanceOf(KafkaStartOffsetsError);
  expect((err as KafkaStartOffsetsError).code).toBe('TRIB_ERR_KAFKA_START_OFFSETS');
  expect((err as Error).message).toContain(group);
  expect((err as Error).message).toContain(topic);
}, 60_000);
