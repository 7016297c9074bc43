import { randomUUID } from 'node:crypto';
import {
  DEAD_LETTER_BODY_MAX_BYTES,
  type DeadLetterEntry,
  type DeadLetterOwner,
  type DeadLetterStore,
  KnativeExtensions,
  type Logger,
} from '@tributary/core';
import { errorData } from '../dispatcher/dead-letter.js';
import type { DeliveryExhaustion, EventDispatcher } from '../dispatcher/dispatcher-types.js';
import { createMemoryDeadLetterStore } from './memory-dead-letter-store.js';
import type { DeadLetterMetrics } from './dead-letter-metrics.js';

/**
 * The dead-letter stores of a runtime, one per broker, and the operations the admin API and
 * `tributary dlq` offer on them: list, get, redrive, purge (docs/failed-deliveries.md).
 */

/** Broker identity. */
export interface BrokerRef {
  readonly namespace: string;
  readonly name: string;
}

/** Outcome of redriving one entry (the admin API's `results[]`). */
export interface RedriveOutcome {
  readonly id: string;
  readonly outcome: 'delivered' | 'dead-lettered-again' | 'not-found' | 'failed';
  readonly error?: string;
}

/** Which entries a bulk operation takes. */
export interface EntrySelection {
  readonly broker?: BrokerRef | undefined;
  readonly owner?: string | undefined;
  readonly namespace?: string | undefined;
}

/** Dependencies of {@link DeadLetterService}. */
export interface DeadLetterServiceOptions {
  readonly logger: Logger;
  readonly metrics: DeadLetterMetrics;
  /** The running dispatcher of a Trigger/Subscription, for redrive. */
  readonly dispatcherOf: (owner: DeadLetterOwner) => EventDispatcher | undefined;
  /** Bound of the memory store that stands in for backends without one. */
  readonly memoryCapacity?: number | undefined;
  /** Redrives in flight at once for a bulk redrive. @default 8 */
  readonly redriveConcurrency?: number | undefined;
}

const keyOf = (b: BrokerRef): string => `${b.namespace}/${b.name}`;

export class DeadLetterService {
  readonly #stores = new Map<string, { ref: BrokerRef; store: DeadLetterStore }>();
  readonly #redriving = new Set<string>();

  constructor(private readonly o: DeadLetterServiceOptions) {}

  /** Takes the store of a started broker's backend, or a bounded memory store when it has none. */
  attach(
    ref: BrokerRef,
    backend: { kind: string; deadLetterStore?(b: BrokerRef): DeadLetterStore },
  ) {
    const own = backend.deadLetterStore?.({ namespace: ref.namespace, name: ref.name });
    const store =
      own ??
      createMemoryDeadLetterStore({
        capacity: this.o.memoryCapacity,
        onDrop: (dropped) => {
          this.o.metrics.dropped(ref);
          this.o.logger.warn(
            { broker: keyOf(ref), dropped: dropped.id, eventId: dropped.event.attributes['id'] },
            'dead-letter store full: oldest entry dropped',
          );
        },
      });
    if (!own && backend.kind !== 'memory')
      this.o.logger.warn(
        { broker: keyOf(ref), backend: backend.kind },
        'backend has no durable dead-letter store: using a bounded in-memory one',
      );
    this.#stores.set(keyOf(ref), { ref, store });
    this.o.metrics.track(ref, store);
  }

  /** Forgets a removed broker's store (entries stay on a durable backend). */
  async detach(ref: BrokerRef): Promise<void> {
    const held = this.#stores.get(keyOf(ref));
    this.#stores.delete(keyOf(ref));
    this.o.metrics.untrack(ref);
    await held?.store.close?.();
  }

