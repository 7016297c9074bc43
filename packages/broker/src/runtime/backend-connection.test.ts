import type { Backend } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { connectBackend } from './backend-connection.js';

/** A backend whose start() fails `failures` times, then succeeds (or hangs when `hang`). */
function flakyBackend(failures: number, hang = false): Backend & { starts: number } {
  const b = {
    kind: 'flaky',
    starts: 0,
    async start() {
      b.starts++;
      if (hang) return new Promise<void>(() => undefined);
      if (b.starts <= failures) throw new Error(`refused (attempt ${b.starts})`);
    },
    publish: async () => undefined,
    subscribe: async () => ({ close: async () => undefined }),
    close: async () => undefined,
  };
  return b;
}

const until = async (cond: () => boolean, ms = 5_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
};

describe('connectBackend', () => {
  it('settles firstAttempt after a failed first attempt, then retries until connected', async () => {
    const b = flakyBackend(2);
    const failures: string[] = [];
    let connected = 0;
    const c = connectBackend(b, {
      onConnected: () => void connected++,
      onFailed: (m, n) => failures.push(`${n}: ${m}`),
      initialDelayMs: 5,
    });
    await c.firstAttempt;
    expect(c.ready).toBe(false);
    expect(c.lastError).toBe('refused (attempt 1)');
    expect(c.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    await until(() => c.ready);
    expect(c.ready).toBe(true);
    expect(c.lastError).toBeUndefined();
    expect(connected).toBe(1);
    expect(failures).toEqual(['1: refused (attempt 1)', '2: refused (attempt 2)']);
  });

  it('does not wait for a hanging first attempt longer than firstWaitMs', async () => {
    const c = connectBackend(flakyBackend(0, true), {
      onConnected: () => undefined,
      onFailed: () => undefined,
      firstWaitMs: 20,
    });
    await c.firstAttempt;
    expect(c.ready).toBe(false);
    c.cancel();
  });

  it('stops retrying once cancelled', async () => {
    const b = flakyBackend(1_000);
    const c = connectBackend(b, {
      onConnected: () => undefined,
      onFailed: () => undefined,
      initialDelayMs: 5,
    });
    await c.firstAttempt;
    await until(() => b.starts >= 2);
    c.cancel();
    const after = b.starts;
    await new Promise((r) => setTimeout(r, 100));
    expect(b.starts).toBeLessThanOrEqual(after + 1);
    expect(c.ready).toBe(false);
  });
});
