import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { silentLogger } from '@tributary/core';
import { defineEvent } from '@tributary/sdk';
import {
  type FunctionServer,
  NonRetryableError,
  handle,
  serve,
  toFunctionEvent,
} from '@tributary/function';

const OrderCreated = defineEvent({
  name: 'OrderCreated',
  type: 'com.example.order.created',
  schema: z.object({ orderId: z.string(), total: z.number(), currency: z.string().default('EUR') }),
});

const fnEvent = (type: string, data: unknown) =>
  toFunctionEvent({
    attributes: {
      specversion: '1.0',
      id: '1',
      source: '/s',
      type,
      datacontenttype: 'application/json',
    },
    data: Buffer.from(JSON.stringify(data)),
  });
const ctx = { logger: silentLogger, signal: new AbortController().signal };

describe('handle', () => {
  it('passes validated, typed data (defaults applied) to the handler', async () => {
    const h = handle(OrderCreated, (event) => {
      expectTypeOf(event.data.total).toEqualTypeOf<number>();
      return { type: 'priced', data: { id: event.data.orderId, currency: event.data.currency } };
    });
    expect(await h(fnEvent('com.example.order.created', { orderId: 'o1', total: 3 }), ctx)).toEqual(
      {
        type: 'priced',
        data: { id: 'o1', currency: 'EUR' },
      },
    );
  });

  it('refuses bad data with a NonRetryableError naming the field', async () => {
    const h = handle(OrderCreated, () => undefined);
    const err = await Promise.resolve(
      h(fnEvent('com.example.order.created', { orderId: 'o1', total: 'x' }), ctx),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonRetryableError);
    expect((err as NonRetryableError).status).toBe(400);
    expect((err as Error).message).toBe(
      'OrderCreated data.total: expected number, received string',
    );
  });

  it('refuses another type (or passes it over with rejectOtherTypes: false)', async () => {
    await expect(
      Promise.resolve(handle(OrderCreated, () => undefined)(fnEvent('other', {}), ctx)),
    ).rejects.toThrow(/expected an event of type 'com.example.order.created', got 'other'/);
    let called = false;
    const lenient = handle(OrderCreated, () => void (called = true), { rejectOtherTypes: false });
    expect(await lenient(fnEvent('other', {}), ctx)).toBeUndefined();
    expect(called).toBe(false);
  });
});

describe('handle with serve', () => {
  let server: FunctionServer | undefined;
  afterEach(async () => server?.close());

  it('answers 400 with the field in {error} for bad data, 200 with the reply for good data', async () => {
    server = await serve(
      handle(OrderCreated, (e) => ({
        type: 'com.example.order.priced',
        data: { total: e.data.total * 2 },
      })),
      { port: 0, logger: silentLogger, handleSignals: false },
    );
    const post = (data: unknown) =>
      fetch(server!.url, {
        method: 'POST',
        headers: {
          'ce-specversion': '1.0',
          'ce-id': '1',
          'ce-source': '/s',
          'ce-type': OrderCreated.type,
          'content-type': 'application/json',
        },
        body: JSON.stringify(data),
      });
    const bad = await post({ orderId: 7, total: 1 });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: 'OrderCreated data.orderId: expected string, received number',
    });
    const good = await post({ orderId: 'o', total: 2 });
    expect(good.status).toBe(200);
    expect(await good.json()).toEqual({ total: 4 });
  });
});
