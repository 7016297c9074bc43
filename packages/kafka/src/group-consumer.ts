/**
 * One consumer group reading topics and handing records to a handler: unordered (at most
 * `concurrency` in flight) or ordered (one at a time per partition). A failed handler call is
 * retried in place with capped exponential backoff; offsets are committed only up to the lowest
 * record not finished, so a crash redelivers and never skips. A group without committed offsets
 * gets them (latest or earliest) before `start` resolves: that is the point from which delivery
 * is promised.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CloudEvent, EventHandler, Logger } from '@tributary/core';
import {
  type Admin,
  type Consumer,
  type Kafka,
  type KafkaMessage,
  type PartitionAssigner,
  PartitionAssigners,
} from 'kafkajs';
import { PartitionOffsets } from './offset-tracker.js';

/** Consumer group timing (short values make rebalances fast in tests). */
export interface GroupTimeouts {
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
}

export interface GroupConsumerOptions extends GroupTimeouts {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly topics: readonly string[];
  readonly groupId: string;
  readonly handler: EventHandler;
  readonly ordered: boolean;
  readonly concurrency: number;
  readonly startFrom: 'earliest' | 'latest';
  readonly logger: Logger;
  /** Reads a record; undefined or a throw skips it (logged). */
  readonly toEvent: (
    message: KafkaMessage,
    topic: string,
    partition: number,
  ) => CloudEvent | undefined;
  /** Called before subscribing to a topic (creates it when absent); resolves with nothing. */
  readonly ensureTopic: (topic: string) => Promise<void>;
  /** First wait before a failed record is tried again. @default 200 */
  readonly redeliveryDelayMs?: number;
  /** How long the group leader waits before sending its assignment. @default 250 */
  readonly assignmentDelayMs?: number;
  /** Cap of that wait. @default 10000 */
  readonly maxRedeliveryDelayMs?: number;
}

/** A running group consumer. */
export interface GroupConsumer {
  close(options?: { drainMs?: number }): Promise<void>;
}

const ABORTED = Symbol('aborted');

/**
 * Round robin, with the leader's SyncGroup sent `delayMs` late: librdkafka's mock coordinator
 * (2.0) moves the group to Up on the leader's SyncGroup and rejects a follower's SyncGroup that
 * arrives after it (INVALID_REQUEST), which kills that member; real brokers do not care.
 */
export function delayedRoundRobin(delayMs: number): PartitionAssigner {
  return (config) => {
    const inner = PartitionAssigners.roundRobin(config);
    return {
      ...inner,
      assign: async (group) => {
        if (delayMs > 0) await sleep(delayMs);
        return inner.assign(group);
      },
    };
  };
}

