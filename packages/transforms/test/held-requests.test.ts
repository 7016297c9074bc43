import { describe, expect, it } from 'vitest';
import type { CloudEvent } from '@tributary/core';
import { HeldRequests } from '../src/index.js';

const reply: CloudEvent = { attributes: { specversion: '1.0', id: 'r', source: '/s', type: 't' } };

describe('HeldRequests', () => {
  it('settles a held request with its reply once; later replies find nothing', async () => {
    const h = new HeldRequests(10);
    const p = h.hold('a', 60_000);
    if ('refused' in p) throw new Error('refused');
    expect(h.reply('a', reply)).toBe(true);
    expect(await p).toEqual({ kind: 'reply', event: reply });
    expect(h.reply('a', reply)).toBe(false);
    expect(h.size).toBe(0);
  });

  it('refuses a duplicate id and anything beyond the cap', () => {
    const h = new HeldRequests(2);
    expect('refused' in h.hold('a', 60_000)).toBe(false);
    expect(h.hold('a', 60_000)).toEqual({ refused: 'duplicate' });
    expect('refused' in h.hold('b', 60_000)).toBe(false);
    expect(h.hold('c', 60_000)).toEqual({ refused: 'full' });
    h.close();
    expect(h.size).toBe(0);
  });

  it('times out, and frees the slot and the id', async () => {
    const h = new HeldRequests(1);
    const p = h.hold('a', 20);
    if ('refused' in p) throw new Error('refused');
    expect(await p).toEqual({ kind: 'timeout', afterMs: 20 });
    expect(h.size).toBe(0);
    expect('refused' in h.hold('a', 60_000)).toBe(false);
    h.close();
  });

  it('ends a request whose caller went away, and every request on close', async () => {
    const h = new HeldRequests(5);
    const ac = new AbortController();
    const gone = h.hold('a', 60_000, ac.signal);
    const open = h.hold('b', 60_000);
    if ('refused' in gone || 'refused' in open) throw new Error('refused');
    ac.abort();
    expect(await gone).toEqual({ kind: 'closed' });
    h.close();
    expect(await open).toEqual({ kind: 'closed' });
    expect(h.size).toBe(0);
    expect(await h.hold('c', 60_000)).toEqual({ kind: 'closed' });
  });
});
