import {
  type CloudEvent,
  type DeliveryInfo,
  type EventHandler,
  type Logger,
  RedeliverLaterError,
  type Subscription,
} from '@tributary/core';
import type { Redis } from 'ioredis';
import { type RawEntry, decodeEntry } from './codec.js';
import { type RespSender, xreadgroupEncoder } from './resp.js';
import type { RetryQueue } from './retry-queue.js';
import { XackBatcher } from './xack-batcher.js';

/** Options of {@link startStreamConsumer}. */
export interface StreamConsumerOptions {
  /** Shared connection (XACK, XAUTOCLAIM, XCLAIM, XPENDING). */
  readonly redis: Redis;
  /**
   * Sends the XACKs pre-encoded on `redis` (resp.ts), and the reads that follow a read that found
   * entries (without BLOCK, in the sender's flush); without it, XACKs go through `redis.xack` and
   * every read is a blocking one on `blocking`.
   */
  readonly sender?: RespSender;
  /** Dedicated connection for the blocking XREADGROUP; disconnected on close. */
  readonly blocking: Redis;
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  readonly handler: EventHandler;
  readonly ordered: boolean;
  readonly concurrency: number;
  readonly readCount: number;
  readonly minIdleMs: number;
  readonly claimIntervalMs: number;
  /** Present when long backoffs are persisted (unordered subscriptions only). */
  readonly retryQueue?: RetryQueue | undefined;
  readonly logger: Logger;
}

interface Pending {
  readonly id: string;
  readonly event: CloudEvent;
  deliveryCount: number;
}

/**
 * One consumer of a consumer group: reads new entries, claims entries idle in dead consumers,
 * keeps its own in-flight entries fresh (so nobody claims them), runs the handler with bounded
 * concurrency (ordered: one chain per `partitionkey`), and XACKs only after the handler resolved
 * or its retry was persisted.
 */
