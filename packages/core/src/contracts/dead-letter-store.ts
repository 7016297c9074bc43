import type { CloudEvent } from '../cloudevents/cloud-event.js';

/**
 * The dead-letter store of a broker (docs/failed-deliveries.md, "Dead-letter store"): where an event
 * goes when its delivery is exhausted on a Trigger or Subscription that has no `deadLetterSink`.
 * One store per broker; every backend may offer one (`Backend.deadLetterStore`), the memory store
 * stands in otherwise. Shared conformance suite: `describeDeadLetterStoreConformance` (testkit).
 */

/** The Trigger or Subscription whose delivery was exhausted. */
export interface DeadLetterOwner {
  readonly kind: 'Trigger' | 'Subscription';
  readonly namespace: string;
  readonly name: string;
}

/** One delivery attempt to the destination that failed. */
export interface DeadLetterAttempt {
  /** RFC 3339 time the attempt started. */
  readonly time: string;
  /** HTTP status answered; `null` when there was no HTTP answer (network error, timeout). */
  readonly status: number | null;
  /** Transport error message, when there was no HTTP answer. */
  readonly error?: string | undefined;
}

/** Longest `lastResponseBody` kept, in bytes. */
export const DEAD_LETTER_BODY_MAX_BYTES = 1024;

/** One entry of the store. */
export interface DeadLetterEntry {
  /** Unique across every store of a runtime (a random UUID); stable while the entry lives. */
  readonly id: string;
  readonly broker: { readonly namespace: string; readonly name: string };
  readonly owner: DeadLetterOwner;
  /** The event as the backend held it (without the `knativeerror*` extensions). */
  readonly event: CloudEvent;
  /** Every attempt, oldest first; a redrive that fails again appends its attempts. */
  readonly attempts: readonly DeadLetterAttempt[];
  /** The first {@link DEAD_LETTER_BODY_MAX_BYTES} bytes of the last response body, as UTF-8 text. */
  readonly lastResponseBody?: string | undefined;
  /** What a dead-letter sink would have received as extensions. */
  readonly errorExtensions: {
    readonly knativeerrordest: string;
    readonly knativeerrorcode: string;
    readonly knativeerrordata: string;
  };
  /** RFC 3339 time the entry was (last) stored. */
  readonly deadLetteredAt: string;
}

/** Filters and page of {@link DeadLetterStore.list}. */
export interface DeadLetterQuery {
  /** Only entries of this owner name (a Trigger's or Subscription's name). */
  readonly owner?: string | undefined;
  /** Only entries whose owner is in this namespace. */
  readonly namespace?: string | undefined;
  /** Page size (1–1000). */
  readonly limit: number;
  /** The `next` of the previous page; absent for the first. */
  readonly cursor?: string | undefined;
}

/** One page, oldest entries first. `next` is present when more entries may follow. */
export interface DeadLetterPage {
  readonly items: readonly DeadLetterEntry[];
  readonly next?: string | undefined;
}

/**
 * A broker's dead-letter entries. Every method rejects when the store cannot do it now (the caller
 * then keeps the event with the backend or answers 503); none loses an entry it acknowledged.
 */
export interface DeadLetterStore {
  /** Which implementation: 'memory', 'redis', … */
  readonly kind: string;
  /** Stores the entry, replacing one with the same id; resolves once it is held durably. */
  put(entry: DeadLetterEntry): Promise<void>;
  /** Entries in the order they were stored (a replaced entry moves to the end). */
  list(query: DeadLetterQuery): Promise<DeadLetterPage>;
  get(id: string): Promise<DeadLetterEntry | undefined>;
  /** Removes the entry; resolves true when it existed. */
  remove(id: string): Promise<boolean>;
  /** Number of entries held. */
  size(): Promise<number>;
  /** Releases connections (entries stay on durable stores). */
  close?(): Promise<void>;
}
