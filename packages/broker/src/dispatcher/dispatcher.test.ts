import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CloudEvent, type Filter, decodeHttp, encodeHttp } from '@tributary/core';
import { NonRetryableError } from '@tributary/function';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { DeliveryTarget } from './delivery-target.js';
import {
  type AttemptReport,
  DeadLetterFailedError,
  type DispatchOutcome,
  DispatcherClosedError,
  type SubscriptionDispatcherOptions,
  createSubscriptionDispatcher,
  createTriggerDispatcher,
} from './dispatcher.js';
import { createFunctionTarget } from './function-target.js';
import { createDeliveryAgent, createHttpTarget } from './http-target.js';
import type { DeliveryPolicy } from './retry.js';

// ---- real HTTP servers on 127.0.0.1:0 -------------------------------------------------------
interface Hit {
  at: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  event: CloudEvent;
}
type Answer = {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  delayMs?: number;
};
interface TestServer {
  url: string;
  hits: Hit[];
}
const servers: Server[] = [];

async function startServer(
  answer: (n: number, hit: Hit) => Answer = () => ({ status: 202 }),
): Promise<TestServer> {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const hit: Hit = {
        at: Date.now(),
        headers: req.headers,
        body,
        event: decodeHttp(req.headers, body).events[0]!,
      };
      hits.push(hit);
      const a = answer(hits.length, hit);
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(a.status, a.headers);
        res.end(a.body);
      }, a.delayMs ?? 0);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, hits };
}

async function closedPortUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise((resolve) => s.close(resolve));
  return `http://127.0.0.1:${port}/`;
}

const agent = createDeliveryAgent();
afterAll(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  await agent.close();
});

// ---- helpers ------------------------------------------------------------------------------------
const NS = 'test-ns';
const http = (url: string): DeliveryTarget =>
  createHttpTarget(url, { dispatcher: agent, namespace: NS });
const fast: DeliveryPolicy = { retry: 0, backoffPolicy: 'linear', backoffDelayMs: 10 };
const passAll: Filter = { match: () => 'pass' };
const info = { deliveryCount: 1 };

function original(id = 'evt-1'): CloudEvent {
  return {
    attributes: {
      specversion: '1.0',
      id,
      source: '/producer',
      type: 'com.example.created',
      datacontenttype: 'application/json',
      knativebrokerttl: '200',
      knativearrivaltime: '2024-01-01T00:00:00.123456789Z',
    },
    data: Buffer.from('{"k":"v"}'),
  };
}

let dispatchers: Array<{ close(): void }> = [];
afterEach(() => {
  for (const d of dispatchers) d.close();
  dispatchers = [];
});

