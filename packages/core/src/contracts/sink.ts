import type { CloudEvent } from '../cloudevents/cloud-event.js';

/**
 * Where a source sends what it produced: resolves when the destination accepted the event
 * (after the sink's own retries), rejects when it did not. A source acknowledges what it read only
 * after its sink resolved.
 */
export type Sink = (event: CloudEvent) => Promise<void>;
