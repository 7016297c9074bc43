/**
 * One consumer group reading topics and handing records to a handler: unordered (at most
 * `concurrency` in flight) or ordered (one at a time per partition). A failed handler call is
 * retried in place with capped exponential backoff; offsets are committed only up to the lowest
 * record not finished, so a crash redelivers and never skips. Every partition without a committed
 * offset gets one (latest or earliest) before `start` resolves, retried until it holds: that is
 * the point from which delivery is promised (docs/kafka.md). Partitions that appear later (new
 * partitions, topics created later) start at their beginning: all their records are newer.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CloudEvent } from '@tributary/core';
import {
  type Consumer,
  type KafkaMessage,
  type PartitionAssigner,
  PartitionAssigners,
} from 'kafkajs';
import { KafkaStartOffsetsError } from './errors.js';
import { PartitionOffsets } from './offset-tracker.js';
import type { GroupConsumerOptions } from './group-consumer-options.js';
import { type StartOffset, missingStartOffsets } from './start-offsets.js';

export type { GroupConsumerOptions, GroupTimeouts } from './group-consumer-options.js';

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
  const startTimeoutMs = o.startTimeoutMs ?? 60_000;
  const startDeadline = Date.now() + startTimeoutMs;
  let lastStartError = '';
  const startFailed = (what: string): KafkaStartOffsetsError =>
    new KafkaStartOffsetsError(
      `consumer group '${o.groupId}' could not ${what} for ${o.topics.join(', ')} within ${startTimeoutMs} ms: ${lastStartError}`,
    );
  /** Retries `fn` with capped backoff until it resolves or the start deadline passes. */
  const retrying = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        lastStartError = (err as Error).message;
        log.warn({ group: o.groupId, attempt, err: lastStartError }, `could not ${what}; retrying`);
      }
      if (Date.now() >= startDeadline) throw startFailed(what);
      await sleep(Math.min(5_000, 250 * 2 ** attempt));
    }
  };
  // Where partitions without a committed offset start, read before joining: records published
  // from now on are this group's.
  const initial = new Map<string, string>();
  const planned = await retrying('read its start offsets', async () => {
    for (const topic of o.topics) await o.ensureTopic(topic);
    return missingStartOffsets(o.admin, o.groupId, o.topics, o.startFrom);
  });
  for (const p of planned) initial.set(`${p.topic}:${p.partition}`, p.offset);

  const consumer: Consumer = o.kafka.consumer({
    groupId: o.groupId,
    sessionTimeout: o.sessionTimeoutMs,
    rebalanceTimeout: o.rebalanceTimeoutMs,
    heartbeatInterval: o.heartbeatIntervalMs,
    maxWaitTimeInMs: 100,
    partitionAssigners: [delayedRoundRobin(o.assignmentDelayMs ?? 250)],
    metadataMaxAge: o.metadataMaxAgeMs ?? 5_000,
    allowAutoTopicCreation: o.allowAutoTopicCreation ?? true,
    retry: { retries: 10 },
  });
  let trackers = new Map<string, PartitionOffsets>();
  let closing = false;
  let aborted = false;
  // Each wait that close() must cut short registers its own listener and removes it when it
  // settles. (A Promise.race against one promise pending until close keeps a reaction, ~300 bytes,
  // per delivery until the consumer closes: a leak of about 1 GB an hour at 1,000 events/s.)
  const aborters = new Set<() => void>();
  const abort = (): void => {
    for (const a of aborters) a();
    aborters.clear();
  };
  // One promise per wait (a race of two promises plus a finally took four).
  const orAbort = <T>(p: Promise<T>): Promise<T | typeof ABORTED> => {
    if (aborted) return Promise.resolve(ABORTED);
    return new Promise<T | typeof ABORTED>((resolve, reject) => {
      const stop = (): void => resolve(ABORTED);
      aborters.add(stop);
      p.then(
        (v) => {
          aborters.delete(stop);
          resolve(v);
        },
        (err: unknown) => {
          aborters.delete(stop);
          reject(err);
        },
      );
    });
  };
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
  /** Takes a free slot at once, if there is one (no promise). */
  const takeSlot = (): boolean => {
    if (slots <= 0 || closing) return false;
    slots--;
    return true;
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

  /**
   * Delivers until acknowledged; false when the consumer closed first (waits for the handler and
   * for the redelivery delay only while not closed: orAbort). `failed`: delivery `count` already
   * failed with that error, wait and go on with the next.
   */
  const deliver = async (
    event: CloudEvent,
    count = 1,
    failed?: { err: unknown },
  ): Promise<boolean> => {
    for (; ; count++) {
      if (aborted) return false;
      if (!failed)
        try {
          const r = await orAbort(o.handler(event, { deliveryCount: count }));
          return r !== ABORTED && !aborted;
        } catch (err) {
          failed = { err };
        }
      const wait = Math.min(maxDelay, baseDelay * 2 ** (count - 1));
      log.debug(
        { id: event.attributes['id'], count, waitMs: wait, err: failed.err },
        'handler failed; redelivering',
      );
      failed = undefined;
      if ((await orAbort(sleep(wait))) === ABORTED) return false;
    }
  };
  /**
   * The first delivery of an unordered record: the handler's own promise with no abort wait around
   * it (`finished` gets false for an answer that comes after close, as orAbort gives), and the
   * retry loop only after a failure. Two promises and one closure a record instead of five and
   * four: on the Kafka path alone (32 closed-loop publishers, a no-op subscriber, mock cluster,
   * 60,000 events, 5 alternating rounds) 25.9 → 24.5 µs of CPU per event, median.
   */
  const deliverFirst = (event: CloudEvent, finished: (ok: boolean) => void): Promise<void> => {
    let first: Promise<void>;
    try {
      first = o.handler(event, { deliveryCount: 1 });
    } catch (err) {
      first = Promise.reject(err);
    }
    return first.then(
      () => finished(!aborted),
      (err: unknown) => deliver(event, 1, { err }).then(finished),
    );
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
  // Partitions without a committed offset after the start commit below are newer than it.
  for (const topic of o.topics) await consumer.subscribe({ topic, fromBeginning: true });
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
      // The offset kafkajs resumes from is resolved once, when the batch loop ends, not per record:
      // kafkajs reads it only after eachBatch returns, and each resolveOffset parses and adds a Long
      // (0.3 % of the broker process in the bench profile, gone).
      let resolved: string | undefined;
      // isRunning() and isStale() change only while this loop awaits, so they are asked again only
      // after an await (isStale() JSON-encodes the topic and partition on each call: 0.4 % of the
      // broker process in the bench profile, 0.2 % now; waits for a delivery slot still re-ask).
      let checked = false;
      try {
        for (const m of batch.messages) {
          if (closing) break;
          if (!checked) {
            if (!isRunning() || isStale()) break;
            checked = true;
          }
          const offset = Number(m.offset);
          const event = readEvent(m, batch.topic, batch.partition);
          if (o.ordered || !event) {
            tracker.start(offset);
            if (event) {
              const p = deliver(event);
              inFlight.add(p);
              const ok = await p.finally(() => inFlight.delete(p));
              checked = false;
              if (!ok) break;
            }
            tracker.finish(offset);
            resolved = m.offset;
            scheduleCommit();
            continue;
          }
          if (!takeSlot()) {
            if (!(await acquireSlot())) break;
            checked = false;
          }
          tracker.start(offset);
          resolved = m.offset;
          const p: Promise<void> = deliverFirst(event, (ok) => {
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
        if (resolved !== undefined) resolveOffset(resolved);
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
  // Commit the start position of every partition the group never read, and check it holds, so
  // events published from now on reach this group even if every member restarts before reading
  // them. A failed commit (a rebalance, the coordinator moving) is retried.
  try {
    await retrying('commit its start offsets', async () => {
      const missing = await missingStartOffsets(o.admin, o.groupId, o.topics, o.startFrom);
      if (missing.length === 0) return;
      const offsets: StartOffset[] = missing.map((m) => ({
        ...m,
        offset: initial.get(`${m.topic}:${m.partition}`) ?? m.offset,
      }));
      await consumer.commitOffsets(offsets.map((x) => ({ ...x })));
      log.debug({ group: o.groupId, offsets }, 'start offsets committed');
      const left = await missingStartOffsets(o.admin, o.groupId, o.topics, o.startFrom);
      if (left.length > 0)
        throw new Error(
          `${left.length} partition(s) still without a committed offset, e.g. ${left[0]!.topic}/${left[0]!.partition}`,
        );
    });
  } catch (err) {
    closing = true;
    aborted = true;
    abort();
    await consumer.disconnect().catch(() => undefined);
    throw err;
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