  async close(): Promise<void> {
    const all = [...this.#stores.values()];
    this.#stores.clear();
    await Promise.all(all.map((s) => s.store.close?.()));
  }

  /** The dispatcher hook of a Trigger/Subscription on `broker`: stores the exhausted event. */
  exhaustionHandler(
    broker: BrokerRef,
    owner: DeadLetterOwner,
  ): ((x: DeliveryExhaustion) => Promise<void>) | undefined {
    return async (x) => {
      const held = this.#stores.get(keyOf(broker));
      if (!held) throw new Error(`broker '${keyOf(broker)}' has no dead-letter store`);
      await held.store.put(entryOf(randomUUID(), broker, owner, x, []));
      this.o.metrics.added(broker, owner);
    };
  }

  /** The store of a broker, if it runs. */
  store(ref: BrokerRef): DeadLetterStore | undefined {
    return this.#stores.get(keyOf(ref))?.store;
  }

  /** The running brokers with a store, sorted by `ns/name` (the order of a list across brokers). */
  brokers(): BrokerRef[] {
    return [...this.#stores.values()]
      .map((s) => s.ref)
      .sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
  }

  /** Finds an entry by id in every store. */
  async get(id: string): Promise<{ entry: DeadLetterEntry; store: DeadLetterStore } | undefined> {
    for (const { store } of this.#stores.values()) {
      const entry = await store.get(id);
      if (entry) return { entry, store };
    }
    return undefined;
  }

  /** Every id matching the selection, oldest first per broker (a snapshot for bulk operations). */
  async select(sel: EntrySelection): Promise<string[]> {
    const ids: string[] = [];
    for (const ref of sel.broker ? [sel.broker] : this.brokers()) {
      const store = this.store(ref);
      if (!store) continue;
      let cursor: string | undefined;
      do {
        const page = await store.list({
          owner: sel.owner,
          namespace: sel.namespace,
          limit: 1000,
          cursor,
        });
        ids.push(...page.items.map((e) => e.id));
        cursor = page.next;
      } while (cursor !== undefined);
    }
    return ids;
  }

  /** Redrives entries (bounded concurrency); the outcomes come back in the order of `ids`. */
  async redrive(ids: readonly string[]): Promise<RedriveOutcome[]> {
    const results: RedriveOutcome[] = new Array<RedriveOutcome>(ids.length);
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const i = next++;
        results[i] = await this.#redriveOne(ids[i]!);
      }
    };
    const n = Math.min(ids.length, this.o.redriveConcurrency ?? 8);
    await Promise.all(Array.from({ length: n }, worker));
    return results;
  }

  /** Removes entries; resolves with how many existed. */
  async purge(ids: readonly string[]): Promise<number> {
    let purged = 0;
    for (const id of ids) {
      const found = await this.get(id);
      if (found && (await found.store.remove(id))) purged++;
    }
    return purged;
  }

  /**
   * Delivers first, then removes or replaces the entry: a crash in between leaves the entry in the
   * store (a later redrive delivers it again: at least once, never lost).
   */
  async #redriveOne(id: string): Promise<RedriveOutcome> {
    if (this.#redriving.has(id))
      return { id, outcome: 'failed', error: 'a redrive of this entry is already running' };
    this.#redriving.add(id);
    let brokerRef: BrokerRef | undefined;
    try {
      const found = await this.get(id);
      if (!found) return { id, outcome: 'not-found' };
      const { entry, store } = found;
      brokerRef = entry.broker;
      const dispatcher = this.o.dispatcherOf(entry.owner);
      if (!dispatcher) {
        const o = entry.owner;
        return this.#count(brokerRef, {
          id,
          outcome: 'failed',
          error: `${o.kind} '${o.namespace}/${o.name}' is not running: apply it again, or purge the entry`,
        });
      }
      const r = await dispatcher.redrive(entry.event);
      if (r.kind === 'exhausted') {
        await store.put(entryOf(id, entry.broker, entry.owner, r.exhaustion, entry.attempts));
        return this.#count(brokerRef, { id, outcome: 'dead-lettered-again' });
      }
      await store.remove(id);
      return this.#count(brokerRef, {
        id,
        outcome: r.kind === 'delivered' ? 'delivered' : 'dead-lettered-again',
      });
    } catch (err) {
      const failed: RedriveOutcome = { id, outcome: 'failed', error: (err as Error).message };
      this.o.logger.warn({ id, err }, 'redrive failed; the entry stays in the dead-letter store');
      return brokerRef ? this.#count(brokerRef, failed) : failed;
    } finally {
      this.#redriving.delete(id);
    }
  }

  #count(ref: BrokerRef, r: RedriveOutcome): RedriveOutcome {
    this.o.metrics.redriven(ref, r.outcome);
    return r;
  }
}

/** Builds an entry from an exhaustion; `earlier` attempts (of a previous storing) come first. */
export function entryOf(
  id: string,
  broker: BrokerRef,
  owner: DeadLetterOwner,
  x: DeliveryExhaustion,
  earlier: DeadLetterEntry['attempts'],
): DeadLetterEntry {
  const body = x.failure.body;
  const head =
    body.byteLength > DEAD_LETTER_BODY_MAX_BYTES
      ? body.subarray(0, DEAD_LETTER_BODY_MAX_BYTES)
      : body;
  return {
    id,
    broker: { namespace: broker.namespace, name: broker.name },
    owner: { kind: owner.kind, namespace: owner.namespace, name: owner.name },
    event: x.event,
    attempts: [...earlier, ...x.attempts],
    ...(head.byteLength > 0 ? { lastResponseBody: Buffer.from(head).toString('utf8') } : {}),
    errorExtensions: {
      [KnativeExtensions.errorDest]: x.failure.destination,
      [KnativeExtensions.errorCode]: String(x.failure.status),
      [KnativeExtensions.errorData]: errorData(body),
    } as DeadLetterEntry['errorExtensions'],
    deadLetteredAt: new Date().toISOString(),
  };
}
