/**
 * The one subscribe path (docs/architecture.md, "Data path"): every delivery subscription (a
 * Trigger, a channel Subscription or flow step, a plugin's broker subscription such as RequestReply's)
 * starts and stops here: filter compiled, dispatcher built with the metrics/tracing/tap hooks of its
 * identity, the backend subscription opened, the routing entry kept, the dispatcher registered for
 * redrive; and on stop drained, closed, and (when removed) its stored state deleted.
 */
import type { Backend, Filter, Logger, SubscribeOptions, Subscription } from '@tributary/core';
import {
  type RoutableFilter,
  type RoutingEntry,
  type TriggerFilterOptions,
  type TriggerFilterSpec,
  compileRoutableFilter,
} from '@tributary/filter';
import type { DeliveryTarget } from '../dispatcher/delivery-target.js';
import { createSubscriptionDispatcher } from '../dispatcher/dispatcher.js';
import type {
  DeliveryExhaustion,
  DispatchOutcome,
  EventDispatcher,
  SubscriptionDispatcherOptions,
} from '../dispatcher/dispatcher-types.js';
import type { DeliveryGate } from '../dispatcher/flow-gate.js';
import type { DeliveryPolicy } from '../dispatcher/retry.js';
import {
  type DeliveryIdentity,
  type DeliveryObservers,
  deliveryHooks,
} from './delivery-observer.js';

export type { DeliveryIdentity, DeliveryObservers } from './delivery-observer.js';

/** What a delivery subscription is. */
export interface DeliverySubscriptionSpec {
  /** Name and namespace in logs and outcomes; with `identity`, its metrics and tap records. */
  readonly name: string;
  readonly namespace: string;
  /** Reported under this identity; without one (a plugin's own subscription) nothing is reported. */
  readonly identity?: DeliveryIdentity | undefined;
  readonly backend: Backend;
  readonly topic: string;
  /** The backend subscription (consumer group / queue); also the routing entry's key. */
  readonly subscription: string;
  readonly options: SubscribeOptions;
  /** A Trigger-style filter, compiled here (and entered in the broker's routing index). */
  readonly filter?: { spec: TriggerFilterSpec; options?: TriggerFilterOptions | undefined };
  /** An already compiled filter (a Parallel branch's in-process `filters`); not routed. */
  readonly compiledFilter?: Filter | undefined;
  readonly subscriber: DeliveryTarget;
  readonly reply?: DeliveryTarget | undefined;
  readonly deadLetter?: DeliveryTarget | undefined;
  readonly policy: DeliveryPolicy;
  readonly onExhausted?: ((x: DeliveryExhaustion) => Promise<void>) | undefined;
  readonly gate?: DeliveryGate | undefined;
  readonly logger: Logger;
  /** `trigger` for broker subscriptions (log field, Knative's filter rules). @default 'subscription' */
  readonly dispatcherKind?: 'trigger' | 'subscription';
  /** Another outcome hook (a plugin's `onOutcome`), after the observers. */
  readonly onOutcome?: ((o: DispatchOutcome) => void) | undefined;
  /** Registers the dispatcher for redrive; returns the unregistration. */
  readonly registerRedrive?: ((dispatcher: EventDispatcher) => () => void) | undefined;
  /** Closed after the dispatcher (the subscription's own connection pool). */
  readonly agent?: { destroy(): Promise<void> } | undefined;
  /** Delete the backend subscription's stored state on every close (one process's own). */
  readonly ephemeral?: boolean;
}

/** A running delivery subscription. */
export interface RunningDelivery {
  readonly spec: DeliverySubscriptionSpec;
  readonly dispatcher: EventDispatcher;
  /** The options its dispatcher was built with (a replay delivers with the same). */
  readonly dispatcherOptions: SubscriptionDispatcherOptions;
  readonly subscription: Subscription;
  /** Its routing-index entry (when it has a `filter`). */
  readonly route: RoutingEntry | undefined;
  /**
   * Drains (deliveries in flight finish within `drainMs`, the backend keeps the rest), closes the
   * dispatcher and its pool, and with `remove` (or `ephemeral`) deletes the stored state where the
   * backend can.
   */
  close(options: { drainMs: number; remove?: boolean }): Promise<void>;
}

