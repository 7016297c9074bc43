import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import {
  type Backend,
  BackendUnavailableError,
  type CloudEvent,
  type EventHandler,
  type Logger,
  type SubscribeOptions,
  type Subscription,
  silentLogger,
} from '@tributary/core';
import { Redis, type RedisOptions } from 'ioredis';
import { createRedisArchive } from './archive.js';
import { encodeEntry } from './codec.js';
import { createRedisDeadLetterStore } from './dead-letter-store.js';
import { connectWithin, quitWithin } from './connect.js';
import { type RedisBackendConfig, redisBackendConfigSchema } from './config.js';
import { RespSender, xaddEncoder } from './resp.js';
import { createRetryQueue, obliterateRetryQueue } from './retry-queue.js';
import { startStreamConsumer } from './stream-consumer.js';
import { trimAcknowledged } from './trim.js';

/** Options of {@link createRedisBackend}. */
export interface RedisBackendOptions {
  /** ioredis connection options (address, credentials, TLS). */
  readonly connection: RedisOptions;
  /** Broker config; defaults apply to missing keys. */
  readonly config?: Partial<RedisBackendConfig>;
  /** Consumer name prefix; defaults to `<hostname>-<pid>-<random>`. */
  readonly consumerName?: string;
  readonly logger?: Logger;
  /**
   * CLIENT SETNAME of the main connection (`tributary-<pid>-broker-<ns>-<name>`); blocking
   * readers add `-consumer`, the BullMQ retry queue `-retries` (docs/operations.md).
   */
  readonly clientName?: string;
  /** How long `start` (and a subscription's connection) waits for Redis to answer. @default 10000 */
  readonly connectTimeoutMs?: number;
}

/**
 * The `Redis` broker class on Redis Streams: a stream per topic (broker), a consumer group per
 * subscription (trigger). `publish` resolves after Redis acknowledged the XADD; entries are XACKed
 * only after the handler resolved (delivered, filtered or dead-lettered) or its long retry was
 * persisted as a BullMQ delayed job; entries left pending by a dead consumer are claimed
 * (XAUTOCLAIM) by a live one after `claim.min.idle.ms`.
 */
