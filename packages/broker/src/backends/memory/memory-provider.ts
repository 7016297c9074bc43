import type { BackendProvider } from '@tributary/core';
import { z } from 'zod';
import { createMemoryBackend } from './memory-backend.js';

/** The zod schema of the memory backend's configuration (broker class `MTChannelBasedBroker`). */
export const memoryBackendConfigSchema = z.object({
  // Numbers may come as strings from a ConfigMap's data; keys Tributary does not use (such as
  // Knative's `channel-template-spec`) are ignored.
  maxQueuedPerSubscription: z.coerce.number().int().positive().default(10_000),
  redeliveryDelayMs: z.coerce.number().int().nonnegative().default(1_000),
  maxRedeliveryDelayMs: z.coerce.number().int().nonnegative().default(30_000),
});

/** Validated memory backend configuration. */
export type MemoryBackendConfig = z.output<typeof memoryBackendConfigSchema>;

/** Provider for broker class `MTChannelBasedBroker` (the default class). */
export const memoryBackendProvider: BackendProvider<MemoryBackendConfig> = {
  kind: 'memory',
  brokerClasses: ['MTChannelBasedBroker'],
  configSchema: memoryBackendConfigSchema,
  channelKinds: [{ kind: 'InMemoryChannel' }],
  create: (config, ctx) => createMemoryBackend({ ...config, logger: ctx.logger }),
};
