import { describe, expect, it } from 'vitest';
import type { CatalogEventType } from '@tributary/broker';
import { definitionName, generateTypeScript } from '../src/codegen/typescript.js';
import { emit } from '../src/codegen/zod-from-json-schema.js';

describe('JSON Schema to zod', () => {
  it('maps declared keywords and never guesses a type for unknown ones', () => {
    expect(emit({ enum: ['a', 'b'] })).toBe('z.enum(["a","b"])');
    expect(emit({ enum: [1, 'a', null] })).toBe(
      'z.union([z.literal(1), z.literal("a"), z.null()])',
    );
    expect(emit({ const: 'x' })).toBe('z.literal("x")');
    expect(emit({ oneOf: [{ type: 'string' }, { type: 'integer' }] })).toBe(
      'z.union([z.string(), z.number().int()])',
    );
    expect(emit({ type: ['null', 'number'] })).toBe('z.number().nullable()');
    expect(emit({ type: 'null' })).toBe('z.null()');
    expect(emit({ $ref: '#/defs/x' })).toBe('z.unknown()');
    expect(emit({ type: 'string', format: 'uuid', description: 'an id' })).toBe(
      'z.guid().describe("an id")',
    );
    expect(
      emit({
        type: 'object',
        properties: { 'a-b': { type: 'boolean' }, n: { type: 'number' } },
        required: ['n'],
        additionalProperties: false,
      }),
    ).toBe('z.strictObject({\n  "a-b": z.boolean().optional(),\n  n: z.number(),\n})');
  });
});

const entry = (
  name: string,
  type: string,
  source: string,
  schema?: Record<string, unknown>,
): CatalogEventType => ({
  apiVersion: 'eventing.knative.dev/v1beta3',
  kind: 'EventType',
  metadata: { name, namespace: 'default' },
  spec: {
    reference: { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', name: 'b' },
    description: 'has */ inside',
    attributes: [
      { name: 'type', required: true, value: type },
      { name: 'source', required: true, value: source },
    ],
  },
  status: {
    origin: 'auto-created',
    events: 1,
    samples: schema ? 1 : 0,
    schemaSource: schema ? 'inferred' : undefined,
    schema,
  },
});

describe('generateTypeScript', () => {
  it('names definitions after the type, one per type, a union when sources differ', () => {
    expect(definitionName('com.example.order.created')).toBe('ComExampleOrderCreated');
    expect(definitionName('1-up')).toBe('Event1Up');
    const text = generateTypeScript(
      [
        entry('a', 'order.created', '/web', {
          type: 'object',
          properties: { a: { type: 'string' } },
        }),
        entry('b', 'order.created', '/app', {
          type: 'object',
          properties: { b: { type: 'number' } },
        }),
        entry('c', 'ping', '/monitor'),
      ],
      'test',
    );
    expect(text).toContain('export const OrderCreated = defineEvent({');
    expect(text).not.toContain('source: "/web"');
    expect(text).toContain('schema: z.union([');
    expect(text).toContain('export const Ping = defineEvent({');
    expect(text).toContain('  source: "/monitor",\n  schema: z.unknown(),');
    expect(text).toContain('has *\\/ inside');
    expect(text).toContain('export const eventDefinitions = [OrderCreated, Ping] as const;');
  });
});
