import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startTributary, type TributaryProcess } from '../../test/support/tributary-process.js';

// Runs `tributary run -f examples/order-pipeline` as the README does and follows orders through the
// checkout Sequence and the notify Parallel by what the in-process recorder logs.
const here = fileURLToPath(new URL('.', import.meta.url));
let trib: TributaryProcess;

beforeAll(async () => {
  trib = await startTributary(here);
});

afterAll(async () => {
  await trib?.stop();
});

async function order(id: string, data: unknown) {
  const res = await request(`${trib.baseUrl}/default/sequences/checkout`, {
    method: 'POST',
    headers: {
      'ce-specversion': '1.0',
      'ce-id': id,
      'ce-source': '/shop',
      'ce-type': 'com.example.order.created',
      'content-type': 'application/json',
    },
    body: JSON.stringify(data),
  });
  await res.body.dump();
  expect(res.statusCode).toBe(202);
}

type Log = Record<string, unknown>;
async function waitForLog(pred: (l: Log) => boolean, timeoutMs = 10_000): Promise<Log> {
  const started = Date.now();
  for (;;) {
    const hit = trib.logs.find(pred);
    if (hit) return hit;
    if (Date.now() - started > timeoutMs) throw new Error('expected log line did not appear');
    await new Promise((r) => setTimeout(r, 25));
  }
}
const recorded = (orderId: string, channel: string) => (l: Log) =>
  l['msg'] === 'order-pipeline recorded' &&
  (l['data'] as Log | undefined)?.['orderId'] === orderId &&
  (l['data'] as Log)['channel'] === channel;

describe('order pipeline example', () => {
  it('validates, charges and ships an order, then notifies by email and sms', async () => {
    await order('order-1', {
      id: 'A1',
      items: [{ sku: 'mug', qty: 2, price: 9.5 }],
      customer: { email: 'ada@example.com', phone: '+15550100' },
    });
    const email = await waitForLog(recorded('A1', 'email'));
    const sms = await waitForLog(recorded('A1', 'sms'));
    expect(email['data']).toEqual({
      channel: 'email',
      to: 'ada@example.com',
      orderId: 'A1',
      trackingNumber: 'TRK-A1',
    });
    expect(sms['data']).toMatchObject({ to: '+15550100', trackingNumber: 'TRK-A1' });
    const charged = trib.logs.find((l) => l['msg'] === 'order charged' && l['orderId'] === 'A1');
    expect(charged).toMatchObject({ paymentId: 'pay-A1', total: 19 });
  });

  it('skips the sms branch for a customer without a phone number', async () => {
    await order('order-2', {
      id: 'B2',
      items: [{ sku: 'tea', qty: 1, price: 4 }],
      customer: { email: 'bob@example.com' },
    });
    await waitForLog(recorded('B2', 'email'));
    const shipped = await waitForLog((l) => l['msg'] === 'order shipped' && l['orderId'] === 'B2');
    // The shipped event (the Sequence's reply) was filtered out of the sms branch in-process.
    await waitForLog(
      (l) =>
        l['msg'] === 'event filtered out' &&
        l['subscription'] === 'notify-kn-parallel-filter-1' &&
        l['type'] === 'com.example.order.shipped',
    );
    expect(shipped['trackingNumber']).toBe('TRK-B2');
    expect(trib.logs.some(recorded('B2', 'sms'))).toBe(false);
  });

  it('dead-letters an order without items to the rejected recorder, with the reason', async () => {
    await order('order-3', { id: 'C3', items: [] });
    const rejected = await waitForLog(
      (l) => l['msg'] === 'order-pipeline rejected' && l['eventId'] === 'order-3',
    );
    expect(rejected['reason']).toMatch(/order C3 has no items/);
    expect(trib.logs.some((l) => l['msg'] === 'order charged' && l['orderId'] === 'C3')).toBe(
      false,
    );
  });
});
