import { type CloudEvent, BackendUnavailableError, EventUnsupportedError } from '@tributary/core';
import { CloudEvent as SdkEvent, HTTP } from 'cloudevents';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryBackend, type MemoryBackend } from '../backends/memory/memory-backend.js';
import { createHttpServer, type HttpServer } from '../http/http-server.js';
import { createBrokerIngress, type BrokerIngress, parseBrokerPath } from './broker-ingress.js';

const TOPIC = 'broker-ns-b';
let server: HttpServer;
let url: string;
let backend: MemoryBackend;
let ingress: BrokerIngress;
let received: CloudEvent[] = [];

beforeAll(async () => {
  backend = createMemoryBackend({ maxQueuedPerSubscription: 1000 });
  await backend.start();
  await backend.subscribe(TOPIC, 'recorder', async (e) => void received.push(e), {
    ordered: false,
    concurrency: 4,
  });
  ingress = createBrokerIngress({
    lookup: (ns, name) => {
      if (ns === 'ns' && name === 'b')
        return { publish: (events) => backend.publish(TOPIC, events) };
      if (ns === 'ns' && name === 'full')
        return { publish: () => Promise.reject(new BackendUnavailableError('queue full', 7)) };
      if (ns === 'ns' && name === 'broken')
        return { publish: () => Promise.reject(new Error('disk on fire')) };
      return undefined;
    },
  });
  server = createHttpServer({ port: 0, maxBodyBytes: 64 * 1024 });
  server.route('*', ingress.matches, ingress.handle, { fallback: true });
  url = await server.listen();
});
afterAll(async () => {
  await server.close({ drainMs: 100 });
  await backend.close({ drainMs: 100 });
});
beforeEach(() => {
  received = [];
});

const sdkEvent = (extra: Record<string, unknown> = {}): SdkEvent<unknown> =>
  new SdkEvent({ type: 'dev.test.ingress', source: '/tests', data: { hello: 'world' }, ...extra });

async function post(
  path: string,
  msg: { headers: Record<string, unknown>; body: unknown },
): Promise<Response> {
  return fetch(url + path, {
    method: 'POST',
    headers: msg.headers as Record<string, string>,
    body: msg.body as string,
  });
}

async function delivered(n: number): Promise<CloudEvent[]> {
  for (let i = 0; i < 200 && received.length < n; i++) await new Promise((r) => setTimeout(r, 5));
  return received;
}

describe('broker ingress over HTTP — docs/knative-behaviour.md §13 check 1 (method/URI handling)', () => {
  it('answers GET /ns/b with 405 and Allow: POST, OPTIONS', async () => {
    const res = await fetch(`${url}/ns/b`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, OPTIONS');
    expect(((await res.json()) as { error: string }).error).toMatch(/GET/);
  });
  it('answers OPTIONS /ns/b with 200 and the WebHook headers', async () => {
    const res = await fetch(`${url}/ns/b`, { method: 'OPTIONS' });
    expect(res.status).toBe(200);
    expect(res.headers.get('allow')).toBe('POST, OPTIONS');
    expect(res.headers.get('webhook-allowed-origin')).toBe('*');
    expect(res.headers.get('webhook-allowed-rate')).toBe('*');
  });
  it('answers POST / with 404', async () => {
    const res = await post('/', HTTP.binary(sdkEvent()));
    expect(res.status).toBe(404);
    expect(res.headers.get('allow')).toBe('POST, OPTIONS');
  });
  it('answers POST /knative/ns/b (3 segments) with 400', async () => {
    const res = await post('/knative/ns/b', HTTP.binary(sdkEvent()));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/namespace/);
  });
  it('accepts POST /ns/b/ (trailing slash) and /ns/b?x=1 (query ignored)', async () => {
    expect((await post('/ns/b/', HTTP.binary(sdkEvent()))).status).toBe(202);
    expect((await post('/ns/b?x=1', HTTP.binary(sdkEvent()))).status).toBe(202);
    expect(await delivered(2)).toHaveLength(2);
  });
});

