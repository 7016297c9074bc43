/**
 * The channels of a process: each channel is a topic on the backend of the provider that carries
 * its channel kind; events enter on the one publish path and each subscription is a delivery
 * subscription on the one subscribe path (no filter unless a Parallel branch carries in-process
 * `filters`, replies never treated as failures).
 */
import {
  type Backend,
  type CloudEvent,
  type DeliverySpec,
  type Filter,
  type Logger,
  type Topology,
  KNOWN_CHANNEL_KINDS,
  clientName,
} from '@tributary/core';
import {
  type BackendRegistry,
  type DeliveryTarget,
  type DispatchOutcome,
  type IngestResult,
  type IngressHop,
  type DeliveryPolicy,
  type DeadLetterService,
  type IngressTrace,
  PublishPath,
  type RunningDelivery,
  SubscribePath,
  isStartFailure,
  ingressTarget,
  invalidEvents,
  withIngressSpan,
} from '@tributary/broker';
import { WiringError } from './errors.js';
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
  /** The backend kind (`memory`, or the kind of the provider carrying it). */
  readonly backendKind: string;
  /** Publishes like an HTTP POST to the channel would (400/503/500/202). */
  ingest(events: CloudEvent[], trace?: IngressTrace): Promise<IngestResult>;
  /** A delivery target that publishes into this channel (replies of a Sequence step, …). */
  readonly target: DeliveryTarget;
}

export interface ChannelFabricOptions {
  readonly backends: BackendRegistry;
  /** The manifests, for channel kinds whose backend config lives in them. */
  readonly topology?: Topology | undefined;
  readonly logger: Logger;
  /** The server's base URL (known once it listens). */
  readonly baseUrl: () => string;
  readonly onOutcome?: ((o: DispatchOutcome) => void) | undefined;
  /** What the previous generation handed over on a reload (see {@link ChannelFabric.handOver}). */
  readonly inherited?: InheritedChannels | undefined;
  /**
   * The runtime's dead-letter stores: each channel gets one, where its Subscriptions without a
   * `deadLetterSink` store exhausted events (docs/failed-deliveries.md). Without it they are
   * dropped with a log line.
   */
  readonly deadLetters?: DeadLetterService | undefined;
  /** The runtime's publish path (its hook feeds `/metrics` and the event tap). @default a silent one */
  readonly publishPath?: PublishPath | undefined;
  /** The runtime's subscribe path (metrics, tap and traces per Subscription). @default a silent one */
  readonly subscribePath?: SubscribePath | undefined;
}

/**
 * Memory channel backends a stopping generation hands to the next one, with the subscriptions they
 * hold events for: the next generation subscribes under the same names and gets those events; what
 * it no longer subscribes is deleted (the Subscription or flow was removed), unused backends close.
 */
export interface InheritedChannels {
  /** By backend key (broker class and config, see `backendKey`). */
  readonly backends: ReadonlyMap<string, Backend>;
  readonly subscriptions: ReadonlyArray<{ backendKey: string; topic: string; name: string }>;
  close(options: { drainMs: number }): Promise<void>;
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

/** Channels of one broker class and one backend config share a backend. */
function backendKey(brokerClass: string, config: unknown): string {
  return `${brokerClass}\u0000${JSON.stringify(config ?? {})}`;
}

/** Owns channel backends, topics, subscriptions and dispatchers. */
export class ChannelFabric {
  readonly #channels = new Map<string, FabricChannel & { state: ChannelState }>();
  readonly #backends = new Map<string, Promise<Backend>>();
  /** This generation's subscriptions on the one subscribe path. */
  readonly #running: RunningDelivery[] = [];
  /** Every backend subscription of this generation: what a reload hands over. */
  readonly #subscribed: Array<{ backendKey: string; topic: string; name: string }> = [];
  #open!: () => void;
  readonly #opened = new Promise<void>((r) => (this.#open = r));
  readonly #path: PublishPath;
  readonly #subscribePath: SubscribePath;

  constructor(private readonly options: ChannelFabricOptions) {
    this.#path = options.publishPath ?? new PublishPath({ logger: options.logger });
    this.#subscribePath = options.subscribePath ?? new SubscribePath();
  }

