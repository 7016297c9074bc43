import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startHttpSink, type HttpSink } from '@tributary/testkit';
import { githubPayload, gitlabPayload } from '../packages/sources/test/fixtures.js';
import {
  runCli,
  startTributary,
  writeManifests,
  type TributaryProcess,
} from './support/tributary-process.js';

// Issue 5 end to end: a real `tributary run` with PingSource, GitHubSource, GitLabSource and a
// Stripe-style WebhookSource, real HTTP requests signed with real HMACs and real payloads.
let trib: TributaryProcess;
let pingSink: HttpSink;
let hooks: HttpSink;
let failing: HttpSink;
const GH_SECRET = 'gh-secret-123';
const GL_SECRET = 'gl-token-456';
const STRIPE_SECRET = 'whsec_stripe_test';

beforeAll(async () => {
  pingSink = await startHttpSink();
  hooks = await startHttpSink();
  failing = await startHttpSink({ script: () => ({ status: 503 }) });
  const dir = writeManifests({
    'sources.yaml': `
apiVersion: sources.knative.dev/v1
kind: PingSource
metadata: { name: test-name, namespace: test-ns }
spec:
  schedule: "* * * * * *"
  contentType: text/plain
  dataBase64: c29tZSBkYXRh
  ceOverrides: { extensions: { "1": one, "2": two } }
  sink: { uri: "${pingSink.url}" }
---
apiVersion: v1
kind: Secret
metadata: { name: gh, namespace: dev }
stringData: { token: ${GH_SECRET} }
---
apiVersion: sources.knative.dev/v1alpha1
kind: GitHubSource
metadata: { name: repo, namespace: dev }
spec:
  ownerAndRepository: Codertocat/Hello-World
  eventTypes: [push, pull_request]
  secretToken: { secretKeyRef: { name: gh, key: token } }
  sink: { uri: "${hooks.url}/github" }
---
apiVersion: sources.knative.dev/v1alpha1
kind: GitLabSource
metadata: { name: proj, namespace: dev }
spec:
  projectUrl: https://gitlab.example.com/mike/diaspora
  secretToken: { secretKeyRef: { name: gl, key: token } }
  sink: { uri: "${hooks.url}/gitlab" }
---
apiVersion: v1
kind: Secret
metadata: { name: gl, namespace: dev }
stringData: { token: ${GL_SECRET} }
---
apiVersion: v1
kind: Secret
metadata: { name: stripe, namespace: dev }
stringData: { signing: ${STRIPE_SECRET} }
---
apiVersion: tributary.dev/v1alpha1
kind: WebhookSource
metadata: { name: stripe, namespace: dev }
spec:
  verification:
    hmac:
      secret: { secretKeyRef: { name: stripe, key: signing } }
      header: Stripe-Signature
      signatureKey: v1
      timestamp: { key: t, toleranceSeconds: 300 }
      signedContent: "{timestamp}.{body}"
  event:
    type: { jsonPointer: /type, prefix: com.stripe. }
    source: { value: https://api.stripe.com }
    subject: { jsonPointer: /data/object/id }
    id: { jsonPointer: /id }
  sink: { uri: "${hooks.url}/stripe" }
---
apiVersion: tributary.dev/v1alpha1
kind: WebhookSource
metadata: { name: broken-sink, namespace: dev }
spec:
  event:
    type: { value: com.example.hook }
    source: { value: /hooks }
  sink: { uri: "${failing.url}" }
`,
  });
  trib = await startTributary(dir);
});

afterAll(async () => {
  await trib?.stop();
  await Promise.all([pingSink?.close(), hooks?.close(), failing?.close()]);
});

