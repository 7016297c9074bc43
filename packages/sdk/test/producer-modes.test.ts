import { afterEach, describe, expect, it } from 'vitest';
import { type HttpSink, startHttpSink } from '@tributary/testkit';
import { createProducer, type Producer } from '@tributary/sdk';
import { parseWithCloudEventsSdk } from './helpers.js';

let sink: HttpSink;
let producer: Producer | undefined;
afterEach(async () => {
  await producer?.close();
  producer = undefined;
  await sink?.close();
});

describe('content modes, decoded by the cloudevents npm package', () => {
  it('binary mode: attributes as ce- headers, JSON data as the body', async () => {
    sink = await startHttpSink();
    producer = createProducer({ url: `${sink.url}/default/orders`, source: '/shop' });
    const result = await producer.send({
      type: 'com.example.order.created',
      subject: 'o-1',
      data: { orderId: 'o-1', total: 12.5 },
      extensions: { traceid: 'abc', priority: 3, urgent: true },
    });
    expect(result).toEqual({ status: 202, attempts: 1 });
    const [req] = await sink.waitFor(1);
    expect(req!.url).toBe('/default/orders');
    expect(req!.headers['ce-specversion']).toBe('1.0');
    const ce = parseWithCloudEventsSdk(req!);
    expect(Array.isArray(ce)).toBe(false);
    if (Array.isArray(ce)) return;
    expect(ce.type).toBe('com.example.order.created');
    expect(ce.source).toBe('/shop');
    expect(ce.subject).toBe('o-1');
    expect(ce.specversion).toBe('1.0');
    expect(ce.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number.isNaN(Date.parse(ce.time!))).toBe(false);
    expect(ce.datacontenttype).toBe('application/json');
    expect(ce.data).toEqual({ orderId: 'o-1', total: 12.5 });
    expect(ce['traceid']).toBe('abc');
    expect(ce['priority']).toBe('3');
    expect(ce['urgent']).toBe('true');
  });

  it('structured mode: one application/cloudevents+json body', async () => {
    sink = await startHttpSink();
    producer = createProducer({ url: `${sink.url}/default/orders`, mode: 'structured' });
    const time = new Date('2024-05-01T10:00:00.000Z');
    await producer.send({
      type: 't.one',
      source: 'urn:src',
      id: 'id-1',
      time,
      data: 'plain text',
      datacontenttype: 'text/plain',
      extensions: { region: 'eu' },
    });
    const [req] = await sink.waitFor(1);
    expect(String(req!.headers['content-type'])).toMatch(/^application\/cloudevents\+json/);
    const ce = parseWithCloudEventsSdk(req!);
    if (Array.isArray(ce)) throw new Error('expected one event');
    expect(ce.id).toBe('id-1');
    expect(ce.source).toBe('urn:src');
    expect(ce.time).toBe('2024-05-01T10:00:00.000Z');
    expect(ce.datacontenttype).toBe('text/plain');
    expect(ce.data).toBe('plain text');
    expect(ce['region']).toBe('eu');
  });

  it('batch mode: queued sends go out as one application/cloudevents-batch+json request', async () => {
    sink = await startHttpSink();
    producer = createProducer({
      url: `${sink.url}/default/orders`,
      source: '/shop',
      mode: 'batch',
      batch: { maxEvents: 3, maxDelayMs: 60_000 },
    });
    const sends = [1, 2, 3].map((n) => producer!.send({ type: 'com.example.tick', data: { n } }));
    const results = await Promise.all(sends);
    expect(results.every((r) => r.status === 202)).toBe(true);
    expect(sink.requests).toHaveLength(1);
    const req = sink.requests[0]!;
    expect(String(req.headers['content-type'])).toMatch(/^application\/cloudevents-batch\+json/);
    const ces = parseWithCloudEventsSdk(req);
    if (!Array.isArray(ces)) throw new Error('expected a batch');
    expect(ces.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(new Set(ces.map((e) => e.id)).size).toBe(3);
    expect(
      ces.every(
        (e) => e.source === '/shop' && e.type === 'com.example.tick' && e.specversion === '1.0',
      ),
    ).toBe(true);
  });

  it('batch mode: maxDelayMs posts a partial batch', async () => {
    sink = await startHttpSink();
    producer = createProducer({
      url: sink.url,
      source: '/s',
      mode: 'batch',
      batch: { maxEvents: 100, maxDelayMs: 5 },
    });
    await producer.send({ type: 'a' });
    expect(sink.requests).toHaveLength(1);
    expect(sink.requests[0]!.events).toHaveLength(1);
  });

  it('sendBatch in batch mode splits by maxEvents; in binary mode sends one request per event', async () => {
    sink = await startHttpSink();
    producer = createProducer({
      url: sink.url,
      source: '/s',
      mode: 'batch',
      batch: { maxEvents: 2 },
    });
    const results = await producer.sendBatch([{ type: 'a' }, { type: 'b' }, { type: 'c' }]);
    expect(results).toHaveLength(2);
    expect(sink.requests.map((r) => r.events.length).sort()).toEqual([1, 2]);
    await producer.close();

    producer = createProducer({ url: sink.url, source: '/s' });
    const single = await producer.sendBatch([{ type: 'x' }, { type: 'y' }]);
    expect(single).toHaveLength(2);
    expect(sink.requests.slice(2).every((r) => r.headers['ce-specversion'] === '1.0')).toBe(true);
    expect(
      sink.events
        .map((e) => e.attributes['type'])
        .slice(3)
        .sort(),
    ).toEqual(['x', 'y']);
  });

  it('bytes are sent as-is in binary mode and as data_base64 in structured mode', async () => {
    sink = await startHttpSink();
    const bytes = new Uint8Array([0, 1, 2, 250]);
    producer = createProducer({ url: sink.url, source: '/s' });
    await producer.send({ type: 'bin', data: bytes });
    expect(Buffer.from(sink.requests[0]!.body)).toEqual(Buffer.from(bytes));
    expect(sink.requests[0]!.headers['content-type']).toBe('application/octet-stream');
    await producer.close();
    producer = createProducer({ url: sink.url, source: '/s', mode: 'structured' });
    await producer.send({ type: 'bin', data: bytes });
    const json = JSON.parse(Buffer.from(sink.requests[1]!.body).toString('utf8')) as Record<
      string,
      unknown
    >;
    expect(json['data_base64']).toBe(Buffer.from(bytes).toString('base64'));
    expect(sink.events[1]!.data).toEqual(Buffer.from(bytes));
  });

  it('extra headers go on every request', async () => {
    sink = await startHttpSink();
    producer = createProducer({
      url: sink.url,
      source: '/s',
      headers: { authorization: 'Bearer t0ken' },
    });
    await producer.send({ type: 'a' });
    expect(sink.requests[0]!.headers['authorization']).toBe('Bearer t0ken');
  });
});
