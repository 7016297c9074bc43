import {
  type Backend,
  type BackendProvider,
  type ProviderContext,
  ProviderUnknownError,
} from '@tributary/core';

/**
 * Which backend serves which broker class. Technology packages register their provider; the
 * runtime asks by the Broker's `eventing.knative.dev/broker.class` annotation and fails loudly on
 * classes nobody registered.
 */
export class BackendRegistry {
  readonly #byClass = new Map<string, BackendProvider<unknown>>();

  register<C>(provider: BackendProvider<C>): this {
    for (const cls of provider.brokerClasses)
      this.#byClass.set(cls, provider as BackendProvider<unknown>);
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
