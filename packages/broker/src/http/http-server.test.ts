import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpError } from './http-error.js';
import { createHttpServer, type HttpServer, type ReadinessReport } from './http-server.js';

let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close({ drainMs: 50 });
  server = undefined;
});

async function start(readiness?: () => ReadinessReport, maxBodyBytes?: number): Promise<string> {
  server = createHttpServer({ port: 0, readiness, maxBodyBytes });
  server.route('POST', '/echo', async (_req, res, ctx) => {
    const body = await ctx.readBody();
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(body);
  });
  server.route('GET', /^\/items\/(?<id>[^/]+)$/, (_req, res, ctx) => {
    res.end(JSON.stringify({ id: ctx.params['id'], q: ctx.query.get('q') }));
  });
  server.route('GET', '/teapot', () => {
    throw new HttpError(418, 'short and stout');
  });
  server.route('GET', '/boom', () => {
    throw new Error('kaput');
  });
  server.route(
    '*',
    () => true,
    (_req, res) => void res.end('fallback'),
    { fallback: true },
  );
  server.route('GET', '/late', (_req, res) => void res.end('late but not fallback'));
  return server.listen();
}

describe('createHttpServer', () => {
  it('serves GET /healthz', async () => {
    const url = await start();
    const res = await fetch(`${url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('serves GET /readyz as 200 or 503 with the reasons', async () => {
    let report: ReadinessReport = { ready: true, notReady: [] };
    const url = await start(() => report);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    report = {
      ready: false,
      notReady: [
        { resource: 'Trigger/default/t', reason: 'BrokerDoesNotExist', message: 'no broker' },
      ],
    };
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual(report);
  });

  it('routes by exact path, RegExp with params and query, fallback last', async () => {
    const url = await start();
    expect(await (await fetch(`${url}/echo`, { method: 'POST', body: 'hi' })).text()).toBe('hi');
    expect(await (await fetch(`${url}/items/42?q=x`)).json()).toEqual({ id: '42', q: 'x' });
    expect(await (await fetch(`${url}/late`)).text()).toBe('late but not fallback');
    expect(await (await fetch(`${url}/anything`)).text()).toBe('fallback');
  });

  it('answers errors as JSON {"error"}', async () => {
    const url = await start();
    const t = await fetch(`${url}/teapot`);
    expect(t.status).toBe(418);
    expect(await t.json()).toEqual({ error: 'short and stout' });
    const b = await fetch(`${url}/boom`);
    expect(b.status).toBe(500);
    expect(((await b.json()) as { error: string }).error).toMatch(/kaput/);
  });

  it('answers 405 for a known path with another method, naming the allowed ones', async () => {
    server = createHttpServer({ port: 0 });
    server.route('POST', '/only-post', (_q, res) => void res.end());
    const url = await server.listen();
    const res = await fetch(`${url}/only-post`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect((await fetch(`${url}/missing`)).status).toBe(404);
  });

  it('refuses bodies over the limit with 413, by Content-Length and while streaming', async () => {
    const url = await start(undefined, 10);
    const r1 = await fetch(`${url}/echo`, { method: 'POST', body: '01234567890' });
    expect(r1.status).toBe(413);
    expect(((await r1.json()) as { error: string }).error).toMatch(/limit of 10 bytes/);
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode('012345'));
        c.enqueue(new TextEncoder().encode('6789ab'));
        c.close();
      },
    });
    const r2 = await fetch(`${url}/echo`, {
      method: 'POST',
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(r2.status).toBe(413);
    expect((await fetch(`${url}/echo`, { method: 'POST', body: '0123456789' })).status).toBe(200);
  });

  it('lets in-flight requests finish on close and then refuses connections', async () => {
    server = createHttpServer({ port: 0 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let arrived!: () => void;
    const inHandler = new Promise<void>((r) => (arrived = r));
    server.route('GET', '/slow', async (_q, res) => {
      arrived();
      await gate;
      res.end('done');
    });
    const url = await server.listen();
    const pending = fetch(`${url}/slow`).then((r) => r.text());
    await inHandler;
    const closing = server.close({ drainMs: 2_000 });
    setTimeout(release, 30);
    expect(await pending).toBe('done');
    await closing;
    server = undefined;
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('closes after drainMs even when a request never finishes', async () => {
    server = createHttpServer({ port: 0 });
    let arrived!: () => void;
    const inHandler = new Promise<void>((r) => (arrived = r));
    server.route('GET', '/hang', () => {
      arrived();
      return new Promise<void>(() => {});
    });
    const url = await server.listen();
    const { port } = new URL(url);
    const req = request({ host: '127.0.0.1', port, path: '/hang' });
    const failed = new Promise((resolve) => req.on('error', resolve));
    req.end();
    await inHandler;
    await server.close({ drainMs: 50 });
    server = undefined;
    await expect(failed).resolves.toBeInstanceOf(Error);
  });
});
