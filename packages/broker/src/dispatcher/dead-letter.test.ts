import type { CloudEvent } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { errorData, failureOf, withDeadLetterExtensions } from './dead-letter.js';

const original: CloudEvent = {
  attributes: {
    specversion: '1.0',
    id: '1',
    source: '/s',
    type: 't',
    knativebrokerttl: '254',
    knativearrivaltime: '2024-01-01T00:00:00.000000000Z',
  },
  data: Buffer.from('payload'),
};

describe('dead-letter extensions — docs/decisions.md D6', () => {
  it('adds dest, code and base64 body to the original event', () => {
    const body = Buffer.from('{ "message": "catastrophic failure" }');
    const dl = withDeadLetterExtensions(
      original,
      failureOf('http://sub/', { kind: 'response', status: 422, headers: {}, body }),
    );
    expect(dl.attributes).toMatchObject({
      ...original.attributes,
      knativeerrordest: 'http://sub/',
      knativeerrorcode: '422',
      knativeerrordata: body.toString('base64'),
    });
    expect(dl.data).toBe(original.data);
  });

  it('reports a transport error as 500 with base64 of "dispatch error: <message>"', () => {
    const f = failureOf('http://x/', {
      kind: 'error',
      message: 'connect ECONNREFUSED 127.0.0.1:1',
    });
    const dl = withDeadLetterExtensions(original, f);
    expect(dl.attributes['knativeerrorcode']).toBe('500');
    expect(Buffer.from(dl.attributes['knativeerrordata'] ?? '', 'base64').toString()).toBe(
      'dispatch error: connect ECONNREFUSED 127.0.0.1:1',
    );
  });

  it('uses an overriding status (malformed reply ⇒ 502)', () => {
    const f = failureOf(
      'http://x/',
      { kind: 'response', status: 200, headers: {}, body: new Uint8Array() },
      502,
    );
    expect(f.status).toBe(502);
  });

  it('truncates the base64 string to 1024 characters without encoding the whole body', () => {
    const big = Buffer.alloc(10 * 1024 * 1024, 0x61);
    const data = errorData(big);
    expect(data).toHaveLength(1024);
    expect(data).toBe(big.subarray(0, 4096).toString('base64').slice(0, 1024));
    for (const n of [767, 768, 769, 1000]) {
      const b = Buffer.alloc(n, 0x62);
      expect(errorData(b)).toBe(b.toString('base64').slice(0, 1024));
    }
    expect(errorData(new Uint8Array())).toBe('');
  });
});