  /** The backend of a broker class and config, created and started once. */
  #backend(brokerClass: string, config: unknown): Promise<Backend> {
    const key = backendKey(brokerClass, config);
    let pending = this.#backends.get(key);
    const inherited = this.options.inherited?.backends.get(key);
    if (!pending && inherited) {
      pending = Promise.resolve(inherited);
      this.#backends.set(key, pending);
    }
    if (!pending) {
      pending = (async () => {
        const backend = this.options.backends.create(brokerClass, config ?? {}, {
          logger: this.options.logger.child({ channelBackend: brokerClass }),
          clientName: clientName(`channels-${brokerClass.toLowerCase()}`),
        });
        await backend.start();
        return backend;
      })();
      this.#backends.set(key, pending);
      pending.catch(() => this.#backends.delete(key));
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
    /** The channel's (or its template's) spec, for the kind's `configFor`. */
    spec?: Readonly<Record<string, unknown>> | undefined;
    url: () => string;
  }): Promise<FabricChannel | { error: string }> {
    const { namespace, name } = spec;
    const key = `${namespace}/${name}`;
    if (this.#channels.has(key))
      return {
        error: `channel '${key}' is declared twice (a Channel, InMemoryChannel or a flow's internal channel)`,
      };
    const registered = this.options.backends.channelKind(spec.channelKind);
    if (!registered) {
      const needs = KNOWN_CHANNEL_KINDS[spec.channelKind];
      return {
        error: needs
          ? `channel kind '${spec.channelKind}' needs a backend for broker class '${needs}', and none is loaded; load the package that provides it`
          : `channel kind '${spec.channelKind}' is not known (known: ${this.options.backends.channelKinds().join(', ')})`,
      };
    }
    const { definition, brokerClass } = registered;
    let backend: Backend;
    let channelBackendKey: string;
    try {
      const config = definition.config?.(spec.spec, { topology: this.options.topology }) ?? {};
      backend = await this.#backend(brokerClass, config);
      channelBackendKey = backendKey(brokerClass, config);
    } catch (err) {
      return {
        error: `backend for channel kind '${spec.channelKind}' did not start: ${(err as Error).message}`,
      };
    }
    const topic = channelTopic(namespace, name);
    const state: ChannelState = {};
    const opened = this.#opened;
    const path = this.#path;
    const resource = { kind: 'Channel', namespace, name } as const;
    const destination = {
      resource,
      publish: (events: CloudEvent[]) => backend.publish(topic, events),
    };
    // The one publish path (broker's publish-path.ts): validation, backend errors → 413/503/500,
    // and the accepted hook (channel metrics, event tap), inside the channel's ingress span.
    const ingest = async (
      events: CloudEvent[],
      trace: IngressTrace = {},
    ): Promise<IngestResult> => {
      const invalid = invalidEvents(events);
      if (invalid) return invalid;
      await opened;
      if (state.blocked) return { status: 503, error: state.blocked, retryAfterSeconds: 5 };
      return withIngressSpan(
        `channel:${name}.${namespace}`,
        { 'kn.channel.name': name, 'kn.channel.namespace': namespace },
        events,
        trace,
        (traced) => path.publish(destination, traced, { validated: true, via: 'in-process' }),
      );
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
      brokerClass,
      backendKey: channelBackendKey,
    };
    this.#channels.set(key, channel);
    this.options.deadLetters?.attachChannel({ namespace, name }, backend);
    return channel;
  }

  /** A channel by namespace and name (user-declared or a flow's internal one). */
  get(namespace: string, name: string): FabricChannel | undefined {
    return this.#channels.get(`${namespace}/${name}`);
  }

  /** Every channel of this generation (user-declared and flows' internal ones). */
  channels(): Array<{ namespace: string; name: string }> {
    return [...this.#channels.values()].map((c) => ({ namespace: c.namespace, name: c.name }));
  }

  /** Makes a channel answer 503 with `reason` (its owner is not Ready), or accept again with undefined. */
  block(channel: FabricChannel, reason: string | undefined): void {
    const c = this.#channels.get(`${channel.namespace}/${channel.name}`);
    if (c) c.state.blocked = reason;
  }

  /**
   * Starts a subscription on the one subscribe path (broker's subscribe-path.ts): a backend
   * subscription on the channel's topic plus a dispatcher, reported under the Subscription's name.
   */
  async subscribe(s: FabricSubscription): Promise<void> {
    const c = this.#channels.get(`${s.channel.namespace}/${s.channel.name}`) as unknown as {
      topic: string;
      backend: Backend;
      backendKey: string;
    };
    const owner = { kind: 'Subscription', namespace: s.namespace, name: s.name } as const;
    const channelRef = { namespace: s.channel.namespace, name: s.channel.name };
    const deadLetters = this.options.deadLetters;
    const name = subscriptionName(s.namespace, s.name);
    const r = await this.#subscribePath.start({
      name: s.name,
      namespace: s.namespace,
      identity: {
        kind: 'Subscription',
        namespace: s.channel.namespace,
        channel: s.channel.name,
        name: s.name,
      },
      backend: c.backend,
      topic: c.topic,
      subscription: name,
      options: { ordered: false, concurrency: CHANNEL_SUBSCRIPTION_CONCURRENCY },
      compiledFilter: s.filter,
      subscriber: s.subscriber,
      reply: s.reply,
      deadLetter: s.deadLetter,
      // Without a deadLetterSink (own or the channel's), exhausted events go to the channel's
      // dead-letter store (docs/failed-deliveries.md, "Dead-letter store").
      onExhausted: deadLetters?.channelExhaustionHandler(channelRef, owner),
      policy: s.policy,
      logger: this.options.logger.child({ channel: `${s.channel.namespace}/${s.channel.name}` }),
      onOutcome: this.options.onOutcome,
      registerRedrive: deadLetters
        ? (dispatcher) => deadLetters.registerDispatcher(owner, dispatcher)
        : undefined,
    });
    if (isStartFailure(r))
      throw new WiringError(`subscription '${s.namespace}/${s.name}': ${r.error}`);
    this.#running.push(r);
    this.#subscribed.push({ backendKey: c.backendKey, topic: c.topic, name });
  }

