import { describeBackendConformance } from '@tributary/testkit';
import { createMemoryBackend } from './memory-backend.js';

describeBackendConformance('memory', () =>
  createMemoryBackend({ redeliveryDelayMs: 5, maxRedeliveryDelayMs: 50 }),
);