export function createRedisBackend(
  options: RedisBackendOptions,
): Backend & { deleteSubscription(topic: string, subscription: string): Promise<void> } {
  const config = redisBackendConfigSchema.parse({ ...options.config });
  const logger = options.logger ?? silentLogger;
  const name = options.clientName;
  const base = { ...options.connection, lazyConnect: true };
  const connectMs = options.connectTimeoutMs ?? 10_000;
  const where = `Redis at ${options.connection.host ?? '127.0.0.1'}:${options.connection.port ?? 6379}`;
  const consumerBase =
    options.consumerName ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  let redis: Redis | undefined;
  /** Sends the XADDs and XACKs (resp.ts); undefined while stopped or with a `keyPrefix`. */
  let sender: RespSender | undefined;
  const xadds = new Map<string, ReturnType<typeof xaddEncoder>>();
  const subs = new Set<Subscription>();
  const topics = new Set<string>();
  /** Streams of archived brokers and their retention: trimmed by age (trim.ts). */
  const retention = new Map<string, number>();
  const blockers = new Set<Redis>();
  let trimTimer: NodeJS.Timeout | undefined;
  let n = 0;

  const conn = (): Redis => {
    if (!redis) throw new BackendUnavailableError('redis backend not started');
    return redis;
  };

  return {
    kind: 'redis',
    async start() {
      redis?.disconnect();
      const r = new Redis({
        ...base,
        enableAutoPipelining: true,
        maxRetriesPerRequest: 2,
        ...(name ? { connectionName: name } : {}),
      });
      r.on('error', (err) => logger.debug({ err: err.message }, 'redis connection error'));
      await connectWithin(r, connectMs, where);
      redis = r;
      const s = new RespSender(r);
      sender = s.usable ? s : undefined;
      logger.info({ host: base.host, port: base.port }, 'redis backend connected');
      if (config['stream.trim.interval.ms'] > 0) {
        trimTimer = setInterval(() => {
          for (const t of new Set([...topics, ...retention.keys()]))
            void trimAcknowledged(conn(), t, retention.get(t)).catch((err: Error) =>
              logger.debug({ err: err.message, stream: t }, 'trim failed'),
            );
        }, config['stream.trim.interval.ms']);
        trimTimer.unref();
      }
    },

    async publish(topic: string, events: readonly CloudEvent[]) {
      const r = conn();
      const maxlen = config['stream.maxlen'];
      try {
        if (events.length === 1 && sender) {
          // The common case (one event per request): pre-encoded XADD (resp.ts).
          let encode = xadds.get(topic);
          if (!encode) xadds.set(topic, (encode = xaddEncoder(topic, maxlen)));
          await sender.send('xadd', encode(events[0]!));
          return;
        }
        const cap: Array<string | number> = maxlen > 0 ? ['MAXLEN', '~', maxlen] : [];
        if (events.length === 1) {
          await r.xadd(topic, ...cap, '*', ...encodeEntry(events[0]!));
          return;
        }
        const multi = r.multi();
        for (const e of events) multi.xadd(topic, ...cap, '*', ...encodeEntry(e));
        const res = await multi.exec();
        const failed = res?.find(([err]) => err);
        if (!res || failed) throw failed?.[0] ?? new Error('transaction aborted');
      } catch (err) {
        throw new BackendUnavailableError(
          `redis XADD to '${topic}' failed: ${(err as Error).message}`,
          1,
          {
            cause: err,
          },
        );
      }
    },

    async subscribe(
      topic: string,
      subscription: string,
      handler: EventHandler,
      opts: SubscribeOptions,
    ) {
      const r = conn();
      const start = opts.startFrom === 'earliest' ? '0' : '$';
      try {
        await r.xgroup('CREATE', topic, subscription, start, 'MKSTREAM');
      } catch (err) {
        if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
      }
      topics.add(topic);
      const blocking = new Redis({
        ...base,
        maxRetriesPerRequest: null,
        ...(name ? { connectionName: `${name}-consumer` } : {}),
      });
      blocking.on('error', (err) => logger.debug({ err: err.message }, 'redis connection error'));
      await connectWithin(blocking, connectMs, where);
      blockers.add(blocking);
      const concurrency = Math.max(1, opts.concurrency);
      const retryQueue =
        !opts.ordered && config['retry.durable']
          ? createRetryQueue({
              name: `${topic}.${subscription}`,
              prefix: config['bullmq.prefix'],
              connection: {
                ...options.connection,
                ...(name ? { connectionName: `${name}-retries` } : {}),
              },
              handler,
              concurrency,
              minDelayMs: config['retry.durable.min.delay.ms'],
              logger,
            })
          : undefined;
      const minIdleMs = config['claim.min.idle.ms'];
      const consumer = startStreamConsumer({
        redis: r,
        ...(sender ? { sender } : {}),
        blocking,
        stream: topic,
        group: subscription,
        consumer: `${consumerBase}-${++n}`,
        handler,
        ordered: opts.ordered,
        concurrency,
        readCount: config['read.count'],
        minIdleMs,
        claimIntervalMs: config['claim.interval.ms'] ?? Math.max(10, Math.floor(minIdleMs / 3)),
        retryQueue,
        logger: logger.child({ stream: topic, group: subscription }),
      });
      logger.info(
        { stream: topic, group: subscription, ordered: opts.ordered },
        'redis subscription started',
      );
      const sub: Subscription = {
        async close(o) {
          if (!subs.delete(sub)) return;
          const drainMs = o?.drainMs ?? 5_000;
          await Promise.all([consumer.close({ drainMs }), retryQueue?.close(drainMs)]);
          blockers.delete(blocking);
        },
      };
      subs.add(sub);
      return sub;
    },

    deadLetterStore: (broker) => createRedisDeadLetterStore(conn, broker),
    archive(broker, retentionMs) {
      retention.set(broker.topic, retentionMs);
      return createRedisArchive(conn, broker.topic);
    },
    /**
     * Deletes a subscription's consumer group (so it no longer holds back stream trimming) and its
     * retry queue. For subscriptions that belong to one process (RequestReply's reply
     * subscriptions); close the subscription first.
     */
    async deleteSubscription(topic: string, subscription: string) {
      await conn().xgroup('DESTROY', topic, subscription);
      if (config['retry.durable'])
        await obliterateRetryQueue(
          `${topic}.${subscription}`,
          config['bullmq.prefix'],
          options.connection,
        );
      logger.info({ stream: topic, group: subscription }, 'redis subscription deleted');
    },

    async close(o) {
      clearInterval(trimTimer);
      await Promise.all([...subs].map((s) => s.close(o)));
      for (const b of blockers) b.disconnect();
      blockers.clear();
      const r = redis;
      redis = undefined;
      sender = undefined;
      if (r) await quitWithin(r, 1_000);
    },
  };
}
