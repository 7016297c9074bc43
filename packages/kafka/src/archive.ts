import { randomUUID } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import type { ArchivedEvent, BrokerArchive, CloudEvent, Logger } from '@tributary/core';
import { decodeRecord } from './record-codec.js';

/**
 * The archive of a Kafka broker with `tributary.dev/archive-retention` (docs/kafka.md, "Archive"):
 * the broker topic itself, whose `retention.ms` is raised to at least the retention. A window is
 * found with offsets by time (`fetchTopicOffsetsByTimestamp` of its start and of the ms after its
 * end, per partition; on a cluster that cannot look offsets up by time, the whole topic, picking
 * records by timestamp) and read by a short-lived consumer (its own throw-away group, no committed
 * offsets) that seeks every partition to the window's start and stops at its end. Records are
 * ordered by timestamp, then partition, then offset; an event's `seq` is its position in the
 * window (1, 2, …), so a replay resumes after the last position it finished. The last window read
 * is kept in memory for the next page.
 */

export interface KafkaArchiveOptions {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly topic: string;
  readonly logger: Logger;
  /** Longest a window read may take. @default 120000 */
  readonly readTimeoutMs?: number;
}

type Range = { partition: number; start: number; end: number };

export function createKafkaArchive(o: KafkaArchiveOptions): BrokerArchive {
  let cached: { key: string; events: ArchivedEvent[] } | undefined;

  /**
   * Offsets of the window per partition. `exact` is false when the cluster does not look offsets
   * up by time (librdkafka's mock answers the high watermark): then the whole topic is read and
   * records are picked by timestamp.
   */
  async function ranges(fromMs: number, toMs: number): Promise<{ exact: boolean; list: Range[] }> {
    const marks = await o.admin.fetchTopicOffsets(o.topic);
    const fromZero = await o.admin.fetchTopicOffsetsByTimestamp(o.topic, 0);
    const exact = marks.every(
      (m) =>
        Number(m.low) >= Number(m.high) ||
        Number(fromZero.find((z) => z.partition === m.partition)?.offset) === Number(m.low),
    );
    if (!exact)
      return {
        exact,
        list: marks
          .map((m) => ({ partition: m.partition, start: Number(m.low), end: Number(m.high) }))
          .filter((r) => r.end > r.start),
      };
    const starts = await o.admin.fetchTopicOffsetsByTimestamp(o.topic, fromMs);
    const ends = await o.admin.fetchTopicOffsetsByTimestamp(o.topic, toMs + 1);
    const list = starts
      .map((s) => ({
        partition: s.partition,
        start: Number(s.offset),
        end: Number(ends.find((e) => e.partition === s.partition)?.offset ?? s.offset),
      }))
      .filter((r) => r.end > r.start);
    return { exact, list };
  }

  async function readWindow(fromMs: number, toMs: number): Promise<ArchivedEvent[]> {
    const { list: want } = await ranges(fromMs, toMs);
    if (want.length === 0) return [];
    const groupId = `tributary-archive-${randomUUID()}`;
    const consumer = o.kafka.consumer({ groupId, maxWaitTimeInMs: 250 });
    const got: Array<{ partition: number; offset: number; ts: number; e: CloudEvent }> = [];
    const left = new Map(want.map((r) => [r.partition, r]));
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [o.topic] });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`reading ${o.topic} for the archive window timed out`)),
          o.readTimeoutMs ?? 120_000,
        );
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ partition, message }) => {
              const r = left.get(partition);
              const offset = Number(message.offset);
              if (!r || offset < r.start) return;
              const e = offset < r.end ? decodeRecord(message.value, message.headers) : undefined;
              const ts = Number(message.timestamp);
              if (e && ts >= fromMs && ts <= toMs) got.push({ partition, offset, ts, e });
              else if (offset < r.end)
                o.logger.warn({ topic: o.topic, partition, offset }, 'unreadable record skipped');
              if (offset >= r.end - 1) left.delete(partition);
              if (left.size === 0) {
                clearTimeout(timer);
                resolve();
              }
              return Promise.resolve();
            },
          })
          .then(() => {
            for (const r of want)
              consumer.seek({ topic: o.topic, partition: r.partition, offset: String(r.start) });
          }, reject);
      });
    } finally {
      await consumer.disconnect().catch(() => undefined);
      await o.admin.deleteGroups([groupId]).catch(() => undefined);
    }
    got.sort((a, b) => a.ts - b.ts || a.partition - b.partition || a.offset - b.offset);
    return got.map((g, i) => ({ seq: i + 1, archivedAt: g.ts, event: g.e }));
  }

  return {
    kind: 'kafka',
    // The broker topic already holds every accepted event: nothing to copy.
    async append() {},
    async read(fromMs, toMs, afterSeq, limit) {
      const key = `${fromMs}/${toMs}`;
      if (cached?.key !== key) cached = { key, events: await readWindow(fromMs, toMs) };
      return cached.events.slice(afterSeq, afterSeq + limit);
    },
    async count(fromMs, toMs) {
      const { exact, list } = await ranges(fromMs, toMs);
      if (exact) return list.reduce((n, r) => n + r.end - r.start, 0);
      cached = { key: `${fromMs}/${toMs}`, events: await readWindow(fromMs, toMs) };
      return cached.events.length;
    },
  };
}
