import {
  type CloudEvent,
  KnativeExtensions,
  nowRfc3339Nano,
  withAttributes,
} from '@tributary/core';

/** Knative's default `MAX_TTL`: hops an event may take through broker ingresses. */
export const DEFAULT_MAX_TTL = 255;

const INTEGER = /^[+-]?\d+$/;

/**
 * The `knativebrokerttl` an event leaves the ingress with (Knative `pkg/broker/ttl.go`): absent or
 * not an integer → `maxTtl`; an integer → decremented by one, floored at 0.
 */
export function nextTtl(raw: string | undefined, maxTtl = DEFAULT_MAX_TTL): number {
  if (raw === undefined) return maxTtl;
  const trimmed = raw.trim();
  if (!INTEGER.test(trimmed)) return maxTtl;
  const value = Number(trimmed);
  if (!Number.isSafeInteger(value)) return maxTtl;
  return Math.max(0, value - 1);
}

/**
 * What the broker ingress does to each accepted event (docs/knative-behaviour.md §1.3): applies TTL defaulting /
 * decrementing and always overwrites `knativearrivaltime` with `now`. Returns `{ error }` instead
 * when the TTL ends up ≤ 0 (the ingress answers 400 and drops the event: a loop was cut).
 */
export function prepareIngressEvent(
  event: CloudEvent,
  maxTtl = DEFAULT_MAX_TTL,
  now: string = nowRfc3339Nano(),
): { event: CloudEvent } | { error: string } {
  const raw = event.attributes[KnativeExtensions.brokerTtl];
  const ttl = nextTtl(raw, maxTtl);
  if (ttl <= 0) {
    return {
      error:
        `event '${event.attributes['id'] ?? ''}' has ${KnativeExtensions.brokerTtl} '${raw ?? ''}': ` +
        'its time to live is used up (the event has looped through brokers too often); dropped',
    };
  }
  return {
    event: withAttributes(event, {
      [KnativeExtensions.brokerTtl]: String(ttl),
      [KnativeExtensions.arrivalTime]: now,
    }),
  };
}