function trigger(opts: Partial<SubscriptionDispatcherOptions> & { subscriber: DeliveryTarget }) {
  const outcomes: DispatchOutcome[] = [];
  const d = createTriggerDispatcher({
    name: 'tr',
    namespace: NS,
    filter: opts.filter ?? passAll,
    policy: fast,
    heldRedelivery: { initialMs: 0, maxMs: 0 },
    ...opts,
    onOutcome: (o) => outcomes.push(o),
  });
  dispatchers.push(d);
  return { d, outcomes };
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

// ---- §13 check 8 ----------------------------------------------------------------------------------
describe('dead-letter extensions (docs/knative-behaviour.md §13 check 8)', () => {
  it('422 with a body: the DLS gets exactly one event with dest, code, base64 data and Kn-Namespace', async () => {
    const body = '{ "message": "catastrophic failure" }';
    const sub = await startServer(() => ({ status: 422, body }));
    const dls = await startServer();
    const { d, outcomes } = trigger({
      subscriber: http(sub.url),
      deadLetter: http(dls.url),
      policy: { ...fast, retry: 3 },
    });
    await d.handle(original(), info);

    expect(sub.hits).toHaveLength(1); // 422 is not retried
    expect(sub.hits[0]!.headers).toMatchObject({ prefer: 'reply', 'kn-namespace': NS });
    expect(sub.hits[0]!.event.attributes['knativebrokerttl']).toBeUndefined();
    expect(sub.hits[0]!.event.attributes['knativearrivaltime']).toBe(
      '2024-01-01T00:00:00.123456789Z',
    );

    expect(dls.hits).toHaveLength(1);
    const dl = dls.hits[0]!;
    expect(dl.headers['kn-namespace']).toBe(NS);
    expect(dl.headers['prefer']).toBeUndefined();
    expect(dl.headers['ce-knativeerrorcode']).toBe('422');
    expect(dl.event.attributes).toMatchObject({
      ...original().attributes,
      knativeerrordest: sub.url,
      knativeerrorcode: '422',
      knativeerrordata: b64(body),
    });
    expect(dl.body.toString()).toBe('{"k":"v"}');
    expect(outcomes).toMatchObject([
      { kind: 'dead-lettered', attempts: 1, status: 422, failedDestination: sub.url },
    ]);
  });

  it('unreachable subscriber: dest is its URL, code 500, data is base64 of "dispatch error: …"', async () => {
    const url = await closedPortUrl();
    const dls = await startServer();
    const { d } = trigger({
      subscriber: http(url),
      deadLetter: http(dls.url),
      policy: { ...fast, retry: 1 },
    });
    await d.handle(original(), info);
    expect(dls.hits).toHaveLength(1);
    const a = dls.hits[0]!.event.attributes;
    expect(a['knativeerrordest']).toBe(url);
    expect(a['knativeerrorcode']).toBe('500');
    expect(Buffer.from(a['knativeerrordata']!, 'base64').toString()).toMatch(
      /^dispatch error: .*ECONNREFUSED/,
    );
  });

  it('unresolvable host http://fake.svc.cluster.local: dest is that URL, code 500', async () => {
    const dls = await startServer();
    const { d } = trigger({
      subscriber: http('http://fake.svc.cluster.local'),
      deadLetter: http(dls.url),
      policy: { ...fast, timeoutMs: 3000 },
    });
    await d.handle(original(), info);
    expect(dls.hits[0]!.event.attributes).toMatchObject({
      knativeerrordest: 'http://fake.svc.cluster.local',
      knativeerrorcode: '500',
    });
  });

  it('long error bodies never crash and are truncated to 1024 base64 chars', async () => {
    const sub = await startServer(() => ({ status: 400, body: Buffer.alloc(200_000, 0x41) }));
    const dls = await startServer();
    const { d } = trigger({ subscriber: http(sub.url), deadLetter: http(dls.url) });
    await d.handle(original(), info);
    expect(dls.hits[0]!.event.attributes['knativeerrordata']).toHaveLength(1024);
  });
});

// ---- §13 check 9 ----------------------------------------------------------------------------------
describe('retries (docs/knative-behaviour.md §13 check 9)', () => {
  it('retry 5 linear: a subscriber failing the first 5 attempts with 409 still receives the event', async () => {
    const sub = await startServer((n) => ({ status: n <= 5 ? 409 : 202 }));
    const dls = await startServer();
    const { d, outcomes } = trigger({
      subscriber: http(sub.url),
      deadLetter: http(dls.url),
      policy: { retry: 5, backoffPolicy: 'linear', backoffDelayMs: 10 },
    });
    await d.handle(original(), info);
    expect(sub.hits).toHaveLength(6);
    expect(dls.hits).toHaveLength(0);
    expect(outcomes).toMatchObject([{ kind: 'delivered', attempts: 6, status: 202 }]);
    // linear backoff d·k: waits of 10, 20, 30, 40, 50 ms (lower bounds only)
    const gaps = sub.hits.slice(1).map((h, i) => h.at - sub.hits[i]!.at);
    gaps.forEach((g, i) => expect(g).toBeGreaterThanOrEqual(10 * (i + 1) - 2));
  });

  it('exhausted retries go to the DLS with the last status', async () => {
    const sub = await startServer(() => ({ status: 503, body: 'busy' }));
    const dls = await startServer();
    const { d, outcomes } = trigger({
      subscriber: http(sub.url),
      deadLetter: http(dls.url),
      policy: { ...fast, retry: 2 },
    });
    await d.handle(original(), info);
    expect(sub.hits).toHaveLength(3);
    expect(dls.hits[0]!.event.attributes).toMatchObject({
      knativeerrorcode: '503',
      knativeerrordata: b64('busy'),
    });
    expect(outcomes[0]).toMatchObject({ kind: 'dead-lettered', attempts: 3 });
  });

  it('honours Retry-After on 429 up to retryAfterMax', async () => {
    const sub = await startServer((n) =>
      n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 },
    );
    const { d } = trigger({
      subscriber: http(sub.url),
      policy: { ...fast, retry: 1, backoffDelayMs: 1, retryAfterMaxMs: 300 },
    });
    await d.handle(original(), info);
    expect(sub.hits).toHaveLength(2);
    expect(sub.hits[1]!.at - sub.hits[0]!.at).toBeGreaterThanOrEqual(290);
  });

  it('per-attempt timeout: each attempt is cut off and counts as a 500 failure', async () => {
    const sub = await startServer(() => ({ status: 200, delayMs: 1000 }));
    const dls = await startServer();
    const { d } = trigger({
      subscriber: http(sub.url),
      deadLetter: http(dls.url),
      policy: { ...fast, retry: 1, timeoutMs: 50 },
    });
    await d.handle(original(), info);
    expect(sub.hits).toHaveLength(2);
    const a = dls.hits[0]!.event.attributes;
    expect(a['knativeerrorcode']).toBe('500');
    expect(Buffer.from(a['knativeerrordata']!, 'base64').toString()).toBe(
      'dispatch error: timeout after 50 ms',
    );
  });
});

