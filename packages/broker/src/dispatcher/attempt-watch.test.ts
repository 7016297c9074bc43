import { describe, expect, it } from 'vitest';
import {
  type WatchedAttempt,
  unwatchSignal,
  unwatchTimeout,
  watchSignal,
  watchTimeout,
} from './attempt-watch.js';

function attempt(log: string[], name: string, onExpire?: () => void): WatchedAttempt {
  return {
    deadline: 0,
    handleEvent: () => log.push(`${name} aborted`),
    expire: () => {
      log.push(`${name} expired`);
      onExpire?.();
    },
  };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('attempt watch', () => {
  it('expires attempts of one length in order, each after its own time, and not once unwatched', async () => {
    const log: string[] = [];
    const a = attempt(log, 'a');
    const b = attempt(log, 'b');
    const c = attempt(log, 'c');
    watchTimeout(40, a);
    await wait(20);
    watchTimeout(40, b);
    watchTimeout(40, c);
    unwatchTimeout(40, c);
    await wait(30);
    expect(log).toEqual(['a expired']);
    await wait(30);
    expect(log).toEqual(['a expired', 'b expired']);
    await wait(30);
    expect(log).toEqual(['a expired', 'b expired']);
  });

  it('keeps watching an attempt started while another expires (a retry)', async () => {
    const log: string[] = [];
    const retry = attempt(log, 'retry');
    watchTimeout(
      25,
      attempt(log, 'first', () => watchTimeout(25, retry)),
    );
    await wait(80);
    expect(log).toEqual(['first expired', 'retry expired']);
  });

  it('tells every watching attempt when the signal aborts, none that stopped watching', () => {
    const log: string[] = [];
    const ac = new AbortController();
    const a = attempt(log, 'a');
    const b = attempt(log, 'b');
    watchSignal(ac.signal, a);
    watchSignal(ac.signal, b);
    unwatchSignal(ac.signal, a);
    ac.abort();
    expect(log).toEqual(['b aborted']);
  });
});
