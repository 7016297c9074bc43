import { describe, expect, it } from 'vitest';
import { backoffDelay, isRetryableStatus, retryAfterMs, retryPolicy } from './retry.js';
import { ProducerValidationError } from './errors.js';

describe('retry policy', () => {
  it('backoff before retry k: linear d·k, exponential d·2^k, capped', () => {
    const lin = retryPolicy({ backoff: 'linear', delayMs: 100, maxDelayMs: 250 });
    expect([1, 2, 3].map((k) => backoffDelay(lin, k))).toEqual([100, 200, 250]);
    const exp = retryPolicy({ delayMs: 100, maxDelayMs: 1000 });
    expect([1, 2, 3, 4].map((k) => backoffDelay(exp, k))).toEqual([200, 400, 800, 1000]);
  });

  it('retried statuses follow docs/decisions.md D4', () => {
    const retried = [404, 408, 409, 429, 500, 502, 503, 504, 599];
    const notRetried = [100, 301, 304, 400, 401, 403, 405, 410, 413, 415, 422];
    expect(retried.every(isRetryableStatus)).toBe(true);
    expect(notRetried.some(isRetryableStatus)).toBe(false);
  });

  it('Retry-After as delta-seconds or HTTP-date', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(undefined)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(retryAfterMs('Mon, 01 Jan 2024 00:00:05 GMT', now)).toBe(5000);
    expect(retryAfterMs('Mon, 01 Jan 2023 00:00:05 GMT', now)).toBe(0);
  });

  it('invalid options name the field', () => {
    expect(() => retryPolicy({ retries: -1 })).toThrow(
      /^retry\.retries: must be a non-negative integer/,
    );
    expect(() => retryPolicy({ backoff: 'random' as 'linear' })).toThrow(ProducerValidationError);
  });
});
