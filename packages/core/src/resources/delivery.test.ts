import { describe, expect, it } from 'vitest';
import { backoffMs, compileDelivery } from './delivery.js';

describe('compileDelivery', () => {
  it('a Broker without delivery contributes retry 10, exponential, PT0.2S', () => {
    expect(compileDelivery()).toEqual({
      retry: 10,
      backoffPolicy: 'exponential',
      backoffDelayMs: 200,
    });
    expect(compileDelivery({ retry: 2 })).toEqual({
      retry: 2,
      backoffPolicy: 'exponential',
      backoffDelayMs: 200,
    });
  });

  it('unset retry → 0, unset policy → exponential, unset delay → PT0.2S when the Broker has delivery', () => {
    expect(compileDelivery(undefined, {})).toEqual({
      retry: 0,
      backoffPolicy: 'exponential',
      backoffDelayMs: 200,
    });
    const dls = { uri: 'http://dls/' };
    expect(compileDelivery(undefined, { deadLetterSink: dls })).toEqual({
      retry: 0,
      backoffPolicy: 'exponential',
      backoffDelayMs: 200,
      deadLetterSink: dls,
    });
  });

  it('merges field by field, the Trigger over the Broker', () => {
    const broker = {
      retry: 5,
      backoffPolicy: 'linear' as const,
      backoffDelay: 'PT1S',
      timeout: 'PT10S',
      deadLetterSink: { uri: 'http://b-dls/' },
    };
    expect(compileDelivery({ retry: 1, format: 'json', retryAfterMax: 'PT30S' }, broker)).toEqual({
      retry: 1,
      backoffPolicy: 'linear',
      backoffDelayMs: 1000,
      timeoutMs: 10_000,
      retryAfterMaxMs: 30_000,
      format: 'json',
      deadLetterSink: { uri: 'http://b-dls/' },
    });
    expect(
      compileDelivery(
        { deadLetterSink: { uri: 'http://t-dls/' }, backoffDelay: 'PT0.05S' },
        broker,
      ),
    ).toMatchObject({
      retry: 5,
      backoffDelayMs: 50,
      deadLetterSink: { uri: 'http://t-dls/' },
    });
    expect(compileDelivery({ retry: 0 }, broker).retry).toBe(0);
  });
});

describe('backoffMs', () => {
  it('linear d·k, exponential d·2^k', () => {
    const lin = compileDelivery({ backoffPolicy: 'linear', backoffDelay: 'PT0.1S' });
    const exp = compileDelivery({ backoffPolicy: 'exponential', backoffDelay: 'PT0.1S' });
    expect([1, 2, 3].map((k) => backoffMs(lin, k))).toEqual([100, 200, 300]);
    expect([1, 2, 3].map((k) => backoffMs(exp, k))).toEqual([200, 400, 800]);
    expect(backoffMs(exp, 0)).toBe(0);
  });
});
