import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createHttpServer, type HttpServer } from './http-server.js';

let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close({ drainMs: 50 });
  server = undefined;
});

async function call(url: string, method = 'GET'): Promise<{ status: number; body: string }> {
  const res = await request(url, { method });
  return { status: res.statusCode, body: await res.body.text() };
}

describe('HttpServer.group', () => {
  it('keeps its place before later fallbacks, drops its routes on clear, and takes new ones', async () => {
    server = createHttpServer({ port: 0 });
    const group = server.group();
    server.route(
      '*',
      () => true,
      (_q, res) => void res.end('catch-all'),
      { fallback: true },
    );
    group.route('GET', '/plugin', (_q, res) => void res.end('first generation'));
    group.route('GET', /^\/wild\/(?<x>[^/]+)$/, (_q, res, ctx) => void res.end(ctx.params['x']), {
      fallback: true,
    });
    const url = await server.listen();
    expect(await call(`${url}/plugin`)).toEqual({ status: 200, body: 'first generation' });
    expect(await call(`${url}/wild/abc`)).toEqual({ status: 200, body: 'abc' });
    // A path the group has, with another method: the group answers 405 (not the catch-all).
    expect((await call(`${url}/plugin`, 'DELETE')).status).toBe(405);
    group.clear();
    expect(await call(`${url}/plugin`)).toEqual({ status: 200, body: 'catch-all' });
    group.route('GET', '/plugin', (_q, res) => void res.end('second generation'));
    expect(await call(`${url}/plugin`)).toEqual({ status: 200, body: 'second generation' });
  });
});
