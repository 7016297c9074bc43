import {
  type Backend,
  BackendUnavailableError,
  type CloudEvent,
  type EventHandler,
  type EventRouter,
  type Logger,
  type SubscribeOptions,
  type Subscription,
  silentLogger,
} from '@tributary/core';
import type { DataStore, TopicRecord } from './data-store.js';
import { type EncodedEvent, encode } from './event-log.js';
import { SubscriptionEngine } from './subscription-engine.js';

/** The promise of a publish that had nothing to store (shared: it carries no state). */
const DONE = Promise.resolve();

/** Options of {@link createSqliteBackend}. */
export interface SqliteBackendOptions {
  /** The open data directory (shared by every backend of the process). */
  readonly store: DataStore;
  /** Most bytes (attributes + data) a topic may hold; beyond, publish answers 503. */
  readonly maxBytes?: number | undefined;
  /** Most events a topic may hold; beyond, publish answers 503. */
  readonly maxEvents?: number | undefined;
  /** Where the caps come from, for error messages (e.g. the annotation). */
  readonly capSource?: string;
  /** Seconds suggested to publishers when full or failing (`Retry-After`). @default 1 */
  readonly retryAfterSeconds?: number;
  /** Redelivery delay after a rejected delivery; doubles per delivery. @default 1000 */
  readonly redeliveryDelayMs?: number;
  /** @default 30000 */
  readonly maxRedeliveryDelayMs?: number;
  /** Backoffs at least this long are stored (durable retries). @default 1000 */
  readonly durableRetryMinDelayMs?: number;
  /** Events per subscription held in memory at once. @default 1000 */
  readonly window?: number;
  readonly logger?: Logger;
}

/**
 * The embedded durable backend: events in the SQLite database of a data directory. `publish`
 * resolves once the group commit holding the events committed; each subscription's ack set is
 * its rows in `deliveries`; a stored retry fires at its due time, also after a restart. See
 * docs/embedded-durable.md.
 */
