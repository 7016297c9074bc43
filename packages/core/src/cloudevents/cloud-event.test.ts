import { describe, expect, it } from 'vitest';
import { type CloudEvent, withAttributes } from './cloud-event.js';
import { decodeHttp, encodeHttp } from './http-binding.js';

const event: CloudEvent = {
  attributes: {
    specversion: '1.0',
    id: 'e1',
    source: '/s',
    type: 't',
    datacontenttype: 'application/json',
    knativebrokerttl: '255',
  },
  data: Buffer.from('{"a":1}'),
};

describe('withAttributes', () => {
  it('sets, replaces and removes attributes in a new event, leaving the original alone', () => {
    const next = withAttributes(event, { knativebrokerttl: undefined, id: 'e2', extra: 'x' });
    expect(next.attributes).toEqual({
      specversion: '1.0',
      id: 'e2',
      source: '/s',
      type: 't',
      datacontenttype: 'application/json',
      extra: 'x',
    });
    expect(Object.keys(next.attributes)).toEqual([
      'specversion',
      'id',
      'source',
      'type',
      'datacontenttype',
      'extra',
    ]);
    expect(next.data).toBe(event.data);
    expect(event.attributes['knativebrokerttl']).toBe('255');
    expect(event.attributes['id']).toBe('e1');
    expect(withAttributes(event, { knativebrokerttl: '3' }).attributes['knativebrokerttl']).toBe(
      '3',
    );
    expect(withAttributes(event, { missing: undefined }).attributes).toEqual(event.attributes);
  });
});

describe('encodeHttp with an omitted attribute', () => {
  it('sends what the event without that attribute would send, in both modes', () => {
    const without = withAttributes(event, { knativebrokerttl: undefined });
    for (const mode of ['binary', 'structured'] as const) {
      const omitted = encodeHttp(event, mode, 'knativebrokerttl');
      const copied = encodeHttp(without, mode);
      expect(omitted.headers).toEqual(copied.headers);
      expect(Buffer.from(omitted.body!).toString()).toBe(Buffer.from(copied.body!).toString());
      expect(decodeHttp(omitted.headers, omitted.body!).events[0]!.attributes).toEqual(
        without.attributes,
      );
    }
    expect(encodeHttp(event, 'binary').headers['ce-knativebrokerttl']).toBe('255');
  });
});