const post = (path: string, body: Buffer | string, headers: Record<string, string>) =>
  request(`${trib.baseUrl}${path}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  }).then(async (r) => ({
    status: r.statusCode,
    text: await r.body.text(),
  }));

const ghSign = (body: Buffer, alg: 'sha256' | 'sha1' = 'sha256', secret = GH_SECRET) =>
  `${alg}=${createHmac(alg, secret).update(body).digest('hex')}`;

describe('PingSource (docs/knative-behaviour.md §13 Bonus check)', () => {
  it('emits the Bonus event every second, in binary mode', async () => {
    await pingSink.waitFor(2, 15_000);
    const [first, second] = pingSink.requests;
    for (const r of [first!, second!]) {
      const e = r.events[0]!;
      expect(e.attributes).toMatchObject({
        specversion: '1.0',
        type: 'dev.knative.sources.ping',
        source: '/apis/v1/namespaces/test-ns/pingsources/test-name',
        datacontenttype: 'text/plain',
        '1': 'one',
        '2': 'two',
      });
      expect(e.attributes['id']).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(Number.isNaN(Date.parse(e.attributes['time']!))).toBe(false);
      expect(Buffer.from(e.data!).toString()).toBe('some data');
      expect(r.headers['ce-type']).toBe('dev.knative.sources.ping'); // binary mode
      expect(r.headers['content-type']).toBe('text/plain');
    }
    expect(first!.events[0]!.attributes['id']).not.toBe(second!.events[0]!.attributes['id']);
  });

  it('validate rejects @every and a bad timezone, naming the field', async () => {
    const dir = writeManifests({
      'bad.yaml': `
apiVersion: sources.knative.dev/v1
kind: PingSource
metadata: { name: p }
spec:
  schedule: "@every 1m"
  timezone: Mars/Olympus
  contentType: application/json
  data: '[1,2]'
  sink: { uri: http://localhost:1/ }
`,
    });
    const r = await runCli(['validate', '-f', `${dir}/bad.yaml`]);
    const out = r.stdout + r.stderr;
    expect(r.code).not.toBe(0);
    expect(out).toMatch(/spec\.schedule: .*@every is not supported/);
    expect(out).toMatch(/spec\.timezone: timezone 'Mars\/Olympus' is not a valid IANA timezone/);
    expect(out).toMatch(
      /spec\.data: with contentType application\/json the data must be a JSON object/,
    );
  });
});

describe('GitHubSource', () => {
  it('verifies X-Hub-Signature-256 and emits the push event with subject and extensions, payload byte for byte', async () => {
    const body = githubPayload('push');
    const delivery = randomUUID();
    const r = await post('/webhooks/dev/repo', body, {
      'x-github-event': 'push',
      'x-github-delivery': delivery,
      'x-hub-signature-256': ghSign(body),
    });
    expect(r.status).toBe(202);
    const req = await hooks.waitForRequest(
      (q) => q.events[0]?.attributes['id'] === delivery,
      10_000,
    );
    expect(req.url).toBe('/github');
    expect(req.events[0]!.attributes).toMatchObject({
      type: 'dev.knative.source.github.push',
      source: 'https://github.com/Codertocat/Hello-World',
      subject: '6113728f27ae...000000000000',
      datacontenttype: 'application/json',
      owner: 'Codertocat',
      repository: 'Hello-World',
      sender: 'Codertocat',
      pusher: 'Codertocat',
      ref: 'refs/tags/simple-tag',
      created: 'false',
      deleted: 'true',
      forced: 'false',
    });
    expect(Buffer.from(req.body).equals(body)).toBe(true);
  });

  it('accepts SHA-1 X-Hub-Signature alone; 401 and nothing emitted for a wrong or missing signature', async () => {
    const body = githubPayload('pull_request.opened');
    const ok = randomUUID();
    expect(
      (
        await post('/webhooks/dev/repo', body, {
          'x-github-event': 'pull_request',
          'x-github-delivery': ok,
          'x-hub-signature': ghSign(body, 'sha1'),
        })
      ).status,
    ).toBe(202);
    const req = await hooks.waitForRequest((q) => q.events[0]?.attributes['id'] === ok, 10_000);
    expect(req.events[0]!.attributes).toMatchObject({
      type: 'dev.knative.source.github.pull_request',
      subject: '2',
      action: 'opened',
      number: '2',
    });

    const before = hooks.requests.length;
    const bad = await post('/webhooks/dev/repo', body, {
      'x-github-event': 'pull_request',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': ghSign(body, 'sha256', 'wrong'),
    });
    expect(bad.status).toBe(401);
    const missing = await post('/webhooks/dev/repo', body, {
      'x-github-event': 'pull_request',
      'x-github-delivery': randomUUID(),
    });
    expect(missing.status).toBe(401);
    // A tampered body with the original signature fails too.
    const tampered = Buffer.concat([body, Buffer.from(' ')]);
    expect(
      (
        await post('/webhooks/dev/repo', tampered, {
          'x-github-event': 'pull_request',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': ghSign(body),
        })
      ).status,
    ).toBe(401);
    await new Promise((r) => setTimeout(r, 300));
    expect(hooks.requests.length).toBe(before);
    await trib.waitForLog((l) =>
      String(l['msg']).includes('GitHubSource dev/repo: request rejected'),
    );
  });

  it('acknowledges a redelivery (same X-GitHub-Delivery) without emitting it twice', async () => {
    const body = githubPayload('issues.labeled');
    const delivery = randomUUID();
    const headers = {
      'x-github-event': 'issues',
      'x-github-delivery': delivery,
      'x-hub-signature-256': ghSign(body),
    };
    expect((await post('/webhooks/dev/repo', body, headers)).status).toBe(202);
    const again = await post('/webhooks/dev/repo', body, headers);
    expect(again.status).toBe(202);
    expect(again.text).toContain('duplicate');
    await hooks.waitForRequest((q) => q.events[0]?.attributes['id'] === delivery, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(hooks.requests.filter((q) => q.events[0]?.attributes['id'] === delivery)).toHaveLength(
      1,
    );
  });
});

describe('GitLabSource', () => {
  it('checks X-Gitlab-Token and maps the type', async () => {
    const body = gitlabPayload('merge_request');
    const uuid = randomUUID();
    const r = await post('/webhooks/dev/proj', body, {
      'x-gitlab-event': 'Merge Request Hook',
      'x-gitlab-token': GL_SECRET,
      'x-gitlab-event-uuid': uuid,
    });
    expect(r.status).toBe(202);
    const req = await hooks.waitForRequest((q) => q.events[0]?.attributes['id'] === uuid, 10_000);
    expect(req.url).toBe('/gitlab');
    expect(req.events[0]!.attributes).toMatchObject({
      type: 'dev.knative.sources.gitlab.merge_request',
      source: 'https://gitlab.example.com/mike/diaspora',
      comgitlabevent: 'Merge Request Hook',
    });
    expect(Buffer.from(req.body).equals(body)).toBe(true);
    const wrong = await post('/webhooks/dev/proj', gitlabPayload('push'), {
      'x-gitlab-event': 'Push Hook',
      'x-gitlab-token': 'nope',
    });
    expect(wrong.status).toBe(401);
    const notHook = await post('/webhooks/dev/proj', gitlabPayload('push'), {
      'x-gitlab-event': 'Push',
      'x-gitlab-token': GL_SECRET,
    });
    expect(notHook.status).toBe(400);
  });
});

describe('WebhookSource (Stripe-style) and sink failures', () => {
  const stripeHeaders = (
    body: string,
    t = Math.floor(Date.now() / 1000),
    secret = STRIPE_SECRET,
  ) => ({
    'stripe-signature': `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')},v0=deadbeef`,
  });

  it('emits a verified Stripe event with attributes from JSON pointers; rejects old timestamps', async () => {
    const id = `evt_${randomUUID().replace(/-/g, '')}`;
    const body = JSON.stringify({
      id,
      type: 'payment_intent.succeeded',
      data: { object: { id: 'pi_123', amount: 2000 } },
    });
    expect((await post('/webhooks/dev/stripe', body, stripeHeaders(body))).status).toBe(202);
    const req = await hooks.waitForRequest((q) => q.events[0]?.attributes['id'] === id, 10_000);
    expect(req.events[0]!.attributes).toMatchObject({
      type: 'com.stripe.payment_intent.succeeded',
      source: 'https://api.stripe.com',
      subject: 'pi_123',
    });
    const replay = await post(
      '/webhooks/dev/stripe',
      body,
      stripeHeaders(body, Math.floor(Date.now() / 1000) - 3600),
    );
    expect(replay.status).toBe(401);
    expect(replay.text).toContain('tolerance');
  });

  it('answers 5xx when the sink keeps failing, so the provider redelivers', async () => {
    const r = await post('/webhooks/dev/broken-sink', '{"x":1}', {});
    expect(r.status).toBe(502);
    expect(failing.requests.length).toBe(6); // 1 attempt + 5 retries
    await trib.waitForLog((l) =>
      String(l['msg']).includes('WebhookSource dev/broken-sink: sink failed'),
    );
  });

  it('reports every source Ready in /readyz', async () => {
    const r = await request(`${trib.baseUrl}/readyz`);
    expect(r.statusCode).toBe(200);
    await r.body.dump();
  });
});
