import type { z } from 'zod';
import type { Backend } from './backend.js';
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
}
