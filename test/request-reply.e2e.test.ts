import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { CloudEvent } from '@tributary/core';
import { sealCorrelationId } from '@tributary/filter';
import { ReplyTimeoutError, createProducer } from '@tributary/sdk';
import { startHttpSink, type HttpSink, type SinkResponse } from '@tributary/testkit';
import {
  startTributary,
  writeManifests,
  type TributaryProcess,
} from './support/tributary-process.js';

// RequestReply end to end (docs/request-reply.md) against a real `tributary run` and real HTTP sinks.
let trib: TributaryProcess;
const s: Record<string, HttpSink> = {};
const KEY = '0123456789abcdef0123456789abcdef'; // 32 bytes: AES-256

/** Replies as a Knative RequestReply responder does: copies `correlationid` into `replyid`. */
const responder = (req: { events: CloudEvent[] }): SinkResponse => {
  const e = req.events[0]!;
  return {
    status: 200,
    event: {
      attributes: {
        specversion: '1.0',
        id: `answer-${e.attributes['id']}`,
        source: '/responder',
        type: 'rr.answer',
        replyid: e.attributes['correlationid'] ?? '',
        datacontenttype: 'application/json',
      },
      data: Buffer.from(JSON.stringify({ echo: JSON.parse(Buffer.from(e.data!).toString()) })),
    },
  };
};

