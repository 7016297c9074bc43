import type { BackendProvider } from '@tributary/core';
import { z } from 'zod';
import { createMemoryBackend } from './memory-backend.js';

/** The zod schema of the memory backend's configuration (broker class `MTChannelBasedBroker`). */
export const memoryBackendConfigSchema = z
  .object({
    maxQueuedPerSubscription: z.number().int().positive().default(10_000),
    redeliveryDelayMs: z.number().int().nonnegative().default(1_000),
    maxRedeliveryDelayMs: z.number().int().nonnegative().default(30_000),
  })
  .strict();

/** Validated memory backend configuration. */
export type MemoryBackendConfig = z.output<typeof memoryBackendConfigSchema>;

/** Provider for broker class `MTChannelBasedBroker` (the default class). */
export const memoryBackendProvider: BackendProvider<MemoryBackendConfig> = {
  kind: 'memory',
  brokerClasses: ['MTChannelBasedBroker'],
  configSchema: memoryBackendConfigSchema,
  create: (config, ctx) => createMemoryBackend({ ...config, logger: ctx.logger }),
};
