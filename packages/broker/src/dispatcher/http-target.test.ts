import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CloudEvent, encodeHttp } from '@tributary/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDeliveryAgent, createHttpTarget, ERROR_BODY_CAPTURE_BYTES } from './http-target.js';

/** A real HTTP server on 127.0.0.1:0 whose answers the test sets per request. */
interface Received {
  headers: IncomingHttpHeaders;
  body: Buffer;
  remotePort: number | undefined;
}
type Answer = {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  delayMs?: number;
};
let server: Server;
let url: string;
let answer: (req: Received) => Answer = () => ({ status: 202 });
const received: Received[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = {
        headers: req.headers,
        body: Buffer.concat(chunks),
        remotePort: req.socket.remotePort,
      };
      received.push(r);
      const a = answer(r);
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(a.status, a.headers);
        res.end(a.body);
      }, a.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fn`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
afterEach(() => {
  received.length = 0;
  answer = () => ({ status: 202 });
});

const agent = createDeliveryAgent({ connections: 4 });
afterAll(() => agent.close());

const event: CloudEvent = {
  attributes: {
    specversion: '1.0',
    id: 'e-1',
    source: '/src',
    type: 'com.example.t',
    datacontenttype: 'application/json',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  },
  data: Buffer.from('{"n":1}'),
};

describe('createHttpTarget', () => {
  it('POSTs binary mode with Prefer: reply, Kn-Namespace and forwarded headers', async () => {
    const target = createHttpTarget(url, { dispatcher: agent, namespace: 'ns1' });
    const out = await target.send(event, {
      format: 'binary',
      expectReply: true,
      headers: { traceparent: 'tp-value', TraceState: 'ts-value' },
    });
    expect(out).toMatchObject({ kind: 'response', status: 202 });
    const h = received[0]!.headers;
    expect(h).toMatchObject({
      'ce-id': 'e-1',
      'ce-type': 'com.example.t',
      'content-type': 'application/json',
      prefer: 'reply',
      'kn-namespace': 'ns1',
      traceparent: 'tp-value',
      tracestate: 'ts-value',
    });
    expect(received[0]!.body.toString()).toBe('{"n":1}');
  });

  it('sends structured mode on request and omits Prefer without expectReply', async () => {
    const target = createHttpTarget(url, { agent, namespace: 'ns1' });
    await target.send(event, { format: 'structured', expectReply: false });
    const r = received[0]!;
    expect(r.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
    expect(r.headers['prefer']).toBeUndefined();
    expect(JSON.parse(r.body.toString())).toMatchObject({ id: 'e-1', data: { n: 1 } });
  });

  it('decodes binary and structured CloudEvent replies on 2xx', async () => {
    const target = createHttpTarget(url, { dispatcher: agent, namespace: 'ns1' });
    const reply: CloudEvent = {
      attributes: { specversion: '1.0', id: 'r', source: '/r', type: 'reply' },
      data: Buffer.from('x'),
    };
    const bin = encodeHttp(reply, 'binary');
    answer = () => ({ status: 200, headers: bin.headers, body: Buffer.from(bin.body!) });
    const a = await target.send(event, { format: 'binary', expectReply: true });
    expect(a.kind === 'response' && a.reply?.attributes).toMatchObject({ id: 'r', type: 'reply' });
    const st = encodeHttp(reply, 'structured');
    answer = () => ({ status: 201, headers: st.headers, body: Buffer.from(st.body!) });
    const b = await target.send(event, { format: 'binary', expectReply: true });
    expect(b.kind === 'response' && b.reply?.attributes['id']).toBe('r');
  });

  it('treats a non-CloudEvent 2xx body as success without reply, and a malformed CE as replyError', async () => {
    const target = createHttpTarget(url, { dispatcher: agent, namespace: 'ns1' });
    answer = () => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'hello' });
    const a = await target.send(event, { format: 'binary', expectReply: true });
    expect(a).toMatchObject({ kind: 'response', status: 200 });
    expect(a.kind === 'response' && (a.reply ?? a.replyError)).toBeUndefined();
    answer = () => ({
      status: 200,
      headers: { 'content-type': 'application/cloudevents+json' },
      body: '{"id": ',
    });
    const b = await target.send(event, { format: 'binary', expectReply: true });
    expect(b.kind === 'response' && b.replyError).toMatch(/malformed reply event/);
  });

  it('captures at most 64 KiB of a huge error body and keeps working', async () => {
    const target = createHttpTarget(url, { dispatcher: agent, namespace: 'ns1' });
    answer = () => ({ status: 500, body: Buffer.alloc(5 * 1024 * 1024, 0x7a) });
    const out = await target.send(event, { format: 'binary', expectReply: true });
    expect(out.kind === 'response' && out.body.byteLength).toBe(ERROR_BODY_CAPTURE_BYTES);
    answer = () => ({ status: 204 });
    expect(await target.send(event, { format: 'binary', expectReply: true })).toMatchObject({
      status: 204,
    });
  });

  it('reuses keep-alive connections', async () => {
    const target = createHttpTarget(url, { dispatcher: agent, namespace: 'ns1' });
    for (let i = 0; i < 6; i++) await target.send(event, { format: 'binary', expectReply: true });
    // undici may alternate between idle pooled connections, but it does not open one per request
    expect(new Set(received.map((r) => r.remotePort)).size).toBeLessThan(received.length);
  });

  it('reports a timeout, an abort and a refused connection as errors', async () => {
    const target = createHttpTarget(url, { dispatcher: agent, namespace: 'ns1' });
    answer = () => ({ status: 200, delayMs: 2000 });
    expect(
      await target.send(event, { format: 'binary', expectReply: true, timeoutMs: 50 }),
    ).toEqual({
      kind: 'error',
      message: 'timeout after 50 ms',
      timedOut: true,
    });
    const ac = new AbortController();
    const pending = target.send(event, { format: 'binary', expectReply: true, signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    expect(await pending).toMatchObject({ kind: 'error', aborted: true });

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await createHttpTarget(`http://127.0.0.1:${port}/`, {
      dispatcher: agent,
      namespace: 'n',
    }).send(event, {
      format: 'binary',
      expectReply: true,
    });
    expect(refused).toMatchObject({
      kind: 'error',
      message: expect.stringMatching(/ECONNREFUSED/),
    });
  });

  it('refuses non-HTTP URLs up front', () => {
    expect(() => createHttpTarget('ftp://x/', { agent, namespace: 'n' })).toThrow(/http or https/);
  });

  it('needs its connection pool passed in: there is no process-wide default agent', () => {
    expect(() => createHttpTarget(url, { namespace: 'n' } as never)).toThrow(/needs a dispatcher/);
  });
});

