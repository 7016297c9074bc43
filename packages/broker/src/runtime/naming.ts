import type { Broker, Trigger } from '@tributary/core';

/** Annotation that selects the broker class (Knative's). */
export const BROKER_CLASS_ANNOTATION = 'eventing.knative.dev/broker.class';
/** Default broker class, served by the memory backend. */
export const DEFAULT_BROKER_CLASS = 'MTChannelBasedBroker';
/** Trigger annotation bounding deliveries in flight. */
export const CONCURRENCY_ANNOTATION = 'tributary.dev/concurrency';
/** Deliveries in flight per trigger when the annotation is absent. */
export const DEFAULT_TRIGGER_CONCURRENCY = 100;

export function brokerClassOf(b: Broker): string {
  return b.metadata.annotations?.[BROKER_CLASS_ANNOTATION] ?? DEFAULT_BROKER_CLASS;
}

/** One topic per broker, named as the Kafka broker names it. */
export function brokerTopic(namespace: string, name: string): string {
  return `knative-broker-${namespace}-${name}`;
}

/** One subscription (consumer group / queue) per trigger, named as the Kafka broker names it. */
export function triggerSubscriptionName(namespace: string, name: string): string {
  return `knative-trigger-${namespace}-${name}`;
}

export function triggerConcurrency(t: Trigger): number {
  const raw = t.metadata.annotations?.[CONCURRENCY_ANNOTATION];
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_TRIGGER_CONCURRENCY;
}
