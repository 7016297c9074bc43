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

  it('takes concurrency from tributary.dev/concurrency', () => {
    expect(subscribeOptionsFor(trigger({ 'tributary.dev/concurrency': '3' })).concurrency).toBe(3);
  });

  it('starts from earliest when asked', () => {
    expect(
      subscribeOptionsFor(trigger({ 'tributary.dev/initial-offset': 'earliest' })).startFrom,
    ).toBe('earliest');
  });
});