/** Why a subscription did not start. */
export interface DeliveryStartFailure {
  readonly reason: 'InvalidFilter' | 'SubscribeFailed';
  readonly error: string;
}

/** Starts and stops delivery subscriptions, reporting to one runtime's observers. */
export class SubscribePath {
  /** Without observers (a path outside a runtime) nothing is reported but `onOutcome`. */
  constructor(private readonly observers?: DeliveryObservers) {}

  async start(spec: DeliverySubscriptionSpec): Promise<RunningDelivery | DeliveryStartFailure> {
    let filter = spec.compiledFilter;
    // One compilation for the dispatcher and the routing index (the route carries it).
    let planned: RoutableFilter | undefined;
    if (spec.filter) {
      try {
        filter = planned = compileRoutableFilter(spec.filter.spec, spec.filter.options);
      } catch (err) {
        return { reason: 'InvalidFilter', error: (err as Error).message };
      }
    }
    const hooks =
      spec.identity && this.observers ? deliveryHooks(this.observers, spec.identity) : undefined;
    const extra = spec.onOutcome;
    const dispatcherOptions: SubscriptionDispatcherOptions = {
      name: spec.name,
      namespace: spec.namespace,
      kind: spec.dispatcherKind ?? 'subscription',
      ...(filter ? { filter } : {}),
      subscriber: spec.subscriber,
      reply: spec.reply,
      deadLetter: spec.deadLetter,
      onExhausted: spec.onExhausted,
      policy: spec.policy,
      logger: spec.logger,
      gate: spec.gate,
      // The TTL travels hidden through triggers and channels alike: subscribers never see it,
      // replies and ingress hops carry it on, so a loop back into a Broker runs down.
      stripTtl: true,
      onAttempt: hooks?.onAttempt,
      onOutcome:
        hooks && extra
          ? (o) => {
              hooks.onOutcome(o);
              extra(o);
            }
          : (hooks?.onOutcome ?? extra),
    };
    const dispatcher = createSubscriptionDispatcher(dispatcherOptions);
    let subscription: Subscription;
    try {
      subscription = await spec.backend.subscribe(
        spec.topic,
        spec.subscription,
        dispatcher.handle,
        spec.options,
      );
    } catch (err) {
      dispatcher.close();
      return { reason: 'SubscribeFailed', error: (err as Error).message };
    }
    const unregister = spec.registerRedrive?.(dispatcher);
    const route: RoutingEntry | undefined =
      spec.filter && planned
        ? {
            key: spec.subscription,
            spec: spec.filter.spec,
            ...(spec.filter.options ? { options: spec.filter.options } : {}),
            compiled: planned,
          }
        : undefined;
    return new StartedDelivery(
      spec,
      dispatcher,
      dispatcherOptions,
      subscription,
      route,
      unregister,
    );
  }
}

/**
 * A running delivery subscription. A class rather than an object literal with a `close` closure:
 * the closure's context was one more object per subscription (10,000 Triggers: ~1.2 MiB of
 * retained heap less, bench/footprint.mjs).
 */
class StartedDelivery implements RunningDelivery {
  #closed: Promise<void> | undefined;

  constructor(
    readonly spec: DeliverySubscriptionSpec,
    readonly dispatcher: EventDispatcher,
    readonly dispatcherOptions: SubscriptionDispatcherOptions,
    readonly subscription: Subscription,
    readonly route: RoutingEntry | undefined,
    private readonly unregister: (() => void) | undefined,
  ) {}

  close(o: { drainMs: number; remove?: boolean }): Promise<void> {
    return (this.#closed ??= this.#close(o));
  }

  async #close(o: { drainMs: number; remove?: boolean }): Promise<void> {
    const { spec } = this;
    await this.subscription.close({ drainMs: o.drainMs });
    this.dispatcher.close();
    this.unregister?.();
    await spec.agent?.destroy();
    if (o.remove || spec.ephemeral)
      await spec.backend
        .deleteSubscription?.(spec.topic, spec.subscription, { drainMs: 0 })
        .catch((err: unknown) =>
          spec.logger.warn(
            { subscription: spec.subscription, err: (err as Error).message },
            'could not delete the subscription',
          ),
        );
  }
}

/** True when `start` did not start the subscription. */
export function isStartFailure(
  r: RunningDelivery | DeliveryStartFailure,
): r is DeliveryStartFailure {
  return 'reason' in r;
}
