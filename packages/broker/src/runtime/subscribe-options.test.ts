import { describe, expect, it } from 'vitest';
import type { Trigger } from '@tributary/core';
import { subscribeOptionsFor } from './subscribe-options.js';

const trigger = (annotations?: Record<string, string>) =>
  ({
    apiVersion: 'eventing.knative.dev/v1',
    kind: 'Trigger',
    metadata: { name: 't', namespace: 'default', annotations },
    spec: { broker: 'b', subscriber: { uri: 'http://127.0.0.1:1/' } },
  }) as Trigger;

describe('subscribeOptionsFor', () => {
  it('defaults to unordered, 100 in flight, from the latest position', () => {
    expect(subscribeOptionsFor(trigger())).toEqual({
      ordered: false,
      concurrency: 100,
      startFrom: 'latest',
    });
  });

  it('orders delivery for Kafka and Redis delivery.order and RabbitMQ parallelism 1', () => {
    expect(
      subscribeOptionsFor(trigger({ 'kafka.eventing.knative.dev/delivery.order': 'ordered' }))
        .ordered,
    ).toBe(true);
    expect(
      subscribeOptionsFor(trigger({ 'redis.eventing.tributary.dev/delivery.order': 'ordered' }))
        .ordered,
    ).toBe(true);
    expect(
      subscribeOptionsFor(trigger({ 'rabbitmq.eventing.knative.dev/parallelism': '1' })),
    ).toMatchObject({ ordered: true, concurrency: 1 });
    expect(
      subscribeOptionsFor(trigger({ 'kafka.eventing.knative.dev/delivery.order': 'unordered' }))
        .ordered,
    ).toBe(false);
  });

  it('takes concurrency from tributary.dev/concurrency over RabbitMQ parallelism', () => {
    expect(
      subscribeOptionsFor(trigger({ 'rabbitmq.eventing.knative.dev/parallelism': '8' }))
        .concurrency,
    ).toBe(8);
    expect(
      subscribeOptionsFor(
        trigger({
          'rabbitmq.eventing.knative.dev/parallelism': '8',
          'tributary.dev/concurrency': '3',
        }),
      ).concurrency,
    ).toBe(3);
  });

  it('starts from earliest when asked', () => {
    expect(
      subscribeOptionsFor(trigger({ 'tributary.dev/initial-offset': 'earliest' })).startFrom,
    ).toBe('earliest');
  });
});
