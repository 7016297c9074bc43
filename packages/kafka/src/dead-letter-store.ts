import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import {
  type DeadLetterEntry,
  type DeadLetterEntryJson,
  type DeadLetterPage,
  type DeadLetterStore,
  type Logger,
  deadLetterEntryFromJson,
  deadLetterEntryToJson,
} from '@tributary/core';

/**
 * A broker's dead-letter store on Kafka (docs/kafka.md, docs/failed-deliveries.md): a topic per
 * broker, `tributary.deadletters.<ns>.<name>` (one partition; every record has the same key), holding
 * a log of records — `put` (the entry's JSON), `remove` (an id), `sync` (a marker). Each store reads
 * the topic from the beginning into an in-memory index (its own throw-away consumer group, no
 * committed offsets) and keeps tailing it, so several processes share the store. A write resolves
 * once Kafka acknowledged it (acks=all) and this store read it back; the first operation waits for a
 * `sync` marker it wrote, so everything stored before is indexed.
 */

/** Topic of a broker's dead-letter store. */
export function deadLetterTopicName(broker: { namespace: string; name: string }): string {
  return `tributary.deadletters.${broker.namespace}.${broker.name}`;
}

type LogRecord =
  | { op: 'put'; rid: string; entry: DeadLetterEntryJson }
  | { op: 'remove'; rid: string; id: string }
  | { op: 'sync'; rid: string };

export interface KafkaDeadLetterStoreOptions {
  readonly kafka: Kafka;
  readonly producer: Producer;
  readonly admin: Admin;
  readonly broker: { namespace: string; name: string };
  readonly replicationFactor?: number | undefined;
  readonly sessionTimeoutMs?: number | undefined;
  readonly heartbeatIntervalMs?: number | undefined;
  readonly logger: Logger;
}

interface Session {
  readonly consumer: Consumer;
  readonly index: Map<string, { offset: number; entry: DeadLetterEntry }>;
  readonly waiting: Map<string, () => void>;
}

export function createKafkaDeadLetterStore(o: KafkaDeadLetterStoreOptions): DeadLetterStore {
  const topic = deadLetterTopicName(o.broker);
  let session: Promise<Session> | undefined;

  async function ensureTopic(): Promise<void> {
    try {
      await o.admin.createTopics({
        topics: [{ topic, numPartitions: 1, replicationFactor: o.replicationFactor ?? 3 }],
        waitForLeaders: true,
      });
    } catch {
      // As for broker topics: fall back to automatic creation (the mock cluster refuses CreateTopics).
      await o.admin.fetchTopicMetadata({ topics: [topic] });
    }
  }

  async function open(): Promise<Session> {
    await ensureTopic();
    const consumer = o.kafka.consumer({
      groupId: `tributary-deadletters-${randomUUID()}`,
      sessionTimeout: o.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: o.heartbeatIntervalMs ?? 3_000,
      // A write waits to read itself back: poll briskly rather than Kafka's 5 s long poll.
      maxWaitTimeInMs: 250,
    });
    const s: Session = { consumer, index: new Map(), waiting: new Map() };
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        apply(s, Number(message.offset), message.value);
        return Promise.resolve();
      },
    });
    await write(s, { op: 'sync', rid: randomUUID() });
    return s;
  }

  function apply(s: Session, offset: number, value: Buffer | null): void {
    if (!value) return;
    let rec: LogRecord;
    try {
      rec = JSON.parse(value.toString('utf8')) as LogRecord;
    } catch {
      o.logger.warn({ topic, offset }, 'unreadable dead-letter record skipped');
      return;
    }
    if (rec.op === 'put') {
      s.index.delete(rec.entry.id);
      s.index.set(rec.entry.id, { offset, entry: deadLetterEntryFromJson(rec.entry) });
    } else if (rec.op === 'remove') s.index.delete(rec.id);
    const done = s.waiting.get(rec.rid);
    if (done) {
      s.waiting.delete(rec.rid);
      done();
    }
  }

  async function write(s: Session, rec: LogRecord): Promise<void> {
    const seen = new Promise<void>((resolve) => s.waiting.set(rec.rid, resolve));
    try {
      await o.producer.send({
        topic,
        acks: -1,
        messages: [{ key: 'deadletters', value: JSON.stringify(rec) }],
      });
    } catch (err) {
      s.waiting.delete(rec.rid);
      throw err;
    }
    await seen;
  }

  const current = (): Promise<Session> => {
    session ??= open().catch((err: unknown) => {
      session = undefined;
      throw err;
    });
    return session;
  };

  return {
    kind: 'kafka',
    async put(entry) {
      const s = await current();
      await write(s, { op: 'put', rid: randomUUID(), entry: deadLetterEntryToJson(entry) });
    },
    async list(q): Promise<DeadLetterPage> {
      const s = await current();
      const after = q.cursor === undefined ? -1 : Number(q.cursor);
      const items: DeadLetterEntry[] = [];
      let lastOffset = -1;
      // The index is in offset order: a put moves its entry to the end, offsets only grow.
      for (const { offset, entry } of s.index.values()) {
        if (offset <= after) continue;
        if (q.owner !== undefined && entry.owner.name !== q.owner) continue;
        if (q.namespace !== undefined && entry.owner.namespace !== q.namespace) continue;
        if (items.length === q.limit) return { items, next: String(lastOffset) };
        items.push(entry);
        lastOffset = offset;
      }
      return { items };
    },
    async get(id) {
      return (await current()).index.get(id)?.entry;
    },
    async remove(id) {
      const s = await current();
      if (!s.index.has(id)) return false;
      await write(s, { op: 'remove', rid: randomUUID(), id });
      return true;
    },
    async size() {
      return (await current()).index.size;
    },
    async close() {
      const s = await session?.catch(() => undefined);
      session = undefined;
      await s?.consumer.disconnect().catch(() => undefined);
    },
  };
}
