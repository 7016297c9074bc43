import {
  type Backend,
  type BackendProvider,
  type ChannelKindDefinition,
  type ProviderContext,
  ProviderUnknownError,
  type SubscribeOptions,
  configMapData,
} from '@tributary/core';

/** A channel kind and the provider (and broker class) that carries it. */
export interface RegisteredChannelKind {
  readonly definition: ChannelKindDefinition;
  /** The broker class whose backend carries the channel's topic. */
  readonly brokerClass: string;
}

/**
 * Which backend serves which broker class and which channel kind. Technology packages hand their
 * provider to the program, which registers it; the runtime asks by the Broker's
 * `eventing.knative.dev/broker.class` annotation (or a channel's kind) and fails loudly on classes
 * nobody registered. What a technology knows (its annotations, channel kinds, config) stays in its
 * provider (docs/architecture.md, "Where backend knowledge lives").
 */
export class BackendRegistry {
  readonly #byClass = new Map<string, BackendProvider<unknown>>();
  readonly #channelKinds = new Map<string, RegisteredChannelKind>();

  register<C>(provider: BackendProvider<C>): this {
    const p = provider as BackendProvider<unknown>;
    for (const cls of provider.brokerClasses) this.#byClass.set(cls, p);
    const brokerClass = provider.brokerClasses[0];
    if (brokerClass !== undefined)
      for (const definition of provider.channelKinds ?? [])
        this.#channelKinds.set(definition.kind, { definition, brokerClass });
    return this;
  }

  /** The provider serving a broker class; throws naming the registered classes otherwise. */
  providerFor(brokerClass: string): BackendProvider<unknown> {
    const p = this.#byClass.get(brokerClass);
    if (!p) throw new ProviderUnknownError('broker class', brokerClass, [...this.#byClass.keys()]);
    return p;
  }

  has(brokerClass: string): boolean {
    return this.#byClass.has(brokerClass);
  }

  /** The registered channel kind `kind`, if a provider carries it. */
  channelKind(kind: string): RegisteredChannelKind | undefined {
    const k = this.#channelKinds.get(kind);
    // A later provider for the same class (a data directory's) carries the kind in its place.
    return k && this.has(k.brokerClass) ? k : undefined;
  }

  /** Every channel kind some registered provider carries. */
  channelKinds(): string[] {
    return [...this.#channelKinds.keys()];
  }

  /**
   * Ordered delivery and deliveries in flight as the registered providers read `annotations`:
   * ordered when any provider says so; the concurrency of the first provider that sets one.
   */
  subscribeOptions(
    annotations: Readonly<Record<string, string>>,
  ): Partial<Pick<SubscribeOptions, 'ordered' | 'concurrency'>> {
    let ordered: boolean | undefined;
    let concurrency: number | undefined;
    for (const p of new Set(this.#byClass.values())) {
      const o = p.subscribeOptions?.(annotations);
      if (o?.ordered !== undefined) ordered = ordered === true || o.ordered;
      concurrency ??= o?.concurrency;
    }
    return {
      ...(ordered !== undefined ? { ordered } : {}),
      ...(concurrency !== undefined ? { concurrency } : {}),
    };
  }

  /**
   * Builds the backend of a broker: its provider reads the config from the broker's
   * `spec.config` (`ctx.configRef`; by default the ConfigMap it names), then validates it.
   */
  createFor(brokerClass: string, ctx: ProviderContext): Backend {
    const provider = this.providerFor(brokerClass);
    const ref = ctx.configRef;
    const config = provider.readConfig
      ? provider.readConfig(ctx)
      : ref?.kind === 'ConfigMap' && ctx.topology
        ? (configMapData(ctx.topology, ref.namespace ?? ctx.namespace ?? 'default', ref.name) ?? {})
        : {};
    return this.create(brokerClass, config, ctx);
  }

  /** Builds a backend, validating `config` with the provider's schema. */
  create(brokerClass: string, config: unknown, ctx: ProviderContext): Backend {
    const provider = this.providerFor(brokerClass);
    const result = provider.configSchema.safeParse(config ?? {});
    if (!result.success) {
      const problems = result.error.issues.map(
        (i) => `${i.path.join('.') || '(config)'}: ${i.message}`,
      );
      throw new Error(`invalid ${brokerClass} broker config: ${problems.join('; ')}`);
    }
    return provider.create(result.data, ctx);
  }
}
