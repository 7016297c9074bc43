import { connect } from 'node:net';
import { type CloudEvent, toStructured } from '@tributary/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryBackend, type MemoryBackend } from '../backends/memory/memory-backend.js';
import { createHttpServer, type HttpServer } from '../http/http-server.js';
import { createBrokerIngress } from './broker-ingress.js';

/**
 * CloudEvents HTTP binding MUSTs and hostile input, sent as raw bytes over a real socket so that
 * no client library normalises what goes on the wire (issue 13 item 3, issue 17 "hostile input").
 */

const TOPIC = 'conformance-topic';
const QUEUE_LIMIT = 50;
let server: HttpServer;
let port = 0;
let backend: MemoryBackend;
let received: CloudEvent[] = [];

beforeAll(async () => {
  backend = createMemoryBackend({ maxQueuedPerSubscription: QUEUE_LIMIT });
  await backend.start();
  await backend.subscribe(TOPIC, 'recorder', async (e) => void received.push(e), {
    ordered: false,
    concurrency: 4,
  });
  const ingress = createBrokerIngress({
    lookup: (ns, name) =>
      ns === 'ns' && name === 'b'
        ? { publish: (events) => backend.publish(TOPIC, events) }
        : undefined,
  });
  server = createHttpServer({ port: 0 });
  server.route('*', ingress.matches, ingress.handle, { fallback: true });
  const url = await server.listen();
  port = Number(new URL(url).port);
});
afterAll(async () => {
  await server.close({ drainMs: 100 });
  await backend.close({ drainMs: 100 });
});
beforeEach(() => {
  received = [];
});

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends `head` (CRLF-joined header lines after the request line) and `body` bytes as they are. */
function rawPost(headerLines: string[], body: Buffer | string): Promise<RawResponse> {
  const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const head = [
    'POST /ns/b HTTP/1.1',
    `host: 127.0.0.1:${port}`,
    'connection: close',
    `content-length: ${payload.byteLength}`,
    ...headerLines,
    '',
    '',
  ].join('\r\n');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(Buffer.concat([Buffer.from(head, 'latin1'), payload]));
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const lines = text.slice(0, split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status: Number(lines[0]!.split(' ')[1]), headers, body: text.slice(split + 4) });
    });
  });
}

const binaryHeaders = (extra: string[] = []) => [
  'ce-specversion: 1.0',
  'ce-id: raw-1',
  'ce-source: /raw',
  'ce-type: dev.test.raw',
  'content-type: text/plain',
  ...extra,
];
const structured = (json: string) => rawPost(['content-type: application/cloudevents+json'], json);
const base = '"specversion":"1.0","id":"s-1","source":"/raw","type":"dev.test.raw"';

async function delivered(n: number): Promise<CloudEvent[]> {
  for (let i = 0; i < 400 && received.length < n; i++) await new Promise((r) => setTimeout(r, 5));
  return received;
}

describe('binary mode: percent-decoded ce- header values must be UTF-8 (binding §3.1.3.2)', () => {
  it.each([
    ['overlong encoding', '%C0%A0'],
    ['truncated sequence', 'ab%E2'],
    ['encoded surrogate', '%ED%A0%80'],
  ])('%s %s → 400 naming the header and the value', async (_what, value) => {
    const res = await rawPost(binaryHeaders([`ce-myext: ${value}`]), 'hello');
    expect(res.status).toBe(400);
    const error = JSON.parse(res.body).error as string;
    expect(error).toContain('ce-myext');
    expect(error).toContain(value);
    expect(error).toMatch(/UTF-8/);
    expect(error).toMatch(/percent-encode/);
  });
  it('accepts a well-formed percent-encoded value and decodes it', async () => {
    const res = await rawPost(binaryHeaders(['ce-myext: caf%C3%A9%20au%20lait']), 'hello');
    expect(res.status).toBe(202);
    expect((await delivered(1))[0]!.attributes['myext']).toBe('café au lait');
  });
  it('keeps a value with a lone % that is not an escape as it was sent', async () => {
    const res = await rawPost(binaryHeaders(['ce-myext: 50%']), 'hello');
    expect(res.status).toBe(202);
    expect((await delivered(1))[0]!.attributes['myext']).toBe('50%');
  });
  it('refuses ce-__proto__ instead of silently dropping it', async () => {
    const res = await rawPost(binaryHeaders(['ce-__proto__: x']), 'hello');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toContain('__proto__');
  });
});

