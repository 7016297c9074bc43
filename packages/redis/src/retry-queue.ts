import type { CloudEvent, EventHandler, Logger, RedeliverLaterError } from '@tributary/core';
import { RedeliverLaterError as Later } from '@tributary/core';
import { Queue, Worker } from 'bullmq';
import type { RedisOptions } from 'ioredis';

interface RetryJob {
  /** Attributes JSON. */
  readonly a: string;
  /** Data, base64. */
  readonly d?: string;
  /** Attempt the dispatcher resumes at. */
  readonly attempt: number;
  /** Deliveries so far. */
  readonly deliveryCount: number;
}

/** Options of {@link createRetryQueue}. */
export interface RetryQueueOptions {
  /** BullMQ queue name (no ':'): one per topic and subscription. */
  readonly name: string;
  readonly prefix: string;
  readonly connection: RedisOptions;
  readonly handler: EventHandler;
  readonly concurrency: number;
  readonly minDelayMs: number;
  readonly logger: Logger;
}

/** Durable delayed redelivery of one subscription (BullMQ delayed jobs). */
export interface RetryQueue {
  readonly minDelayMs: number;
  /** Persists a redelivery of `event` after `later.delayMs`; resolves once Redis holds the job. */
  schedule(event: CloudEvent, later: RedeliverLaterError, deliveryCount: number): Promise<void>;
  /** Waits up to `drainMs` for jobs in flight (those cut off run again after a restart). */
  close(drainMs: number): Promise<void>;
}

/**
 * A BullMQ queue and worker per subscription. A job's due time is absolute in Redis (a delayed
 * job), so a restart neither loses a pending retry nor fires it early; the worker hands the event
 * back to the handler with `attempt` so the dispatcher resumes its retry count.
 */
export function createRetryQueue(o: RetryQueueOptions): RetryQueue {
  // BullMQ's ConnectionOptions type trails ioredis 6's RedisOptions; the shape is the same.
  const connection = { ...o.connection, maxRetriesPerRequest: null } as never;
  const queue = new Queue<RetryJob>(o.name, { connection, prefix: o.prefix });
  const deferral = { minDelayMs: o.minDelayMs };

  async function schedule(event: CloudEvent, later: RedeliverLaterError, deliveryCount: number) {
    const job: RetryJob = {
      a: JSON.stringify(event.attributes),
      ...(event.data ? { d: Buffer.from(event.data).toString('base64') } : {}),
      attempt: later.attempt,
      deliveryCount,
    };
    await queue.add('redeliver' as never, job, {
      delay: later.delayMs,
      // Failures other than a new deferral (dead-letter sink down, shutdown) come back in 2 s.
      attempts: Number.MAX_SAFE_INTEGER,
      backoff: { type: 'fixed', delay: 2_000 },
      removeOnComplete: true,
      removeOnFail: 1_000,
    });
    o.logger.debug(
      { eventId: event.attributes['id'], delayMs: later.delayMs, attempt: later.attempt },
      'durable retry scheduled',
    );
  }

  const worker = new Worker<RetryJob>(
    o.name,
    async (job) => {
      const { a, d, attempt } = job.data;
      const attributes = JSON.parse(a) as Record<string, string>;
      const event: CloudEvent =
        d === undefined ? { attributes } : { attributes, data: Buffer.from(d, 'base64') };
      const deliveryCount = job.data.deliveryCount + 1 + job.attemptsMade;
      try {
        await o.handler(event, { deliveryCount, attempt, deferral });
      } catch (err) {
        if (err instanceof Later) await schedule(event, err, deliveryCount);
        else throw err;
      }
    },
    { connection, prefix: o.prefix, concurrency: o.concurrency },
  );
  worker.on('error', (err) =>
    o.logger.warn({ err: err.message, queue: o.name }, 'retry worker error'),
  );
  const name = o.connection.connectionName;
  if (name) void renameBlockingConnection(worker, name).catch(() => undefined);

  return {
    minDelayMs: o.minDelayMs,
    schedule,
    async close(drainMs) {
      let timer: NodeJS.Timeout | undefined;
      const graceful = worker.close();
      const timedOut = await Promise.race([
        graceful.then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), drainMs))),
      ]);
      clearTimeout(timer);
      // Forced close and the queue's QUIT are bounded too: an unreachable Redis never answers.
      await Promise.race([
        (async () => {
          if (timedOut) await worker.close(true);
          await queue.close();
        })().catch(() => undefined),
        new Promise<void>((r) => (timer = setTimeout(r, 2_000))),
      ]);
      clearTimeout(timer);
      if (timedOut) void worker.disconnect().catch(() => undefined);
      void queue.disconnect().catch(() => undefined);
    },
  };
}

/** The part of BullMQ's (internal) worker backend that holds its blocking connection. */
interface WorkerInternals {
  readonly backend?: {
    readonly blockingConnection?: {
      readonly client: Promise<{
        options?: { connectionName?: string };
        client(sub: 'SETNAME', name: string): Promise<unknown>;
      }>;
    };
  };
}

/**
 * BullMQ names a worker's blocking connection `<prefix>:<base64 queue name>`; give it ours
 * (docs/operations.md, "Connection names"), also for its reconnections (ioredis re-sends its
 * `connectionName` on every reconnect). Best effort: BullMQ internals, so a miss changes nothing
 * but the name.
 */
async function renameBlockingConnection(worker: Worker, name: string): Promise<void> {
  const client = await (worker as unknown as WorkerInternals).backend?.blockingConnection?.client;
  if (!client) return;
  if (client.options) client.options.connectionName = name;
  await client.client('SETNAME', name);
}

/** Removes every job and key of a subscription's retry queue (the subscription is deleted). */
export async function obliterateRetryQueue(
  name: string,
  prefix: string,
  connection: RedisOptions,
): Promise<void> {
  const queue = new Queue(name, {
    connection: { ...connection, maxRetriesPerRequest: null } as never,
    prefix,
  });
  try {
    await queue.obliterate({ force: true });
  } finally {
    await queue.close();
  }
}
