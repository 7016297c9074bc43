import type { z } from 'zod';
import type { Backend } from './backend.js';
import type { Logger } from './logger.js';

/** Context handed to providers when they build something. */
export interface ProviderContext {
  readonly logger: Logger;
  readonly signal?: AbortSignal;
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