// ---- §13 check 10(a) ------------------------------------------------------------------------------
describe('replies (docs/knative-behaviour.md §13 check 10(a), docs/decisions.md D5)', () => {
  const replyEvent: CloudEvent = {
    attributes: {
      specversion: '1.0',
      id: 'reply-1',
      source: '/fn',
      type: 'com.example.reply',
      knativebrokerttl: '3',
    },
    data: Buffer.from('r'),
  };

  it('200 with a non-CloudEvent body is a success without reply', async () => {
    const sub = await startServer(() => ({
      status: 200,
      headers: { 'content-type': 'text/plain' },
      body: 'ok thanks',
    }));
    const reply = await startServer();
    const dls = await startServer();
    const { d, outcomes } = trigger({
      subscriber: http(sub.url),
      reply: http(reply.url),
      deadLetter: http(dls.url),
    });
    await d.handle(original(), info);
    expect(reply.hits).toHaveLength(0);
    expect(dls.hits).toHaveLength(0);
    expect(outcomes).toMatchObject([{ kind: 'delivered', status: 200, replied: false }]);
  });

  it('with nonCeBodyIsFailure (Knative MT behaviour) the same answer is a 502 failure', async () => {
    const sub = await startServer(() => ({ status: 200, body: 'not an event' }));
    const dls = await startServer();
    const d = createSubscriptionDispatcher({
      name: 's',
      namespace: NS,
      subscriber: http(sub.url),
      deadLetter: http(dls.url),
      policy: { ...fast, retry: 1 },
      nonCeBodyIsFailure: true,
    });
    dispatchers.push(d);
    await d.handle(original(), info);
    expect(sub.hits).toHaveLength(2);
    expect(dls.hits[0]!.event.attributes).toMatchObject({
      knativeerrorcode: '502',
      knativeerrordata: b64('not an event'),
    });
  });

  it('202 with an empty body: no reply', async () => {
    const sub = await startServer(() => ({ status: 202 }));
    const reply = await startServer();
    const { d, outcomes } = trigger({ subscriber: http(sub.url), reply: http(reply.url) });
    await d.handle(original(), info);
    expect(reply.hits).toHaveLength(0);
    expect(outcomes).toMatchObject([{ kind: 'delivered', status: 202, replied: false }]);
  });

  it.each(['binary', 'structured'] as const)(
    'a %s CloudEvent reply is relayed with the original TTL',
    async (mode) => {
      const enc = encodeHttp(replyEvent, mode);
      const sub = await startServer(() => ({
        status: 200,
        headers: enc.headers,
        body: Buffer.from(enc.body!),
      }));
      const reply = await startServer();
      const { d, outcomes } = trigger({ subscriber: http(sub.url), reply: http(reply.url) });
      await d.handle(original(), info);
      expect(reply.hits).toHaveLength(1);
      expect(reply.hits[0]!.event.attributes).toMatchObject({
        id: 'reply-1',
        type: 'com.example.reply',
        knativebrokerttl: '200',
      });
      expect(reply.hits[0]!.headers['prefer']).toBeUndefined();
      expect(outcomes).toMatchObject([{ kind: 'delivered', replied: true }]);
    },
  );

  it('a failing reply leg sends the ORIGINAL event to the DLS with knativeerrordest = reply URL', async () => {
    const enc = encodeHttp(replyEvent, 'binary');
    const sub = await startServer(() => ({
      status: 200,
      headers: enc.headers,
      body: Buffer.from(enc.body!),
    }));
    const reply = await startServer(() => ({ status: 400, body: 'ttl exhausted' }));
    const dls = await startServer();
    const { d, outcomes } = trigger({
      subscriber: http(sub.url),
      reply: http(reply.url),
      deadLetter: http(dls.url),
    });
    await d.handle(original(), info);
    expect(dls.hits[0]!.event.attributes).toMatchObject({
      id: 'evt-1',
      knativebrokerttl: '200',
      knativeerrordest: reply.url,
      knativeerrorcode: '400',
      knativeerrordata: b64('ttl exhausted'),
    });
    expect(outcomes[0]).toMatchObject({ kind: 'dead-lettered', failedDestination: reply.url });
  });
});

