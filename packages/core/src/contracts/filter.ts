import type { CloudEvent } from '../cloudevents/cloud-event.js';

/**
 * Knative's three-valued filter result: only `fail` drops an event. `none` is what an empty or
 * unmaterialisable filter yields (it passes).
 */
export type FilterResult = 'pass' | 'fail' | 'none';

/** A compiled filter: pure and synchronous, built once from a Trigger's spec. */
export interface Filter {
  match(event: CloudEvent): FilterResult;
}
