/** codec.ts: which AMQP headers become CloudEvent attributes. */
import { describe, expect, it } from 'vitest';
import { attributesFromHeaders, decodeEvent, encodeEvent } from '../src/codec.js';

describe('attributesFromHeaders', () => {
  it('takes attribute-named headers as they are and maps prefixed or upper-case ones', () => {
    expect(
      attributesFromHeaders({
        specversion: '1.0',
        'ce-ID': 'a',
        CE_source: '/s',
        'cloudEvents:type': 't',
        cloudevents_subject: 'sub',
        Traceparent: 'tp',
        n2: 7,
        flag: true,
        raw: Buffer.from('bytes'),
        'x-delivery-count': 3,
        'x-tributary-accepted-ms': '1',
        'bad-name': 'v',
        '': 'empty',
        absent: undefined,
      }),
    ).toEqual({
      specversion: '1.0',
      id: 'a',
      source: '/s',
      type: 't',
      subject: 'sub',
      traceparent: 'tp',
      n2: '7',
      flag: 'true',
      raw: 'bytes',
    });
  });

  it('answers undefined without specversion, and a later header of the same name wins', () => {
    expect(attributesFromHeaders({ id: 'a', type: 't' })).toBeUndefined();
    expect(attributesFromHeaders(undefined)).toBeUndefined();
    expect(attributesFromHeaders({ specversion: '1.0', 'ce-id': 'first', id: 'second' })).toEqual({
      specversion: '1.0',
      id: 'second',
    });
  });

  it('decodes what encodeEvent stores', () => {
    const event = {
      attributes: {
        specversion: '1.0',
        id: 'i',
        source: '/s',
        type: 't',
        datacontenttype: 'text/plain',
      },
      data: new Uint8Array(Buffer.from('hi')),
    };
    const m = encodeEvent(event);
    const back = decodeEvent(m.content, m.options as never);
    expect(back.attributes).toEqual(event.attributes);
    expect(Buffer.from(back.data!).toString()).toBe('hi');
  });
});
