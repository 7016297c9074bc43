import { Counter, Gauge, type Registry } from '../observability/prom-client.js';
import type { DeadLetterOwner, DeadLetterStore } from '@tributary/core';

/** The dead-letter store's Prometheus metrics (docs/metrics.md, docs/failed-deliveries.md). */
export class DeadLetterMetrics {
  readonly #stores = new Map<string, { ref: Ref; store: DeadLetterStore }>();
  readonly #added: Counter;
  readonly #dropped: Counter;
  readonly #redrives: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    const stores = this.#stores;
    new Gauge({
      name: 'tributary_deadletter_store_entries',
      help: 'Entries held in a broker’s dead-letter store, read from the store at scrape time.',
      labelNames: BROKER,
      registers,
      async collect() {
        this.reset();
        for (const { ref, store } of stores.values()) {
          const n = await store.size().catch(() => undefined);
          // A broker's and a channel's store of the same `<ns>/<name>` add up in one series.
          if (n !== undefined) this.inc(labels(ref), n);
        }
      },
    });
    this.#added = new Counter({
      name: 'tributary_deadletter_entries_added_total',
      help: 'Exhausted deliveries stored in the dead-letter store (no deadLetterSink configured).',
      labelNames: [...BROKER, 'kn_owner_kind', 'kn_owner_name'],
      registers,
    });
    this.#dropped = new Counter({
      name: 'tributary_deadletter_entries_dropped_total',
      help: 'Oldest entries dropped because a bounded (memory) dead-letter store was full.',
      labelNames: BROKER,
      registers,
    });
    this.#redrives = new Counter({
      name: 'tributary_deadletter_redrives_total',
      help: 'Redrives of dead-letter entries, by outcome (delivered, dead-lettered-again, failed).',
      labelNames: [...BROKER, 'outcome'],
      registers,
    });
  }

  /** Reads `store`'s size at scrape time; `key` names the store (a broker's or a channel's). */
  track(key: string, ref: Ref, store: DeadLetterStore): void {
    this.#stores.set(key, { ref, store });
  }

  untrack(key: string): void {
    this.#stores.delete(key);
  }

  added(ref: Ref, owner: DeadLetterOwner): void {
    this.#added.inc({ ...labels(ref), kn_owner_kind: owner.kind, kn_owner_name: owner.name });
  }

  dropped(ref: Ref): void {
    this.#dropped.inc(labels(ref));
  }

  redriven(ref: Ref, outcome: string): void {
    this.#redrives.inc({ ...labels(ref), outcome });
  }
}

type Ref = { readonly namespace: string; readonly name: string };
const BROKER = ['kn_broker_namespace', 'kn_broker_name'] as const;
const labels = (r: Ref) => ({ kn_broker_namespace: r.namespace, kn_broker_name: r.name });
