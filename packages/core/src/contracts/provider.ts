import type { z } from 'zod';
import type { Backend, SubscribeOptions } from './backend.js';
import type { Logger } from './logger.js';
import type { KReference } from '../resources/common.js';
import type { Topology } from '../manifest/topology.js';

/** Context handed to providers when they build something. */
export interface ProviderContext {
  readonly logger: Logger;
  readonly signal?: AbortSignal;
  /** The loaded manifests, for providers that resolve Secrets or their own config resources. */
  readonly topology?: Topology;
  /** Namespace of the resource the backend serves (refs without a namespace resolve in it). */
  readonly namespace?: string;
  /** The resource's `spec.config` reference as written (e.g. a RabbitMQ broker config). */
  readonly configRef?: KReference;
  /** The annotations of the resource the backend serves (a Broker's size caps, …). */
  readonly annotations?: Readonly<Record<string, string>>;
  /**
   * Base name of the backend's connections (`tributary-<pid>-broker-<ns>-<name>`, see
   * `clientName`); a backend with several connections appends a role (`-publisher`, …).
   */
  readonly clientName?: string;
}

/**
 * What a technology package exports so that a registry can build a Backend from validated config.
 * `kind` is the broker class it serves (memory serves `MTChannelBasedBroker`).
 */
export interface BackendProvider<C = unknown> {
  readonly kind: string;
  /** Broker class annotation values this provider serves. */
  readonly brokerClasses: readonly string[];
  readonly configSchema: z.ZodType<C>;
  create(config: C, ctx: ProviderContext): Backend;
  /**
   * The unvalidated config of a broker, from its `spec.config` reference (`ctx.configRef`) and the
   * manifests. @default the data of the ConfigMap `spec.config` names, else `{}`
   */
  readConfig?(ctx: ProviderContext): unknown;
  /**
   * The channel kinds this provider carries (docs/architecture.md, "Where backend knowledge
   * lives"): each channel of such a kind is a topic on a backend of the provider's first broker
   * class.
   */
  readonly channelKinds?: readonly ChannelKindDefinition[];
  /**
   * What a subscription's annotations (a Trigger's) ask of delivery in this provider's terms:
   * ordered delivery, deliveries in flight. Only the fields it sets are taken.
   */
  subscribeOptions?(
    annotations: Readonly<Record<string, string>>,
  ): Partial<Pick<SubscribeOptions, 'ordered' | 'concurrency'>>;
}

/** A channel kind a provider carries (`InMemoryChannel`, `KafkaChannel`, …). */
export interface ChannelKindDefinition {
  /** The resource kind, e.g. `InMemoryChannel`. */
  readonly kind: string;
  /**
   * The backend config of a channel of this kind, from its own (or its template's) `spec` and the
   * manifests (validated by the provider's schema). Channels with different configs get different
   * backends. @default {}
   */
  config?(
    spec: Readonly<Record<string, unknown>> | undefined,
    ctx: { readonly topology?: Topology | undefined },
  ): Record<string, unknown>;
}

/**
 * The channel kinds a manifest may name in a `channelTemplate` before any provider is registered
 * (Knative's channel kinds Tributary implements), with the broker class whose provider carries
 * each. The loader validates templates against it and the runtime names the missing class with it;
 * which backend carries a channel comes from the registered providers' `channelKinds` alone.
 */
export const KNOWN_CHANNEL_KINDS: Readonly<Record<string, string>> = Object.freeze({
  InMemoryChannel: 'MTChannelBasedBroker',
  KafkaChannel: 'Kafka',
});
