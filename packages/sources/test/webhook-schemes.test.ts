import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { Runtime } from '@tributary/broker';
import { startHttpSink, type HttpSink } from '@tributary/testkit';
import { problemsOf, startRuntime } from './harness.js';

// Each provider example of docs/sources.md, signed the way that provider signs.
const STRIPE = 'whsec_stripe_secret';
const SLACK = '8f742231b10e8888abcd99yyyzzz85a5';
const SHOPIFY = 'shpss_shopify_secret';
const STANDARD = `whsec_${Buffer.from('standard-webhooks-key-0123456789').toString('base64')}`;

let sink: HttpSink;
let runtime: Runtime;
let url: string;

const secret = (name: string, value: string) => `
apiVersion: v1
kind: Secret
metadata: { name: ${name} }
stringData: { key: "${value}" }
---`;

beforeAll(async () => {
  sink = await startHttpSink();
  const yaml = `
${secret('stripe', STRIPE)}
${secret('slack', SLACK)}
${secret('shopify', SHOPIFY)}
${secret('standard', STANDARD)}
${secret('basic', 'p4ss')}
${secret('bearer', 't0ken')}
apiVersion: tributary.dev/v1alpha1
kind: WebhookSource
metadata: { name: stripe }
spec:
  verification:
    hmac:
      secret: { secretKeyRef: { name: stripe, key: key } }
      header: Stripe-Signature
      signatureKey: v1
      timestamp: { key: t, toleranceSeconds: 300 }
      signedContent: "{timestamp}.{body}"
  event:
    type: { jsonPointer: /type, prefix: com.stripe. }
    source: { value: https://api.stripe.com }
    subject: { jsonPointer: /data/object/id }
    id: { jsonPointer: /id }
  sink: { uri: "${sink.url}/stripe" }
---
apiVersion: tributary.dev/v1alpha1
kind: WebhookSource
metadata: { name: slack }
spec:
  verification:
    hmac:
      secret: { secretKeyRef: { name: slack, key: key } }
      header: X-Slack-Signature
      prefix: "v0="
      timestamp: { header: X-Slack-Request-Timestamp }
      signedContent: "v0:{timestamp}:{body}"
  event:
    type: { jsonPointer: /event/type, prefix: com.slack. }
    source: { jsonPointer: /team_id, prefix: "https://slack.com/" }
    id: { jsonPointer: /event_id }
  sink: { uri: "${sink.url}/slack" }
---
apiVersion: tributary.dev/v1alpha1
kind: WebhookSource
metadata: { name: shopify }
spec:
  verification:
    hmac:
      secret: { secretKeyRef: { name: shopify, key: key } }
      header: X-Shopify-Hmac-Sha256
      encoding: base64
  event:
    type: { header: X-Shopify-Topic, prefix: com.shopify. }
    source: { header: X-Shopify-Shop-Domain, prefix: "https://" }
    id: { header: X-Shopify-Event-Id }
  sink: { uri: "${sink.url}/shopify" }
---
apiVersion: tributary.dev/v1alpha1
kind: WebhookSource
metadata: { name: standard }
spec:
  verification:
    standardWebhooks: { secret: { secretKeyRef: { name: standard, key: key } } }
  event:
    type: { jsonPointer: /type }
    source: { value: https://svix.example.com }
  sink: { uri: "${sink.url}/standard" }
---
apiVersion: tributary.dev/v1alpha1
kind: WebhookSource
metadata: { name: basic }
spec:
  verification:
    basicAuth: { username: hook, password: { secretKeyRef: { name: basic, key: key } } }
  event:
    type: { value: com.example.basic }
    source: { value: /basic }
  sink: { uri: "${sink.url}/basic" }
---
apiVersion: tributary.dev/v1alpha1
kind: WebhookSource
metadata: { name: bearer }
spec:
  verification:
    bearerToken: { token: { secretKeyRef: { name: bearer, key: key } } }
  event:
    type: { value: com.example.bearer }
    source: { value: /bearer }
  ceOverrides: { extensions: { Team: blue } }
  sink: { uri: "${sink.url}/bearer" }
`;
  ({ runtime, url } = await startRuntime(yaml));
});

afterAll(async () => {
  await runtime?.stop({ drainMs: 100 });
  await sink?.close();
});