export function createSqliteBackend(options: SqliteBackendOptions): Backend & {
  deleteSubscription(topic: string, subscription: string, o?: { drainMs?: number }): Promise<void>;
} {
  const { store } = options;
  const logger = (options.logger ?? silentLogger).child({ backend: 'sqlite' });
  const retryAfter = options.retryAfterSeconds ?? 1;
  const routers = new Map<string, EventRouter>();
  const engines = new Map<string, SubscriptionEngine>();
  let closed = false;

  const unavailable = (message: string, cause?: unknown): BackendUnavailableError =>
    new BackendUnavailableError(message, retryAfter, cause ? { cause } : undefined);

  function topicOf(name: string): TopicRecord {
    try {
      return store.topic(name);
    } catch (err) {
      throw unavailable(`cannot store topic '${name}': ${(err as Error).message}`, err);
    }
  }

  function checkCaps(t: TopicRecord, events: number, bytes: number): void {
    const source = options.capSource ? ` (${options.capSource})` : '';
    const heldEvents = t.events + t.reservedEvents;
    const heldBytes = t.bytes + t.reservedBytes;
    if (options.maxEvents !== undefined && heldEvents + events > options.maxEvents)
      throw unavailable(
        `'${t.name}' holds ${heldEvents} events, its limit is ${options.maxEvents}${source}; try again later`,
      );
    if (options.maxBytes !== undefined && heldBytes + bytes > options.maxBytes)
      throw unavailable(
        `'${t.name}' holds ${heldBytes} bytes, its limit is ${options.maxBytes}${source}; try again later`,
      );
  }

  /**
   * Not async: the checks throw into a rejected promise, and the promise returned settles with
   * the commit (publish-batch.ts), without an async function's extra promise per request.
   */
  function publish(topic: string, events: readonly CloudEvent[]): Promise<void> {
    try {
      return publishNow(topic, events);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  function publishNow(topic: string, events: readonly CloudEvent[]): Promise<void> {
    if (closed || store.closed) throw unavailable('the embedded durable backend is closed');
    if (events.length === 0) return DONE;
    const t = topicOf(topic);
    const route = routers.get(topic);
    let all: number[] | undefined;
    const targets = events.map((e) => {
      if (!route) return (all ??= [...t.subscriptions.values()]);
      const ids: number[] = [];
      for (const n of route(e)) {
        const id = t.subscriptions.get(n);
        if (id !== undefined) ids.push(id);
      }
      return ids;
    });
    const encoded: Array<EncodedEvent | undefined> = events.map((e, i) =>
      targets[i]!.length > 0 ? encode(e) : undefined,
    );
    let n = 0;
    let bytes = 0;
    for (const e of encoded) {
      if (!e) continue;
      n++;
      bytes += e.bytes;
    }
    if (n === 0) return DONE; // no subscription wants them: nothing to hold
    checkCaps(t, n, bytes);
    t.reservedEvents += n;
    t.reservedBytes += bytes;
    return new Promise<void>((resolve, reject) =>
      store.publishes.add({
        topic: t,
        events,
        encoded,
        targets,
        n,
        bytes,
        retryAfter,
        resolve,
        reject,
      }),
    );
  }

  return {
    kind: 'sqlite',
    async start() {
      if (store.closed) throw new Error(`the data store in '${store.dir}' is closed`);
      logger.info({ dir: store.dir }, 'embedded durable backend started');
    },
    publish,
    setRouter(topic, route) {
      if (route) routers.set(topic, route);
      else routers.delete(topic);
    },
    async subscribe(
      topic: string,
      subscription: string,
      handler: EventHandler,
      opts: SubscribeOptions,
    ): Promise<Subscription> {
      if (closed) throw new Error('the embedded durable backend is closed: cannot subscribe');
      const t = topicOf(topic);
      const id = store.subscription(t, subscription);
      store.writer.flush();
      const engine = new SubscriptionEngine({
        store,
        topic: t,
        subscriptionId: id,
        subscription,
        handler,
        ordered: opts.ordered,
        concurrency: opts.concurrency,
        window: options.window ?? 1_000,
        redeliveryDelayMs: options.redeliveryDelayMs ?? 1_000,
        maxRedeliveryDelayMs: options.maxRedeliveryDelayMs ?? 30_000,
        deferralMinDelayMs: options.durableRetryMinDelayMs ?? 1_000,
        logger: logger.child({ topic, subscription }),
      });
      engine.start();
      const key = `${topic}\n${subscription}`;
      engines.set(key, engine);
      logger.info({ topic, subscription, ordered: opts.ordered }, 'subscribed');
      return {
        async close(o) {
          if (engines.get(key) === engine) engines.delete(key);
          await engine.close(o?.drainMs ?? 5_000);
        },
      };
    },
    backlog(topic, subscription) {
      try {
        const id = store.closed ? undefined : store.topic(topic).subscriptions.get(subscription);
        return id === undefined ? undefined : store.log.count(id);
      } catch (err) {
        logger.debug({ topic, subscription, err: (err as Error).message }, 'backlog unknown');
        return undefined;
      }
    },
    async deleteSubscription(topic, subscription, o) {
      const key = `${topic}\n${subscription}`;
      const engine = engines.get(key);
      engines.delete(key);
      await engine?.close(o?.drainMs ?? 5_000);
      try {
        if (!store.closed) store.removeSubscription(topicOf(topic), subscription);
        logger.info({ topic, subscription }, 'subscription deleted');
      } catch (err) {
        // Kept until the retention drops it (docs/embedded-durable.md).
        logger.warn(
          { topic, subscription, err: (err as Error).message },
          'could not delete the subscription; it is dropped later by compaction',
        );
      }
    },
    deadLetterStore: (broker) => store.deadLetterStore(broker),

    async close(o) {
      if (closed) return;
      closed = true;
      await Promise.all([...engines.values()].map((e) => e.close(o?.drainMs ?? 5_000)));
      engines.clear();
      if (!store.closed) store.writer.flush();
    },
  };
}
