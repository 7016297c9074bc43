/**
 * What the Triggers of a runtime share instead of holding one copy each. None of it has state:
 * a broker's reply target (it finds the broker's ingress by name at each send), the policy
 * compiled from a Broker's `delivery` for the Triggers without one of their own, filter options,
 * subscribe options and broker refs. With 10,000 Triggers on one
 * broker that is ~10 MiB of retained heap less (reply targets ~8.5 MiB, bench/footprint.mjs).
 */
import {
  type CompiledDelivery,
  type DeliverySpec,
  type SubscribeOptions,
  compileDelivery,
} from '@tributary/core';
import type { TriggerFilterOptions } from '@tributary/filter';
import type { BrokerRef } from '../deadletters/dead-letter-service.js';
import type { DeliveryTarget } from '../dispatcher/delivery-target.js';

export class TriggerShares {
  readonly #brokers = new Map<string, { reply?: DeliveryTarget; ref: BrokerRef }>();
  readonly #policies = new WeakMap<DeliverySpec, CompiledDelivery>();
  /** The policy of a Trigger and a Broker that both set no `delivery`. */
  #defaultPolicy: CompiledDelivery | undefined;
  readonly #filterOptions = new Map<boolean, TriggerFilterOptions>();
  readonly #subscribeOptions = new Map<string, SubscribeOptions>();

  constructor(
    private readonly o: {
      /** The broker's ingress as a delivery target. */
      reply(namespace: string, broker: string): DeliveryTarget;
      readonly correlationKeys: TriggerFilterOptions['correlationKeys'];
    },
  ) {}

  #broker(namespace: string, name: string): { reply?: DeliveryTarget; ref: BrokerRef } {
    const key = `${namespace}/${name}`;
    let b = this.#brokers.get(key);
    if (!b) this.#brokers.set(key, (b = { ref: { namespace, name } }));
    return b;
  }

  /** The reply target of a broker's Triggers. */
  reply(namespace: string, broker: string): DeliveryTarget {
    const b = this.#broker(namespace, broker);
    return (b.reply ??= this.o.reply(namespace, broker));
  }

  /** `{ namespace, name }` of a broker. */
  brokerRef(namespace: string, broker: string): BrokerRef {
    return this.#broker(namespace, broker).ref;
  }

  /** A Trigger's delivery over its Broker's (compiled once per Broker for Triggers without one). */
  policy(trigger: DeliverySpec | undefined, broker: DeliverySpec | undefined): CompiledDelivery {
    if (trigger !== undefined) return compileDelivery(trigger, broker);
    if (broker === undefined) return (this.#defaultPolicy ??= compileDelivery());
    let policy = this.#policies.get(broker);
    if (!policy) this.#policies.set(broker, (policy = compileDelivery(undefined, broker)));
    return policy;
  }

  /** Filter options of a Trigger with or without `tributary.dev/filter-data`. */
  filterOptions(filterData: boolean): TriggerFilterOptions {
    let f = this.#filterOptions.get(filterData);
    if (!f)
      this.#filterOptions.set(
        filterData,
        (f = { filterData, correlationKeys: this.o.correlationKeys }),
      );
    return f;
  }

  /** One object per distinct value of subscribe options. */
  subscribeOptions(options: SubscribeOptions): SubscribeOptions {
    const key = `${options.ordered}/${options.concurrency}/${options.startFrom}`;
    let s = this.#subscribeOptions.get(key);
    if (!s) this.#subscribeOptions.set(key, (s = options));
    return s;
  }
}
