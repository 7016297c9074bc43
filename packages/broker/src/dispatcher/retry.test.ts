import { describe, expect, it } from 'vitest';
import type { SendOutcome } from './delivery-target.js';
import { backoffMs, isRetryable, isRetryableStatus, retryAfterMs, retryDelayMs } from './retry.js';

const res = (status: number, headers: Record<string, string> = {}): SendOutcome => ({
  kind: 'response',
  status,
  headers,
  body: new Uint8Array(),
});

describe('isRetryable — docs/knative-behaviour.md §13 check 9 (Knative TestSelectiveRetry)', () => {
  it.each([
    ['nil response', undefined, true],
    ['transport error', { kind: 'error', message: 'connect ECONNREFUSED' } as SendOutcome, true],
    [
      'timeout',
      { kind: 'error', message: 'timeout after 5 ms', timedOut: true } as SendOutcome,
      true,
    ],
    ['status -1', res(-1), true],
    ['100', res(100), false],
    ['102', res(102), false],
    ['200', res(200), false],
    ['201', res(201), false],
    ['202', res(202), false],
    ['300', res(300), false],
    ['301', res(301), false],
    ['400', res(400), false],
    ['401', res(401), false],
    ['403', res(403), false],
    ['404', res(404), true],
    ['408', res(408), true],
    ['409', res(409), true],
    ['429', res(429), true],
    ['500', res(500), true],
    ['501', res(501), true],
  ])('%s → %s', (_label, outcome, expected) => {
    expect(isRetryable(outcome)).toBe(expected);
  });

  it('does not retry other 4xx such as 413 and 422, retries every 5xx', () => {
    for (const s of [405, 410, 413, 415, 422, 451]) expect(isRetryableStatus(s)).toBe(false);
    for (const s of [502, 503, 504, 599]) expect(isRetryableStatus(s)).toBe(true);
  });
});

describe('backoffMs — docs/decisions.md D2', () => {
  it('linear d·k', () => {
    const p = { backoffPolicy: 'linear', backoffDelayMs: 1000 } as const;
    expect([1, 2, 3, 5].map((k) => backoffMs(p, k))).toEqual([1000, 2000, 3000, 5000]);
  });
  it('exponential d·2^k', () => {
    const p = { backoffPolicy: 'exponential', backoffDelayMs: 200 } as const;
    expect([1, 2, 3, 10].map((k) => backoffMs(p, k))).toEqual([400, 800, 1600, 204800]);
  });
  it('stays finite for huge k', () => {
    expect(
      Number.isFinite(backoffMs({ backoffPolicy: 'exponential', backoffDelayMs: 1000 }, 5000)),
    ).toBe(true);
  });
});

describe('retryAfterMs — docs/knative-behaviour.md §3.2', () => {
  const now = Date.parse('2024-01-01T00:00:00Z');
  it('is ignored without retryAfterMax or with PT0S', () => {
    expect(retryAfterMs(res(429, { 'retry-after': '5' }), undefined)).toBeUndefined();
    expect(retryAfterMs(res(429, { 'retry-after': '5' }), 0)).toBeUndefined();
  });
  it('applies only to 429 and 503', () => {
    expect(retryAfterMs(res(429, { 'retry-after': '5' }), 60_000)).toBe(5000);
    expect(retryAfterMs(res(503, { 'retry-after': '5' }), 60_000)).toBe(5000);
    expect(retryAfterMs(res(500, { 'retry-after': '5' }), 60_000)).toBeUndefined();
    expect(retryAfterMs({ kind: 'error', message: 'x' }, 60_000)).toBeUndefined();
  });
  it('parses HTTP-dates, caps at retryAfterMax, ignores garbage', () => {
    const date = new Date(now + 30_000).toUTCString();
    expect(retryAfterMs(res(503, { 'retry-after': date }), 60_000, now)).toBe(30_000);
    expect(retryAfterMs(res(503, { 'retry-after': date }), 10_000, now)).toBe(10_000);
    expect(
      retryAfterMs(res(503, { 'retry-after': new Date(now - 5000).toUTCString() }), 10_000, now),
    ).toBe(0);
    expect(retryAfterMs(res(429, { 'retry-after': 'soon' }), 10_000)).toBeUndefined();
    expect(retryAfterMs(res(429, { 'retry-after': '-3' }), 10_000)).toBeUndefined();
    expect(retryAfterMs(res(429), 10_000)).toBeUndefined();
  });
  it('the wait is max(backoff, min(Retry-After, retryAfterMax))', () => {
    const policy = {
      retry: 3,
      backoffPolicy: 'linear',
      backoffDelayMs: 2000,
      retryAfterMaxMs: 10_000,
    } as const;
    expect(retryDelayMs(policy, 1, res(429, { 'retry-after': '1' }))).toBe(2000);
    expect(retryDelayMs(policy, 1, res(429, { 'retry-after': '5' }))).toBe(5000);
    expect(retryDelayMs(policy, 1, res(429, { 'retry-after': '50' }))).toBe(10_000);
    expect(
      retryDelayMs({ ...policy, retryAfterMaxMs: undefined }, 1, res(429, { 'retry-after': '50' })),
    ).toBe(2000);
  });
});
