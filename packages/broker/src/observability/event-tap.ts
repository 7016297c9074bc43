import type { CloudEvent } from '@tributary/core';
import type { AttemptReport, DispatchOutcome } from '../dispatcher/dispatcher-types.js';

/**
 * A live view of the events a runtime handles, for watchers such as the console's live tail
 * (docs/console.md). The runtime checks {@link EventTap.active} before building a record, so a
 * tap nobody listens to costs one property read per event. Listeners run synchronously on the
 * delivery path: they must only queue the record (bounded) and return.
 */

/** A broker's or a channel's ingress accepted an event (202). */
export interface TapAccepted {
  readonly kind: 'accepted';
  readonly time: number;
  /** The broker; for a channel, the channel (so watchers that read only `broker` show where). */
  readonly broker: { readonly namespace: string; readonly name: string };
  /** Set when a channel (also a Sequence's or Parallel's) accepted the event. */
  readonly channel?: { readonly namespace: string; readonly name: string } | undefined;
  readonly via: 'http' | 'in-process';
  readonly event: CloudEvent;
}

/** One delivery attempt of a trigger (to its subscriber, of a reply, or to its dead-letter sink). */
export interface TapAttempt {
  readonly kind: 'attempt';
  readonly time: number;
  readonly trigger: TapTrigger;
  readonly eventId: string;
  readonly leg: AttemptReport['leg'];
  readonly target: string;
  readonly attempt: number;
  readonly status?: number | undefined;
  readonly ok: boolean;
  readonly willRetry: boolean;
  readonly durationMs: number;
  readonly event: CloudEvent;
}

/** The final outcome of one event at a trigger. */
export interface TapOutcome {
  readonly kind: 'outcome';
  readonly time: number;
  readonly trigger: TapTrigger;
  readonly eventId: string;
  readonly eventType: string;
  readonly outcome: DispatchOutcome['kind'];
  readonly attempts: number;
  readonly status?: number | undefined;
}

/** Who delivered: a Trigger of a broker, or a Subscription of a channel (`kind: 'Subscription'`). */
export interface TapTrigger {
  readonly namespace: string;
  /** The broker; for a channel subscription, the channel. */
  readonly broker: string;
  readonly name: string;
  /** `Subscription` for a channel subscription (a Sequence step, a Parallel branch, …). @default Trigger */
  readonly kind?: 'Trigger' | 'Subscription' | undefined;
  /** The channel a Subscription delivers from. */
  readonly channel?: string | undefined;
}

export type TapRecord = TapAccepted | TapAttempt | TapOutcome;

/** Listens to a runtime's events; returns the function that stops listening. */
export interface EventTapSource {
  listen(listener: (record: TapRecord) => void): () => void;
}

/** The runtime's side of the tap. */
export class EventTap implements EventTapSource {
  readonly #listeners = new Set<(record: TapRecord) => void>();
  /** True while at least one listener is attached (checked before any record is built). */
  active = false;

  listen(listener: (record: TapRecord) => void): () => void {
    this.#listeners.add(listener);
    this.active = true;
    return () => {
      this.#listeners.delete(listener);
      this.active = this.#listeners.size > 0;
    };
  }

  /** Hands a record to every listener; a listener that throws is dropped from this record only. */
  emit(record: TapRecord): void {
    for (const l of this.#listeners) {
      try {
        l(record);
      } catch {
        // A watcher must never break a delivery.
      }
    }
  }
}