// ---- acknowledgement rules ------------------------------------------------------------------------
describe('acknowledgement', () => {
  it('a filter that fails acknowledges without delivery', async () => {
    const sub = await startServer();
    const { d, outcomes } = trigger({ subscriber: http(sub.url), filter: { match: () => 'fail' } });
    await expect(d.handle(original(), info)).resolves.toBeUndefined();
    expect(sub.hits).toHaveLength(0);
    expect(outcomes).toMatchObject([{ kind: 'filtered', attempts: 0 }]);
    const none = trigger({ subscriber: http(sub.url), filter: { match: () => 'none' } });
    await none.d.handle(original(), info);
    expect(sub.hits).toHaveLength(1);
  });

  it('without a DLS a failed event is dropped (acknowledged, reported)', async () => {
    const sub = await startServer(() => ({ status: 400 }));
    const { d, outcomes } = trigger({ subscriber: http(sub.url) });
    await expect(d.handle(original(), info)).resolves.toBeUndefined();
    expect(outcomes).toMatchObject([{ kind: 'dropped', status: 400 }]);
  });

  it('when the DLS also fails the handler rejects so the backend keeps the event', async () => {
    const sub = await startServer(() => ({ status: 500 }));
    const dls = await startServer(() => ({ status: 503 }));
    const { d, outcomes } = trigger({
      subscriber: http(sub.url),
      deadLetter: http(dls.url),
      policy: { ...fast, retry: 1 },
    });
    await expect(d.handle(original(), info)).rejects.toBeInstanceOf(DeadLetterFailedError);
    expect(dls.hits).toHaveLength(2); // the DLS call uses the same retry policy
    expect(outcomes).toMatchObject([{ kind: 'failed-held' }]);
  });

  it('close() aborts a backoff wait and the handler rejects', async () => {
    const sub = await startServer(() => ({ status: 500 }));
    const { d, outcomes } = trigger({
      subscriber: http(sub.url),
      policy: { retry: 3, backoffPolicy: 'linear', backoffDelayMs: 60_000 },
    });
    const pending = d.handle(original(), info);
    while (sub.hits.length === 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20));
    d.close();
    await expect(pending).rejects.toBeInstanceOf(DispatcherClosedError);
    await expect(d.handle(original(), info)).rejects.toBeInstanceOf(DispatcherClosedError);
    expect(outcomes.map((o) => o.kind)).toContain('aborted');
  });

  it('close() aborts an in-flight request', async () => {
    const sub = await startServer(() => ({ status: 200, delayMs: 5000 }));
    const { d } = trigger({ subscriber: http(sub.url) });
    const pending = d.handle(original(), info);
    while (sub.hits.length === 0) await new Promise((r) => setTimeout(r, 5));
    d.close();
    await expect(pending).rejects.toBeInstanceOf(DispatcherClosedError);
  });
});

