import { TributaryError } from '../errors.js';
import type { CloudEvent } from '../cloudevents/cloud-event.js';
import type { ArchivedBrokerRef, BrokerArchive } from './broker-archive.js';
import type { DeadLetterStore } from './dead-letter-store.js';

/**
 * Moves events between ingress and dispatch: transport only.
 *
 * A backend owns its connections; nothing else touches a driver. Retry policy, dead-lettering and
 * filtering are NOT here: the dispatcher gives them to every backend. A backend delivers every
 * published event at least once to every subscription that existed when it was published (or, for
 * durable backends, from the subscription's stored position).
 */
export interface Backend {
  /** Which provider built it: 'memory', 'kafka', 'rabbitmq', 'redis'. */
  readonly kind: string;
  /** Connects and prepares; resolves when `publish` can be called. */
  start(): Promise<void>;
  /**
   * Appends events to a topic. Resolves only when the backend holds them as durably as it can
   * (Kafka acks, publisher confirm, Redis reply; memory: enqueued). Rejects with
   * {@link BackendUnavailableError} when it cannot take them now (full, disconnected): the caller
   * answers 503 and keeps nothing.
   */
  publish(topic: string, events: readonly CloudEvent[]): Promise<void>;
  /**
   * Starts delivering a topic's events to `handler` for the named subscription. The handler's
   * promise resolving acknowledges the event; rejecting (or the process dying first) means the
   * event is delivered again later.
   */
  subscribe(
    topic: string,
    subscription: string,
    handler: EventHandler,
    options: SubscribeOptions,
  ): Promise<Subscription>;
  /**
   * Optional capability: route at publish time. `route(event)` names the subscriptions of the
   * topic that must receive the event; a backend with this capability may skip the others (the
   * memory backend then neither queues nor counts the event for them). Backends without it hand
   * every event to every subscription, and the dispatcher's filter decides; either way the
   * dispatcher's filter stays authoritative, so a router may only over-approximate.
   * `undefined` removes the router.
   */
  setRouter?(topic: string, route: EventRouter | undefined): void;
  /** Number of events held for a subscription and not yet acknowledged (backlog), if known. */
  backlog?(topic: string, subscription: string): number | undefined;
  /**
   * Optional capability: the dead-letter store of the broker this backend serves, kept where the
   * backend keeps events (docs/failed-deliveries.md). Called once per broker, after `start`.
   * Without it (or when it answers undefined) the runtime uses a bounded in-memory store.
   */
  deadLetterStore?(broker: { namespace: string; name: string }): DeadLetterStore | undefined;
  /**
   * Optional capability: keep the events of a broker with `tributary.dev/archive-retention` for
   * `retentionMs` where the backend keeps events (docs/failed-deliveries.md, "Archive and replay").
   * Called once per archived broker, after `start`. Without it (or when it returns undefined) the
   * runtime keeps its own archive (memory ring, or `archive.db` with `--data-dir`).
   */
  archive?(broker: ArchivedBrokerRef, retentionMs: number): BrokerArchive | undefined;
  /**
   * Optional capability: removes a subscription's stored state (its position and the events held
   * for it) after the Trigger or Subscription it served was removed. Without it the state stays.
   */
  deleteSubscription?(
    topic: string,
    subscription: string,
    options?: { drainMs?: number },
  ): Promise<void>;
  /** Stops every subscription (waiting up to `drainMs` for handlers in flight) and disconnects. */
  close(options?: { drainMs?: number }): Promise<void>;
}

/** Names the subscriptions that must receive an event (see {@link Backend.setRouter}). */
export type EventRouter = (event: CloudEvent) => readonly string[];

/** Handles one event; resolve to acknowledge, reject to have it redelivered. */
export type EventHandler = (event: CloudEvent, info: DeliveryInfo) => Promise<void>;

export interface DeliveryInfo {
  /** 1 for the first time the backend hands this event to this subscription, then 2, 3, … */
  readonly deliveryCount: number;
  /**
   * Optional capability: the backend persists delayed redeliveries. When present, a handler that
   * wants to try again after at least `minDelayMs` may reject with {@link RedeliverLaterError}; the
   * backend then stores the retry durably (it survives a restart and does not fire early),
   * acknowledges the original delivery, and hands the event back after the delay with
   * {@link DeliveryInfo.attempt} set. Backends without it (memory) leave it undefined.
   */
  readonly deferral?: { readonly minDelayMs: number };
  /** On a redelivery asked for with {@link RedeliverLaterError}: the attempt the handler resumes at. */
  readonly attempt?: number;
}

/**
 * Rejection of a handler asking a backend with {@link DeliveryInfo.deferral} to redeliver the event
 * after `delayMs`, resuming at `attempt`. Only meaningful when the backend offered the capability.
 */
export class RedeliverLaterError extends TributaryError<'TRIB_ERR_REDELIVER_LATER'> {
  constructor(
    readonly delayMs: number,
    readonly attempt: number,
  ) {
    super('TRIB_ERR_REDELIVER_LATER', `redeliver in ${delayMs} ms at attempt ${attempt}`);
  }
}

export interface SubscribeOptions {
  /**
   * When true, an event is handed over only after the previous one was acknowledged
   * (per partition or key where the backend has such a notion).
   */
  readonly ordered: boolean;
  /** Upper bound on handler calls in flight for this subscription (ignored when ordered). */
  readonly concurrency: number;
  /** Where a subscription that has no stored position starts. @default 'latest' */
  readonly startFrom?: 'earliest' | 'latest';
}

/** A running subscription. */
export interface Subscription {
  /** Stops handing out events, waits for handlers in flight (bounded), and releases the consumer. */
  close(options?: { drainMs?: number }): Promise<void>;
}

/** Raised by `publish` when the backend cannot hold events right now. */
export class BackendUnavailableError extends TributaryError<'TRIB_ERR_BACKEND_UNAVAILABLE'> {
  constructor(
    message: string,
    /** Seconds after which trying again makes sense (becomes `Retry-After`). */
    readonly retryAfterSeconds = 1,
    options?: ErrorOptions,
  ) {
    super('TRIB_ERR_BACKEND_UNAVAILABLE', message, options);
  }
}

/**
 * Raised by `publish` when one request holds more events than the backend could ever hold for a
 * subscription at once: trying again cannot help, so the caller answers 413 and keeps nothing.
 */
export class BatchTooLargeError extends TributaryError<'TRIB_ERR_BATCH_TOO_LARGE'> {
  constructor(
    message: string,
    /** The most events the backend holds per subscription. */
    readonly limit: number,
    options?: ErrorOptions,
  ) {
    super('TRIB_ERR_BATCH_TOO_LARGE', message, options);
  }
}

/**
 * Raised by `publish` before anything is stored when an event can never be held by this backend as
 * written (for example an attribute longer than the transport's field allows): the caller answers
 * 400 naming the attribute, and keeps nothing of the request.
 */
export class EventUnsupportedError extends TributaryError<'TRIB_ERR_EVENT_UNSUPPORTED'> {
  constructor(
    message: string,
    /** The attribute that cannot be held. */
    readonly attribute: string,
    options?: ErrorOptions,
  ) {
    super('TRIB_ERR_EVENT_UNSUPPORTED', message, options);
  }
}
