/**
 * The running Triggers of a runtime, each a delivery subscription on the one subscribe path
 * (subscribe-path.ts): resolved, started when its broker is ready, retried with capped backoff when
 * the backend refuses the subscription, stopped (and on removal deleted) when the topology changes.
 */
import {
  type Logger,
  type Topology,
  type Trigger,
  didYouMean,
  triggerFilterData,
} from '@tributary/core';
import type { RoutingEntry, TriggerFilterOptions } from '@tributary/filter';
import type { DeliveryTarget } from '../dispatcher/delivery-target.js';
import type { EventDispatcher, TriggerDispatcherOptions } from '../dispatcher/dispatcher-types.js';
import type { TriggerFlowGate } from '../dispatcher/flow-gate.js';
import { createDeliveryAgent } from '../dispatcher/http-target.js';
import type { DeadLetterService } from '../deadletters/dead-letter-service.js';
import type { BackendRegistry } from '../runtime/backend-registry.js';
import type { BrokerSet, RunningBroker } from '../runtime/broker-set.js';
import type { DestinationResolver } from '../runtime/destination-resolver.js';
import type { FlowControl } from '../runtime/flow-control.js';
import { triggerKey, triggerSubscriptionName } from '../runtime/naming.js';
import type { StatusBoard } from '../runtime/resource-status.js';
import { subscribeOptionsFor } from '../runtime/subscribe-options.js';
import { triggerFingerprint } from '../runtime/topology-diff.js';
import { triggerIdentity } from '../runtime/trigger-identity.js';
import { LazyChildLogger } from './lazy-logger.js';
import { type RunningDelivery, type SubscribePath, isStartFailure } from './subscribe-path.js';
import { TriggerShares } from './trigger-shares.js';

/** The broker a Trigger names. */
export const triggerBroker = (t: Trigger): string => t.spec.broker ?? t.spec.brokerRef?.name ?? '';

/** A running Trigger. */
export interface RunningTrigger {
  readonly namespace: string;
  readonly name: string;
  readonly broker: RunningBroker;
  readonly fingerprint: string;
  readonly delivery: RunningDelivery;
  readonly dispatcherOptions: TriggerDispatcherOptions;
  readonly gate: TriggerFlowGate;
}

/** What the trigger set needs from its runtime. */
export interface TriggerSetHost {
  topology(): Topology;
  readonly brokers: BrokerSet;
  readonly backends: BackendRegistry;
  readonly resolver: DestinationResolver;
  readonly statuses: StatusBoard;
  readonly flow: FlowControl;
  readonly deadLetters: DeadLetterService;
  readonly path: SubscribePath;
  readonly logger: Logger;
  readonly correlationKeys: TriggerFilterOptions['correlationKeys'];
  /** The broker's ingress as a delivery target (where replies go). */
  reply(namespace: string, broker: string): DeliveryTarget;
  stopping(): boolean;
}

/** The Triggers of one runtime. */
export class TriggerSet {
  readonly #running = new Map<string, RunningTrigger>();
  readonly #starting = new Set<string>();
  readonly #retries = new Map<string, { timer: NodeJS.Timeout; attempt: number }>();
  readonly #shares: TriggerShares;

  constructor(private readonly host: TriggerSetHost) {
    this.#shares = new TriggerShares(host);
  }

