import type { CloudEvent, DeadLetterAttempt, EventHandler, Filter, Logger } from '@tributary/core';
import type { DeliveryFailure } from './dead-letter.js';
import type { DeliveryTarget } from './delivery-target.js';
import type { DeliveryGate } from './flow-gate.js';
import type { DeliveryPolicy } from './retry.js';

/**
 * The public shapes of a dispatcher: its options, its outcome report (the metrics hook) and the
 * errors its handler rejects with.
 */

/** What happened to one event; the metrics hook. */
export interface DispatchOutcome {
  /**
   * - `delivered`: the subscriber accepted it (and its reply, if any, was accepted by the reply target);
   * - `filtered`: the filter said `fail`; acknowledged without delivery;
   * - `dead-lettered`: delivery failed and the dead-letter sink accepted the event;
   * - `dropped`: delivery failed and there is no dead-letter sink nor store (acknowledged, as Knative does);
   * - `stored`: delivery failed, there is no dead-letter sink, and the dead-letter store took it;
   * - `failed-held`: delivery AND dead-lettering failed; the handler rejects so the backend keeps it;
   * - `aborted`: the dispatcher was closed mid-delivery; the handler rejects so the backend keeps it.
   */
  readonly kind:
    'delivered' | 'filtered' | 'dead-lettered' | 'dropped' | 'stored' | 'failed-held' | 'aborted';
  /** The Trigger's / Subscription's name and namespace. */
  readonly name: string;
  readonly namespace: string;
  readonly eventId: string;
  readonly eventType: string;
  /** Attempts made on the subscriber (0 when filtered). */
  readonly attempts: number;
  /** Final HTTP status of the leg that decided the outcome (absent for transport errors / filtered). */
  readonly status?: number | undefined;
  /** Whether a reply event was produced and forwarded. */
  readonly replied?: boolean | undefined;
  /** The address that failed (subscriber or reply URL) for dead-lettered / dropped / failed-held. */
  readonly failedDestination?: string | undefined;
  /** Wall time from handler entry to outcome, in milliseconds. */
  readonly durationMs: number;
  /** The backend's delivery count of this event. */
  readonly deliveryCount: number;
}

/** One delivery attempt (the per-attempt metrics and tracing hook). */
export interface AttemptReport {
  /** Which send: to the subscriber, of a reply, or to the dead-letter sink. */
  readonly leg: 'subscriber' | 'reply' | 'dead-letter';
  /** The event as sent (including the `traceparent` of the attempt when tracing is on). */
  readonly event: CloudEvent;
  /**
   * The event as the backend delivered it, when `event` differs from it only by the attribute a
   * Trigger leaves out (`knativebrokerttl`): same id, type and arrival time. Readers that need
   * only those read this one, and `event` (then made on first read) is never built.
   */
  readonly received?: CloudEvent | undefined;
  /** The target's address. */
  readonly target: string;
  /** 1 for the first attempt of this leg, then 2, 3, … */
  readonly attempt: number;
  /** HTTP status answered; absent for a transport error or timeout. */
  readonly status?: number | undefined;
  /** Whether the attempt counted as a success. */
  readonly ok: boolean;
  /** Whether another attempt follows (a failed, retryable attempt with retries left). */
  readonly willRetry: boolean;
  /** `Date.now()` when the attempt started. */
  readonly startedAt: number;
  /** How long the attempt took, in milliseconds. */
  readonly durationMs: number;
}

