import type { CloudEvent } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { nextTtl, prepareIngressEvent } from './ingress-event.js';

const NOW = '2019-08-26T23:38:17.834384404Z';
const ev = (attrs: Record<string, string> = {}): CloudEvent => ({
  attributes: { specversion: '1.0', id: 'e1', source: '/s', type: 't', ...attrs },
  data: Buffer.from('payload'),
});

describe('prepareIngressEvent — docs/knative-behaviour.md §13 check 3 (TTL defaulting)', () => {
  it('gives an event without knativebrokerttl the default 255', () => {
    const r = prepareIngressEvent(ev(), 255, NOW);
    expect('event' in r && r.event.attributes['knativebrokerttl']).toBe('255');
  });
  it('decrements 10 to 9', () => {
    const r = prepareIngressEvent(ev({ knativebrokerttl: '10' }), 255, NOW);
    expect('event' in r && r.event.attributes['knativebrokerttl']).toBe('9');
  });
  it('rejects 1 (decremented to 0)', () => {
    const r = prepareIngressEvent(ev({ knativebrokerttl: '1' }), 255, NOW);
    expect(r).toEqual({ error: expect.stringMatching(/knativebrokerttl '1'/) });
  });
  it('defaults the unparsable "XYZ"', () => {
    const r = prepareIngressEvent(ev({ knativebrokerttl: 'XYZ' }), 255, NOW);
    expect('event' in r && r.event.attributes['knativebrokerttl']).toBe('255');
  });
  it('rejects 0 (floored at 0)', () => {
    expect('error' in prepareIngressEvent(ev({ knativebrokerttl: '0' }), 255, NOW)).toBe(true);
  });
  it('honours a configured maxTtl', () => {
    const r = prepareIngressEvent(ev(), 3, NOW);
    expect('event' in r && r.event.attributes['knativebrokerttl']).toBe('3');
  });
});

describe('prepareIngressEvent — knativearrivaltime', () => {
  it('always overwrites knativearrivaltime and keeps everything else', () => {
    const input = ev({ knativearrivaltime: '2000-01-01T00:00:00Z', myext: 'x' });
    const r = prepareIngressEvent(input, 255, NOW);
    if (!('event' in r)) throw new Error('expected an event');
    expect(r.event.attributes).toEqual({
      ...input.attributes,
      knativearrivaltime: NOW,
      knativebrokerttl: '255',
    });
    expect(r.event.data).toBe(input.data);
    expect(input.attributes['knativearrivaltime']).toBe('2000-01-01T00:00:00Z');
  });
  it('defaults `now` to an RFC 3339 timestamp with nanoseconds', () => {
    const r = prepareIngressEvent(ev());
    expect('event' in r && r.event.attributes['knativearrivaltime']).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/,
    );
  });
});

describe('nextTtl', () => {
  it.each([
    [undefined, 255],
    ['255', 254],
    [' 7 ', 6],
    ['-4', 0],
    ['1.5', 255],
    ['', 255],
    ['99999999999999999999', 255],
  ])('%j → %i', (raw, expected) => expect(nextTtl(raw)).toBe(expected));
});
