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
 * The dead-letter stores of a runtime, one per broker and one per channel (for its Subscriptions,
 * and so Sequence steps and Parallel branches), and the operations the admin API and
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

/** Channel identity (a channel's store holds its Subscriptions' entries). */
export type ChannelRef = BrokerRef;

/** Whose store: a broker's (Trigger entries) or a channel's (Subscription entries). */
export type StoreScope = 'broker' | 'channel';

/** One store of the service, as lists walk them. */
export interface ScopedStore {
  readonly scope: StoreScope;
  readonly ref: BrokerRef;
  /** `<ns>/<name>` for a broker, `channel <ns>/<name>` for a channel. */
  readonly key: string;
  readonly store: DeadLetterStore;
}

/**
 * Which entries a bulk operation takes: `broker` or `channel` pick one store; `scope` keeps only
 * broker or channel stores (a `trigger` filter means brokers, a `subscription` filter channels).
 */
export interface EntrySelection {
  readonly broker?: BrokerRef | undefined;
  readonly channel?: ChannelRef | undefined;
  readonly scope?: StoreScope | undefined;
  readonly owner?: string | undefined;
  readonly namespace?: string | undefined;
}

/** A backend as the service sees it: its kind, and its own dead-letter stores if it has them. */
export interface DeadLetterBackend {
  readonly kind: string;
  /** Undefined when this backend has no store (a lazy backend whose implementation has none). */
  deadLetterStore?(b: BrokerRef): DeadLetterStore | undefined;
}

/**
 * The name a channel's store has on its backend: `_channel_.<name>` in the channel's namespace.
 * `_` is not allowed in Kubernetes names, so it never meets a broker's store; every backend's
 * store naming accepts it (docs/failed-deliveries.md, "Where entries live").
 */
export const channelStoreName = (name: string): string => `_channel_.${name}`;

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

const refKey = (b: BrokerRef): string => `${b.namespace}/${b.name}`;
const keyOf = (scope: StoreScope, b: BrokerRef): string =>
  scope === 'broker' ? refKey(b) : `channel ${refKey(b)}`;
const ownerKey = (o: DeadLetterOwner): string => `${o.kind} ${o.namespace}/${o.name}`;

export class DeadLetterService {
  readonly #stores = new Map<string, ScopedStore & { memory: boolean }>();
  readonly #redriving = new Set<string>();
  /** Dispatchers registered by plugins (channel Subscriptions), for redrive. */
  readonly #dispatchers = new Map<string, EventDispatcher>();

  constructor(private readonly o: DeadLetterServiceOptions) {}

  /** Takes the store of a started broker's backend, or a bounded memory store when it has none. */
  attach(ref: BrokerRef, backend: DeadLetterBackend): void {
    this.#attach('broker', ref, backend.deadLetterStore?.({ ...refOf(ref) }), backend.kind);
  }

  /**
   * Takes the store of a channel (its Subscriptions' entries) on the channel's backend, under
   * {@link channelStoreName}, or a bounded memory store when the backend has none. A channel
   * attached again (a reload) keeps its memory store, and so its entries, when the backend still
   * has no store of its own.
   */
  attachChannel(ref: ChannelRef, backend: DeadLetterBackend): void {
    const own = backend.deadLetterStore?.({
      namespace: ref.namespace,
      name: channelStoreName(ref.name),
    });
    const held = this.#stores.get(keyOf('channel', ref));
    if (!own && held?.memory) return;
    if (held && held.store !== own) void held.store.close?.();
    this.#attach('channel', ref, own, backend.kind);
  }