async function postEvent(path: string, attrs: Record<string, string>, data: unknown = {}) {
  const res = await request(`${trib.baseUrl}${path}`, {
    method: 'POST',
    headers: {
      'ce-specversion': '1.0',
      'ce-source': '/e2e',
      'content-type': 'application/json',
      ...Object.fromEntries(Object.entries(attrs).map(([k, v]) => [`ce-${k}`, v])),
    },
    body: JSON.stringify(data),
  });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

beforeAll(async () => {
  s.responder = await startHttpSink({ script: responder });
  s.manual = await startHttpSink();
  s.verified = await startHttpSink();
  s.viaAnswers = await startHttpSink();
  const yaml = `
# a Trigger on another broker whose subscriber is the RequestReply: the reply is the Trigger's reply
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: front }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: front-to-rr }
spec:
  broker: front
  filters: [{ exact: { type: rr.request-via } }]
  subscriber: { ref: { apiVersion: eventing.knative.dev/v1alpha1, kind: RequestReply, name: rr } }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: front-answers }
spec:
  broker: front
  filters: [{ exact: { type: rr.answer } }]
  subscriber: { uri: ${s.viaAnswers.url} }
---
apiVersion: v1
kind: Secret
metadata: { name: request-reply-keys }
stringData:
  default.rr.key-0: "${KEY}"
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: hub }
---
apiVersion: eventing.knative.dev/v1alpha1
kind: RequestReply
metadata: { name: rr }
spec:
  brokerRef: { apiVersion: eventing.knative.dev/v1, kind: Broker, name: hub }
---
apiVersion: eventing.knative.dev/v1alpha1
kind: RequestReply
metadata: { name: slow }
spec:
  brokerRef: { apiVersion: eventing.knative.dev/v1, kind: Broker, name: hub }
  timeout: PT1S
---
apiVersion: eventing.knative.dev/v1alpha1
kind: RequestReply
metadata:
  name: capped
  annotations: { tributary.dev/max-held-requests: "1" }
spec:
  brokerRef: { apiVersion: eventing.knative.dev/v1, kind: Broker, name: hub }
  timeout: PT5S
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: responder }
spec:
  broker: hub
  filters: [{ prefix: { type: rr.request } }]
  subscriber: { uri: ${s.responder.url} }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: manual }
spec:
  broker: hub
  filters: [{ exact: { type: rr.manual } }]
  subscriber: { uri: ${s.manual.url} }
---
# a user trigger that only takes replies whose correlation id is genuine
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: verified }
spec:
  broker: hub
  filters:
    - exact: { type: rr.answer }
    - cesql: KN_VERIFY_CORRELATION_ID(replyid, "rr", "default", "request-reply-keys", 0, 1)
  subscriber: { uri: ${s.verified.url} }
`;
  trib = await startTributary(writeManifests({ 'rr.yaml': yaml }));
});

afterAll(async () => {
  await trib?.stop();
  for (const sink of Object.values(s)) await sink.close();
});

describe('RequestReply with tributary run', () => {
  it('holds the request until the reply comes back through the broker and answers it in binary mode (200)', async () => {
    const r = await postEvent(
      '/default/requestreplies/rr',
      { id: 'q-1', type: 'rr.request' },
      { n: 1 },
    );
    expect(r.status).toBe(200);
    expect(r.headers['ce-id']).toBe('answer-q-1');
    expect(r.headers['ce-type']).toBe('rr.answer');
    expect(String(r.headers['ce-replyid'])).toMatch(/^q-1:[A-Za-z0-9_-]+={0,2}:\d+$/);
    expect(JSON.parse(r.text)).toEqual({ echo: { n: 1 } });
    // the responder saw Knative's correlation id format: <id>:<base64url sealed id>:<index>
    const seen = s.responder!.events.find((e) => e.attributes['id'] === 'q-1')!;
    expect(seen.attributes['correlationid']).toBe(r.headers['ce-replyid']);
  });

  it('is addressable by ref: a Trigger delivering to the RequestReply gets the reply as its own reply', async () => {
    expect(
      (await postEvent('/default/front', { id: 'v-1', type: 'rr.request-via' }, { n: 3 })).status,
    ).toBe(202);
    const answer = await s.viaAnswers!.waitForEvent(
      (e) => e.attributes['id'] === 'answer-v-1',
      30_000,
    );
    expect(JSON.parse(Buffer.from(answer.data!).toString())).toEqual({ echo: { n: 3 } });
  });

  it('answers 504 after the timeout, and frees the id (the same id can be requested again)', async () => {
    const first = await postEvent('/default/requestreplies/slow', { id: 't-1', type: 'rr.nobody' });
    expect(first.status).toBe(504);
    expect(JSON.parse(first.text).error).toMatch(
      /no reply to request 't-1' arrived within 1000 ms/,
    );
    const again = await postEvent('/default/requestreplies/slow', { id: 't-1', type: 'rr.nobody' });
    expect(again.status).toBe(504);
  });

  it('refuses forged correlation ids: only the genuine reply settles the request and passes KN_VERIFY_CORRELATION_ID', async () => {
    const pending = postEvent(
      '/default/requestreplies/rr',
      { id: 'f-1', type: 'rr.manual' },
      { n: 2 },
    );
    const req = await s.manual!.waitForEvent((e) => e.attributes['id'] === 'f-1', 30_000);
    const genuine = req.attributes['correlationid']!;
    const [id, sealed, index] = genuine.split(':') as [string, string, string];
    const flipped = `${sealed[0] === 'A' ? 'B' : 'A'}${sealed.slice(1)}`;
    const forgeries = [
      `${id}:${flipped}:${index}`, // tampered
      sealCorrelationId(id, randomBytes(32), Number(index)), // sealed with another key
      `${id}:${Buffer.from(id).toString('base64url')}:${index}`, // not sealed at all
      `${id}:${index}`, // wrong shape
    ];
    for (const [i, replyid] of forgeries.entries())
      expect(
        (await postEvent('/default/hub', { id: `forged-${i}`, type: 'rr.answer', replyid })).status,
      ).toBe(202);
    // the genuine reply, sent after the forgeries, is the one the caller gets
    expect(
      (
        await postEvent(
          '/default/hub',
          { id: 'genuine-1', type: 'rr.answer', replyid: genuine },
          { ok: true },
        )
      ).status,
    ).toBe(202);
    const r = await pending;
    expect(r.status).toBe(200);
    expect(r.headers['ce-id']).toBe('genuine-1');
    await s.verified!.waitForEvent((e) => e.attributes['id'] === 'genuine-1', 30_000);
    expect(
      s.verified!.events.map((e) => e.attributes['id']).filter((x) => x?.startsWith('forged')),
    ).toEqual([]);
  });

  it('bounds held requests: beyond tributary.dev/max-held-requests it answers 503 with Retry-After', async () => {
    // two at once with a cap of 1: one is held (and times out), the other is refused
    const both = await Promise.all(
      ['c-1', 'c-2'].map((id) =>
        postEvent('/default/requestreplies/capped', { id, type: 'rr.nobody' }),
      ),
    );
    expect(both.map((r) => r.status).sort()).toEqual([503, 504]);
    const refused = both.find((r) => r.status === 503)!;
    expect(refused.headers['retry-after']).toBe('1');
    expect(JSON.parse(refused.text).error).toContain('tributary.dev/max-held-requests');
  });

  it('refuses a second request with an id that is still waiting (409) and ids containing ":" (400)', async () => {
    const twice = await Promise.all(
      [1, 2].map(() =>
        postEvent('/default/requestreplies/capped', { id: 'd-1', type: 'rr.nobody' }),
      ),
    );
    expect(twice.map((r) => r.status).sort()).toEqual([409, 504]);
    const colon = await postEvent('/default/requestreplies/rr', { id: 'a:b', type: 'rr.request' });
    expect(colon.status).toBe(400);
    expect(JSON.parse(colon.text).error).toContain("contains ':'");
    expect((await postEvent('/default/requestreplies/none', { id: 'x', type: 'x' })).status).toBe(
      404,
    );
  });

  it('@tributary/sdk producer.request returns the reply, and throws ReplyTimeoutError on 504', async () => {
    const producer = createProducer({
      url: `${trib.baseUrl}/default/requestreplies/rr`,
      source: '/sdk',
    });
    const reply = await producer.request(
      { type: 'rr.request', data: { via: 'sdk' } },
      { timeout: 30_000 },
    );
    expect(reply.attributes['type']).toBe('rr.answer');
    expect(JSON.parse(Buffer.from(reply.data!).toString())).toEqual({ echo: { via: 'sdk' } });
    await producer.close();
    const slow = createProducer({ url: `${trib.baseUrl}/default/requestreplies/slow` });
    await expect(
      slow.request({ type: 'rr.nobody', source: '/sdk' }, { timeout: 30_000 }),
    ).rejects.toBeInstanceOf(ReplyTimeoutError);
    await slow.close();
  });
});
