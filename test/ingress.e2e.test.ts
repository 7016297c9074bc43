import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startHttpSink, type HttpSink } from '@tributary/testkit';
import {
  startTributary,
  writeManifests,
  type TributaryProcess,
} from './support/tributary-process.js';

// docs/knative-behaviour.md §13 checks 1 (method/URI handling), 2 (bad events) and 3 (TTL defaulting), against a
// real `tributary run`. Stored TTLs are observed at a dead-letter sink, which receives the event as
// the broker holds it (the subscriber answers 400, which is not retried).
let trib: TributaryProcess;
let dls: HttpSink;
let failing: HttpSink;

beforeAll(async () => {
  dls = await startHttpSink();
  failing = await startHttpSink({ script: () => ({ status: 400 }) });
  const dir = writeManifests({
    'broker.yaml': `
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: b, namespace: ns }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: t, namespace: ns }
spec:
  broker: b
  subscriber: { uri: "${failing.url}" }
  delivery:
    deadLetterSink: { uri: "${dls.url}" }
`,
  });
  trib = await startTributary(dir);
});

afterAll(async () => {
  await trib?.stop();
  await dls?.close();
  await failing?.close();
});

const binaryHeaders = (extra: Record<string, string> = {}) => ({
  'ce-specversion': '1.0',
  'ce-id': `id-${Math.random()}`,
  'ce-source': '/e2e',
  'ce-type': 'e2e.test',
  'content-type': 'application/json',
  ...extra,
});

async function post(path: string, headers: Record<string, string>, body = '{}') {
  const res = await request(`${trib.baseUrl}${path}`, { method: 'POST', headers, body });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

describe('broker ingress (method and URI handling)', () => {
  it('MUST answer 405 to GET', async () => {
    const res = await request(`${trib.baseUrl}/ns/b`, { method: 'GET' });
    await res.body.dump();
    expect(res.statusCode).toBe(405);
    expect(res.headers['allow']).toBe('POST, OPTIONS');
  });

  it('MUST answer OPTIONS with 200 and the WebHook headers', async () => {
    const res = await request(`${trib.baseUrl}/ns/b`, { method: 'OPTIONS' });
    await res.body.dump();
    expect(res.statusCode).toBe(200);
    expect(res.headers['allow']).toBe('POST, OPTIONS');
    expect(res.headers['webhook-allowed-origin']).toBe('*');
    expect(res.headers['webhook-allowed-rate']).toBe('*');
  });

  it('MUST answer 404 to POST /', async () => {
    expect((await post('/', binaryHeaders())).status).toBe(404);
  });

  it('MUST answer 400 to a path with three segments', async () => {
    expect((await post('/knative/ns/b', binaryHeaders())).status).toBe(400);
  });

  it('accepts a trailing slash', async () => {
    expect((await post('/ns/b/', binaryHeaders())).status).toBe(202);
  });

  it('answers 404 for an unknown broker with a message that names it', async () => {
    const r = await post('/ns/nope', binaryHeaders());
    expect(r.status).toBe(404);
    expect(r.text).toContain('nope');
  });
});

describe('broker ingress (bad events)', () => {
  it('MUST reject an unknown spec version with 400', async () => {
    const r = await post('/ns/b', binaryHeaders({ 'ce-specversion': '19.0' }));
    expect(r.status).toBe(400);
    expect(r.text).toContain('19.0');
  });

  it('MUST reject a body that is not an event with 400', async () => {
    const r = await post('/ns/b', { 'content-type': 'text/plain' }, 'not an event');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text)).toHaveProperty('error');
  });

  it('MUST accept valid binary and structured events with 202', async () => {
    expect((await post('/ns/b', binaryHeaders())).status).toBe(202);
    const structured = JSON.stringify({
      specversion: '1.0',
      id: 's-1',
      source: '/e2e',
      type: 'e2e.test',
      data: { a: 1 },
    });
    expect(
      (await post('/ns/b', { 'content-type': 'application/cloudevents+json' }, structured)).status,
    ).toBe(202);
  });
});

describe('broker ingress (TTL)', () => {
  async function storedTtl(ttl: string | undefined): Promise<string | undefined> {
    const id = `ttl-${ttl}-${Math.random()}`;
    const headers = binaryHeaders({
      'ce-id': id,
      ...(ttl === undefined ? {} : { 'ce-knativebrokerttl': ttl }),
    });
    expect((await post('/ns/b', headers)).status).toBe(202);
    const req = await dls.waitForEvent((e) => e.attributes['id'] === id);
    expect(req.attributes['knativearrivaltime']).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/,
    );
    return req.attributes['knativebrokerttl'];
  }

  it('defaults an absent TTL to 255', async () => {
    expect(await storedTtl(undefined)).toBe('255');
  });

  it('decrements a TTL of 10 to 9', async () => {
    expect(await storedTtl('10')).toBe('9');
  });

  it('defaults an unparsable TTL', async () => {
    expect(await storedTtl('XYZ')).toBe('255');
  });

  it('rejects a TTL of 1 or 0 with 400', async () => {
    expect((await post('/ns/b', binaryHeaders({ 'ce-knativebrokerttl': '1' }))).status).toBe(400);
    expect((await post('/ns/b', binaryHeaders({ 'ce-knativebrokerttl': '0' }))).status).toBe(400);
  });
});
