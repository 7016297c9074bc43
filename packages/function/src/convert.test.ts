import type { CloudEvent } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { fromFunctionResult, toFunctionEvent } from './convert.js';
import { InvalidFunctionResultError, NonRetryableError } from './errors.js';

const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const text = (d: Uint8Array | undefined) => Buffer.from(d ?? new Uint8Array()).toString('utf8');

function event(attrs: Record<string, string>, data?: string | Uint8Array): CloudEvent {
  return {
    attributes: { specversion: '1.0', id: 'e1', source: '/src', type: 't.created', ...attrs },
    data: typeof data === 'string' ? utf8(data) : data,
  };
}

describe('toFunctionEvent', () => {
  it('parses JSON data and splits extensions from spec attributes', () => {
    const fe = toFunctionEvent(
      event(
        { datacontenttype: 'application/json', subject: 's', knativearrivaltime: 'x', myext: 'v' },
        '{"a":1}',
      ),
    );
    expect(fe).toMatchObject({
      id: 'e1',
      type: 't.created',
      source: '/src',
      subject: 's',
      data: { a: 1 },
    });
    expect(fe.extensions).toEqual({ knativearrivaltime: 'x', myext: 'v' });
    expect(fe.attributes['datacontenttype']).toBe('application/json');
  });

  it('treats absent content type as JSON and +json types as JSON', () => {
    expect(toFunctionEvent(event({}, '[1,2]')).data).toEqual([1, 2]);
    expect(toFunctionEvent(event({ datacontenttype: 'application/vnd.x+json' }, '"s"')).data).toBe(
      's',
    );
  });

  it('gives text/* as a string and other types as bytes', () => {
    expect(
      toFunctionEvent(event({ datacontenttype: 'text/plain; charset=utf-8' }, 'hello')).data,
    ).toBe('hello');
    const bytes = new Uint8Array([0, 1, 2]);
    expect(
      toFunctionEvent(event({ datacontenttype: 'application/octet-stream' }, bytes)).data,
    ).toBe(bytes);
  });

  it('hands over bytes when declared JSON does not parse, and undefined without data', () => {
    const fe = toFunctionEvent(event({ datacontenttype: 'application/json' }, 'not json'));
    expect(fe.data).toBeInstanceOf(Uint8Array);
    expect(toFunctionEvent(event({})).data).toBeUndefined();
  });
});

describe('fromFunctionResult', () => {
  const input = event({ knativebrokerttl: '200' });

  it('returns undefined for no reply', () => {
    expect(fromFunctionResult(undefined, input)).toBeUndefined();
  });

  it('fills specversion, a UUID id and the input source; JSON-encodes objects', () => {
    const ce = fromFunctionResult(
      { type: 'reply.t', data: { ok: true }, extensions: { Myext: 3 } },
      input,
    );
    expect(ce?.attributes).toMatchObject({
      specversion: '1.0',
      type: 'reply.t',
      source: '/src',
      datacontenttype: 'application/json',
      myext: '3',
    });
    expect(ce?.attributes['id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(ce?.attributes['knativebrokerttl']).toBeUndefined();
    expect(JSON.parse(text(ce?.data))).toEqual({ ok: true });
  });

  it('keeps strings and bytes as given with sensible content types', () => {
    const s = fromFunctionResult({ type: 't', source: '/me', id: 'r1', data: 'hi' }, input);
    expect(s?.attributes).toMatchObject({
      id: 'r1',
      source: '/me',
      datacontenttype: 'text/plain; charset=utf-8',
    });
    expect(text(s?.data)).toBe('hi');
    const b = fromFunctionResult({ type: 't', data: new Uint8Array([9]) }, input);
    expect(b?.attributes['datacontenttype']).toBe('application/octet-stream');
    const raw = fromFunctionResult(
      { type: 't', data: '{"x":1}', datacontenttype: 'application/json' },
      input,
    );
    expect(text(raw?.data)).toBe('{"x":1}');
  });

  it('names every problem of an invalid reply', () => {
    const bad = () =>
      fromFunctionResult(
        {
          type: '',
          extensions: { 'bad-name': 'x', id: 'y' },
          data: {},
          datacontenttype: 'text/plain',
        },
        input,
      );
    expect(bad).toThrow(InvalidFunctionResultError);
    try {
      bad();
    } catch (err) {
      const p = (err as InvalidFunctionResultError).problems.join('\n');
      expect(p).toMatch(/bad-name/);
      expect(p).toMatch(/spec attribute/);
      expect(p).toMatch(/not JSON/);
      expect(p).toMatch(/'type'/);
    }
    expect(() => fromFunctionResult('nope' as never, input)).toThrow(/reply object/);
  });
});

describe('NonRetryableError', () => {
  it('defaults to 400 and refuses retryable statuses', () => {
    expect(new NonRetryableError('bad').status).toBe(400);
    expect(new NonRetryableError('bad', { status: 422 }).status).toBe(422);
    for (const status of [404, 408, 409, 429, 500, 200]) {
      expect(() => new NonRetryableError('x', { status })).toThrow(RangeError);
    }
  });
});
