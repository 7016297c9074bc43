import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startHttpSink, type HttpSink } from '@tributary/testkit';
import { githubPayload } from '../../packages/sources/test/fixtures.js';
import {
  startTributary,
  writeManifests,
  type TributaryProcess,
} from '../../test/support/tributary-process.js';

const manifest = readFileSync(fileURLToPath(new URL('./webhooks.yaml', import.meta.url)), 'utf8');
let trib: TributaryProcess;
let sink: HttpSink;

beforeAll(async () => {
  sink = await startHttpSink();
  // The secrets resolve from the environment the child inherits, as the README says.
  process.env['GITHUB_SECRET'] = 'gh-example-secret';
  process.env['STRIPE_SIGNING_SECRET'] = 'whsec_example';
  const dir = writeManifests({
    'webhooks.yaml': manifest.replaceAll('http://127.0.0.1:9001', sink.url),
  });
  trib = await startTributary(`${dir}/webhooks.yaml`);
});

afterAll(async () => {
  await trib?.stop();
  await sink?.close();
  delete process.env['GITHUB_SECRET'];
  delete process.env['STRIPE_SIGNING_SECRET'];
});

const post = (path: string, body: Buffer | string, headers: Record<string, string>) =>
  request(`${trib.baseUrl}${path}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  }).then(async (r) => ({ status: r.statusCode, text: await r.body.text() }));

describe('examples/webhooks', () => {
  it('routes a signed GitHub push through the broker to the ci trigger', async () => {
    const body = githubPayload('push');
    const id = randomUUID();
    const sig = `sha256=${createHmac('sha256', 'gh-example-secret').update(body).digest('hex')}`;
    expect(
      (
        await post('/webhooks/default/hello-world', body, {
          'x-github-event': 'push',
          'x-github-delivery': id,
          'x-hub-signature-256': sig,
        })
      ).status,
    ).toBe(202);
    const r = await sink.waitForRequest((q) => q.url === '/ci', 10_000);
    expect(r.events[0]!.attributes).toMatchObject({
      id,
      type: 'dev.knative.source.github.push',
      source: 'https://github.com/Codertocat/Hello-World',
    });
  });

  it('routes a signed Stripe invoice event to billing; a wrong signature is 401; a redelivery is not emitted twice', async () => {
    const body = JSON.stringify({
      id: 'evt_example_1',
      type: 'invoice.paid',
      data: { object: { id: 'in_1' } },
    });
    const t = Math.floor(Date.now() / 1000);
    const header = (secret: string) =>
      `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
    expect(
      (await post('/webhooks/default/stripe', body, { 'stripe-signature': header('whsec_wrong') }))
        .status,
    ).toBe(401);
    expect(
      (
        await post('/webhooks/default/stripe', body, {
          'stripe-signature': header('whsec_example'),
        })
      ).status,
    ).toBe(202);
    expect(
      (
        await post('/webhooks/default/stripe', body, {
          'stripe-signature': header('whsec_example'),
        })
      ).status,
    ).toBe(202);
    const r = await sink.waitForRequest((q) => q.url === '/billing', 10_000);
    expect(r.events[0]!.attributes).toMatchObject({
      id: 'evt_example_1',
      type: 'com.stripe.invoice.paid',
      subject: 'in_1',
      provider: 'stripe',
    });
    await new Promise((res) => setTimeout(res, 300));
    expect(sink.requests.filter((q) => q.url === '/billing')).toHaveLength(1);
  });
});