/** Options of `createSubscriptionDispatcher`. */
export interface SubscriptionDispatcherOptions {
  readonly name: string;
  readonly namespace: string;
  /** Log field that carries `name`. @default 'subscription' */
  readonly kind?: 'trigger' | 'subscription';
  /** Events for which it returns `fail` are acknowledged without delivery. @default pass everything */
  readonly filter?: Filter;
  readonly subscriber: DeliveryTarget;
  /** Where reply events go (a Trigger: its Broker's ingress). Without it replies are discarded. */
  readonly reply?: DeliveryTarget | undefined;
  readonly deadLetter?: DeliveryTarget | undefined;
  readonly policy: DeliveryPolicy;
  /** Per-attempt timeout when `policy.timeoutMs` is unset. @default DEFAULT_ATTEMPT_TIMEOUT_MS (30 s) */
  readonly defaultTimeoutMs?: number;
  readonly logger?: Logger;
  /** Called once per event with its outcome; exceptions thrown by it are logged and ignored. */
  readonly onOutcome?: ((o: DispatchOutcome) => void) | undefined;
  /** Called after every delivery attempt; exceptions thrown by it are logged and ignored. */
  readonly onAttempt?: ((a: AttemptReport) => void) | undefined;
  /**
   * Remove `knativebrokerttl` before the subscriber sees the event and re-attach the ORIGINAL value
   * (not decremented) to a reply (the MT broker's filter behaviour). A subscriber that is itself an
   * ingress (`DeliveryTarget.keepsTtl`) gets the event with its TTL, so loops run down. @default false
   */
  readonly stripTtl?: boolean;
  /**
   * Treat a 2xx with a non-empty body that is not a CloudEvent as a failure (retried like a 502),
   * as Knative's MT broker-filter and Kafka broker do. Tributary's default is docs/decisions.md D5:
   * success without reply. @default false
   */
  readonly nonCeBodyIsFailure?: boolean;
  /**
   * Where an exhausted delivery goes when there is no `deadLetter` target: the broker's dead-letter
   * store (docs/failed-deliveries.md). Resolving acknowledges the event; rejecting keeps it with the
   * backend like a failed dead-letter sink does (`failed-held`). Without it the event is dropped.
   */
  readonly onExhausted?: ((x: DeliveryExhaustion) => Promise<void>) | undefined;
  /**
   * When the dead-letter sink also fails, wait `min(maxMs, initialMs·2^(deliveryCount-1))` before
   * rejecting, so a backend that redelivers at once does not spin (docs/decisions.md D7).
   * Closing the dispatcher cuts the wait short. @default { initialMs: 1000, maxMs: 60000 }
   */
  readonly heldRedelivery?: { readonly initialMs: number; readonly maxMs: number };
  /** Flow control asked before every subscriber attempt (pause, circuit, in-flight, rate). */
  readonly gate?: DeliveryGate | undefined;
}

/** Options of `createTriggerDispatcher`: a subscription that strips the broker TTL. */
export type TriggerDispatcherOptions = Omit<
  SubscriptionDispatcherOptions,
  'kind' | 'stripTtl' | 'filter'
> & {
  readonly filter: Filter;
};

/** A delivery whose retries are used up (or that got a non-retryable answer), with no dead-letter sink. */
export interface DeliveryExhaustion {
  /** The event as the backend held it. */
  readonly event: CloudEvent;
  /** The destination that failed, its final status and body. */
  readonly failure: DeliveryFailure;
  /** Every attempt made on the destination that failed, oldest first. */
  readonly attempts: readonly DeadLetterAttempt[];
}

/** What one redrive of a stored event ended in (see {@link EventDispatcher.redrive}). */
export type RedriveResult =
  | { readonly kind: 'delivered' }
  | { readonly kind: 'dead-lettered' }
  | { readonly kind: 'exhausted'; readonly exhaustion: DeliveryExhaustion };

/** A running dispatcher. */
export interface EventDispatcher {
  /** The backend subscription handler: resolves = acknowledge, rejects = keep and redeliver later. */
  readonly handle: EventHandler;
  /**
   * Delivers a stored event again with the same delivery spec (retries in process, no filter):
   * `delivered`, `dead-lettered` (the dead-letter sink took it) or `exhausted` (the caller stores it
   * again; `onExhausted` is not called). Rejects when the dead-letter sink failed too or the
   * dispatcher closed.
   */
  redrive(event: CloudEvent): Promise<RedriveResult>;
  /** Aborts in-flight attempts and backoff waits; their handlers (and later calls) reject. */
  close(): void;
}

export { DispatcherClosedError, DeadLetterFailedError } from '../errors.js';