  /** Lets ingress calls through (they wait until every subscription is wired). */
  open(): void {
    this.#open();
  }

  /** Drains subscriptions, closes dispatchers and backends. */
  async close({ drainMs }: { drainMs: number }): Promise<void> {
    await this.#detach(drainMs);
    const backends = await Promise.allSettled([...this.#backends.values()]);
    await Promise.all(
      backends.map((b) => (b.status === 'fulfilled' ? b.value.close({ drainMs }) : undefined)),
    );
  }

  /**
   * Stops like {@link close} for a reload, but keeps the memory backends open with what they hold
   * (queued events, and deliveries in flight or in backoff, which go back to their queue) and
   * returns them for the next generation. Durable backends are closed: they keep events themselves.
   */
  async handOver({ drainMs }: { drainMs: number }): Promise<InheritedChannels> {
    await this.#detach(drainMs);
    const kept = new Map<string, Backend>();
    for (const [key, pending] of this.#backends) {
      const backend = await pending.catch(() => undefined);
      if (!backend) continue;
      if (backend.kind === 'memory') kept.set(key, backend);
      else await backend.close({ drainMs });
    }
    const subscriptions = this.#subscribed.filter((s) => kept.has(s.backendKey));
    return {
      backends: kept,
      subscriptions,
      close: async ({ drainMs: ms }) => {
        await Promise.all([...kept.values()].map((b) => b.close({ drainMs: ms })));
      },
    };
  }

  /**
   * After the wiring of a generation that inherited channels: deletes the inherited subscriptions
   * it did not subscribe again, and closes inherited backends it does not use.
   */
  async releaseInherited(): Promise<void> {
    const inherited = this.options.inherited;
    if (!inherited) return;
    const now = new Set(
      this.#subscribed.map((s) => `${s.backendKey}\u0000${s.topic}\u0000${s.name}`),
    );
    for (const s of inherited.subscriptions) {
      if (now.has(`${s.backendKey}\u0000${s.topic}\u0000${s.name}`)) continue;
      const backend = inherited.backends.get(s.backendKey);
      await backend?.deleteSubscription?.(s.topic, s.name);
      this.options.logger.info(
        { topic: s.topic, subscription: s.name },
        'subscription removed by the reload: its held events were deleted with it',
      );
    }
    for (const [key, backend] of inherited.backends)
      if (!this.#backends.has(key)) await backend.close({ drainMs: 0 });
  }

  async #detach(drainMs: number): Promise<void> {
    this.#open();
    await Promise.all(this.#running.splice(0).map((r) => r.close({ drainMs })));
  }
}
