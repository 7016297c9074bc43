import { describe, expect, it } from 'vitest';
import type { Trigger } from '@tributary/core';
import { BackendRegistry, memoryBackendProvider, subscribeOptionsFor } from '@tributary/broker';
import { kafkaBackendProvider } from '@tributary/kafka/wiring';
import { rabbitmqBackendProvider } from '@tributary/rabbitmq/wiring';
import { redisBackendProvider } from '@tributary/redis/wiring';

// Each technology's ordering and parallelism annotations are read by its provider; the runtime
// asks every registered provider (moved from broker/src/runtime/subscribe-options.test.ts).
const backends = new BackendRegistry()
  .register(memoryBackendProvider)
  .register(kafkaBackendProvider)
  .register(rabbitmqBackendProvider)
  .register(redisBackendProvider);

const trigger = (annotations?: Record<string, string>) =>
  ({
    apiVersion: 'eventing.knative.dev/v1',
    kind: 'Trigger',
    metadata: { name: 't', namespace: 'default', annotations },
    spec: { broker: 'b', subscriber: { uri: 'http://127.0.0.1:1/' } },
  }) as Trigger;

const optionsOf = (a?: Record<string, string>) => subscribeOptionsFor(trigger(a), backends);

describe('subscribeOptionsFor with the technology providers', () => {
  it('defaults to unordered, 100 in flight, from the latest position', () => {
    expect(optionsOf()).toEqual({ ordered: false, concurrency: 100, startFrom: 'latest' });
  });

  it('orders delivery for Kafka and Redis delivery.order and RabbitMQ parallelism 1', () => {
    expect(optionsOf({ 'kafka.eventing.knative.dev/delivery.order': 'ordered' }).ordered).toBe(
      true,
    );
    expect(optionsOf({ 'redis.eventing.tributary.dev/delivery.order': 'ordered' }).ordered).toBe(
      true,
    );
    expect(optionsOf({ 'rabbitmq.eventing.knative.dev/parallelism': '1' })).toMatchObject({
      ordered: true,
      concurrency: 1,
    });
    expect(optionsOf({ 'kafka.eventing.knative.dev/delivery.order': 'unordered' }).ordered).toBe(
      false,
    );
  });

  it('takes concurrency from tributary.dev/concurrency over RabbitMQ parallelism', () => {
    expect(optionsOf({ 'rabbitmq.eventing.knative.dev/parallelism': '8' }).concurrency).toBe(8);
    expect(
      optionsOf({
        'rabbitmq.eventing.knative.dev/parallelism': '8',
        'tributary.dev/concurrency': '3',
      }).concurrency,
    ).toBe(3);
  });
});
