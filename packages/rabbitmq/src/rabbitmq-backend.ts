/**
 * The RabbitMQ Backend: one durable fanout exchange per topic (broker), one durable queue per
 * subscription (trigger), quorum or classic. Publishing and consuming use separate connections
 * (RabbitMQ flow control blocks publishing connections); both reconnect with backoff and restore
 * what they had.
 */
import type {
  Backend,
  CloudEvent,
  EventHandler,
  Logger,
  SubscribeOptions,
  Subscription,
} from '@tributary/core';
import { clientName, silentLogger } from '@tributary/core';
import { AmqpLink, type BackoffOptions } from './amqp-link.js';
import { QueueConsumer } from './consumer.js';
import { ConfirmPublisher } from './publisher.js';
import { createRabbitmqDeadLetterStore } from './dead-letter-store.js';
import type { QueueType } from './resources.js';

/** Options of {@link createRabbitmqBackend}. */
export interface RabbitmqBackendOptions {
  /** AMQP URL with credentials and vhost, e.g. `amqp://guest:guest@127.0.0.1:5672`. */
  readonly url: string;
  /** @default 'quorum' */
  readonly queueType?: QueueType;
  readonly logger?: Logger;
  /** How long `start` keeps trying to connect. @default 10000 */
  readonly connectTimeoutMs?: number;
  /** How long an unconfirmed message waits for a reconnection before its publish fails with 503. @default 10000 */
  readonly pendingTimeoutMs?: number;
  /** First delay before a rejected event is handed over again (doubling). @default 1000 */
  readonly redeliveryDelayMs?: number;
  /** @default 30000 */
  readonly maxRedeliveryDelayMs?: number;
  readonly reconnect?: BackoffOptions;
  /**
   * Per-subscription overrides of the runtime's subscribe options (the provider reads each
   * Trigger's `rabbitmq.eventing.knative.dev/parallelism` through it).
   */
  readonly subscribeOverrides?: (subscription: string) => Partial<SubscribeOptions> | undefined;
  /**
   * Base of the names shown in RabbitMQ's connection list (`connection_name`); the publishing
   * connection adds `-publisher`, the consuming one `-consumer` (docs/operations.md).
   * @default `tributary-<pid>-rabbitmq`
   */
  readonly connectionName?: string;
}

/** A RabbitMQ backend plus what tests and tools need to clean up. */
export interface RabbitmqBackend extends Backend {
  /** Exchanges and queues this backend declared (for cleanup). */
  declared(): { exchanges: string[]; queues: string[] };
  /**
   * Deletes a subscription's queue (and what it holds). For subscriptions that belong to one
   * process (RequestReply's reply subscriptions) and Triggers removed on reload; close the
   * subscription first.
   */
  deleteSubscription(topic: string, subscription: string): Promise<void>;
  /** Messages published but not yet confirmed. */
  readonly unconfirmed: number;
}

/** The queue of a subscription on a topic. */
export function queueName(topic: string, subscription: string): string {
  return `${topic}.${subscription}`;
}

/** Creates a RabbitMQ backend (not started). */
export function createRabbitmqBackend(options: RabbitmqBackendOptions): RabbitmqBackend {
  const logger = options.logger ?? silentLogger;
  const name = options.connectionName ?? clientName('rabbitmq');
  const pubLink = new AmqpLink(options.url, `${name}-publisher`, logger, options.reconnect);
  const subLink = new AmqpLink(options.url, `${name}-consumer`, logger, options.reconnect);
  const publisher = new ConfirmPublisher(pubLink, logger, options.pendingTimeoutMs ?? 10_000);
  const consumers = new Set<QueueConsumer>();
  const exchanges = new Set<string>();
  const queues = new Set<string>();

  return {
    kind: 'rabbitmq',
    get unconfirmed() {
      return publisher.pendingCount;
    },
    async start() {
      const timeout = options.connectTimeoutMs ?? 10_000;
      await Promise.all([pubLink.open(timeout), subLink.open(timeout)]);
    },
    async publish(topic: string, events: readonly CloudEvent[]) {
      exchanges.add(topic);
      await publisher.publish(topic, events);
    },
    async subscribe(
      topic: string,
      subscription: string,
      handler: EventHandler,
      subscribeOptions: SubscribeOptions,
    ): Promise<Subscription> {
      const queue = queueName(topic, subscription);
      exchanges.add(topic);
      queues.add(queue);
      const consumer = new QueueConsumer(subLink, {
        exchange: topic,
        queue,
        queueType: options.queueType ?? 'quorum',
        handler,
        subscribe: { ...subscribeOptions, ...options.subscribeOverrides?.(subscription) },
        redeliveryDelayMs: options.redeliveryDelayMs ?? 1_000,
        maxRedeliveryDelayMs: options.maxRedeliveryDelayMs ?? 30_000,
        logger: logger.child({ queue }),
      });
      await consumer.start();
      consumers.add(consumer);
      return {
        close: async (o) => {
          consumers.delete(consumer);
          await consumer.close(o);
        },
      };
    },
    declared: () => ({ exchanges: [...exchanges], queues: [...queues] }),
    deadLetterStore: (broker) =>
      createRabbitmqDeadLetterStore(
        () => pubLink.model,
        broker,
        logger.child({ broker: `${broker.namespace}/${broker.name}` }),
      ),
    async deleteSubscription(topic: string, subscription: string) {
      const model = subLink.model;
      if (!model) throw new Error(`rabbitmq is not connected: ${subLink.lastError}`);
      const queue = queueName(topic, subscription);
      const ch = await model.createChannel();
      ch.on('error', () => undefined);
      try {
        await ch.deleteQueue(queue);
      } finally {
        await ch.close().catch(() => undefined);
      }
      queues.delete(queue);
      logger.info({ queue }, 'rabbitmq subscription deleted');
    },
    async close({ drainMs = 10_000 } = {}) {
      await Promise.all([...consumers].map((c) => c.close({ drainMs })));
      consumers.clear();
      await publisher.close(drainMs);
      await Promise.all([pubLink.close(), subLink.close()]);
    },
  };
}
