import { afterEach, describe, expect, it } from 'vitest';
import { createDeliveryAgent, createHttpTarget } from '@tributary/broker';
import { silentLogger } from '@tributary/core';
import { makeEvent, startHttpSink, type HttpSink } from '@tributary/testkit';
import {
  DeliveryDedupe,
  SinkDeliveryError,
  applyCeOverrides,
  createSourceSink,
  pingEvent,
} from '../src/index.js';

const fast = { retry: 3, backoffPolicy: 'exponential' as const, backoffDelayMs: 5 };
const sinks: HttpSink[] = [];
const agent = createDeliveryAgent();
afterEach(async () => {
  for (const s of sinks.splice(0)) await s.close();
});
const sinkOf = async (opts: Parameters<typeof startHttpSink>[0]) => {
  const s = await startHttpSink(opts);
  sinks.push(s);
  return s;
};

describe('source sink (retries until accepted)', () => {
  it('retries retryable answers (503, 429) until 2xx and sends binary mode', async () => {
    const http = await sinkOf({ failFirst: { count: 2, status: 503 } });
    const sink = createSourceSink({
      target: createHttpTarget(http.url, { agent, namespace: 'default' }),
      policy: fast,
      logger: silentLogger,
    });
    await sink(makeEvent({ id: 'a' }));
    expect(http.requests.map((r) => r.status)).toEqual([503, 503, 202]);
    expect(http.requests[2]!.headers['ce-id']).toBe('a');
  });

  it('rejects with SinkDeliveryError after the retries, and at once on a non-retryable 400', async () => {
    const down = await sinkOf({ script: () => ({ status: 500 }) });
    const sink = createSourceSink({
      target: createHttpTarget(down.url, { agent, namespace: 'default' }),
      policy: fast,
      logger: silentLogger,
    });
    await expect(sink(makeEvent())).rejects.toThrow(SinkDeliveryError);
    expect(down.requests).toHaveLength(4);
    const bad = await sinkOf({ script: () => ({ status: 400, body: 'nope' }) });
    const sink2 = createSourceSink({
      target: createHttpTarget(bad.url, { agent, namespace: 'default' }),
      policy: fast,
      logger: silentLogger,
    });
    await expect(sink2(makeEvent())).rejects.toThrow(/answered 400 \(not retryable\): nope/);
    expect(bad.requests).toHaveLength(1);
  });
});

describe('ceOverrides', () => {
  it('adds extensions with lower-cased names and never replaces spec attributes', () => {
    const e = applyCeOverrides(makeEvent({ type: 't', id: 'i' }), {
      extensions: { Foo: 'bar', type: 'x', ID: 'y' },
    });
    expect(e.attributes).toMatchObject({ foo: 'bar', type: 't', id: 'i' });
  });
});

describe('PingSource event', () => {
  it('has no body and no datacontenttype without data; data as UTF-8 otherwise', () => {
    const meta = { name: 'p', namespace: 'ns' };
    const empty = pingEvent({
      metadata: meta,
      spec: { schedule: '* * * * *', contentType: 'text/plain', sink: { uri: 'http://x/' } },
    } as never);
    expect(empty.data).toBeUndefined();
    expect(empty.attributes['datacontenttype']).toBeUndefined();
    const json = pingEvent(
      {
        metadata: meta,
        spec: {
          schedule: '* * * * *',
          contentType: 'application/json',
          data: '{"a":1}',
          sink: { uri: 'http://x/' },
        },
      } as never,
      () => '2024-01-01T00:00:00Z',
    );
    expect(json.attributes).toMatchObject({
      source: '/apis/v1/namespaces/ns/pingsources/p',
      datacontenttype: 'application/json',
      time: '2024-01-01T00:00:00Z',
    });
    expect(Buffer.from(json.data!).toString()).toBe('{"a":1}');
  });
});

describe('DeliveryDedupe', () => {
  it('runs once per key within the window, again after it expires', async () => {
    let now = 0;
    const d = new DeliveryDedupe({ windowMs: 1000, now: () => now });
    let runs = 0;
    const work = async () => void runs++;
    expect(await d.run('k', work)).toBe('emitted');
    expect(await d.run('k', work)).toBe('duplicate');
    now = 1001;
    expect(await d.run('k', work)).toBe('emitted');
    expect(runs).toBe(2);
  });

  it('does not remember failures; concurrent redeliveries share the one in flight', async () => {
    const d = new DeliveryDedupe({ windowMs: 1000 });
    await expect(d.run('k', async () => Promise.reject(new Error('sink down')))).rejects.toThrow(
      'sink down',
    );
    let release!: () => void;
    let runs = 0;
    const slow = () => new Promise<void>((r) => (runs++, (release = r)));
    const first = d.run('k', slow);
    const second = d.run('k', slow);
    release();
    expect(await Promise.all([first, second])).toEqual(['emitted', 'duplicate']);
    expect(runs).toBe(1);
  });

  it('bounds memory to maxEntries, forgetting the oldest first; window 0 disables', async () => {
    const d = new DeliveryDedupe({ windowMs: 60_000, maxEntries: 3 });
    for (const k of ['a', 'b', 'c', 'd']) await d.run(k, async () => undefined);
    expect(d.size).toBe(3);
    expect(await d.run('a', async () => undefined)).toBe('emitted');
    expect(await d.run('d', async () => undefined)).toBe('duplicate');
    const off = new DeliveryDedupe({ windowMs: 0 });
    await off.run('x', async () => undefined);
    expect(await off.run('x', async () => undefined)).toBe('emitted');
  });
});
