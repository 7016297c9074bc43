/** The scenario list of the fault suite, in the order of the table in docs/reliability.md. */
import type { Scenario } from './scenario-kit.js';
import {
  connectionLoss,
  killAfterReady,
  killDuringBackoff,
  killMidStream,
  killWhileDlsDown,
  unreachableBackend,
} from './scenarios-crash.js';
import {
  dlsDown,
  hungSubscriber,
  loop,
  poison,
  poolExhausted,
  retryAfter,
} from './scenarios-delivery.js';

export type { Scenario } from './scenario-kit.js';

export const SCENARIOS: readonly Scenario[] = [
  killAfterReady,
  killMidStream,
  killDuringBackoff,
  killWhileDlsDown,
  connectionLoss,
  hungSubscriber,
  retryAfter,
  dlsDown,
  loop,
  poison,
  poolExhausted,
  unreachableBackend,
];