describe('structured mode: attribute names and types (spec.md naming and type system)', () => {
  it('rejects an attribute name that is not lower-case letters and digits', async () => {
    const res = await structured(`{${base},"comExampleExt":"v"}`);
    expect(res.status).toBe(400);
    const error = JSON.parse(res.body).error as string;
    expect(error).toContain("'comExampleExt'");
    expect(error).toMatch(/lower-case/);
    expect(error).toContain("'comexampleext'");
    expect(received).toHaveLength(0);
  });
  it('refuses __proto__ as an attribute name instead of dropping it', async () => {
    const res = await structured(`{${base},"__proto__":"x"}`);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toContain('__proto__');
  });
  it.each([['2147483648'], ['-2147483649'], ['1e12']])(
    'rejects integer attribute %s outside the signed 32-bit range',
    async (n) => {
      const res = await structured(`{${base},"count":${n}}`);
      expect(res.status).toBe(400);
      const error = JSON.parse(res.body).error as string;
      expect(error).toContain("'count'");
      expect(error).toMatch(/32-bit/);
      expect(error).toMatch(/string/);
    },
  );
  it('accepts the ends of the signed 32-bit range', async () => {
    const res = await structured(`{${base},"lo":-2147483648,"hi":2147483647}`);
    expect(res.status).toBe(202);
    expect((await delivered(1))[0]!.attributes).toMatchObject({
      lo: '-2147483648',
      hi: '2147483647',
    });
  });
  it('rejects a fractional number attribute (the type system has no such type)', async () => {
    const res = await structured(`{${base},"ratio":1.5}`);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toContain("'ratio'");
  });
  it('"data": null is a valid event delivered with null data', async () => {
    const res = await structured(`{${base},"data":null}`);
    expect(res.status).toBe(202);
    const [event] = await delivered(1);
    expect(Buffer.from(event!.data!).toString('utf8')).toBe('null');
    expect(event!.attributes['datacontenttype']).toBe('application/json');
    const back = toStructured(event!);
    expect('data' in back && back['data']).toBeNull();
  });
});

describe('events that could not be represented on delivery are refused (lone surrogates)', () => {
  it('rejects an attribute holding a lone surrogate with 400', async () => {
    const res = await structured(`{${base},"ext":"\\ud800"}`);
    expect(res.status).toBe(400);
    const error = JSON.parse(res.body).error as string;
    expect(error).toContain("'ext'");
    expect(error).toMatch(/surrogate/);
    expect(received).toHaveLength(0);
  });
  it('rejects text data holding a lone surrogate with 400', async () => {
    const res = await structured(`{${base},"datacontenttype":"text/plain","data":"a\\udc00b"}`);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toMatch(/surrogate/);
  });
  it('accepts a well-formed surrogate pair', async () => {
    const res = await structured(`{${base},"ext":"\\ud83d\\ude00"}`);
    expect(res.status).toBe(202);
    expect((await delivered(1))[0]!.attributes['ext']).toBe('😀');
  });
});

describe('hostile input gets 4xx, never 5xx', () => {
  it('deeply nested structured data → 400', async () => {
    const depth = 200_000;
    const res = await structured(`{${base},"data":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toMatch(/nest/);
  });
  it('more headers than the server keeps → 431, not silently truncated', async () => {
    const many = Array.from({ length: 1200 }, (_, i) => `x-h${i}: v`);
    const res = await rawPost(binaryHeaders(many), 'hello');
    expect(res.status).toBe(431);
    expect(JSON.parse(res.body).error).toMatch(/headers/);
    expect(received).toHaveLength(0);
  });
  it('a batch larger than the queue can ever hold → 413, not 503', async () => {
    const events = Array.from(
      { length: QUEUE_LIMIT + 1 },
      (_, i) => `{"specversion":"1.0","id":"b-${i}","source":"/raw","type":"t"}`,
    );
    const res = await rawPost(
      ['content-type: application/cloudevents-batch+json'],
      `[${events.join(',')}]`,
    );
    expect(res.status).toBe(413);
    expect(res.headers['retry-after']).toBeUndefined();
    const error = JSON.parse(res.body).error as string;
    expect(error).toContain(String(QUEUE_LIMIT));
    expect(error).toMatch(/smaller batches/);
  });
});
