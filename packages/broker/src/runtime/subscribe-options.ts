import { type SubscribeOptions, type Trigger, triggerConcurrency } from '@tributary/core';
import type { BackendRegistry } from './backend-registry.js';
import { DEFAULT_TRIGGER_CONCURRENCY } from './naming.js';

/** Where a new trigger's subscription starts on a durable backend: `earliest` or `latest`. */
export const INITIAL_OFFSET_ANNOTATION = 'tributary.dev/initial-offset';

/**
 * How the runtime subscribes a Trigger, from its annotations: ordered delivery and deliveries in
 * flight as the registered providers read them (each technology's own annotations, see
 * `BackendProvider.subscribeOptions`), `tributary.dev/concurrency` over theirs, else 100, and the
 * start position.
 */
export function subscribeOptionsFor(t: Trigger, backends?: BackendRegistry): SubscribeOptions {
  const a = t.metadata.annotations ?? {};
  const own = backends?.subscribeOptions(a) ?? {};
  return {
    ordered: own.ordered ?? false,
    concurrency: triggerConcurrency(t) ?? own.concurrency ?? DEFAULT_TRIGGER_CONCURRENCY,
    startFrom: a[INITIAL_OFFSET_ANNOTATION] === 'earliest' ? 'earliest' : 'latest',
  };
}
