import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startHttpSink, type HttpSink } from '@tributary/testkit';
import {
  startTributary,
  writeManifests,
  type TributaryProcess,
} from './support/tributary-process.js';

// docs/knative-behaviour.md §13 checks 8 (dead-letter extensions), 9 (retry classification end to end) and 10(a)
// (replies), against a real `tributary run` with real HTTP subscribers.
let trib: TributaryProcess;
const s: Record<string, HttpSink> = {};
const CATASTROPHE = '{ "message": "catastrophic failure" }';
let flakyCalls = 0;

beforeAll(async () => {
  s.dls = await startHttpSink();
  s.unprocessable = await startHttpSink({ script: () => ({ status: 422, body: CATASTROPHE }) });
  // Fails the first 5 attempts with 409 (retried), then accepts.
  s.flaky = await startHttpSink({
    script: () => (++flakyCalls <= 5 ? { status: 409 } : { status: 202 }),
  });
  s.nonce = await startHttpSink({ script: () => ({ status: 200, body: 'not a cloudevent' }) });
  s.replier = await startHttpSink({
    script: (req) => ({
      status: 200,
      headers: {
        'ce-specversion': '1.0',
        'ce-id': `reply-of-${req.events[0]?.attributes['id']}`,
        'ce-source': '/replier',
        'ce-type': 'e2e.reply',
        'content-type': 'application/json',
      },
      body: '{"replied":true}',
    }),
  });
  s.replies = await startHttpSink();
  const trigger = (name: string, type: string, subscriber: string, delivery = '') => `---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: ${name}, namespace: e2e }
spec:
  broker: b
  filters: [{ exact: { type: ${type} } }]
  subscriber: { uri: "${subscriber}" }
${delivery}`;
  const yaml = `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: b, namespace: e2e }
spec:
  delivery:
    retry: 5
    backoffPolicy: linear
    backoffDelay: PT0.05S
    deadLetterSink: { uri: "${s.dls.url}" }
${trigger('unprocessable', 'e2e.unprocessable', s.unprocessable.url)}
${trigger('unreachable', 'e2e.unreachable', 'http://127.0.0.1:9/unreachable', '  delivery: { retry: 1, backoffDelay: PT0.01S }')}
${trigger('flaky', 'e2e.flaky', s.flaky.url)}
${trigger('nonce', 'e2e.nonce', s.nonce.url)}
${trigger('replier', 'e2e.ask', s.replier.url)}
${trigger('replies', 'e2e.reply', s.replies.url)}
`;
  trib = await startTributary(writeManifests({ 'delivery.yaml': yaml }));
});

afterAll(async () => {
  await trib?.stop();
  await Promise.all(Object.values(s).map((x) => x.close()));
});

async function send(type: string, id: string, extra: Record<string, string> = {}) {
  const res = await request(`${trib.baseUrl}/e2e/b`, {
    method: 'POST',
    headers: {
      'ce-specversion': '1.0',
      'ce-id': id,
      'ce-source': '/e2e',
      'ce-type': type,
      'content-type': 'application/json',
      ...extra,
    },
    body: '{"n":1}',
  });
  await res.body.dump();
  expect(res.statusCode).toBe(202);
}

describe('dead-letter sink', () => {
  it('receives the event once with knativeerrordest, knativeerrorcode and knativeerrordata after a 422', async () => {
    await send('e2e.unprocessable', 'dl-422');
    const got = await s.dls!.waitForRequest((r) => r.events[0]?.attributes['id'] === 'dl-422');
    const a = got.events[0]!.attributes;
    expect(a['knativeerrordest']).toBe(s.unprocessable!.url);
    expect(a['knativeerrorcode']).toBe('422');
    expect(Buffer.from(a['knativeerrordata']!, 'base64').toString()).toBe(CATASTROPHE);
    expect(got.headers['kn-namespace']).toBe('e2e');
    // 422 is not retried: the subscriber saw exactly one attempt.
    expect(s.unprocessable!.events.filter((e) => e.attributes['id'] === 'dl-422')).toHaveLength(1);
    expect(s.dls!.events.filter((e) => e.attributes['id'] === 'dl-422')).toHaveLength(1);
  });

  it('names an unreachable subscriber in knativeerrordest with code 500', async () => {
    await send('e2e.unreachable', 'dl-unreachable');
    const got = await s.dls!.waitForEvent((e) => e.attributes['id'] === 'dl-unreachable');
    expect(got.attributes['knativeerrordest']).toBe('http://127.0.0.1:9/unreachable');
    expect(got.attributes['knativeerrorcode']).toBe('500');
    expect(Buffer.from(got.attributes['knativeerrordata']!, 'base64').toString()).toMatch(
      /^dispatch error: /,
    );
  });
});

describe('retries', () => {
  it('delivers to a subscriber that fails the first 5 attempts with 409 (broker retry 5, linear)', async () => {
    await send('e2e.flaky', 'flaky-1');
    const got = await s.flaky!.waitForRequest((r) => r.status === 202);
    expect(got.events[0]?.attributes['id']).toBe('flaky-1');
    expect(s.flaky!.requests).toHaveLength(6);
    expect(s.dls!.events.some((e) => e.attributes['id'] === 'flaky-1')).toBe(false);
  });
});

describe('replies', () => {
  it('treats a 200 with a non-CloudEvent body as delivered, without a reply and without dead-lettering', async () => {
    await send('e2e.nonce', 'nonce-1');
    await s.nonce!.waitForEvent((e) => e.attributes['id'] === 'nonce-1');
    // A marker through the same dead-letter sink path proves nothing was dead-lettered before it.
    await send('e2e.unprocessable', 'nonce-marker');
    await s.dls!.waitForEvent((e) => e.attributes['id'] === 'nonce-marker');
    expect(s.dls!.events.some((e) => e.attributes['id'] === 'nonce-1')).toBe(false);
    expect(s.nonce!.requests).toHaveLength(1);
  });

  it('sends a CloudEvent reply back into the broker, where another trigger delivers it', async () => {
    await send('e2e.ask', 'ask-1', { 'ce-knativebrokerttl': '10' });
    const reply = await s.replies!.waitForEvent((e) => e.attributes['id'] === 'reply-of-ask-1');
    expect(reply.attributes['source']).toBe('/replier');
    // TTL 10 → 9 at ingress, re-attached unchanged to the reply, 8 at its ingress; removed before delivery.
    expect(reply.attributes['knativebrokerttl']).toBeUndefined();
    const asked = s.replier!.requests[0]!;
    expect(asked.headers['prefer']).toBe('reply');
    expect(asked.events[0]?.attributes['knativebrokerttl']).toBeUndefined();
  });
});

describe('shutdown', () => {
  it('exits 0 on SIGTERM', async () => {
    const code = await trib.stop('SIGTERM');
    expect(code).toBe(0);
  });
});
