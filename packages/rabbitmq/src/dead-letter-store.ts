import { randomUUID } from 'node:crypto';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
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
 * A broker's dead-letter store on RabbitMQ (docs/rabbitmq.md, docs/failed-deliveries.md): a stream
 * queue per broker, `tributary.deadletters.<ns>.<name>`, holding a log of records — `put` (the
 * entry's JSON), `remove` (an id) and `sync` (a marker) — that every store replays from the first
 * offset into an in-memory index and then tails. A classic or quorum queue cannot list without
 * consuming nor remove one message in the middle; a stream can be read again from the start by
 * any number of processes, so list/get/remove work and entries survive restarts.
 *
 * A write resolves once the broker confirmed it AND this store read it back from the stream, so
 * a `list` after a `put` sees it. The first operation waits until a `sync` marker it published has
 * come back: by then everything stored before is indexed.
 */

/** Stream queue of a broker's dead-letter store. */
export function deadLetterQueueName(broker: { namespace: string; name: string }): string {
  return `tributary.deadletters.${broker.namespace}.${broker.name}`;
}

type LogRecord =
  | { op: 'put'; rid: string; entry: DeadLetterEntryJson }
  | { op: 'remove'; rid: string; id: string }
  | { op: 'sync'; rid: string };

interface Session {
  readonly publish: ConfirmChannel;
  readonly consume: Channel;
  /** Entries by id in the order of their latest `put`, with that record's offset. */
  readonly index: Map<string, { offset: number; entry: DeadLetterEntry }>;
  readonly waiting: Map<string, () => void>;
  ready: Promise<void>;
}

export function createRabbitmqDeadLetterStore(
  model: () => ChannelModel | undefined,
  broker: { namespace: string; name: string },
  logger: Logger,
): DeadLetterStore {
  const queue = deadLetterQueueName(broker);
  let session: Promise<Session> | undefined;

  async function open(): Promise<Session> {
    const m = model();
    if (!m) throw new Error('rabbitmq is not connected: the dead-letter store is unavailable');
    const publish = await m.createConfirmChannel();
    const consume = await m.createChannel();
    const broken = (err: unknown) => {
      logger.warn({ queue, err: (err as Error)?.message }, 'dead-letter store channel lost');
      session = undefined;
    };
    publish.on('error', broken);
    consume.on('error', broken);
    publish.on('close', () => (session = undefined));
    consume.on('close', () => (session = undefined));
    await publish.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'stream' } });
    const s: Session = {
      publish,
      consume,
      index: new Map(),
      waiting: new Map(),
      ready: Promise.resolve(),
    };
    await consume.prefetch(500);
    await consume.consume(
      queue,
      (msg: ConsumeMessage | null) => {
        if (!msg) return;
        consume.ack(msg);
        apply(s, msg);
      },
      { noAck: false, arguments: { 'x-stream-offset': 'first' } },
    );
    s.ready = write(s, { op: 'sync', rid: randomUUID() });
    await s.ready;
    return s;
  }

  function apply(s: Session, msg: ConsumeMessage): void {
    let rec: LogRecord;
    try {
      rec = JSON.parse(msg.content.toString('utf8')) as LogRecord;
    } catch {
      return;
    }
    const offset = Number(msg.properties.headers?.['x-stream-offset'] ?? 0);
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

  /** Publishes a record (confirmed) and resolves once it was read back. */
  function write(s: Session, rec: LogRecord): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      s.waiting.set(rec.rid, resolve);
      s.publish.sendToQueue(
        queue,
        Buffer.from(JSON.stringify(rec)),
        { persistent: true, contentType: 'application/json' },
        (err) => {
          if (err) {
            s.waiting.delete(rec.rid);
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        },
      );
    });
  }

  const current = (): Promise<Session> => {
    session ??= open().catch((err: unknown) => {
      session = undefined;
      throw err;
    });
    return session;
  };

  return {
    kind: 'rabbitmq',
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
      await s?.consume.close().catch(() => undefined);
      await s?.publish.close().catch(() => undefined);
    },
  };
}
