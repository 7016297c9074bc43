import { describe, expect, it } from 'vitest';
import { SchemaAccumulator } from './schema-inference.js';

const infer = (samples: unknown[], limits = {}) => {
  const acc = new SchemaAccumulator(limits);
  for (const s of samples) acc.add(s);
  const { $schema, ...rest } = acc.toJsonSchema();
  expect($schema).toBe('https://json-schema.org/draft/2020-12/schema');
  return rest;
};

describe('schema inference', () => {
  it('merges objects: fields present in every sample are required, the others optional', () => {
    expect(
      infer([
        { orderId: 'o-1', total: 42, items: [{ sku: 'a', qty: 1 }] },
        { orderId: 'o-2', total: 9.5, coupon: 'SPRING', items: [] },
        { orderId: 'o-3', total: 3, items: [{ sku: 'b', qty: 2, note: 'gift' }] },
      ]),
    ).toEqual({
      type: 'object',
      properties: {
        orderId: { type: 'string' },
        total: { type: 'number' },
        items: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              sku: { type: 'string' },
              qty: { type: 'integer' },
              note: { type: 'string' },
            },
            required: ['sku', 'qty'],
          },
        },
        coupon: { type: 'string' },
      },
      required: ['orderId', 'total', 'items'],
    });
  });

  it('makes unions of the types a field had, with null', () => {
    expect(infer([{ v: 1 }, { v: 'one' }, { v: null }, { v: true }])).toEqual({
      type: 'object',
      properties: { v: { type: ['null', 'boolean', 'integer', 'string'] } },
      required: ['v'],
    });
    // A field that is sometimes an object and sometimes a string is an anyOf.
    expect(infer([{ who: { id: 1 } }, { who: 'anonymous' }])).toEqual({
      type: 'object',
      properties: {
        who: {
          anyOf: [
            { type: 'string' },
            { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] },
          ],
        },
      },
      required: ['who'],
    });
  });

  it('keeps a format only when every string matched it', () => {
    expect(
      infer([
        {
          at: '2026-01-02T03:04:05.123Z',
          day: '2026-01-02',
          id: '3f2b8c1e-9a0d-4d7e-8f6a-1b2c3d4e5f60',
          mail: 'ada@example.com',
          url: 'https://example.com/x',
          ip: '10.0.0.1',
          mixed: '2026-01-02',
        },
        {
          at: '2026-01-02T03:04:05+02:00',
          day: '2025-12-31',
          id: 'A3F2B8C1-9A0D-4D7E-8F6A-1B2C3D4E5F60',
          mail: 'bob@example.org',
          url: 'urn-less://host/path',
          ip: '192.168.1.254',
          mixed: 'not a date',
        },
      ]),
    ).toMatchObject({
      properties: {
        at: { type: 'string', format: 'date-time' },
        day: { type: 'string', format: 'date' },
        id: { type: 'string', format: 'uuid' },
        mail: { type: 'string', format: 'email' },
        url: { type: 'string', format: 'uri' },
        ip: { type: 'string', format: 'ipv4' },
        mixed: { type: 'string' },
      },
    });
  });

  it('describes top-level scalars, arrays of mixed items, and events without data', () => {
    expect(infer([1, 2.5])).toEqual({ type: 'number' });
    expect(infer([[1, 'a'], [true]])).toEqual({
      type: 'array',
      items: { type: ['boolean', 'integer', 'string'] },
    });
    expect(infer([undefined])).toEqual({});
  });

  it('stays bounded: depth, properties and nodes are capped and marked', () => {
    const deep = { a: { b: { c: { d: { e: 1 } } } } };
    expect(infer([deep], { maxDepth: 2 })).toEqual({
      type: 'object',
      properties: {
        a: {
          type: 'object',
          properties: { b: {} },
          required: ['b'],
        },
      },
      required: ['a'],
    });
    const wide = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i]));
    const schema = infer([wide], { maxProperties: 10 });
    expect(Object.keys(schema['properties'] as object)).toHaveLength(10);
    expect(schema['additionalProperties']).toBe(true);
    // Ten thousand distinct keys over many samples never grow the schema beyond maxNodes.
    const acc = new SchemaAccumulator({ maxNodes: 50 });
    for (let i = 0; i < 10_000; i++) acc.add({ [`key${i}`]: { nested: [i] } });
    const props = acc.toJsonSchema()['properties'] as Record<string, unknown>;
    expect(Object.keys(props).length).toBeLessThan(50);
    expect(acc.toJsonSchema()['additionalProperties']).toBe(true);
  });
});
