/**
 * The channels of a process: each channel is a topic on the backend its channel kind maps to, and
 * each subscription is a backend subscription plus a subscription dispatcher (no filter unless a
 * Parallel branch carries in-process `filters`, replies never treated as failures, no TTL strip).
 */
import {
  type Backend,
  type CloudEvent,
  type DeliverySpec,
  type Filter,
  type Logger,
  type Subscription as BackendSubscription,
  validateCloudEvent,
  clientName,
} from '@tributary/core';
import {
  type BackendRegistry,
  type DeliveryTarget,
  type DispatchOutcome,
  type IngestResult,
  type IngressHop,
  type DeliveryPolicy,
  createSubscriptionDispatcher,
  ingressTarget,
} from '@tributary/broker';
import { channelKind, channelKinds } from './channel-kinds.js';
import { channelTopic, subscriptionName } from './naming.js';

/** Deliveries in flight per channel subscription. */
export const CHANNEL_SUBSCRIPTION_CONCURRENCY = 100;

/** A running channel. */
export interface FabricChannel extends IngressHop {
  readonly namespace: string;
  readonly name: string;
  /** The channel kind carrying it (`InMemoryChannel`, …). */
  readonly channelKind: string;
  /** Channel-level delivery (defaults for its subscriptions' retry and dead-letter sink). */
  readonly delivery: DeliverySpec | undefined;
  /** The backend kind (`memory`, `kafka`, …). */
  readonly backendKind: string;
  /** Publishes like an HTTP POST to the channel would (400/503/500/202). */
  ingest(events: CloudEvent[]): Promise<IngestResult>;
  /** A delivery target that publishes into this channel (replies of a Sequence step, …). */
  readonly target: DeliveryTarget;
}

export interface ChannelFabricOptions {
  readonly backends: BackendRegistry;
  readonly logger: Logger;
  /** The server's base URL (known once it listens). */
  readonly baseUrl: () => string;
  readonly onOutcome?: ((o: DispatchOutcome) => void) | undefined;
}

/** A subscription to wire: what `subscribe` needs. */
export interface FabricSubscription {
  readonly namespace: string;
  readonly name: string;
  readonly channel: FabricChannel;
  readonly subscriber: DeliveryTarget;
  readonly reply?: DeliveryTarget | undefined;
  readonly deadLetter?: DeliveryTarget | undefined;
  readonly policy: DeliveryPolicy;
  readonly filter?: Filter | undefined;
}

interface ChannelState {
  blocked?: string;
}

/** Owns channel backends, topics, subscriptions and dispatchers. */
export class ChannelFabric {
  readonly #channels = new Map<string, FabricChannel & { state: ChannelState }>();
  readonly #backends = new Map<string, Promise<Backend>>();
  readonly #subscriptions: BackendSubscription[] = [];
  readonly #dispatchers: Array<{ close(): void }> = [];
  #open!: () => void;
  readonly #opened = new Promise<void>((r) => (this.#open = r));

  constructor(private readonly options: ChannelFabricOptions) {}

  /** The backend of a broker class, created and started once. */
  #backend(brokerClass: string, config: unknown): Promise<Backend> {
    let pending = this.#backends.get(brokerClass);
    if (!pending) {
      pending = (async () => {
        const backend = this.options.backends.create(brokerClass, config ?? {}, {
          logger: this.options.logger.child({ channelBackend: brokerClass }),
          clientName: clientName(`channels-${brokerClass.toLowerCase()}`),
        });
        await backend.start();
        return backend;
      })();
      this.#backends.set(brokerClass, pending);
      pending.catch(() => this.#backends.delete(brokerClass));
    }
    return pending;
  }

