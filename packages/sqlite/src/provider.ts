import type { BackendProvider } from '@tributary/core';
import { z } from 'zod';
import { MAX_BYTES_ANNOTATION, MAX_EVENTS_ANNOTATION, capsFrom } from './caps.js';
import type { DataStore } from './data-store.js';
import { createSqliteBackend } from './sqlite-backend.js';

/**
 * The default class's ConfigMap data as the embedded durable backend reads it (numbers may come as
 * strings; the memory backend's keys and Knative's `channel-template-spec` are ignored).
 */
export const sqliteBackendConfigSchema = z.object({
  redeliveryDelayMs: z.coerce.number().int().nonnegative().default(1_000),
  maxRedeliveryDelayMs: z.coerce.number().int().nonnegative().default(30_000),
  /** Backoffs at least this long are stored and survive a restart. */
  'retry.durable.min.delay.ms': z.coerce.number().int().nonnegative().default(1_000),
});

export type SqliteBackendConfig = z.output<typeof sqliteBackendConfigSchema>;

/**
 * Provider for the default broker class `MTChannelBasedBroker` (and so InMemoryChannel) on an open
 * data directory: register it in place of the memory provider when `--data-dir` is given. Caps
 * come from the Broker's `tributary.dev/max-bytes` and `tributary.dev/max-events` annotations.
 */
export function sqliteBackendProvider(store: DataStore): BackendProvider<SqliteBackendConfig> {
  return {
    kind: 'sqlite',
    brokerClasses: ['MTChannelBasedBroker'],
    channelKinds: [{ kind: 'InMemoryChannel' }],
    configSchema:
      sqliteBackendConfigSchema as unknown as BackendProvider<SqliteBackendConfig>['configSchema'],
    create: (config, ctx) => {
      const caps = capsFrom(ctx.annotations);
      return createSqliteBackend({
        store,
        ...caps,
        capSource: `annotations ${MAX_BYTES_ANNOTATION} / ${MAX_EVENTS_ANNOTATION}`,
        redeliveryDelayMs: config.redeliveryDelayMs,
        maxRedeliveryDelayMs: config.maxRedeliveryDelayMs,
        durableRetryMinDelayMs: config['retry.durable.min.delay.ms'],
        logger: ctx.logger,
      });
    },
  };
}
