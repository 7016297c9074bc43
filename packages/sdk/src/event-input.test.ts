import { describe, expect, it } from 'vitest';
import { buildEvent, type EventInput } from './event-input.js';
import { ProducerValidationError } from './errors.js';

function fails(input: EventInput, defaultSource?: string): ProducerValidationError {
  try {
    buildEvent(input, defaultSource);
  } catch (err) {
    if (err instanceof ProducerValidationError) return err;
    throw err;
  }
  throw new Error('expected a ProducerValidationError');
}

describe('buildEvent', () => {
  it('fills specversion, id, time and the default source', () => {
    const e = buildEvent({ type: 't' }, '/default');
    expect(e.attributes).toMatchObject({ specversion: '1.0', type: 't', source: '/default' });
    expect(e.attributes['id']).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    expect(Number.isNaN(Date.parse(e.attributes['time']!))).toBe(false);
    expect(e.data).toBeUndefined();
    expect(e.attributes['datacontenttype']).toBeUndefined();
  });

  it('keeps the given id, time and source; event source wins over the default', () => {
    const e = buildEvent(
      { type: 't', id: 'x', time: '2024-01-01T00:00:00Z', source: '/mine' },
      '/default',
    );
    expect(e.attributes).toMatchObject({ id: 'x', time: '2024-01-01T00:00:00Z', source: '/mine' });
  });

  it('encodes data: JSON by default, text for non-JSON content types, bytes as-is', () => {
    const json = buildEvent({ type: 't', source: 's', data: { a: 1 } });
    expect(Buffer.from(json.data!).toString()).toBe('{"a":1}');
    expect(json.attributes['datacontenttype']).toBe('application/json');
    const str = buildEvent({ type: 't', source: 's', data: 'hi' });
    expect(Buffer.from(str.data!).toString()).toBe('"hi"');
    const text = buildEvent({
      type: 't',
      source: 's',
      data: '<a/>',
      datacontenttype: 'application/xml',
    });
    expect(Buffer.from(text.data!).toString()).toBe('<a/>');
    const bytes = buildEvent({ type: 't', source: 's', data: new Uint8Array([1, 2]) });
    expect([...bytes.data!]).toEqual([1, 2]);
    expect(bytes.attributes['datacontenttype']).toBe('application/octet-stream');
  });

  it('canonical extension values', () => {
    const e = buildEvent({ type: 't', source: 's', extensions: { a: 'x', n: -5, ok: false } });
    expect(e.attributes).toMatchObject({ a: 'x', n: '-5', ok: 'false' });
  });

  it.each<[string, EventInput, string, RegExp]>([
    [
      'missing type',
      { type: '' },
      'type',
      /^type: is required and must be a non-empty string, got ''/,
    ],
    ['non-string type', { type: 42 as unknown as string }, 'type', /^type: .* got number/],
    [
      'missing source',
      { type: 't', source: undefined },
      'source',
      /^source: is required: set it on the event or pass 'source'/,
    ],
    [
      'empty subject',
      { type: 't', source: 's', subject: '' },
      'subject',
      /^subject: must be a non-empty string/,
    ],
    [
      'bad time',
      { type: 't', source: 's', time: 'yesterday' },
      'time',
      /^time: .*'yesterday' is not an RFC 3339 timestamp/,
    ],
    [
      'invalid Date',
      { type: 't', source: 's', time: new Date('nope') },
      'time',
      /^time: is an invalid Date/,
    ],
    [
      'bad content type',
      { type: 't', source: 's', datacontenttype: 'json' },
      'datacontenttype',
      /^datacontenttype: .*'json' is not a media type/,
    ],
    [
      'relative dataschema',
      { type: 't', source: 's', dataschema: '/schemas/x' },
      'dataschema',
      /must be an absolute URI/,
    ],
    [
      'upper-case extension',
      { type: 't', source: 's', extensions: { traceId: 'x' } },
      'extensions.traceId',
      /lower-case ASCII letters and digits .* got 'traceId'/,
    ],
    [
      'extension with dash',
      { type: 't', source: 's', extensions: { 'trace-id': 'x' } },
      'extensions.trace-id',
      /lower-case/,
    ],
    [
      'extension shadowing a spec attribute',
      { type: 't', source: 's', extensions: { subject: 'x' } },
      'extensions.subject',
      /is a CloudEvents attribute/,
    ],
    [
      'fractional number',
      { type: 't', source: 's', extensions: { ratio: 0.5 } },
      'extensions.ratio',
      /32-bit integers .* got 0.5/,
    ],
    [
      'object extension',
      { type: 't', source: 's', extensions: { obj: {} as unknown as string } },
      'extensions.obj',
      /string, number or boolean, got object/,
    ],
    ['bigint data', { type: 't', source: 's', data: 1n }, 'data', /^data: cannot be JSON-encoded/],
    [
      'function data',
      { type: 't', source: 's', data: () => 1 },
      'data',
      /^data: a function cannot be JSON-encoded/,
    ],
  ])('%s → names the field', (_, input, field, message) => {
    const err = fails(input);
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
    expect(err.code).toBe('TRIB_ERR_SDK_VALIDATION');
  });
});
