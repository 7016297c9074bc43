/** Deliveries in flight per trigger when `tributary.dev/concurrency` is absent. */
export const DEFAULT_TRIGGER_CONCURRENCY = 100;

/** One topic per broker, named as Knative's durable brokers name it (docs/knative-behaviour.md). */
export function brokerTopic(namespace: string, name: string): string {
  return `knative-broker-${namespace}-${name}`;
}

/** One subscription (consumer group / queue) per trigger, named as Knative's durable brokers name it. */
export function triggerSubscriptionName(namespace: string, name: string): string {
  return `knative-trigger-${namespace}-${name}`;
}
