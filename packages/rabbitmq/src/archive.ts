import { randomUUID } from 'node:crypto';
import type { ChannelModel, ConsumeMessage } from 'amqplib';
import type { ArchivedEvent, BrokerArchive, CloudEvent, Logger } from '@tributary/core';
import { ACCEPTED_AT_HEADER, decodeEvent } from './codec.js';

/**
 * The archive of a RabbitMQBroker with `tributary.dev/archive-retention` (docs/rabbitmq.md,
 * "Archive"): a stream queue per broker, `tributary.archive.<ns>.<name>`, bound to the broker's
 * fanout exchange with `x-max-age` = the retention, so it receives every accepted event. A window
 * is read by a consumer (prefetch, manual ack, as stream queues require) that starts at
 * `x-stream-offset` = the window's start (a timestamp, seconds) or after the last offset a replay
 * finished, and stops at a marker it first put at the end of the stream (through the default
 * exchange, so triggers never see it). An event's time is the `x-tributary-accepted-ms` header the
 * broker's publisher stamps; its `seq` is its stream offset + 1.
 */

/** Name of a broker's archive stream queue. */
export function archiveQueueName(broker: { namespace: string; name: string }): string {
  return `tributary.archive.${broker.namespace}.${broker.name}`;
}

const MARKER_HEADER = 'x-tributary-archive-marker';

export interface RabbitmqArchiveOptions {
  readonly model: () => ChannelModel | undefined;
  readonly broker: { namespace: string; name: string; topic: string };
  readonly retentionMs: number;
  readonly logger: Logger;
}

export function createRabbitmqArchive(o: RabbitmqArchiveOptions): BrokerArchive & {
  open(): Promise<void>;
} {
  const queue = archiveQueueName(o.broker);
  let declared: Promise<void> | undefined;

  const connected = (): ChannelModel => {
    const m = o.model();
    if (!m) throw new Error('rabbitmq is not connected: the archive is unavailable');
    return m;
  };

  async function declare(): Promise<void> {
    const ch = await connected().createChannel();
    ch.on('error', () => undefined);
    try {
      await ch.assertExchange(o.broker.topic, 'fanout', { durable: true });
      await ch.assertQueue(queue, {
        durable: true,
        arguments: {
          'x-queue-type': 'stream',
          'x-max-age': `${Math.max(1, Math.ceil(o.retentionMs / 1000))}s`,
        },
      });
      await ch.bindQueue(queue, o.broker.topic, '');
    } finally {
      await ch.close().catch(() => undefined);
    }
  }

  const open = (): Promise<void> =>
    (declared ??= declare().catch((err: unknown) => {
      declared = undefined;
      throw err;
    }));

  /** Visits the stream from `start` to the marker put now; `visit` returns false to stop early. */
  async function scan(
    start: number | Date,
    visit: (offset: number, acceptedMs: number, msg: ConsumeMessage) => boolean,
  ): Promise<void> {
    await open();
    const m = connected();
    const rid = randomUUID();
    const pub = await m.createConfirmChannel();
    pub.on('error', () => undefined);
    try {
      pub.sendToQueue(queue, Buffer.alloc(0), { headers: { [MARKER_HEADER]: rid } });
      await pub.waitForConfirms();
    } finally {
      await pub.close().catch(() => undefined);
    }
    const ch = await m.createChannel();
    let failed: ((err: Error) => void) | undefined;
    ch.on('error', (err: Error) => failed?.(err));
    try {
      await ch.prefetch(500);
      await new Promise<void>((resolve, reject) => {
        failed = reject;
        ch.on('close', () => reject(new Error('archive channel closed')));
        let done = false;
        const finish = () => {
          done = true;
          resolve();
        };
        const offsetArg =
          typeof start === 'number'
            ? start
            : { '!': 'timestamp', value: Math.floor(start.getTime() / 1000) };
        ch.consume(
          queue,
          (msg) => {
            if (!msg || done) return;
            ch.ack(msg);
            const h = msg.properties.headers ?? {};
            const marker = h[MARKER_HEADER] as unknown;
            if (marker !== undefined) {
              if (String(marker) === rid) finish();
              return;
            }
            const offset = Number(h['x-stream-offset']);
            const accepted = Number(h[ACCEPTED_AT_HEADER]);
            if (!visit(offset, Number.isFinite(accepted) ? accepted : 0, msg)) finish();
          },
          { noAck: false, arguments: { 'x-stream-offset': offsetArg } },
        ).catch(reject);
      });
    } finally {
      failed = undefined;
      await ch.close().catch(() => undefined);
    }
  }

  return {
    kind: 'rabbitmq',
    open,
    // The stream queue is bound to the broker exchange: it already received the events.
    async append() {},
    async read(fromMs, toMs, afterSeq, limit) {
      const out: ArchivedEvent[] = [];
      // Timestamps of stream offsets are per chunk and in seconds: start a second early, then pick.
      // seq = offset + 1 (offsets start at 0, a replay's cursor at 0 means "nothing yet").
      const start = afterSeq > 0 ? afterSeq : new Date(fromMs - 1000);
      await scan(start, (offset, acceptedMs, msg) => {
        if (offset + 1 <= afterSeq || acceptedMs < fromMs || acceptedMs > toMs) return true;
        let event: CloudEvent;
        try {
          event = decodeEvent(msg.content, msg.properties);
        } catch {
          o.logger.warn({ queue, offset }, 'unreadable archived message skipped');
          return true;
        }
        out.push({ seq: offset + 1, archivedAt: acceptedMs, event });
        return out.length < limit;
      });
      return out;
    },
    async count(fromMs, toMs) {
      let n = 0;
      await scan(new Date(fromMs - 1000), (_offset, acceptedMs) => {
        if (acceptedMs >= fromMs && acceptedMs <= toMs) n++;
        return true;
      });
      return n;
    },
  };
}