export function startStreamConsumer(o: StreamConsumerOptions): Subscription {
  const { redis, stream, group, consumer, logger } = o;
  const inFlight = new Set<string>();
  const chains = new Map<string, Promise<void>>();
  /** Entries handed out and not yet finished; close() waits for 0 (`onIdle`). */
  let active = 0;
  let onIdle: (() => void) | undefined;
  let closed = false;
  let wake: (() => void) | undefined;
  const capacity = (): number => Math.max(0, o.concurrency - inFlight.size);
  const deferral = o.retryQueue ? { minDelayMs: o.retryQueue.minDelayMs } : undefined;

  const freed = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  /** An entry is done (acknowledged, or left pending): frees its slot. */
  const finish = (p: Pending): void => {
    inFlight.delete(p.id);
    if (--active === 0) onIdle?.();
  };
  const ackFailed = (p: Pending, err: unknown): void =>
    logger.warn(
      { entryId: p.id, err },
      'could not acknowledge or persist the retry of an entry; it stays pending',
    );
  /** The XACK of entries whose first delivery succeeded (deliverFirst) was answered. */
  const acked = (ps: Pending[], err: unknown): void => {
    for (const p of ps) {
      if (err !== undefined) ackFailed(p, err);
      finish(p);
    }
    freed();
  };
  const acks = new XackBatcher<Pending>(redis, stream, group, o.sender, acked);
  const waitForCapacity = async (): Promise<void> => {
    while (!closed && capacity() === 0) await new Promise<void>((r) => (wake = r));
  };
  const infoOf = (p: Pending): DeliveryInfo =>
    deferral ? { deliveryCount: p.deliveryCount, deferral } : { deliveryCount: p.deliveryCount };

  /** After a failed delivery: persists the retry (RedeliverLaterError) or leaves it pending. */
  async function afterFailure(p: Pending, err: unknown): Promise<'acked' | 'failed'> {
    if (err instanceof RedeliverLaterError && o.retryQueue && !closed) {
      await o.retryQueue.schedule(p.event, err, p.deliveryCount);
      await acks.ack(p.id);
      return 'acked';
    }
    logger.debug(
      { entryId: p.id, err: (err as Error).message },
      'handler rejected; entry stays pending',
    );
    return 'failed';
  }

  async function runOnce(p: Pending): Promise<'acked' | 'failed'> {
    try {
      await o.handler(p.event, infoOf(p));
    } catch (err) {
      return afterFailure(p, err);
    }
    await acks.ack(p.id);
    return 'acked';
  }

  /** Ordered: one entry of a key's chain, retried here before any later entry of the same key. */
  async function processOrdered(p: Pending): Promise<void> {
    try {
      for (let n = 0; !closed; n++) {
        if ((await runOnce(p)) === 'acked') return;
        p.deliveryCount++;
        await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** n)));
      }
    } catch (err) {
      ackFailed(p, err);
    } finally {
      finish(p);
      freed();
    }
  }

  /** Unordered, after the handler failed (threw, rejected): deliverFirst's slow path. */
  async function failedFirst(p: Pending, err: unknown): Promise<void> {
    try {
      await afterFailure(p, err);
    } catch (e) {
      ackFailed(p, e);
    } finally {
      finish(p);
      freed();
    }
  }

  /**
   * An unordered entry: the handler's own promise with one continuation, the XACK through the
   * batcher's `acked` callback (no promise per entry); the async slow path only after a failure,
   * a synchronous throw included; close() waits on the `active` count instead of a set of task
   * promises. One promise and two closures per entry instead of about seven promises and five
   * closures (process, runOnce, their awaits, the XACK's continuation, the set's `finally`).
   * The consumer alone (40,000 pre-added entries into a no-op handler, concurrency 32, 6 rounds
   * on the shared 2-core machine): 14.8 (13.4–17.3) → 13.7 (11.9–14.6) µs of CPU per entry,
   * median. Under the bench/redis-bench.mjs load the whole `tributary run` process moved by less
   * than the shared machine's noise (docs/redis.md, "What is batched").
   */
  function deliverFirst(p: Pending): void {
    let r: Promise<void>;
    try {
      r = o.handler(p.event, infoOf(p));
      if (!(r instanceof Promise)) r = Promise.resolve(r);
    } catch (err) {
      r = Promise.reject(err);
    }
    void r.then(
      () => acks.add(p),
      (err: unknown) => void failedFirst(p, err),
    );
  }

  function dispatch(id: string, fields: Buffer[] | null, deliveryCount: number): void {
    if (fields === null || closed) return; // trimmed away; or left pending for a claim
    let event: CloudEvent;
    try {
      event = decodeEntry(id, fields);
    } catch (err) {
      logger.error({ err, entryId: id }, 'undecodable entry acknowledged and skipped');
      void redis.xack(stream, group, id).catch(() => undefined);
      return;
    }
    inFlight.add(id);
    active++;
    const p: Pending = { id, event, deliveryCount };
    if (!o.ordered) return deliverFirst(p);
    const key = event.attributes['partitionkey'] ?? '';
    const prev = chains.get(key) ?? Promise.resolve();
    const task = prev.then(() => (closed ? finish(p) : processOrdered(p)));
    chains.set(key, task);
    void task.then(() => {
      if (chains.get(key) === task) chains.delete(key);
    });
  }

  /** XREADGROUP … BLOCK 1000 on the dedicated connection: waits for the next entry. */
  const blockingRead = (asked: number): Promise<unknown> =>
    (o.blocking.xreadgroupBuffer as (...a: string[]) => Promise<unknown>)(
      'GROUP',
      group,
      consumer,
      'COUNT',
      String(asked),
      'BLOCK',
      '1000',
      'STREAMS',
      stream,
      '>',
    );
  const sender = o.sender;
  const encodeRead = sender ? xreadgroupEncoder(stream, group, consumer) : undefined;
  /**
   * XREADGROUP without BLOCK on the shared connection, sent in the sender's flush at the end of
   * the turn, in the same socket write as the turn's XADDs and XACKs (resp.ts), which Redis
   * executes first, so it also reads the entries just added. Used while reads find entries.
   * Saves the blocking connection's write and read per read: with the XACKs in the same flush,
   * 0.141 → 0.090 writes and 0.111 → 0.067 reads on Redis sockets per event, redis-server 9.25 →
   * 7.5 µs CPU per event, main-thread wall time in Redis writes 11.5 → 7.3 µs per event
   * (bench/redis-bench.mjs load; syscalls counted with `perf stat`, medians of 6 alternating
   * rounds of 20,000 events; wall time from CPU profiles). The broker's CPU per event and events/s
   * did not move measurably on the shared bench machine (docs/redis.md, "What is batched").
   * Without BLOCK, ioredis resending it after a reconnect is as safe as for the blocking read:
   * entries a lost read took stay pending and are claimed.
   */
  const pollRead = (asked: number): Promise<unknown> =>
    new Promise((resolve, reject) =>
      sender!.atFlush(
        () => void sender!.send('xreadgroup', encodeRead!(asked)).then(resolve, reject),
      ),
    );
  /** Resolves when the subscription closes: a read on the shared connection is not waited for. */
  let onClose: (() => void) | undefined;
  const closing = new Promise<typeof CLOSED>((r) => (onClose = () => r(CLOSED)));

  async function readLoop(): Promise<void> {
    let short = false;
    let hot = false;
    while (!closed) {
      await waitForCapacity();
      if (closed) break;
      // A read that returned fewer entries than it asked for was woken by the first XADD that
      // arrived: reading again at once returns one or two entries per round trip. Waiting
      // READ_LINGER_MS lets a batch build up in the stream (docs/redis.md, "What is batched").
      if (short) await new Promise((r) => setTimeout(r, READ_LINGER_MS));
      if (closed) break;
      let reply: unknown;
      const asked = Math.min(o.readCount, capacity());
      try {
        reply =
          hot && sender
            ? await Promise.race([pollRead(asked), closing])
            : await blockingRead(asked);
      } catch (err) {
        if (closed) break;
        logger.warn({ err: (err as Error).message, stream, group }, 'XREADGROUP failed; retrying');
        hot = false;
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (closed) break; // read but not handed out: they stay pending and get claimed
      let got = 0;
      for (const [, entries] of streamsOf(reply))
        for (const [id, fields] of entries) {
          got++;
          dispatch(id.toString(), fields, 1);
        }
      short = got > 0 && got < asked;
      // Entries found: the next read is a poll in the turn's flush; none: wait on the blocking one.
      hot = got > 0;
    }
  }

  let claiming = false;
  async function claim(): Promise<void> {
    if (claiming || closed) return;
    claiming = true;
    try {
      let cursor = '0-0';
      do {
        const n = capacity();
        if (n === 0 || closed) break;
        const res = (await (redis as unknown as RawCommands).xautoclaimBuffer(
          stream,
          group,
          consumer,
          String(o.minIdleMs),
          cursor,
          'COUNT',
          String(n),
        )) as [Buffer, RawEntry[], Buffer[]?];
        cursor = res[0].toString();
        const entries = res[1].filter(([id]) => !inFlight.has(id.toString()));
        if (entries.length === 0) continue;
        const first = entries[0]![0].toString();
        const last = entries[entries.length - 1]![0].toString();
        const counts = new Map<string, number>();
        const pend = (await redis.xpending(
          stream,
          group,
          first,
          last,
          entries.length * 2,
          consumer,
        )) as Array<[string, string, number, number]>;
        for (const [id, , , count] of pend) counts.set(id, Number(count));
        if (closed) break;
        logger.debug({ stream, group, claimed: entries.length }, 'claimed idle entries');
        for (const [id, fields] of entries) {
          const sid = id.toString();
          dispatch(sid, fields, counts.get(sid) ?? 2);
        }
      } while (cursor !== '0-0');
    } catch (err) {
      if (!closed) logger.warn({ err: (err as Error).message, stream, group }, 'XAUTOCLAIM failed');
    } finally {
      claiming = false;
    }
  }

  async function heartbeat(): Promise<void> {
    if (closed || inFlight.size === 0) return;
    try {
      await redis.xclaim(stream, group, consumer, 0, ...inFlight, 'JUSTID');
    } catch (err) {
      logger.debug({ err: (err as Error).message }, 'heartbeat XCLAIM failed');
    }
  }

  const claimTimer = setInterval(() => void claim(), o.claimIntervalMs);
  const beatTimer = setInterval(() => void heartbeat(), Math.max(10, Math.floor(o.minIdleMs / 3)));
  const loop = readLoop();
  void claim();

  return {
    async close(options) {
      if (closed) return;
      closed = true;
      clearInterval(claimTimer);
      clearInterval(beatTimer);
      freed();
      onClose?.();
      o.blocking.disconnect();
      await loop.catch(() => undefined);
      const drainMs = options?.drainMs ?? 5_000;
      let timer: NodeJS.Timeout | undefined;
      if (active > 0)
        await new Promise<void>((r) => {
          onIdle = r;
          timer = setTimeout(r, drainMs);
        });
      clearTimeout(timer);
    },
  };
}

/**
 * Pause before the next XREADGROUP after a short read. Measured on the 2-core bench machine (32
 * producers, 4 s, ~40,000 events): 3,300–3,900 XREADGROUPs without it, 1,400–1,800 with 1–2 ms;
 * p50 latency +1 ms.
 */
export const READ_LINGER_MS = 1;

const CLOSED = Symbol('closed');

/** XREADGROUP's reply as `[stream, entries][]` (ioredis hands a one-stream reply unwrapped). */
function streamsOf(reply: unknown): Array<[Buffer, RawEntry[]]> {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  if (Buffer.isBuffer(reply[0])) return [reply as [Buffer, RawEntry[]]];
  return reply as Array<[Buffer, RawEntry[]]>;
}

/** Buffer-reply commands ioredis implements but does not type. */
interface RawCommands {
  xautoclaimBuffer(...args: string[]): Promise<unknown>;
}