const post = async (name: string, body: string, headers: Record<string, string>) => {
  const r = await request(`${url}/webhooks/default/${name}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
  return { status: r.statusCode, text: await r.body.text(), headers: r.headers };
};
const now = () => Math.floor(Date.now() / 1000);
const lastAt = (path: string) => sink.waitForRequest((r) => r.url === path, 10_000);

describe('Stripe (Stripe-Signature: t=…,v1=…, HMAC-SHA256 over "{t}.{body}")', () => {
  const sign = (body: string, t: number, key = STRIPE) =>
    `t=${t},v1=${createHmac('sha256', key).update(`${t}.${body}`).digest('hex')}`;
  const body = JSON.stringify({
    id: 'evt_1',
    type: 'invoice.paid',
    data: { object: { id: 'in_9' } },
  });

  it('accepts a correctly signed event and maps type, source, subject, id', async () => {
    expect((await post('stripe', body, { 'stripe-signature': sign(body, now()) })).status).toBe(
      202,
    );
    const r = await lastAt('/stripe');
    expect(r.events[0]!.attributes).toMatchObject({
      id: 'evt_1',
      type: 'com.stripe.invoice.paid',
      source: 'https://api.stripe.com',
      subject: 'in_9',
      datacontenttype: 'application/json',
    });
    expect(Buffer.from(r.body).toString()).toBe(body);
  });

  it('accepts when any of several v1 signatures matches (secret rotation)', async () => {
    const b = JSON.stringify({ id: 'evt_2', type: 'x', data: { object: { id: 'o' } } });
    const t = now();
    const header = `t=${t},v1=${'0'.repeat(64)},${sign(b, t).split(',')[1]}`;
    expect((await post('stripe', b, { 'stripe-signature': header })).status).toBe(202);
  });

  it.each([
    ['wrong secret', (t: number) => sign(body, t, 'whsec_other'), /does not match/],
    ['timestamp outside tolerance', (t: number) => sign(body, t - 301), /tolerance/],
    ['no v1 entry', (t: number) => `t=${t},v0=abc`, /no signature/],
  ])('rejects with 401: %s', async (_name, header, message) => {
    const r = await post('stripe', body, { 'stripe-signature': header(now()) });
    expect(r.status).toBe(401);
    expect(r.text).toMatch(message);
  });
});

describe('Slack (X-Slack-Signature: v0=hex HMAC of "v0:{ts}:{body}")', () => {
  const body = JSON.stringify({ team_id: 'T123', event_id: 'Ev1', event: { type: 'app_mention' } });
  const sign = (ts: number) =>
    `v0=${createHmac('sha256', SLACK).update(`v0:${ts}:${body}`).digest('hex')}`;

  it('accepts a signed request', async () => {
    const ts = now();
    expect(
      (
        await post('slack', body, {
          'x-slack-signature': sign(ts),
          'x-slack-request-timestamp': String(ts),
        })
      ).status,
    ).toBe(202);
    const r = await lastAt('/slack');
    expect(r.events[0]!.attributes).toMatchObject({
      id: 'Ev1',
      type: 'com.slack.app_mention',
      source: 'https://slack.com/T123',
    });
  });

  it('rejects a replayed request (timestamp too old) and a missing timestamp', async () => {
    const old = now() - 600;
    expect(
      (
        await post('slack', body, {
          'x-slack-signature': sign(old),
          'x-slack-request-timestamp': String(old),
        })
      ).status,
    ).toBe(401);
    expect((await post('slack', body, { 'x-slack-signature': sign(now()) })).status).toBe(401);
  });
});

describe('Shopify (X-Shopify-Hmac-Sha256: base64 HMAC of the body)', () => {
  const body = JSON.stringify({ id: 820982911946154500, email: 'jon@example.com' });
  const sign = (key = SHOPIFY) => createHmac('sha256', key).update(body).digest('base64');

  it('accepts a signed request and takes attributes from headers', async () => {
    const headers = {
      'x-shopify-hmac-sha256': sign(),
      'x-shopify-topic': 'orders/create',
      'x-shopify-shop-domain': 'shop.myshopify.com',
      'x-shopify-event-id': randomUUID(),
    };
    expect((await post('shopify', body, headers)).status).toBe(202);
    const r = await lastAt('/shopify');
    expect(r.events[0]!.attributes).toMatchObject({
      id: headers['x-shopify-event-id'],
      type: 'com.shopify.orders/create',
      source: 'https://shop.myshopify.com',
    });
    expect(
      (await post('shopify', body, { ...headers, 'x-shopify-hmac-sha256': sign('other') })).status,
    ).toBe(401);
  });

  it('answers 400 naming the header when a mapped attribute is missing', async () => {
    const r = await post('shopify', body, {
      'x-shopify-hmac-sha256': sign(),
      'x-shopify-shop-domain': 's',
      'x-shopify-event-id': 'e1',
    });
    expect(r.status).toBe(400);
    expect(r.text).toContain('header X-Shopify-Topic is missing');
  });
});

describe('Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature v1)', () => {
  const key = Buffer.from(STANDARD.slice('whsec_'.length), 'base64');
  const sign = (id: string, ts: number, body: string) =>
    `v1,${createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64')}`;
  const body = JSON.stringify({ type: 'user.created', data: { id: 'u1' } });

  it('accepts a signed request; id = webhook-id; a redelivery is acknowledged and not emitted again', async () => {
    const id = `msg_${randomUUID()}`;
    const ts = now();
    const headers = {
      'webhook-id': id,
      'webhook-timestamp': String(ts),
      'webhook-signature': `v1,bm90LWl0 ${sign(id, ts, body)}`,
    };
    expect((await post('standard', body, headers)).status).toBe(202);
    const again = await post('standard', body, headers);
    expect(again.status).toBe(202);
    expect(again.text).toContain('duplicate');
    const r = await lastAt('/standard');
    expect(r.events[0]!.attributes).toMatchObject({
      id,
      type: 'user.created',
      source: 'https://svix.example.com',
    });
    await new Promise((res) => setTimeout(res, 200));
    expect(sink.requests.filter((q) => q.events[0]?.attributes['id'] === id)).toHaveLength(1);
  });

  it('rejects a wrong signature, an old timestamp and a missing id', async () => {
    const ts = now();
    expect(
      (
        await post('standard', body, {
          'webhook-id': 'a',
          'webhook-timestamp': String(ts),
          'webhook-signature': sign('b', ts, body),
        })
      ).status,
    ).toBe(401);
    expect(
      (
        await post('standard', body, {
          'webhook-id': 'a',
          'webhook-timestamp': String(ts - 400),
          'webhook-signature': sign('a', ts - 400, body),
        })
      ).status,
    ).toBe(401);
    expect(
      (
        await post('standard', body, {
          'webhook-timestamp': String(ts),
          'webhook-signature': sign('a', ts, body),
        })
      ).status,
    ).toBe(401);
  });
});

describe('basic auth and bearer token', () => {
  it('basic auth: right credentials 202, wrong 401 with WWW-Authenticate', async () => {
    const good = `Basic ${Buffer.from('hook:p4ss').toString('base64')}`;
    expect((await post('basic', '{}', { authorization: good })).status).toBe(202);
    const bad = await post('basic', '{}', {
      authorization: `Basic ${Buffer.from('hook:nope').toString('base64')}`,
    });
    expect(bad.status).toBe(401);
    expect(bad.headers['www-authenticate']).toContain('Basic');
  });

  it('bearer: right token 202 (with ceOverrides, key lower-cased), wrong or missing 401', async () => {
    expect((await post('bearer', '{"a":1}', { authorization: 'Bearer t0ken' })).status).toBe(202);
    const r = await lastAt('/bearer');
    expect(r.events[0]!.attributes).toMatchObject({ type: 'com.example.bearer', team: 'blue' });
    expect((await post('bearer', '{}', { authorization: 'Bearer t0ken2' })).status).toBe(401);
    expect((await post('bearer', '{}', {})).status).toBe(401);
  });
});

describe('routing and validation', () => {
  it('404 for an unknown source, 405 for GET', async () => {
    expect((await post('nope', '{}', {})).status).toBe(404);
    const r = await request(`${url}/webhooks/default/basic`);
    expect(r.statusCode).toBe(405);
    await r.body.dump();
  });

  it('validation names the field and the fix', () => {
    const base = (verification: string) => `
apiVersion: tributary.dev/v1alpha1
kind: WebhookSource
metadata: { name: w }
spec:
  verification: ${verification}
  event: { type: { value: t, header: X-T }, source: { value: s } }
  ceOverrides: { extensions: { type: x } }
  sink: { uri: http://localhost:1/ }
`;
    const p = problemsOf(
      base(
        '{ hmac: { secret: { secretKeyRef: { name: s, key: k } }, header: X-Sig, signedContent: "{timestamp}" }, bearerToken: { token: { secretKeyRef: { name: s, key: k } } } }',
      ),
    );
    expect(p.join('\n')).toMatch(
      /spec\.verification: set exactly one of hmac, standardWebhooks, basicAuth or bearerToken/,
    );
    expect(p.join('\n')).toMatch(/signedContent: signedContent uses \{timestamp\}/);
    expect(p.join('\n')).toMatch(
      /spec\.event\.type: set exactly one of value, header or jsonPointer/,
    );
    expect(p.join('\n')).toMatch(
      /ceOverrides\.extensions\.type: 'type' is a CloudEvents spec attribute/,
    );
  });
});