describe('broker ingress over HTTP — docs/knative-behaviour.md §13 check 2 (bad events)', () => {
  it('rejects a binary event with ce-specversion 19.0 with 400', async () => {
    const res = await fetch(`${url}/ns/b`, {
      method: 'POST',
      headers: {
        'ce-specversion': '19.0',
        'ce-type': 't',
        'ce-source': '/s',
        'ce-id': '1',
        'content-type': 'application/json',
      },
      body: '{}',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/19\.0/);
  });
  it('rejects "not an event" without CE headers with 400', async () => {
    const res = await fetch(`${url}/ns/b`, { method: 'POST', body: 'not an event' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
  });
  it('accepts valid binary and structured 1.0 events with 202 and stores them unchanged plus Knative extensions', async () => {
    const bin = sdkEvent({ id: 'bin-1', subject: 'sub' });
    const str = sdkEvent({ id: 'str-1', myext: 'v' });
    const r1 = await post('/ns/b', HTTP.binary(bin));
    const r2 = await post('/ns/b', HTTP.structured(str));
    expect([r1.status, r2.status]).toEqual([202, 202]);
    const got = await delivered(2);
    const byId = new Map(got.map((e) => [e.attributes['id'], e]));
    expect(byId.get('bin-1')!.attributes).toMatchObject({
      type: 'dev.test.ingress',
      source: '/tests',
      subject: 'sub',
      knativebrokerttl: '255',
    });
    expect(byId.get('str-1')!.attributes).toMatchObject({ myext: 'v', knativebrokerttl: '255' });
    expect(JSON.parse(Buffer.from(byId.get('bin-1')!.data!).toString())).toEqual({
      hello: 'world',
    });
    expect(byId.get('bin-1')!.attributes['knativearrivaltime']).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/,
    );
  });
  it('validates before looking the broker up: invalid event to an unknown broker → 400, valid → 404', async () => {
    expect((await fetch(`${url}/ns/nope`, { method: 'POST', body: 'x' })).status).toBe(400);
    const res = await post('/ns/nope', HTTP.binary(sdkEvent()));
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toMatch(/ns\/nope/);
  });
});

describe('broker ingress over HTTP — docs/knative-behaviour.md §13 check 3 (TTL)', () => {
  it.each([
    [undefined, 202, '255'],
    ['10', 202, '9'],
    ['XYZ', 202, '255'],
    ['1', 400, undefined],
    ['0', 400, undefined],
  ])('knativebrokerttl %s → %i (stored %s)', async (ttl, status, stored) => {
    const e = sdkEvent(ttl === undefined ? {} : { knativebrokerttl: ttl });
    const res = await post('/ns/b', HTTP.binary(e));
    expect(res.status).toBe(status);
    if (stored) expect((await delivered(1))[0]!.attributes['knativebrokerttl']).toBe(stored);
    else expect(((await res.json()) as { error: string }).error).toMatch(/knativebrokerttl/);
  });
});

describe('broker ingress over HTTP — batch, limits and backend failures', () => {
  const batch = (events: object[]) => ({
    headers: { 'content-type': 'application/cloudevents-batch+json' },
    body: JSON.stringify(events),
  });
  const valid = (id: string) => ({ specversion: '1.0', id, source: '/s', type: 't' });

  it('accepts a batch of valid events with one 202', async () => {
    const res = await post('/ns/b', batch([valid('a'), valid('b'), valid('c')]));
    expect(res.status).toBe(202);
    expect((await delivered(3)).map((e) => e.attributes['id']).sort()).toEqual(['a', 'b', 'c']);
  });
  it('rejects a batch with one invalid event with 400 and publishes nothing', async () => {
    const res = await post('/ns/b', batch([valid('a'), { specversion: '1.0', id: 'b' }]));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/event\[1\]/);
    await new Promise((r) => setTimeout(r, 30));
    expect(received).toHaveLength(0);
  });
  it('answers 413 to a body over the limit, by Content-Length and when streamed', async () => {
    const big = 'x'.repeat(65 * 1024);
    const headers = {
      'ce-specversion': '1.0',
      'ce-id': '1',
      'ce-source': '/s',
      'ce-type': 't',
      'content-type': 'text/plain',
    };
    const res = await fetch(`${url}/ns/b`, { method: 'POST', headers, body: big });
    expect(res.status).toBe(413);
    expect(res.headers.get('allow')).toBe('POST, OPTIONS');
    expect(((await res.json()) as { error: string }).error).toMatch(/65536 bytes/);
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 70; i++) c.enqueue(new TextEncoder().encode('y'.repeat(1024)));
        c.close();
      },
    });
    const res2 = await fetch(`${url}/ns/b`, {
      method: 'POST',
      headers,
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res2.status).toBe(413);
  });
  it('answers 503 with Retry-After when the backend is full', async () => {
    const res = await post('/ns/full', HTTP.binary(sdkEvent()));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(((await res.json()) as { error: string }).error).toMatch(/queue full/);
  });
  it('answers 503 when the memory backend queue is full (all-or-nothing)', async () => {
    const small = createMemoryBackend({ maxQueuedPerSubscription: 1 });
    await small.subscribe('t', 's', () => new Promise(() => {}), { ordered: true, concurrency: 1 });
    const ing = createBrokerIngress({
      lookup: () => ({ publish: (ev) => small.publish('t', ev) }),
    });
    expect((await ing.ingestEvents('ns', 'x', [sdkToEvent()])).status).toBe(202);
    const r = await ing.ingestEvents('ns', 'x', [sdkToEvent()]);
    expect(r).toMatchObject({ status: 503, retryAfterSeconds: 1 });
    expect(small.backlog('t', 's')).toBe(1);
    await small.close({ drainMs: 0 });
  });
  it('answers 400 naming the attribute when the backend can never hold the event as written', async () => {
    const ing = createBrokerIngress({
      lookup: () => ({
        publish: () =>
          Promise.reject(
            new EventUnsupportedError("attribute 'id' is 300 bytes; shorten it", 'id'),
          ),
      }),
    });
    const r = await ing.ingestEvents('ns', 'x', [sdkToEvent()]);
    expect(r.status).toBe(400);
    expect(r.error).toBe(
      "broker 'ns/x' cannot hold the event: attribute 'id' is 300 bytes; shorten it",
    );
  });
  it('answers 500 when the backend fails otherwise', async () => {
    const res = await post('/ns/broken', HTTP.binary(sdkEvent()));
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: string }).error).toMatch(/disk on fire/);
  });
});

