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
  const tapTrigger: TapTrigger =
    id.kind === 'Trigger'
      ? { namespace: id.namespace, broker: id.broker, name: id.name }
      : {
          namespace: id.namespace,
          broker: id.channel,
          name: id.name,
          kind: 'Subscription',
          channel: id.channel,
        };
  // One label object per subscription: the metrics cache their series by it.
  const triggerLabels: TriggerLabels | undefined =
    id.kind === 'Trigger'
      ? { namespace: id.namespace, broker: id.broker, trigger: id.name }
      : undefined;
  const subscriptionLabels: SubscriptionLabels | undefined =
    id.kind === 'Subscription'
      ? { namespace: id.namespace, channel: id.channel, subscription: id.name }
      : undefined;
  const { tap } = o;
  return {
    onAttempt: (a) => {
      if (triggerLabels) o.metrics.attempt(triggerLabels, a);
      else if (subscriptionLabels) o.subscriptionMetrics.attempt(subscriptionLabels, a);
      if (tap.active)
        tap.emit({
          kind: 'attempt',
          time: Date.now(),
          trigger: tapTrigger,
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
      if (triggerLabels) o.metrics.outcome(triggerLabels, out);
      else if (subscriptionLabels) o.subscriptionMetrics.outcome(subscriptionLabels, out);
      if (tap.active)
        tap.emit({
          kind: 'outcome',
          time: Date.now(),
          trigger: tapTrigger,
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
