import type { SendOutcome } from './delivery-target.js';

/**
 * Knative's retry rules (docs/knative-behaviour.md §3.2, §3.3; docs/decisions.md D2 and D4): which outcomes are
 * retried, how long to wait before each retry, and when `Retry-After` lengthens the wait.
 */

/**
 * The delivery settings a dispatcher applies (a compiled `DeliverySpec` without its dead-letter sink,
 * which the caller resolves to a target). Structurally compatible with core's `CompiledDelivery`.
 */
export interface DeliveryPolicy {
  /** Number of RE-tries; total attempts = retry + 1. */
  readonly retry: number;
  readonly backoffPolicy: 'linear' | 'exponential';
  /** Base delay `d` in milliseconds. */
  readonly backoffDelayMs: number;
  /** Per-attempt timeout in milliseconds; unset = no timeout. */
  readonly timeoutMs?: number | undefined;
  /** Cap for honouring `Retry-After` on 429/503; unset = the header is ignored, 0 = ignored too. */
  readonly retryAfterMaxMs?: number | undefined;
  /** `json` forces structured mode towards the subscriber, `binary` (default) binary mode. */
  readonly format?: 'json' | 'binary' | undefined;
}

/**
 * Whether a failed attempt is retried (Knative `SelectiveRetry`, docs/knative-behaviour.md §3.3, check 13.9):
 *
 * - network error, timeout, no response → **yes**: the subscriber may not have seen the event.
 * - 1xx → no: an informational status as a final answer is a protocol error; retrying won't fix it.
 * - 2xx → no: success (nothing to retry).
 * - 3xx → no: redirects are not followed for event delivery; the address is wrong.
 * - 404 → **yes**: the subscriber may not be deployed yet (scale from zero, rollout).
 * - 408 → **yes**: request timeout on the server side; transient by definition.
 * - 409 → **yes**: conflict; Knative treats it as transient (e.g. concurrent update).
 * - 429 → **yes**: rate-limited; transient (and `Retry-After` may apply).
 * - other 4xx (400, 401, 403, 413, 422, …) → no: the request itself is wrong; it will fail again.
 * - 5xx → **yes**: server-side failure, usually transient.
 * - anything else (e.g. -1, a status outside 100-599) → **yes**, like "no valid response".
 */
export function isRetryable(outcome: SendOutcome | undefined): boolean {
  if (outcome === undefined || outcome.kind === 'error') return true;
  return isRetryableStatus(outcome.status);
}

/** {@link isRetryable} for a bare status code. */
export function isRetryableStatus(status: number): boolean {
  if (status >= 100 && status <= 199) return false;
  if (status >= 200 && status <= 299) return false;
  if (status >= 300 && status <= 399) return false;
  if (status >= 400 && status <= 499)
    return status === 404 || status === 408 || status === 409 || status === 429;
  return true; // 5xx and out-of-range "statuses"
}

/**
 * Wait before retry number `k` (k = 1..retry): linear `d·k`, exponential `d·2^k`
 * (docs/decisions.md D2 — the documented formula; no jitter).
 */
export function backoffMs(
  policy: Pick<DeliveryPolicy, 'backoffPolicy' | 'backoffDelayMs'>,
  k: number,
): number {
  const d = Math.max(0, policy.backoffDelayMs);
  const ms = policy.backoffPolicy === 'linear' ? d * k : d * 2 ** k;
  return Number.isFinite(ms) ? ms : Number.MAX_SAFE_INTEGER;
}

/**
 * The `Retry-After` wait of a response, in milliseconds, capped at `retryAfterMaxMs`; undefined when
 * the header does not apply: the cap is unset or 0 (`PT0S` ⇒ ignore), the status is not 429 or 503,
 * or the header is absent or unparsable. Accepts integer seconds or an HTTP-date (a date in the past
 * gives 0).
 */
export function retryAfterMs(
  outcome: SendOutcome,
  retryAfterMaxMs: number | undefined,
  now: number = Date.now(),
): number | undefined {
  if (retryAfterMaxMs === undefined || retryAfterMaxMs <= 0) return undefined;
  if (outcome.kind !== 'response' || (outcome.status !== 429 && outcome.status !== 503))
    return undefined;
  const raw = outcome.headers['retry-after']?.trim();
  if (raw === undefined || raw === '') return undefined;
  let ms: number;
  if (/^\d+$/.test(raw)) ms = Number(raw) * 1000;
  else {
    // HTTP-date (IMF-fixdate, RFC 850 or asctime): all start with a day name.
    if (!/^[A-Za-z]{3}/.test(raw)) return undefined;
    const at = Date.parse(raw);
    if (Number.isNaN(at)) return undefined;
    ms = Math.max(0, at - now);
  }
  return Math.min(ms, retryAfterMaxMs);
}

/** The wait before retry `k` after `outcome`: max(backoff, capped Retry-After) (docs/knative-behaviour.md §3.2). */
export function retryDelayMs(
  policy: DeliveryPolicy,
  k: number,
  outcome: SendOutcome,
  now?: number,
): number {
  const backoff = backoffMs(policy, k);
  const ra = retryAfterMs(outcome, policy.retryAfterMaxMs, now);
  return ra === undefined ? backoff : Math.max(backoff, ra);
}