  get size(): number {
    return this.#running.size;
  }
  values(): IterableIterator<RunningTrigger> {
    return this.#running.values();
  }
  keys(): string[] {
    return [...this.#running.keys()];
  }
  get(key: string): RunningTrigger | undefined {
    return this.#running.get(key);
  }
  has(key: string): boolean {
    return this.#running.has(key);
  }

  /** The dispatcher of a running Trigger (redrive). */
  dispatcherOf(namespace: string, name: string): EventDispatcher | undefined {
    return this.#running.get(`${namespace}/${name}`)?.delivery.dispatcher;
  }

  /** Routing entries of the triggers on `broker`, leaving out `except` (being removed). */
  routes(broker: RunningBroker, except?: ReadonlySet<string>): RoutingEntry[] {
    const out: RoutingEntry[] = [];
    for (const [k, t] of this.#running)
      if (t.broker === broker && !except?.has(k) && t.delivery.route) out.push(t.delivery.route);
    return out;
  }

  /** Starts the triggers the topology puts on a broker that just became ready. */
  async startOn(namespace: string, broker: string): Promise<void> {
    for (const t of this.host.topology().triggers)
      if (t.metadata.namespace === namespace && triggerBroker(t) === broker) await this.start(t);
  }

  /** Resolves, subscribes and records one Trigger; marks it not Ready (with why) on failure. */
  async start(t: Trigger): Promise<void> {
    const key = triggerKey(t.metadata.namespace, t.metadata.name);
    if (this.#running.has(key) || this.#starting.has(key) || this.host.stopping()) return;
    this.#starting.add(key);
    try {
      await this.#startNow(t, key);
    } finally {
      this.#starting.delete(key);
    }
  }

  /**
   * Stops a running Trigger: closes its subscription (deliveries in flight finish within
   * `drainMs`, the backend keeps what is left) and, when `remove`, deletes its stored events.
   */
  async stop(key: string, drainMs: number, remove: boolean): Promise<void> {
    const t = this.#running.get(key);
    if (!t) return;
    this.#running.delete(key);
    await t.delivery.close({ drainMs, remove });
    this.host.flow.stopped(key, t.gate);
  }

  /** Stops every trigger and its retry timers (runtime stop). */
  async closeAll(drainMs: number): Promise<void> {
    this.cancelRetries();
    const running = [...this.#running.entries()];
    this.#running.clear();
    await Promise.all(
      running.map(async ([k, t]) => {
        await t.delivery.close({ drainMs });
        this.host.flow.stopped(k, t.gate);
      }),
    );
  }

  cancelRetries(): void {
    for (const r of this.#retries.values()) clearTimeout(r.timer);
    this.#retries.clear();
  }

  /** Retries a Trigger whose subscription failed (backend trouble) with capped backoff. */
  #retryLater(key: string): void {
    if (this.host.stopping()) return;
    const prev = this.#retries.get(key);
    clearTimeout(prev?.timer);
    const attempt = (prev?.attempt ?? 0) + 1;
    const timer = setTimeout(
      () => {
        const [ns, name] = key.split('/') as [string, string];
        const t = this.host.topology().get('Trigger', ns, name);
        if (!t || this.host.stopping() || this.#running.has(key)) this.#retries.delete(key);
        else void this.start(t);
      },
      Math.min(60_000, 2_000 * 2 ** (attempt - 1)),
    );
    this.#retries.set(key, { timer, attempt });
  }

  async #startNow(t: Trigger, key: string): Promise<void> {
    const { host } = this;
    const topology = host.topology();
    const { namespace, name } = t.metadata;
    const notReady = (reason: string, message: string) => {
      host.statuses.set('Trigger', namespace, name, false, reason, message);
      host.logger.warn({ trigger: name, namespace, reason, message }, 'trigger not ready');
    };
    const brokerName = triggerBroker(t);
    const broker = host.brokers.get(`${namespace}/${brokerName}`);
    if (!broker) {
      const exists = topology.get('Broker', namespace, brokerName) !== undefined;
      const names = topology.brokers
        .filter((b) => b.metadata.namespace === namespace)
        .map((b) => b.metadata.name);
      return notReady(
        exists ? 'BrokerNotReady' : 'BrokerDoesNotExist',
        `broker '${namespace}/${brokerName}' ${exists ? 'is not ready' : `does not exist${didYouMean(brokerName, names)}`}`,
      );
    }
    if (!broker.connection.ready)
      return notReady(
        'BrokerNotReady',
        `broker '${namespace}/${brokerName}' is not ready: ${broker.connection.lastError ?? 'connecting to its backend'}`,
      );
    const brokerRes = topology.get('Broker', namespace, brokerName);
    const shares = this.#shares;
    const delivery = shares.policy(t.spec.delivery, brokerRes?.spec.delivery);
    const identity = triggerIdentity(t, topology);
    if ('error' in identity) return notReady('SigningSecretMissing', identity.error);
    // Each trigger has its own pool, one connection per delivery it may have in flight: no wait
    // for a connection, and no other trigger's hung subscriber can take them (docs/manifests.md).
    const options = shares.subscribeOptions(subscribeOptionsFor(t, host.backends));
    const agent = createDeliveryAgent({ connections: options.concurrency });
    const failed = (reason: string, message: string) => {
      void agent.close();
      notReady(reason, message);
    };
    const subscriber = await host.resolver.resolve(t.spec.subscriber, namespace, {
      ...identity.options,
      agent,
    });
    if ('error' in subscriber) return failed('SubscriberResolveFailed', subscriber.error);
    let deadLetter;
    if (delivery.deadLetterSink) {
      const dls = await host.resolver.resolve(delivery.deadLetterSink, namespace, {
        owner: identity.options.owner,
        agent,
      });
      if ('error' in dls) return failed('DeadLetterSinkResolveFailed', dls.error);
      deadLetter = dls.target;
    }
    const log = new LazyChildLogger(host.logger, { broker: brokerName, trigger: name, namespace });
    const gate = host.flow.gateFor(key, t, brokerName, log);
    const r = await host.path.start({
      name,
      namespace,
      identity: { kind: 'Trigger', namespace, broker: brokerName, name },
      dispatcherKind: 'trigger',
      backend: broker.backend,
      topic: broker.topic,
      subscription: triggerSubscriptionName(namespace, name),
      options,
      filter: {
        // The spec itself: the filter reads only `filter` and `filters` (no copy per Trigger).
        spec: t.spec,
        options: shares.filterOptions(triggerFilterData(t)),
      },
      subscriber: subscriber.target,
      reply: shares.reply(namespace, brokerName),
      deadLetter,
      onExhausted: host.deadLetters.exhaustionHandler(shares.brokerRef(namespace, brokerName), {
        kind: 'Trigger',
        namespace,
        name,
      }),
      policy: delivery,
      logger: log,
      gate,
      agent,
    });
    if (isStartFailure(r)) {
      gate.close();
      failed(r.reason, r.error);
      if (r.reason === 'SubscribeFailed') this.#retryLater(key);
      return;
    }
    clearTimeout(this.#retries.get(key)?.timer);
    this.#retries.delete(key);
    if (host.stopping()) {
      await r.close({ drainMs: 0 });
      gate.close();
      return;
    }
    this.#running.set(key, {
      namespace,
      name,
      broker,
      fingerprint: triggerFingerprint(topology, t),
      delivery: r,
      dispatcherOptions: r.dispatcherOptions as TriggerDispatcherOptions,
      gate,
    });
    host.flow.started(gate, `subscriber ${subscriber.target.url}`);
    // Through the parent, with the same fields: the Trigger's own logger stays unmade.
    host.logger.info(
      { broker: brokerName, trigger: name, namespace, subscriber: subscriber.target.url },
      'trigger ready',
    );
  }
}
