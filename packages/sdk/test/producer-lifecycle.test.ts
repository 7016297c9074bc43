import { afterEach, describe, expect, it } from 'vitest';
import { type HttpSink, startHttpSink } from '@tributary/testkit';
import { createProducer, type Producer, ProducerClosedError } from '@tributary/sdk';
import { startCountingServer } from './helpers.js';

let sink: HttpSink | undefined;
let producer: Producer | undefined;
afterEach(async () => {
  await producer?.close();
  producer = undefined;
  await sink?.close();
  sink = undefined;
});

describe('close() and connections', () => {
  it('close() flushes a pending batch before closing', async () => {
    sink = await startHttpSink();
    producer = createProducer({
      url: sink.url,
      source: '/s',
      mode: 'batch',
      batch: { maxEvents: 100, maxDelayMs: 600_000 },
    });
    const sends = [producer.send({ type: 'a' }), producer.send({ type: 'b' })];
    expect(sink.requests).toHaveLength(0);
    await producer.close();
    expect(sink.requests).toHaveLength(1);
    expect(sink.events.map((e) => e.attributes['type'])).toEqual(['a', 'b']);
    expect((await Promise.all(sends)).map((r) => r.status)).toEqual([202, 202]);
  });

  it('batch mode: aborting a queued send withdraws it from the batch', async () => {
    sink = await startHttpSink();
    producer = createProducer({
      url: sink.url,
      source: '/s',
      mode: 'batch',
      batch: { maxEvents: 100, maxDelayMs: 600_000 },
    });
    const controller = new AbortController();
    const kept = producer.send({ type: 'kept' });
    const withdrawn = producer.send({ type: 'withdrawn' }, { signal: controller.signal });
    await Promise.resolve();
    controller.abort(new Error('not needed'));
    await expect(withdrawn).rejects.toThrow('not needed');
    await producer.close();
    await kept;
    expect(sink.events.map((e) => e.attributes['type'])).toEqual(['kept']);
  });

  it('close() waits for a call that is retrying', async () => {
    sink = await startHttpSink({ failFirst: { count: 2, status: 503 } });
    producer = createProducer({
      url: sink.url,
      source: '/s',
      retry: { retries: 3, backoff: 'linear', delayMs: 20, maxDelayMs: 20 },
    });
    const call = producer.send({ type: 'a' });
    await sink.waitFor(1);
    await producer.close();
    expect((await call).attempts).toBe(3);
  });

  it('sending after close rejects with ProducerClosedError', async () => {
    sink = await startHttpSink();
    producer = createProducer({ url: sink.url, source: '/s' });
    await producer.close();
    expect(producer.closed).toBe(true);
    const err = await producer.send({ type: 'a' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProducerClosedError);
    expect((err as ProducerClosedError).code).toBe('TRIB_ERR_SDK_PRODUCER_CLOSED');
    await expect(producer.sendBatch([{ type: 'a' }])).rejects.toBeInstanceOf(ProducerClosedError);
    expect(sink.requests).toHaveLength(0);
  });

  it('keep-alive: with connections: 1 every send goes over the same TCP connection (counted by the server)', async () => {
    const server = await startCountingServer();
    try {
      producer = createProducer({ url: server.url, source: '/s', connections: 1 });
      for (let i = 0; i < 5; i++) await producer.send({ type: 'a', data: { i } });
      await Promise.all([1, 2, 3].map((i) => producer!.send({ type: 'b', data: { i } })));
      expect(server.requests()).toBe(8);
      expect(server.connections()).toBe(1);
    } finally {
      await producer?.close();
      producer = undefined;
      await server.close();
    }
  });

  it('keep-alive: 20 sequential sends on the default pool open at most 2 connections', async () => {
    // undici marks a connection free a tick after the response ends, so a send that follows
    // immediately may take a second pooled connection; after that the two are reused.
    const server = await startCountingServer();
    try {
      producer = createProducer({ url: server.url, source: '/s' });
      for (let i = 0; i < 20; i++) await producer.send({ type: 'a' });
      expect(server.requests()).toBe(20);
      expect(server.connections()).toBeLessThanOrEqual(2);
      expect(producer.stats.connected).toBe(server.connections());
    } finally {
      await producer?.close();
      producer = undefined;
      await server.close();
    }
  });

  it('keep-alive against the testkit sink: no request asks to close the connection', async () => {
    sink = await startHttpSink();
    producer = createProducer({ url: sink.url, source: '/s', connections: 2 });
    for (let i = 0; i < 3; i++) await producer.send({ type: 'a' });
    expect(sink.requests.every((r) => r.headers['connection'] !== 'close')).toBe(true);
    expect(producer.stats.connected).toBeLessThanOrEqual(2);
  });
});

describe('options and sendBatch validation', () => {
  it('createProducer names the invalid option', async () => {
    const { ProducerValidationError } = await import('@tributary/sdk');
    expect(() => createProducer({ url: 'not a url' })).toThrow(
      /^url: 'not a url' is not an absolute URL/,
    );
    expect(() => createProducer({ url: 'ftp://x/y' })).toThrow(/^url: must be http: or https:/);
    expect(() => createProducer({ url: 'http://x/y', mode: 'pigeon' as 'batch' })).toThrow(
      /^mode: must be/,
    );
    expect(() => createProducer({ url: 'http://x/y', batch: { maxEvents: 0 } })).toThrow(
      ProducerValidationError,
    );
    expect(() => createProducer({ url: 'http://x/y', retry: { delayMs: -1 } })).toThrow(
      /^retry\.delayMs/,
    );
  });

  it('sendBatch validates every event first and sends nothing when one is invalid', async () => {
    sink = await startHttpSink();
    producer = createProducer({ url: sink.url, source: '/s' });
    await expect(
      producer.sendBatch([{ type: 'ok' }, { type: 'bad', extensions: { Bad: 1 } }]),
    ).rejects.toMatchObject({
      field: 'events[1].extensions.Bad',
      code: 'TRIB_ERR_SDK_VALIDATION',
    });
    expect(sink.requests).toHaveLength(0);
  });
});
