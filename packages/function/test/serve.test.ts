import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { CloudEvent as SdkEvent, HTTP, Mode, emitterFor, httpTransport } from 'cloudevents';
import { silentLogger } from '@tributary/core';
import {
  type FunctionEvent,
  type FunctionHandler,
  type FunctionServer,
  NonRetryableError,
  serve,
} from '@tributary/function';

const servers: FunctionServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close({ timeoutMs: 1000 })));
});

async function start(handler: FunctionHandler, path?: string): Promise<FunctionServer> {
  const s = await serve(handler, { port: 0, logger: silentLogger, path, handleSignals: false });
  servers.push(s);
  return s;
}

const binaryHeaders = (extra: Record<string, string> = {}) => ({
  'ce-specversion': '1.0',
  'ce-id': 'e1',
  'ce-source': '/test',
  'ce-type': 'com.example.ping',
  'content-type': 'application/json',
  ...extra,
});

function curl(args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['-sS', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout }));
  });
}

describe('serve: content modes and reply rules', () => {
  it('binary: a returned event is a 200 binary-mode reply with the input source', async () => {
    const seen: FunctionEvent[] = [];
    const s = await start((e) => {
      seen.push(e);
      return { type: 'com.example.pong', data: { echo: e.data } };
    });
    const res = await fetch(s.url, {
      method: 'POST',
      headers: binaryHeaders({ 'ce-myext': 'v' }),
      body: '{"n":1}',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('ce-type')).toBe('com.example.pong');
    expect(res.headers.get('ce-source')).toBe('/test');
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ echo: { n: 1 } });
    expect(seen[0]).toMatchObject({
      id: 'e1',
      type: 'com.example.ping',
      data: { n: 1 },
      extensions: { myext: 'v' },
    });
  });

  it('structured request gets a structured reply; no return value is 202 with no body', async () => {
    const s = await start((e) => (e.type === 'quiet' ? undefined : { type: 'r', data: 'hi' }));
    const msg = HTTP.structured(new SdkEvent({ type: 'loud', source: '/x', data: { a: 1 } }));
    const res = await fetch(s.url, {
      method: 'POST',
      headers: msg.headers as Record<string, string>,
      body: msg.body as string,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/cloudevents\+json/);
    const reply = HTTP.toEvent({
      headers: Object.fromEntries(res.headers),
      body: await res.text(),
    }) as SdkEvent;
    expect(reply.type).toBe('r');
    expect(reply.data).toBe('hi');

    const quiet = HTTP.binary(new SdkEvent({ type: 'quiet', source: '/x' }));
    const res2 = await fetch(s.url, {
      method: 'POST',
      headers: quiet.headers as Record<string, string>,
      body: '',
    });
    expect(res2.status).toBe(202);
    expect(await res2.text()).toBe('');
  });

  it('batch: calls the handler per event and answers with a batch of the replies', async () => {
    const types: string[] = [];
    const s = await start((e) => {
      types.push(e.type);
      return e.type === 'b' ? undefined : { type: `${e.type}.reply` };
    });
    const batch = [
      { specversion: '1.0', id: '1', source: '/s', type: 'a' },
      { specversion: '1.0', id: '2', source: '/s', type: 'b' },
      { specversion: '1.0', id: '3', source: '/s', type: 'c' },
    ];
    const res = await fetch(s.url, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents-batch+json' },
      body: JSON.stringify(batch),
    });
    expect(res.status).toBe(200);
    expect(types).toEqual(['a', 'b', 'c']);
    const replies = (await res.json()) as Array<{ type: string }>;
    expect(replies.map((r) => r.type)).toEqual(['a.reply', 'c.reply']);
  });

  it('NonRetryableError is its 4xx with a JSON {error}; other throws and invalid replies are 500', async () => {
    const s = await start((e) => {
      if (e.type === 'bad') throw new NonRetryableError('order id missing', { status: 422 });
      if (e.type === 'invalid') return { type: '' };
      throw new Error('database down');
    });
    const post = (type: string) =>
      fetch(s.url, { method: 'POST', headers: binaryHeaders({ 'ce-type': type }), body: '{}' });
    const bad = await post('bad');
    expect(bad.status).toBe(422);
    expect(await bad.json()).toEqual({ error: 'order id missing' });
    const boom = await post('boom');
    expect(boom.status).toBe(500);
    expect(await boom.json()).toEqual({ error: 'database down' });
    const invalid = await post('invalid');
    expect(invalid.status).toBe(500);
    expect(((await invalid.json()) as { error: string }).error).toMatch(/type/);
  });

  it('rejects what is not a CloudEvent with 400 naming the problem; 404/405 elsewhere; /healthz', async () => {
    const s = await start(() => undefined, '/events');
    const notCe = await fetch(`${s.url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(notCe.status).toBe(400);
    expect(((await notCe.json()) as { error: string }).error).toMatch(/ce-specversion/);
    const missingId = await fetch(`${s.url}/events`, {
      method: 'POST',
      headers: { 'ce-specversion': '1.0', 'ce-type': 't', 'ce-source': '/s' },
    });
    expect(missingId.status).toBe(400);
    expect(((await missingId.json()) as { error: string }).error).toMatch(/id/);
    expect(
      (await fetch(`${s.url}/`, { method: 'POST', headers: binaryHeaders(), body: '{}' })).status,
    ).toBe(404);
    const get = await fetch(`${s.url}/events`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const health = await fetch(`${s.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
  });

  it('context: deadline from X-Tributary-Deadline (else undefined), a logger and a live signal', async () => {
    const contexts: Array<{ deadline?: Date | undefined; aborted: boolean; hasLogger: boolean }> =
      [];
    const s = await start((_e, ctx) => {
      contexts.push({
        deadline: ctx.deadline,
        aborted: ctx.signal.aborted,
        hasLogger: typeof ctx.logger.info === 'function',
      });
    });
    await fetch(s.url, {
      method: 'POST',
      headers: binaryHeaders({ 'x-tributary-deadline': '2030-01-02T03:04:05Z' }),
      body: '{}',
    });
    await fetch(s.url, { method: 'POST', headers: binaryHeaders(), body: '{}' });
    expect(contexts[0]!.deadline?.toISOString()).toBe('2030-01-02T03:04:05.000Z');
    expect(contexts[1]!.deadline).toBeUndefined();
    expect(contexts.every((c) => !c.aborted && c.hasLogger)).toBe(true);
  });

  it('aborts context.signal when the client disconnects', async () => {
    let resolveStarted!: () => void;
    const started = new Promise<void>((r) => (resolveStarted = r));
    const aborted = new Promise<unknown>((resolve) => {
      void start(async (_e, ctx) => {
        ctx.signal.addEventListener('abort', () => resolve(ctx.signal.reason));
        resolveStarted();
        await new Promise((r) => setTimeout(r, 30_000));
      }).then((s) => {
        const req = request(`${s.url}/`, { method: 'POST', headers: binaryHeaders() });
        req.on('error', () => {});
        req.end('{}');
        void started.then(() => req.destroy());
      });
    });
    expect(String(await aborted)).toMatch(/disconnected/);
  });
});

describe('serve: other senders', () => {
  it('accepts what the cloudevents SDK emitter sends in binary and structured mode', async () => {
    const seen: FunctionEvent[] = [];
    const s = await start((e) => {
      seen.push(e);
      return { type: 'ack', data: { got: e.id } };
    });
    const event = new SdkEvent({
      type: 'com.example.sdk',
      source: '/sdk',
      subject: 'sub',
      data: { x: 1 },
      myext: 'yes',
    });
    const binary = emitterFor(httpTransport(s.url), { mode: Mode.BINARY });
    const structured = emitterFor(httpTransport(s.url), { mode: Mode.STRUCTURED });
    const r1 = (await binary(event)) as { headers: Record<string, string>; body: string };
    const r2 = (await structured(event)) as { headers: Record<string, string>; body: string };
    expect(seen).toHaveLength(2);
    for (const e of seen)
      expect(e).toMatchObject({
        type: 'com.example.sdk',
        subject: 'sub',
        data: { x: 1 },
        extensions: { myext: 'yes' },
      });
    expect(r1.headers['ce-type']).toBe('ack');
    expect((HTTP.toEvent(r2) as SdkEvent).data).toEqual({ got: event.id });
  });

  it('accepts plain curl (binary and structured) and answers per the reply rules', async () => {
    const s = await start((e) => {
      if (e.type === 'refuse') throw new NonRetryableError('no thanks');
      return e.type === 'reply' ? { type: 'from.curl.reply', data: e.data } : undefined;
    });
    const withHeaders = (type: string) => [
      '-X',
      'POST',
      '-H',
      'ce-specversion: 1.0',
      '-H',
      'ce-id: c1',
      '-H',
      'ce-source: /curl',
      '-H',
      `ce-type: ${type}`,
      '-H',
      'content-type: application/json',
      '-d',
      '{"k":"v"}',
    ];
    const reply = await curl(['-i', ...withHeaders('reply'), s.url]);
    expect(reply.code).toBe(0);
    expect(reply.stdout).toMatch(/^HTTP\/1\.1 200/);
    expect(reply.stdout.toLowerCase()).toContain('ce-type: from.curl.reply');
    expect(reply.stdout).toContain('{"k":"v"}');
    const none = await curl([
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      ...withHeaders('none'),
      s.url,
    ]);
    expect(none.stdout).toBe('202');
    const refused = await curl(['-w', ' %{http_code}', ...withHeaders('refuse'), s.url]);
    expect(refused.stdout).toBe('{"error":"no thanks"} 400');
    const structured = await curl([
      '-w',
      ' %{http_code}',
      '-X',
      'POST',
      '-H',
      'content-type: application/cloudevents+json',
      '-d',
      JSON.stringify({
        specversion: '1.0',
        id: 's1',
        source: '/curl',
        type: 'reply',
        data: { s: 1 },
      }),
      s.url,
    ]);
    expect(structured.stdout).toMatch(/ 200$/);
    expect(JSON.parse(structured.stdout.replace(/ 200$/, ''))).toMatchObject({
      type: 'from.curl.reply',
      data: { s: 1 },
    });
  });
});

describe('serve: shutdown', () => {
  it('close() lets handlers in flight finish, refuses new requests and reports 503 on /healthz', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => (entered = r));
    const s = await serve(
      async () => {
        entered();
        await gate;
        return { type: 'done' };
      },
      { port: 0, logger: silentLogger, handleSignals: false },
    );
    const pending = fetch(s.url, { method: 'POST', headers: binaryHeaders(), body: '{}' });
    await inHandler;
    const closed = s.close({ timeoutMs: 30_000 });
    let closedYet = false;
    void closed.then(() => (closedYet = true));
    await new Promise((r) => setImmediate(r));
    expect(closedYet).toBe(false);
    release();
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.headers.get('ce-type')).toBe('done');
    await closed;
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
  });

  it('aborts handlers that outlive the shutdown bound', async () => {
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => (entered = r));
    let reason: unknown;
    const s = await serve(
      async (_e, ctx) => {
        entered();
        await new Promise((r) => ctx.signal.addEventListener('abort', r));
        reason = ctx.signal.reason;
      },
      { port: 0, logger: silentLogger, handleSignals: false },
    );
    const pending = fetch(s.url, { method: 'POST', headers: binaryHeaders(), body: '{}' }).catch(
      (e: unknown) => e,
    );
    await inHandler;
    await s.close({ timeoutMs: 50 });
    expect(String(reason)).toMatch(/shutting down/);
    await pending;
  });
});
