import type { AttemptReport, DispatchOutcome } from '../dispatcher/dispatcher-types.js';
import type { EventTap, TapTrigger } from '../observability/event-tap.js';
import type { RuntimeMetrics, TriggerLabels } from '../observability/metrics.js';
import type {
  SubscriptionLabels,
  SubscriptionMetrics,
} from '../observability/subscription-metrics.js';

/** Who delivers: a broker's Trigger or a channel's Subscription (a Sequence step, …). */
export type DeliveryIdentity =
  | {
      readonly kind: 'Trigger';
      readonly namespace: string;
      readonly broker: string;
      readonly name: string;
    }
  | {
      readonly kind: 'Subscription';
      readonly namespace: string;
      readonly channel: string;
      readonly name: string;
    };

/** Where the deliveries of every subscription are reported. */
export interface DeliveryObservers {
  readonly metrics: RuntimeMetrics;
  readonly subscriptionMetrics: SubscriptionMetrics;
  readonly tap: EventTap;
  /** Called with every outcome (`RuntimeOptions.onOutcome`, a plugin's hook). */
  readonly onOutcome?: ((o: DispatchOutcome, identity: DeliveryIdentity) => void) | undefined;
}

/** The dispatcher hooks of one subscription. */
export interface DeliveryHooks {
  onAttempt(a: AttemptReport): void;
  onOutcome(o: DispatchOutcome): void;
}

/**
 * The dispatcher hooks that report a subscription's attempts and outcomes: to the trigger series
 * (metrics.ts) for a Trigger, the subscription series (subscription-metrics.ts) for a channel
 * Subscription, and to the event tap for both (docs/console.md).
 */
export function deliveryHooks(o: DeliveryObservers, id: DeliveryIdentity): DeliveryHooks {
  // Made at the first attempt, not at start: most Triggers of a large set see no event for a
  // long time (10,000 Triggers: ~1 MiB of retained heap less, bench/footprint.mjs). One label
  // object per subscription once made: the metrics cache their series by it.
  let tapTrigger: TapTrigger | undefined;
  let triggerLabels: TriggerLabels | undefined;
  let subscriptionLabels: SubscriptionLabels | undefined;
  const { tap } = o;
  return {
    onAttempt: (a) => {
      if (id.kind === 'Trigger') o.metrics.attempt((triggerLabels ??= triggerLabelsOf(id)), a);
      else o.subscriptionMetrics.attempt((subscriptionLabels ??= subscriptionLabelsOf(id)), a);
      if (tap.active)
        tap.emit({
          kind: 'attempt',
          time: Date.now(),
          trigger: (tapTrigger ??= tapTriggerOf(id)),
          eventId: a.event.attributes['id'] ?? '',
          leg: a.leg,
          target: a.target,
          attempt: a.attempt,
          status: a.status,
          ok: a.ok,
          willRetry: a.willRetry,
          durationMs: a.durationMs,
          event: a.event,
        });
    },
    onOutcome: (out) => {
      if (id.kind === 'Trigger') o.metrics.outcome((triggerLabels ??= triggerLabelsOf(id)), out);
      else o.subscriptionMetrics.outcome((subscriptionLabels ??= subscriptionLabelsOf(id)), out);
      if (tap.active)
        tap.emit({
          kind: 'outcome',
          time: Date.now(),
          trigger: (tapTrigger ??= tapTriggerOf(id)),
          eventId: out.eventId,
          eventType: out.eventType,
          outcome: out.kind,
          attempts: out.attempts,
          status: out.status,
        });
      o.onOutcome?.(out, id);
    },
  };
}

type TriggerIdentity = Extract<DeliveryIdentity, { kind: 'Trigger' }>;
type SubscriptionIdentity = Extract<DeliveryIdentity, { kind: 'Subscription' }>;

const triggerLabelsOf = (id: TriggerIdentity): TriggerLabels => ({
  namespace: id.namespace,
  broker: id.broker,
  trigger: id.name,
});

const subscriptionLabelsOf = (id: SubscriptionIdentity): SubscriptionLabels => ({
  namespace: id.namespace,
  channel: id.channel,
  subscription: id.name,
});

const tapTriggerOf = (id: DeliveryIdentity): TapTrigger =>
  id.kind === 'Trigger'
    ? { namespace: id.namespace, broker: id.broker, name: id.name }
    : {
        namespace: id.namespace,
        broker: id.channel,
        name: id.name,
        kind: 'Subscription',
        channel: id.channel,
      };