describe('wire format', () => {
  it('delivery.format json sends structured mode to the subscriber (DLS stays binary)', async () => {
    const sub = await startServer(() => ({ status: 400 }));
    const dls = await startServer();
    const { d } = trigger({
      subscriber: http(sub.url),
      deadLetter: http(dls.url),
      policy: { ...fast, format: 'json' },
    });
    await d.handle(original(), info);
    expect(sub.hits[0]!.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
    expect(sub.hits[0]!.event.attributes['knativebrokerttl']).toBeUndefined();
    expect(dls.hits[0]!.headers['ce-id']).toBe('evt-1');
  });

  it('forwards the traceparent/tracestate extensions as HTTP trace headers', async () => {
    const sub = await startServer();
    const { d } = trigger({ subscriber: http(sub.url) });
    const e = original();
    await d.handle(
      { ...e, attributes: { ...e.attributes, traceparent: '00-abc-def-01', tracestate: 'k=v' } },
      info,
    );
    expect(sub.hits[0]!.headers).toMatchObject({ traceparent: '00-abc-def-01', tracestate: 'k=v' });
  });

  it('the attempt report of an HTTP subscriber shows the event as sent, without knativebrokerttl', async () => {
    const sub = await startServer();
    const reports: AttemptReport[] = [];
    const { d } = trigger({ subscriber: http(sub.url), onAttempt: (a) => reports.push(a) });
    const e = original();
    await d.handle(e, info);
    expect(sub.hits[0]!.event.attributes['knativebrokerttl']).toBeUndefined();
    expect(reports).toHaveLength(1);
    expect(reports[0]!.received).toBe(e);
    expect(reports[0]!.event.attributes).toEqual(
      Object.fromEntries(Object.entries(e.attributes).filter(([k]) => k !== 'knativebrokerttl')),
    );
    expect(reports[0]).toMatchObject({ leg: 'subscriber', attempt: 1, ok: true, status: 202 });
  });

  it('a subscription dispatcher keeps knativebrokerttl (no stripping)', async () => {
    const sub = await startServer();
    const d = createSubscriptionDispatcher({
      name: 's',
      namespace: NS,
      subscriber: http(sub.url),
      policy: fast,
    });
    dispatchers.push(d);
    await d.handle(original(), info);
    expect(sub.hits[0]!.event.attributes['knativebrokerttl']).toBe('200');
  });
});

describe('in-process function subscriber', () => {
  it('NonRetryableError goes straight to the DLS with function:// destination', async () => {
    const dls = await startServer();
    let calls = 0;
    const fn = createFunctionTarget(
      'validator',
      () => {
        calls++;
        throw new NonRetryableError('missing field', { status: 422 });
      },
      { namespace: NS },
    );
    const { d } = trigger({
      subscriber: fn,
      deadLetter: http(dls.url),
      policy: { ...fast, retry: 3 },
    });
    await d.handle(original(), info);
    expect(calls).toBe(1);
    expect(dls.hits[0]!.event.attributes).toMatchObject({
      knativeerrordest: `function://${NS}/validator`,
      knativeerrorcode: '422',
      knativeerrordata: b64('missing field'),
    });
  });

  it('a returned event is relayed as the reply with the original TTL', async () => {
    const reply = await startServer();
    const fn = createFunctionTarget(
      'echo',
      (e) => ({ type: `${e.type}.done`, data: { seen: e.data } }),
      { namespace: NS },
    );
    const { d } = trigger({ subscriber: fn, reply: http(reply.url) });
    await d.handle(original(), info);
    const r = reply.hits[0]!;
    expect(r.event.attributes).toMatchObject({
      type: 'com.example.created.done',
      source: '/producer',
      knativebrokerttl: '200',
    });
    expect(JSON.parse(r.body.toString())).toEqual({ seen: { k: 'v' } });
  });
});
