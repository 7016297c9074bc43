import { type SubscribeOptions, type Trigger, triggerConcurrency } from '@tributary/core';
import { DEFAULT_TRIGGER_CONCURRENCY } from './naming.js';

/** Knative's Kafka broker: `ordered` delivers per partition in order. */
export const KAFKA_DELIVERY_ORDER_ANNOTATION = 'kafka.eventing.knative.dev/delivery.order';
/** Tributary's Redis broker: `ordered` delivers per `partitionkey` in order. */
export const REDIS_DELIVERY_ORDER_ANNOTATION = 'redis.eventing.tributary.dev/delivery.order';
/** Knative's RabbitMQ broker: messages in flight per trigger; 1 means in order. */
export const RABBITMQ_PARALLELISM_ANNOTATION = 'rabbitmq.eventing.knative.dev/parallelism';
/** Where a new trigger's subscription starts on a durable backend: `earliest` or `latest`. */
export const INITIAL_OFFSET_ANNOTATION = 'tributary.dev/initial-offset';

/**
 * How the runtime subscribes a Trigger, from its annotations: ordered delivery (Kafka's and
 * Redis's `delivery.order: ordered`, RabbitMQ's `parallelism: "1"`), deliveries in flight
 * (`tributary.dev/concurrency`, else RabbitMQ's parallelism, else 100) and the start position.
 */
export function subscribeOptionsFor(t: Trigger): SubscribeOptions {
  const a = t.metadata.annotations ?? {};
  const parallelism = Number(a[RABBITMQ_PARALLELISM_ANNOTATION]);
  const hasParallelism = Number.isInteger(parallelism) && parallelism > 0;
  return {
    ordered:
      a[KAFKA_DELIVERY_ORDER_ANNOTATION] === 'ordered' ||
      a[REDIS_DELIVERY_ORDER_ANNOTATION] === 'ordered' ||
      (hasParallelism && parallelism === 1),
    concurrency:
      triggerConcurrency(t) ?? (hasParallelism ? parallelism : DEFAULT_TRIGGER_CONCURRENCY),
    startFrom: a[INITIAL_OFFSET_ANNOTATION] === 'earliest' ? 'earliest' : 'latest',
  };
}