/** Starts a group consumer; resolves once it joined the group and its start offsets are committed. */
export async function startGroupConsumer(o: GroupConsumerOptions): Promise<GroupConsumer> {
  const log = o.logger;
  const baseDelay = o.redeliveryDelayMs ?? 200;
  const maxDelay = o.maxRedeliveryDelayMs ?? 10_000;
  const initial = new Map<string, string>();
  for (const topic of o.topics) {
    await o.ensureTopic(topic);
    const [committed] = await o.admin.fetchOffsets({ groupId: o.groupId, topics: [topic] });
    const missing = (committed?.partitions ?? []).filter((p) => p.offset === '-1');
    if (missing.length === 0) continue;
    const ends = await o.admin.fetchTopicOffsets(topic);
    for (const p of missing) {
      const end = ends.find((e) => e.partition === p.partition);
      if (end)
        initial.set(`${topic}:${p.partition}`, o.startFrom === 'earliest' ? end.low : end.high);
    }
  }

  const consumer: Consumer = o.kafka.consumer({
    groupId: o.groupId,
    sessionTimeout: o.sessionTimeoutMs,
    rebalanceTimeout: o.rebalanceTimeoutMs,
    heartbeatInterval: o.heartbeatIntervalMs,
    maxWaitTimeInMs: 100,
    partitionAssigners: [delayedRoundRobin(o.assignmentDelayMs ?? 250)],
    retry: { retries: 10 },
  });
  let trackers = new Map<string, PartitionOffsets>();
  let closing = false;
  let aborted = false;
  let abort!: () => void;
  const abortPromise = new Promise<typeof ABORTED>((r) => (abort = () => r(ABORTED)));
  const inFlight = new Set<Promise<unknown>>();
  let slots = o.concurrency;
  const slotWaiters: Array<() => void> = [];
  let commitTimer: NodeJS.Timeout | undefined;
  let committing: Promise<void> = Promise.resolve();

  const releaseSlot = (): void => {
    slots++;
    slotWaiters.shift()?.();
  };
  const wakeAll = (): void => {
    for (const w of slotWaiters.splice(0)) w();
  };
  const acquireSlot = async (): Promise<boolean> => {
    while (slots <= 0 && !closing) await new Promise<void>((r) => slotWaiters.push(r));
    if (closing) return false;
    slots--;
    return true;
  };

  const commitNow = (): Promise<void> => {
    committing = committing.then(async () => {
      const current = trackers;
      const offsets: Array<{ topic: string; partition: number; offset: string }> = [];
      for (const [key, t] of current) {
        const point = t.commitPoint();
        if (point === undefined) continue;
        const i = key.lastIndexOf(':');
        offsets.push({
          topic: key.slice(0, i),
          partition: Number(key.slice(i + 1)),
          offset: String(point),
        });
      }
      if (offsets.length === 0) return;
      try {
        await consumer.commitOffsets(offsets);
        for (const c of offsets)
          current.get(`${c.topic}:${c.partition}`)?.committed(Number(c.offset));
        log.debug({ group: o.groupId, offsets }, 'offsets committed');
      } catch (err) {
        log.debug(
          { group: o.groupId, err },
          'offset commit failed (rebalance?); records may be redelivered',
        );
      }
    });
    return committing;
  };
  const scheduleCommit = (): void => {
    if (commitTimer) return;
    commitTimer = setTimeout(() => {
      commitTimer = undefined;
      void commitNow();
    }, 20);
  };

  /** Delivers until acknowledged; ABORTED when the consumer closed first. */
  const deliver = async (event: CloudEvent): Promise<boolean> => {
    for (let count = 1; ; count++) {
      if (aborted) return false;
      try {
        const r = await Promise.race([o.handler(event, { deliveryCount: count }), abortPromise]);
        return r !== ABORTED && !aborted;
      } catch (err) {
        const wait = Math.min(maxDelay, baseDelay * 2 ** (count - 1));
        log.debug(
          { id: event.attributes['id'], count, waitMs: wait, err },
          'handler failed; redelivering',
        );
        if ((await Promise.race([sleep(wait), abortPromise])) === ABORTED) return false;
      }
    }
  };

  const readEvent = (m: KafkaMessage, topic: string, partition: number): CloudEvent | undefined => {
    try {
      const e = o.toEvent(m, topic, partition);
      if (!e)
        log.warn({ topic, partition, offset: m.offset }, 'record is not a CloudEvent; skipped');
      return e;
    } catch (err) {
      log.warn({ topic, partition, offset: m.offset, err }, 'record could not be read; skipped');
      return undefined;
    }
  };

  let joined!: () => void;
  const joinedPromise = new Promise<void>((r) => (joined = r));
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    trackers = new Map();
    log.debug(
      { group: o.groupId, assignment: e.payload.memberAssignment },
      'joined consumer group',
    );
    joined();
  });
  consumer.on(consumer.events.CRASH, (e) =>
    log.warn(
      { group: o.groupId, err: e.payload.error, restart: e.payload.restart },
      'consumer crashed',
    ),
  );

  await consumer.connect();
  for (const topic of o.topics)
    await consumer.subscribe({ topic, fromBeginning: o.startFrom === 'earliest' });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: o.ordered ? 16 : 1,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      const key = `${batch.topic}:${batch.partition}`;
      const tracker = trackers.get(key) ?? new PartitionOffsets();
      trackers.set(key, tracker);
      const beat = setInterval(
        () => void heartbeat().catch(() => undefined),
        o.heartbeatIntervalMs,
      );
      try {
        for (const m of batch.messages) {
          if (closing || !isRunning() || isStale()) break;
          const offset = Number(m.offset);
          const event = readEvent(m, batch.topic, batch.partition);
          if (o.ordered || !event) {
            tracker.start(offset);
            if (event) {
              const p = deliver(event);
              inFlight.add(p);
              const ok = await p.finally(() => inFlight.delete(p));
              if (!ok) break;
            }
            tracker.finish(offset);
            resolveOffset(m.offset);
            scheduleCommit();
            continue;
          }
          if (!(await acquireSlot())) break;
          tracker.start(offset);
          resolveOffset(m.offset);
          const p = deliver(event).then((ok) => {
            releaseSlot();
            inFlight.delete(p);
            if (!ok) return;
            tracker.finish(offset);
            scheduleCommit();
          });
          inFlight.add(p);
        }
      } finally {
        clearInterval(beat);
      }
    },
  });
  for (const [key, offset] of initial) {
    const i = key.lastIndexOf(':');
    consumer.seek({ topic: key.slice(0, i), partition: Number(key.slice(i + 1)), offset });
  }
  const joinTimeoutMs = Math.max(30_000, o.rebalanceTimeoutMs * 2);
  const timedOut = await Promise.race([
    joinedPromise.then(() => false),
    sleep(joinTimeoutMs).then(() => true),
  ]);
  if (timedOut) {
    await consumer.disconnect().catch(() => undefined);
    throw new Error(`consumer group '${o.groupId}' did not join within ${joinTimeoutMs} ms`);
  }
  if (initial.size > 0) {
    const offsets = [...initial].map(([key, offset]) => {
      const i = key.lastIndexOf(':');
      return { topic: key.slice(0, i), partition: Number(key.slice(i + 1)), offset };
    });
    // Commit the start position of partitions the group never read, so events published from now
    // on reach this group even if every member restarts before reading them.
    await consumer
      .commitOffsets(offsets)
      .catch((err: unknown) =>
        log.debug(
          { group: o.groupId, err },
          'initial offset commit failed (another member did it?)',
        ),
      );
  }
  log.debug({ group: o.groupId, topics: o.topics }, 'group consumer started');

  return {
    async close({ drainMs = 10_000 } = {}) {
      closing = true;
      wakeAll();
      if (inFlight.size > 0)
        await Promise.race([Promise.allSettled([...inFlight]), sleep(drainMs)]);
      aborted = true;
      abort();
      if (commitTimer) clearTimeout(commitTimer);
      commitTimer = undefined;
      await commitNow();
      await consumer
        .disconnect()
        .catch((err: unknown) => log.warn({ group: o.groupId, err }, 'consumer disconnect failed'));
    },
  };
}
