import { describe, expect, it } from 'vitest';
import { type CloudEvent, loadManifestsFromText } from '@tributary/core';
import { EventCatalog, autoEventTypeName } from './event-catalog.js';

const MANIFESTS = `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: shop
  annotations: { tributary.dev/eventtype-auto-create: "true" }
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: quiet }
---
apiVersion: eventing.knative.dev/v1beta3
kind: EventType
metadata:
  name: order-created
  annotations:
    tributary.dev/data-schema: '{"type":"object","properties":{"orderId":{"type":"string"}}}'
spec:
  reference: { apiVersion: eventing.knative.dev/v1, kind: Broker, name: shop }
  description: An order was placed
  attributes:
    - { name: type, required: true, value: com.example.order.created }
    - { name: source, required: true, value: /shop }
`;

const topology = () => {
  const r = loadManifestsFromText([{ file: 'm.yaml', text: MANIFESTS }]);
  expect(r.problems).toEqual([]);
  return r.topology;
};

const event = (type: string, source: string, data?: unknown): CloudEvent => ({
  attributes: {
    specversion: '1.0',
    id: Math.random().toString(36),
    type,
    source,
    ...(data === undefined ? {} : { datacontenttype: 'application/json' }),
  },
  ...(data === undefined ? {} : { data: new TextEncoder().encode(JSON.stringify(data)) }),
});

describe('EventCatalog', () => {
  it('auto-creates one EventType per (type, source) on an annotated broker, with a schema', async () => {
    const c = new EventCatalog(topology());
    c.observe('default', 'shop', [
      event('com.example.order.shipped', '/warehouse', { orderId: 'o-1', carrier: 'ups' }),
      event('com.example.order.shipped', '/warehouse', { orderId: 'o-2' }),
      event('com.example.order.shipped', '/store', { orderId: 3 }),
    ]);
    c.observe('default', 'quiet', [event('com.example.ignored', '/x', { a: 1 })]);
    await c.settle();
    const items = c.list();
    expect(items.map((i) => [i.metadata.name, i.status.origin, i.status.events])).toEqual([
      ['order-created', 'declared', 0],
      [autoEventTypeName('shop', 'com.example.order.shipped', '/warehouse'), 'auto-created', 2],
      [autoEventTypeName('shop', 'com.example.order.shipped', '/store'), 'auto-created', 1],
    ]);
    const warehouse = items[1]!;
    expect(warehouse.metadata.name).toMatch(/^et-shop-[0-9a-f]{10}$/);
    expect(warehouse.spec.reference).toEqual({
      apiVersion: 'eventing.knative.dev/v1',
      kind: 'Broker',
      name: 'shop',
    });
    expect(warehouse.spec.attributes).toContainEqual({
      name: 'type',
      required: true,
      value: 'com.example.order.shipped',
    });
    expect(warehouse.status.schemaSource).toBe('inferred');
    expect(warehouse.status.schema).toMatchObject({
      type: 'object',
      properties: { orderId: { type: 'string' }, carrier: { type: 'string' } },
      required: ['orderId'],
    });
  });

  it('keeps declared EventTypes as declared: their events count there, no duplicate is created', async () => {
    const c = new EventCatalog(topology());
    c.observe('default', 'shop', [
      event('com.example.order.created', '/shop', { orderId: 'o-1', extra: true }),
    ]);
    await c.settle();
    const items = c.list();
    expect(items).toHaveLength(1);
    expect(items[0]!.spec.description).toBe('An order was placed');
    expect(items[0]!.status).toMatchObject({
      origin: 'declared',
      events: 1,
      samples: 1,
      schemaSource: 'declared',
      schema: { type: 'object', properties: { orderId: { type: 'string' } } },
    });
  });

  it('samples the first events, then at most one per interval, and caps the types per broker', async () => {
    let now = 1_000;
    const c = new EventCatalog(topology(), {
      sampleFirst: 3,
      sampleIntervalMs: 1000,
      maxTypesPerBroker: 3,
      now: () => now,
    });
    for (let i = 0; i < 100; i++) c.observe('default', 'shop', [event('t.a', '/s', { i })]);
    now += 1000;
    c.observe('default', 'shop', [event('t.a', '/s', { i: 'late' })]);
    for (let i = 0; i < 10; i++) c.observe('default', 'shop', [event(`t.${i}`, '/s', {})]);
    await c.settle();
    const a = c.list().find((e) => e.spec.attributes.some((x) => x.value === 't.a'))!;
    expect(a.status.events).toBe(101);
    expect(a.status.samples).toBe(4);
    expect(a.status.schema).toMatchObject({ properties: { i: { type: ['integer', 'string'] } } });
    // The declared EventType of this broker counts toward the cap: 3 in all.
    expect(c.list().filter((e) => e.status.origin === 'auto-created')).toHaveLength(2);
    expect(c.dropped()).toEqual({ 'default/shop': 9 });
  });
});
