/**
 * Broker subscriptions owned by plugins: run on the one subscribe path like a Trigger (filter,
 * routing index, delivery policy, dead letter, replies into the broker) but declared in code, not in the
 * manifests. The RequestReply kind uses one per process to receive the replies to the requests
 * it holds (docs/request-reply.md).
 */
import { type Backend, type DeliverySpec, type Logger, compileDelivery } from '@tributary/core';
import type { RoutingEntry, TriggerFilterOptions, TriggerFilterSpec } from '@tributary/filter';
import type { DeliveryTarget } from '../dispatcher/delivery-target.js';
import {
  type RunningDelivery,
  type SubscribePath,
  isStartFailure,
} from '../subscriptions/subscribe-path.js';

/** What a plugin asks for. */
export interface BrokerSubscriptionSpec {
  readonly namespace: string;
  readonly broker: string;
  /** The backend subscription (consumer group / queue) name; unique per broker. */
  readonly subscription: string;
  /** Name used in logs and outcomes (e.g. `requestreply/<name>`). */
  readonly name: string;
  readonly filter: TriggerFilterSpec;
  readonly filterOptions?: TriggerFilterOptions;
  readonly subscriber: DeliveryTarget;
  /** Merged over the Broker's delivery, as a Trigger's is. */
  readonly delivery?: DeliverySpec | undefined;
  /** Where a subscription without a stored position starts. @default 'latest' */
  readonly startFrom?: 'earliest' | 'latest';
  /** Deliveries in flight. @default 100 */
  readonly concurrency?: number;
  /**
   * Delete the backend's subscription (and what it holds) when closed, where the backend can:
   * for subscriptions that belong to one process only.
   */
  readonly ephemeral?: boolean;
}

/** A running plugin subscription. */
export interface BrokerSubscription {
  close(options?: { drainMs?: number }): Promise<void>;
}

/** What the runtime gives the registry. */
export interface PluginSubscriptionHost {
  /** The running broker, or undefined when it does not exist or is not Ready. */
  broker(
    namespace: string,
    name: string,
  ): { backend: Backend; topic: string; delivery?: DeliverySpec | undefined } | undefined;
  /** The broker's ingress as a delivery target (where replies go). */
  replyTarget(namespace: string, name: string): DeliveryTarget;
  /** Rebuilds the routing index of the brokers (after adding or removing a subscription). */
  routingChanged(): void;
  readonly logger: Logger;
}

/** The plugin subscriptions of one runtime, on the one subscribe path. */
export class PluginSubscriptions {
  readonly #running = new Map<string, { topic: string; delivery: RunningDelivery }>();

  constructor(
    private readonly host: PluginSubscriptionHost,
    private readonly path: SubscribePath,
  ) {}

  /** Routing entries of the subscriptions on `topic` (for the broker's routing index). */
  routes(topic: string): RoutingEntry[] {
    return [...this.#running.values()]
      .filter((r) => r.topic === topic && r.delivery.route)
      .map((r) => r.delivery.route!);
  }

  /** Subscribes; resolves with an error (and subscribes nothing) when the broker is not running or the filter is invalid. */
  async add(spec: BrokerSubscriptionSpec): Promise<BrokerSubscription | { error: string }> {
    const b = this.host.broker(spec.namespace, spec.broker);
    if (!b)
      return { error: `broker '${spec.namespace}/${spec.broker}' does not exist or is not ready` };
    const key = `${b.topic}\u0000${spec.subscription}`;
    if (this.#running.has(key))
      return { error: `subscription '${spec.subscription}' already exists on ${b.topic}` };
    const r = await this.path.start({
      name: spec.name,
      namespace: spec.namespace,
      dispatcherKind: 'trigger',
      backend: b.backend,
      topic: b.topic,
      subscription: spec.subscription,
      options: {
        ordered: false,
        concurrency: spec.concurrency ?? 100,
        startFrom: spec.startFrom ?? 'latest',
      },
      filter: { spec: spec.filter, options: spec.filterOptions },
      subscriber: spec.subscriber,
      reply: this.host.replyTarget(spec.namespace, spec.broker),
      policy: compileDelivery(spec.delivery, b.delivery),
      logger: this.host.logger.child({ broker: spec.broker, subscription: spec.subscription }),
      ephemeral: spec.ephemeral ?? false,
    });
    if (isStartFailure(r))
      return { error: r.reason === 'SubscribeFailed' ? `subscribe failed: ${r.error}` : r.error };
    this.#running.set(key, { topic: b.topic, delivery: r });
    this.host.routingChanged();
    return { close: (o) => this.#remove(key, o?.drainMs ?? 5_000) };
  }

  /** Closes every plugin subscription (runtime stop). */
  async closeAll(drainMs: number): Promise<void> {
    await Promise.all([...this.#running.keys()].map((k) => this.#remove(k, drainMs)));
  }

  async #remove(key: string, drainMs: number): Promise<void> {
    const r = this.#running.get(key);
    if (!r) return;
    this.#running.delete(key);
    this.host.routingChanged();
    await r.delivery.close({ drainMs });
  }
}
