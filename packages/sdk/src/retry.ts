import { ProducerValidationError } from './errors.js';

/** How failed attempts are retried. */
export interface RetryOptions {
  /** Retries after the first attempt (0 disables retrying). @default 3 */
  readonly retries?: number;
  /** Delay before retry k (k = 1..retries): linear `delayMs·k`, exponential `delayMs·2^k`. @default 'exponential' */
  readonly backoff?: 'exponential' | 'linear';
  /** Base delay. @default 100 */
  readonly delayMs?: number;
  /** Upper bound of one backoff delay. @default 10_000 */
  readonly maxDelayMs?: number;
  /** Upper bound of a `Retry-After` wait (429/503). @default 60_000 */
  readonly retryAfterMaxMs?: number;
}

/** {@link RetryOptions} with every default applied. */
export type RetryPolicy = Required<RetryOptions>;

/** Resolves and checks retry options; errors name the field (`retry.delayMs`, …). */
export function retryPolicy(options: RetryOptions = {}): RetryPolicy {
  const policy: RetryPolicy = {
    retries: options.retries ?? 3,
    backoff: options.backoff ?? 'exponential',
    delayMs: options.delayMs ?? 100,
    maxDelayMs: options.maxDelayMs ?? 10_000,
    retryAfterMaxMs: options.retryAfterMaxMs ?? 60_000,
  };
  for (const key of ['retries', 'delayMs', 'maxDelayMs', 'retryAfterMaxMs'] as const) {
    const v = policy[key];
    if (!Number.isFinite(v) || v < 0 || (key === 'retries' && !Number.isInteger(v))) {
      throw new ProducerValidationError(
        `retry.${key}`,
        v,
        `retry.${key}: must be a non-negative ${key === 'retries' ? 'integer' : 'number'}, got ${v}`,
      );
    }
  }
  if (policy.backoff !== 'exponential' && policy.backoff !== 'linear') {
    throw new ProducerValidationError(
      'retry.backoff',
      policy.backoff,
      `retry.backoff: must be 'exponential' or 'linear', got '${String(policy.backoff)}'`,
    );
  }
  return policy;
}

/** Delay before retry number `k` (1-based), capped at `maxDelayMs`. */
export function backoffDelay(policy: RetryPolicy, k: number): number {
  const raw = policy.backoff === 'linear' ? policy.delayMs * k : policy.delayMs * 2 ** k;
  return Math.min(raw, policy.maxDelayMs);
}

/** Statuses that are retried (docs/decisions.md D4): 404, 408, 409, 429 and every 5xx. */
export function isRetryableStatus(status: number): boolean {
  return (
    status === 404 ||
    status === 408 ||
    status === 409 ||
    status === 429 ||
    (status >= 500 && status <= 599)
  );
}

/**
 * Milliseconds a `Retry-After` header asks for (delta-seconds or an HTTP-date), or undefined when
 * the header is absent or unreadable. Only consulted on 429 and 503.
 */
export function retryAfterMs(
  value: string | string[] | undefined,
  now = Date.now(),
): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(v)) return Number(v.trim()) * 1000;
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
