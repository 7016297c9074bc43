/**
 * Delivery settings as the dispatcher uses them: a Trigger's `delivery` merged field by field over its
 * Broker's (docs/decisions.md D2 and D3), durations in milliseconds.
 */
import { parseIsoDuration } from '../config/duration.js';
import type { DeliverySpec, Destination } from './common.js';

/** Backoff policy of a DeliverySpec. */
export type BackoffPolicy = 'linear' | 'exponential';

/** A DeliverySpec resolved into numbers; see {@link compileDelivery}. */
export interface CompiledDelivery {
  /** Number of re-tries after the first attempt (total attempts = retry + 1). */
  readonly retry: number;
  readonly backoffPolicy: BackoffPolicy;
  /** Base delay `d` of the backoff formula, in milliseconds. */
  readonly backoffDelayMs: number;
  /** Per-attempt timeout in milliseconds; absent means no per-attempt timeout. */
  readonly timeoutMs?: number;
  /** Cap for `Retry-After` in milliseconds; absent means `Retry-After` is ignored. */
  readonly retryAfterMaxMs?: number;
  /** Forced event format towards the subscriber; absent means binary (the default). */
  readonly format?: 'json' | 'binary';
  /** Where events go after the last failed attempt. */
  readonly deadLetterSink?: Destination;
}

/** What a Broker without `spec.delivery` contributes (Knative's `config-br-defaults`). */
export const DEFAULT_BROKER_DELIVERY: Readonly<DeliverySpec> = Object.freeze({
  retry: 10,
  backoffPolicy: 'exponential',
  backoffDelay: 'PT0.2S',
});

/** Unset `backoffDelay` means this. */
export const DEFAULT_BACKOFF_DELAY = 'PT0.2S';

/**
 * Compiles the delivery of one subscription.
 *
 * Fields merge one by one, the Trigger's over the Broker's; a Broker given as `undefined` contributes
 * {@link DEFAULT_BROKER_DELIVERY} (retry 10, exponential, PT0.2S). After the merge, unset `retry` is 0,
 * unset `backoffPolicy` is exponential and unset `backoffDelay` is PT0.2S. For subscriptions without a
 * broker (channels, flows) pass `broker` as `{}` so that no broker defaults apply.
 *
 * @param trigger the Trigger's (or Subscription's) `spec.delivery`, if any
 * @param broker the Broker's `spec.delivery`; `undefined` when the Broker has none
 * @throws Error when a duration does not parse (schemas validate them before this runs)
 */
export function compileDelivery(trigger?: DeliverySpec, broker?: DeliverySpec): CompiledDelivery {
  const base: DeliverySpec = broker ?? DEFAULT_BROKER_DELIVERY;
  const t: DeliverySpec = trigger ?? {};
  const pick = <K extends keyof DeliverySpec>(k: K): DeliverySpec[K] =>
    t[k] !== undefined ? t[k] : base[k];

  const timeout = pick('timeout');
  const retryAfterMax = pick('retryAfterMax');
  const format = pick('format');
  const deadLetterSink = pick('deadLetterSink');
  return {
    retry: pick('retry') ?? 0,
    backoffPolicy: pick('backoffPolicy') ?? 'exponential',
    backoffDelayMs: parseIsoDuration(pick('backoffDelay') ?? DEFAULT_BACKOFF_DELAY),
    ...(timeout !== undefined ? { timeoutMs: parseIsoDuration(timeout) } : {}),
    ...(retryAfterMax !== undefined ? { retryAfterMaxMs: parseIsoDuration(retryAfterMax) } : {}),
    ...(format !== undefined ? { format } : {}),
    ...(deadLetterSink !== undefined ? { deadLetterSink } : {}),
  };
}

/**
 * The wait before retry `k` (k = 1..retry) in milliseconds: linear `d·k`, exponential `d·2^k`
 * (docs/decisions.md D2). `k` below 1 gives 0.
 */
export function backoffMs(
  compiled: Pick<CompiledDelivery, 'backoffPolicy' | 'backoffDelayMs'>,
  k: number,
): number {
  if (k < 1) return 0;
  const d = compiled.backoffDelayMs;
  return compiled.backoffPolicy === 'linear' ? d * k : d * 2 ** k;
}
