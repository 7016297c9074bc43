import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { type HttpSink, startHttpSink } from '@tributary/testkit';
import {
  createProducer,
  defineEvent,
  type EventData,
  type Producer,
  ProducerValidationError,
} from '@tributary/sdk';
import { parseWithCloudEventsSdk } from './helpers.js';

const OrderCreated = defineEvent({
  name: 'OrderCreated',
  type: 'com.example.order.created',
  source: '/shop/orders',
  schema: z.object({
    orderId: z.string(),
    total: z.number(),
    items: z.array(z.object({ sku: z.string().min(2), qty: z.number().int().default(1) })),
  }),
});

let sink: HttpSink | undefined;
let producer: Producer | undefined;
afterEach(async () => {
  await producer?.close();
  producer = undefined;
  await sink?.close();
  sink = undefined;
});

describe('typed events', () => {
  it('infers the data type from the schema (compile-time check)', () => {
    type Data = EventData<typeof OrderCreated>;
    expectTypeOf<Data>().toEqualTypeOf<{
      orderId: string;
      total: number;
      items: { sku: string; qty?: number | undefined }[];
    }>();
    const p = createProducer({ url: 'http://127.0.0.1:9/x' });
    type TypedSend = (d: typeof OrderCreated, data: Data) => unknown;
    expectTypeOf(p.send).toExtend<TypedSend>();
    expectTypeOf(p.send).parameter(0).toExtend<{ type: string }>();
    if (false as boolean) {
      // @ts-expect-error total must be a number
      void p.send(OrderCreated, { orderId: 'o', total: '12', items: [] });
      // @ts-expect-error orderId is required
      void p.send(OrderCreated, { total: 1, items: [] });
    }
    void p.close();
  });

  it('a valid typed event is sent with its type, source and the parsed data (defaults applied)', async () => {
    sink = await startHttpSink();
    producer = createProducer({ url: sink.url });
    await producer.send(
      OrderCreated,
      { orderId: 'o-1', total: 12, items: [{ sku: 'ab' }] },
      { subject: 'o-1', extensions: { tenant: 'acme' } },
    );
    const ce = parseWithCloudEventsSdk((await sink.waitFor(1))[0]!);
    if (Array.isArray(ce)) throw new Error('expected one event');
    expect(ce.type).toBe('com.example.order.created');
    expect(ce.source).toBe('/shop/orders');
    expect(ce.subject).toBe('o-1');
    expect(ce['tenant']).toBe('acme');
    expect(ce.data).toEqual({ orderId: 'o-1', total: 12, items: [{ sku: 'ab', qty: 1 }] });
  });

  it('invalid data fails before sending, naming the event and the field', async () => {
    sink = await startHttpSink();
    producer = createProducer({ url: sink.url });
    const bad = { orderId: 'o-1', total: '12', items: [{ sku: 'x' }] } as unknown as EventData<
      typeof OrderCreated
    >;
    const err = (await producer
      .send(OrderCreated, bad)
      .catch((e: unknown) => e)) as ProducerValidationError;
    expect(err).toBeInstanceOf(ProducerValidationError);
    expect(err.code).toBe('TRIB_ERR_SDK_VALIDATION');
    expect(err.field).toBe('data.total');
    expect(err.value).toBe('12');
    expect(err.problems[0]).toBe('OrderCreated data.total: expected number, received string');
    expect(err.message).toContain('OrderCreated data.total: expected number, received string');
    expect(err.message).toContain('OrderCreated data.items[0].sku: Too small');
    expect(sink.requests).toHaveLength(0);
  });

  it('definition.event() builds inputs for sendBatch', async () => {
    sink = await startHttpSink();
    producer = createProducer({ url: sink.url, mode: 'batch' });
    await producer.sendBatch([
      OrderCreated.event({ orderId: 'a', total: 1, items: [] }),
      OrderCreated.event({ orderId: 'b', total: 2, items: [] }),
    ]);
    const ces = parseWithCloudEventsSdk(sink.requests[0]!);
    if (!Array.isArray(ces)) throw new Error('expected a batch');
    expect(ces.map((e) => (e.data as { orderId: string }).orderId)).toEqual(['a', 'b']);
  });
});
