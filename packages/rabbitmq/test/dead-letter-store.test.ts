import { randomUUID } from 'node:crypto';
import amqp, { type ChannelModel } from 'amqplib';
import { silentLogger } from '@tributary/core';
import { describeDeadLetterStoreConformance, makeDeadLetterEntry } from '@tributary/testkit';
import { describe, expect, it } from 'vitest';
import { createRabbitmqDeadLetterStore, deadLetterQueueName } from '../src/index.js';
import { RABBITMQ_URL, deleteTopology } from './support.js';

async function fixture() {
  const broker = { namespace: 'conformance', name: `dlq-${randomUUID()}` };
  const models: ChannelModel[] = [];
  const connect = async () => {
    const m = await amqp.connect(RABBITMQ_URL);
    models.push(m);
    return m;
  };
  const open = async () => {
    const m = await connect();
    return createRabbitmqDeadLetterStore(() => m, broker, silentLogger);
  };
  return {
    broker,
    open,
    cleanup: async () => {
      for (const m of models) await m.close().catch(() => undefined);
      await deleteTopology({ queues: [deadLetterQueueName(broker)] });
    },
  };
}

describeDeadLetterStoreConformance('rabbitmq (stream queue)', async () => {
  const f = await fixture();
  return { store: await f.open(), reopen: f.open, cleanup: f.cleanup };
});

describe('rabbitmq dead-letter store shared by two processes', () => {
  it('a second store on the same broker sees puts and removes of the first', async () => {
    const f = await fixture();
    try {
      const a = await f.open();
      const b = await f.open();
      const e = makeDeadLetterEntry();
      await a.put(e);
      await b.put(makeDeadLetterEntry()); // b has read the log up to its own write, past a's put
      expect((await b.get(e.id))?.id).toBe(e.id);
      expect(await b.remove(e.id)).toBe(true);
      await a.put(makeDeadLetterEntry());
      expect(await a.get(e.id)).toBeUndefined();
      expect(await a.size()).toBe(2);
    } finally {
      await f.cleanup();
    }
  }, 60_000);
});

describe('rabbitmq dead-letter store compaction', () => {
  it('rewrites the live entries; a store replaying the stream later sees exactly them', async () => {
    const f = await fixture();
    try {
      const m = await amqp.connect(RABBITMQ_URL);
      const store = createRabbitmqDeadLetterStore(() => m, f.broker, silentLogger, {
        compactAfter: 5,
      });
      const entries = Array.from({ length: 12 }, () => makeDeadLetterEntry());
      for (const e of entries) await store.put(e);
      for (const e of entries.slice(0, 10)) await store.remove(e.id);
      await store.close?.(); // waits for a compaction in progress
      await m.close();
      const later = await f.open();
      expect((await later.list({ limit: 100 })).items.map((e) => e.id)).toEqual(
        entries.slice(10).map((e) => e.id),
      );
      expect(await later.size()).toBe(2);
    } finally {
      await f.cleanup();
    }
  }, 60_000);
});