describe('ingestEvents (in-process hops)', () => {
  it('applies the same validation, lookup and TTL rules', async () => {
    expect(
      (await ingress.ingestEvents('ns', 'b', [{ attributes: { specversion: '1.0', id: '1' } }]))
        .status,
    ).toBe(400);
    expect((await ingress.ingestEvents('ns', 'zz', [sdkToEvent()])).status).toBe(404);
    expect(
      (await ingress.ingestEvents('ns', 'b', [sdkToEvent({ knativebrokerttl: '1' })])).status,
    ).toBe(400);
    expect(await ingress.ingestEvents('ns', 'b', [sdkToEvent({ knativebrokerttl: '5' })])).toEqual({
      status: 202,
    });
    expect((await delivered(1))[0]!.attributes['knativebrokerttl']).toBe('4');
  });
});

describe('parseBrokerPath', () => {
  it.each([
    ['/ns/b', { namespace: 'ns', name: 'b' }],
    ['/ns/b/', { namespace: 'ns', name: 'b' }],
    ['/ns/b?q=/x/y', { namespace: 'ns', name: 'b' }],
    ['/ns', undefined],
    ['/a/b/c', undefined],
    ['//b', undefined],
    ['/ns/b//', undefined],
  ])('%s', (path, expected) => expect(parseBrokerPath(path)).toEqual(expected));
});

function sdkToEvent(attrs: Record<string, string> = {}): CloudEvent {
  return {
    attributes: { specversion: '1.0', id: crypto.randomUUID(), source: '/s', type: 't', ...attrs },
  };
}