describe('the per-attempt timeout covers the whole attempt (issue 13 item 7)', () => {
  it('a request waiting for a connection of a full pool times out', async () => {
    const one = createDeliveryAgent({ connections: 1 });
    answer = () => ({ status: 202, delayMs: 60_000 });
    const target = createHttpTarget(url, { agent: one, namespace: 'ns' });
    // Takes the pool's only connection and keeps it (answered after a minute).
    const blocking = target.send(event, { format: 'binary', expectReply: false });
    for (let i = 0; i < 400 && received.length < 1; i++) await new Promise((r) => setTimeout(r, 5));
    expect(received).toHaveLength(1);
    // Queued behind it: without the race it would wait the full minute for the connection.
    const queued = await target.send(event, {
      format: 'binary',
      expectReply: false,
      timeoutMs: 300,
    });
    expect(queued).toMatchObject({ kind: 'error', timedOut: true });
    expect(received).toHaveLength(1);
    server.closeAllConnections();
    await blocking;
    await one.close();
  }, 30_000);
});

describe('createDeliveryAgent makes its pool at the first request', () => {
  it('an agent that never sent closes at once; one that sent keeps its connection', async () => {
    const idle = createDeliveryAgent();
    expect(idle.closed).toBe(false);
    expect(idle.stats).toEqual({});
    await idle.close();
    expect(idle.closed).toBe(true);

    const used = createDeliveryAgent({ connections: 1 });
    const target = createHttpTarget(url, { agent: used, namespace: 'ns' });
    await target.send(event, { format: 'binary', expectReply: false });
    await target.send(event, { format: 'binary', expectReply: false });
    expect(received.map((r) => r.remotePort)).toEqual([
      received[0]!.remotePort,
      received[0]!.remotePort,
    ]);
    expect(Object.keys(used.stats)).toHaveLength(1);
    await used.close();
  });

  it('a request through an agent closed before its first use fails and sends nothing', async () => {
    const closed = createDeliveryAgent();
    await closed.close();
    const out = await createHttpTarget(url, { agent: closed, namespace: 'ns' }).send(event, {
      format: 'binary',
      expectReply: false,
    });
    expect(out).toMatchObject({ kind: 'error' });
    expect(received).toHaveLength(0);
    await closed.destroy();
  });
});