  #attach(
    scope: StoreScope,
    ref: BrokerRef,
    own: DeadLetterStore | undefined,
    backendKind: string,
  ): void {
    const key = keyOf(scope, ref);
    const store =
      own ??
      createMemoryDeadLetterStore({
        capacity: this.o.memoryCapacity,
        onDrop: (dropped) => {
          this.o.metrics.dropped(ref);
          this.o.logger.warn(
            { [scope]: refKey(ref), dropped: dropped.id, eventId: dropped.event.attributes['id'] },
            'dead-letter store full: oldest entry dropped',
          );
        },
      });
    if (!own && backendKind !== 'memory')
      this.o.logger.warn(
        { [scope]: refKey(ref), backend: backendKind },
        'backend has no durable dead-letter store: using a bounded in-memory one',
      );
    this.#stores.set(key, { scope, ref: refOf(ref), key, store, memory: !own });
    this.o.metrics.track(key, ref, store);
  }

  /** Forgets a removed broker's store (entries stay on a durable backend). */
  async detach(ref: BrokerRef): Promise<void> {
    await this.#detach(keyOf('broker', ref));
  }

  /** Forgets the stores of channels not in `keep` (removed by a reload; durable entries stay). */
  async retainChannels(keep: readonly ChannelRef[]): Promise<void> {
    const kept = new Set(keep.map((c) => keyOf('channel', c)));
    for (const s of [...this.#stores.values()])
      if (s.scope === 'channel' && !kept.has(s.key)) await this.#detach(s.key);
  }

  async #detach(key: string): Promise<void> {
    const held = this.#stores.get(key);
    this.#stores.delete(key);
    this.o.metrics.untrack(key);
    await held?.store.close?.();
  }

  /**
   * Makes a plugin's dispatcher (a channel Subscription's) the one a redrive of `owner`'s entries
   * uses; the returned function unregisters it (only if it is still the registered one).
   */
  registerDispatcher(owner: DeadLetterOwner, dispatcher: EventDispatcher): () => void {
    const key = ownerKey(owner);
    this.#dispatchers.set(key, dispatcher);
    return () => {
      if (this.#dispatchers.get(key) === dispatcher) this.#dispatchers.delete(key);
    };
  }

  async close(): Promise<void> {
    const all = [...this.#stores.values()];
    this.#stores.clear();
    await Promise.all(all.map((s) => s.store.close?.()));
  }

  /** The dispatcher hook of a Trigger on `broker`: stores the exhausted event. */
  exhaustionHandler(
    broker: BrokerRef,
    owner: DeadLetterOwner,
  ): ((x: DeliveryExhaustion) => Promise<void>) | undefined {
    return this.#handler('broker', broker, owner);
  }

  /**
   * The dispatcher hook of a Subscription on `channel`: stores the exhausted event in the
   * channel's store; the entry's `broker` is the channel's `{namespace, name}`.
   */
  channelExhaustionHandler(
    channel: ChannelRef,
    owner: DeadLetterOwner,
  ): (x: DeliveryExhaustion) => Promise<void> {
    return this.#handler('channel', channel, owner);
  }

  #handler(
    scope: StoreScope,
    ref: BrokerRef,
    owner: DeadLetterOwner,
  ): (x: DeliveryExhaustion) => Promise<void> {
    return async (x) => {
      const held = this.#stores.get(keyOf(scope, ref));
      if (!held) throw new Error(`${scope} '${refKey(ref)}' has no dead-letter store`);
      await held.store.put(entryOf(randomUUID(), ref, owner, x, []));
      this.o.metrics.added(ref, owner);
    };
  }

  /** The store of a broker, if it runs. */
  store(ref: BrokerRef): DeadLetterStore | undefined {
    return this.#stores.get(keyOf('broker', ref))?.store;
  }

  /** The store of a channel, if it runs. */
  channelStore(ref: ChannelRef): DeadLetterStore | undefined {
    return this.#stores.get(keyOf('channel', ref))?.store;
  }

  /** The running brokers with a store, sorted by `ns/name` (the order of a list across brokers). */
  brokers(): BrokerRef[] {
    return this.stores({ scope: 'broker' }).map((s) => s.ref);
  }

  /**
   * The stores a selection reads, in list order: brokers sorted by `ns/name`, then channels
   * sorted by `ns/name`.
   */
  stores(sel: Pick<EntrySelection, 'broker' | 'channel' | 'scope'> = {}): ScopedStore[] {
    const pick = (scope: StoreScope, ref: BrokerRef) => {
      const s = this.#stores.get(keyOf(scope, ref));
      return s ? [s] : [];
    };
    if (sel.broker) return pick('broker', sel.broker);
    if (sel.channel) return pick('channel', sel.channel);
    const rank = (s: ScopedStore) => (s.scope === 'broker' ? 0 : 1);
    return [...this.#stores.values()]
      .filter((s) => sel.scope === undefined || s.scope === sel.scope)
      .sort((a, b) => rank(a) - rank(b) || refKey(a.ref).localeCompare(refKey(b.ref)));
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
    for (const { store } of this.stores(sel)) {
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
      const dispatcher =
        this.#dispatchers.get(ownerKey(entry.owner)) ?? this.o.dispatcherOf(entry.owner);
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

const refOf = (r: BrokerRef): BrokerRef => ({ namespace: r.namespace, name: r.name });

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