  /**
   * Creates channel `<namespace>/<name>` of a channel kind; `url` is its public address.
   * Resolves with the channel, or an error naming what is missing.
   */
  async addChannel(spec: {
    namespace: string;
    name: string;
    channelKind: string;
    delivery?: DeliverySpec | undefined;
    url: () => string;
  }): Promise<FabricChannel | { error: string }> {
    const { namespace, name } = spec;
    const key = `${namespace}/${name}`;
    if (this.#channels.has(key))
      return {
        error: `channel '${key}' is declared twice (a Channel, InMemoryChannel or a flow's internal channel)`,
      };
    const def = channelKind(spec.channelKind);
    if (!def)
      return {
        error: `channel kind '${spec.channelKind}' is not known (known: ${channelKinds().join(', ')})`,
      };
    if (!this.options.backends.has(def.brokerClass))
      return {
        error: `channel kind '${spec.channelKind}' needs a backend for broker class '${def.brokerClass}', and none is loaded; load the package that provides it`,
      };
    let backend: Backend;
    try {
      backend = await this.#backend(def.brokerClass, def.backendConfig);
    } catch (err) {
      return {
        error: `backend for channel kind '${spec.channelKind}' did not start: ${(err as Error).message}`,
      };
    }
    const topic = channelTopic(namespace, name);
    const log = this.options.logger;
    const state: ChannelState = {};
    const opened = this.#opened;
    const ingest = async (events: CloudEvent[]): Promise<IngestResult> => {
      if (events.length === 0) return { status: 400, error: 'no event in the request' };
      for (const [i, e] of events.entries()) {
        const problems = validateCloudEvent(e.attributes);
        if (problems.length > 0)
          return {
            status: 400,
            error: `${events.length > 1 ? `event[${i}]: ` : ''}${problems.join('; ')}`,
          };
      }
      await opened;
      if (state.blocked) return { status: 503, error: state.blocked, retryAfterSeconds: 5 };
      try {
        await backend.publish(topic, events);
      } catch (err) {
        const e = err as Error & { retryAfterSeconds?: number };
        if (e?.name === 'BackendUnavailableError')
          return {
            status: 503,
            error: `channel '${key}' cannot take events now: ${e.message}`,
            retryAfterSeconds: Math.max(0, Math.ceil(e.retryAfterSeconds ?? 1)),
          };
        log.warn({ channel: key, err }, 'publishing to the channel failed');
        return {
          status: 500,
          error: `channel '${key}' failed to store the event(s): ${e?.message ?? String(err)}`,
        };
      }
      for (const e of events)
        log.debug(
          { channel: key, id: e.attributes['id'], type: e.attributes['type'] },
          'event accepted by channel',
        );
      return { status: 202 };
    };
    const hop: IngressHop = {
      get url() {
        return spec.url();
      },
      ingest,
    };
    const channel = {
      namespace,
      name,
      channelKind: spec.channelKind,
      delivery: spec.delivery,
      backendKind: backend.kind,
      get url() {
        return spec.url();
      },
      ingest,
      target: ingressTarget(hop),
      state,
      topic,
      backend,
    };
    this.#channels.set(key, channel);
    return channel;
  }

  /** A channel by namespace and name (user-declared or a flow's internal one). */
  get(namespace: string, name: string): FabricChannel | undefined {
    return this.#channels.get(`${namespace}/${name}`);
  }

  /** Makes a channel answer 503 with `reason` (its owner is not Ready), or accept again with undefined. */
  block(channel: FabricChannel, reason: string | undefined): void {
    const c = this.#channels.get(`${channel.namespace}/${channel.name}`);
    if (c) c.state.blocked = reason;
  }

  /** Starts a subscription: a backend subscription on the channel's topic plus a dispatcher. */
  async subscribe(s: FabricSubscription): Promise<void> {
    const c = this.#channels.get(`${s.channel.namespace}/${s.channel.name}`) as unknown as {
      topic: string;
      backend: Backend;
    };
    const dispatcher = createSubscriptionDispatcher({
      name: s.name,
      namespace: s.namespace,
      kind: 'subscription',
      filter: s.filter,
      subscriber: s.subscriber,
      reply: s.reply,
      deadLetter: s.deadLetter,
      policy: s.policy,
      logger: this.options.logger.child({ channel: `${s.channel.namespace}/${s.channel.name}` }),
      onOutcome: this.options.onOutcome,
      stripTtl: false,
      nonCeBodyIsFailure: false,
    });
    this.#dispatchers.push(dispatcher);
    const sub = await c.backend.subscribe(
      c.topic,
      subscriptionName(s.namespace, s.name),
      dispatcher.handle,
      {
        ordered: false,
        concurrency: CHANNEL_SUBSCRIPTION_CONCURRENCY,
      },
    );
    this.#subscriptions.push(sub);
  }

  /** Lets ingress calls through (they wait until every subscription is wired). */
  open(): void {
    this.#open();
  }

  /** Drains subscriptions, closes dispatchers and backends. */
  async close({ drainMs }: { drainMs: number }): Promise<void> {
    this.#open();
    await Promise.all(this.#subscriptions.map((s) => s.close({ drainMs })));
    for (const d of this.#dispatchers) d.close();
    const backends = await Promise.allSettled([...this.#backends.values()]);
    await Promise.all(
      backends.map((b) => (b.status === 'fulfilled' ? b.value.close({ drainMs }) : undefined)),
    );
  }
}
