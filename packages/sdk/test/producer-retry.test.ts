import { afterEach, describe, expect, it } from 'vitest';
import { freePort, type HttpSink, startHttpSink } from '@tributary/testkit';
import {
  BrokerUnreachableError,
  createProducer,
  EventRejectedError,
  type Producer,
} from '@tributary/sdk';

let sink: HttpSink | undefined;
let producer: Producer | undefined;
afterEach(async () => {
  await producer?.close();
  producer = undefined;
  await sink?.close();
  sink = undefined;
});

const fast = { retries: 3, backoff: 'linear', delayMs: 1, maxDelayMs: 5 } as const;

describe('retries', () => {
  it('retries 503 and succeeds; the same event (same id) is posted each time', async () => {
    sink = await startHttpSink({ failFirst: { count: 2, status: 503 } });
    producer = createProducer({ url: sink.url, source: '/s', retry: fast });
    const result = await producer.send({ type: 't' });
    expect(result).toEqual({ status: 202, attempts: 3 });
    expect(sink.requests.map((r) => r.status)).toEqual([503, 503, 202]);
    expect(new Set(sink.requests.map((r) => r.headers['ce-id'])).size).toBe(1);
  });

  it.each([404, 408, 409, 429, 500, 502])('retries HTTP %i', async (status) => {
    sink = await startHttpSink({ failFirst: { count: 1, status } });
    producer = createProducer({ url: sink.url, source: '/s', retry: fast });
    expect((await producer.send({ type: 't' })).attempts).toBe(2);
  });

  it('honours Retry-After on 503: another event is delivered while the first waits', async () => {
    sink = await startHttpSink({
      script: (req) =>
        req.headers['ce-type'] === 'first' && req.index === 0
          ? { status: 503, headers: { 'retry-after': '1' } }
          : undefined,
    });
    // Without Retry-After the retry would follow after about 1 ms.
    producer = createProducer({
      url: sink.url,
      source: '/s',
      retry: { retries: 2, backoff: 'linear', delayMs: 1, maxDelayMs: 1 },
    });
    const first = producer.send({ type: 'first' });
    await sink.waitFor(1);
    await producer.send({ type: 'second' });
    expect((await first).attempts).toBe(2);
    expect(sink.requests.map((r) => `${String(r.headers['ce-type'])}:${r.status}`)).toEqual([
      'first:503',
      'second:202',
      'first:202',
    ]);
  });

  it('honours Retry-After on 429 (HTTP-date form) the same way', async () => {
    const inOneSecond = new Date(Date.now() + 1500).toUTCString();
    sink = await startHttpSink({
      script: (req) =>
        req.headers['ce-type'] === 'first' && req.index === 0
          ? { status: 429, headers: { 'retry-after': inOneSecond } }
          : undefined,
    });
    producer = createProducer({
      url: sink.url,
      source: '/s',
      retry: { retries: 2, backoff: 'linear', delayMs: 1, maxDelayMs: 1 },
    });
    const first = producer.send({ type: 'first' });
    await sink.waitFor(1);
    await producer.send({ type: 'second' });
    await first;
    expect(sink.requests.map((r) => `${String(r.headers['ce-type'])}:${r.status}`)).toEqual([
      'first:429',
      'second:202',
      'first:202',
    ]);
  });

  it('400 → EventRejectedError with the broker message, not retried', async () => {
    sink = await startHttpSink({
      defaultResponse: {
        status: 400,
        headers: { 'content-type': 'application/json' },
        body: '{"error":"attribute \'type\' is required"}',
      },
    });
    producer = createProducer({ url: sink.url, source: '/s', retry: fast });
    const err = await producer.send({ type: 't' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EventRejectedError);
    const rejected = err as EventRejectedError;
    expect(rejected.code).toBe('TRIB_ERR_SDK_EVENT_REJECTED');
    expect(rejected.status).toBe(400);
    expect(rejected.brokerMessage).toBe("attribute 'type' is required");
    expect(rejected.message).toContain("HTTP 400: attribute 'type' is required");
    expect(rejected.attempts).toBe(1);
    expect(sink.requests).toHaveLength(1);
  });

  it('a text body becomes the message; a retried status that persists ends in EventRejectedError', async () => {
    sink = await startHttpSink({ defaultResponse: { status: 503, body: 'overloaded' } });
    producer = createProducer({ url: sink.url, source: '/s', retry: { ...fast, retries: 2 } });
    const err = (await producer.send({ type: 't' }).catch((e: unknown) => e)) as EventRejectedError;
    expect(err).toBeInstanceOf(EventRejectedError);
    expect(err.status).toBe(503);
    expect(err.brokerMessage).toBe('overloaded');
    expect(err.attempts).toBe(3);
    expect(sink.requests).toHaveLength(3);
  });

  it('unreachable port → BrokerUnreachableError after retries + 1 attempts', async () => {
    const port = await freePort();
    producer = createProducer({
      url: `http://127.0.0.1:${port}/default/default`,
      source: '/s',
      retry: { ...fast, retries: 2 },
    });
    const err = (await producer
      .send({ type: 't' })
      .catch((e: unknown) => e)) as BrokerUnreachableError;
    expect(err).toBeInstanceOf(BrokerUnreachableError);
    expect(err.code).toBe('TRIB_ERR_SDK_BROKER_UNREACHABLE');
    expect(err.attempts).toBe(3);
    expect(err.cause).toBeInstanceOf(Error);
    expect(err.message).toContain(`127.0.0.1:${port}`);
  });

  it('a timed-out attempt is retried (per-call timeoutMs)', async () => {
    sink = await startHttpSink({ script: [{ status: 202, delayMs: 2_000 }] });
    producer = createProducer({ url: sink.url, source: '/s', retry: fast });
    const result = await producer.send({ type: 't' }, { timeoutMs: 100 });
    expect(result.attempts).toBe(2);
    expect(sink.requests).toHaveLength(2);
  });

  it('timeouts on every attempt → BrokerUnreachableError naming the timeout', async () => {
    sink = await startHttpSink({ defaultResponse: { status: 202, delayMs: 2_000 } });
    producer = createProducer({
      url: sink.url,
      source: '/s',
      timeoutMs: 50,
      retry: { ...fast, retries: 1 },
    });
    const err = (await producer
      .send({ type: 't' })
      .catch((e: unknown) => e)) as BrokerUnreachableError;
    expect(err).toBeInstanceOf(BrokerUnreachableError);
    expect(err.attempts).toBe(2);
    expect(err.message).toContain('timed out after 50 ms');
  });

  it('an aborted signal stops the call without retrying', async () => {
    sink = await startHttpSink({ defaultResponse: { status: 503 } });
    producer = createProducer({
      url: sink.url,
      source: '/s',
      retry: { retries: 5, backoff: 'linear', delayMs: 60_000, maxDelayMs: 60_000 },
    });
    const controller = new AbortController();
    const call = producer.send({ type: 't' }, { signal: controller.signal });
    await sink.waitFor(1);
    controller.abort(new Error('user gave up'));
    await expect(call).rejects.toThrow('user gave up');
    expect(sink.requests).toHaveLength(1);
  });
});
