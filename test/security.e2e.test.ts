import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { type JWK, createRemoteJWKSet, jwtVerify } from 'jose';
import { type Issuer, mint, newKey, startIssuer } from './support/oidc-issuer.js';
import { verifyWebhook, webhookSecretKey } from '@tributary/core';
import { type FunctionServer, serve } from '@tributary/function';
import { type HttpSink, freePort, startHttpSink } from '@tributary/testkit';
import {
  type TributaryProcess,
  runCli,
  startTributary,
  writeManifests,
} from './support/tributary-process.js';

// Issue 17 end to end: a real `tributary run` with an Authentication resource trusting an OIDC
// issuer served by this test (discovery + JWKS), static tokens from a Secret, EventPolicies
// (exact and prefix subjects, filters, in-process source refs), Tributary's own delivery tokens
// verified with jose and by `serve({ verify })`, Standard Webhooks signing, the admin token, and a
// scan of every debug log line for secret values.

const STATIC_TOKEN = `ci-${randomBytes(12).toString('hex')}`;
const ADMIN_TOKEN = `admin-${randomBytes(12).toString('hex')}`;
const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const URL_PASSWORD = `pw${randomBytes(8).toString('hex')}`;
const URL_TOKEN = `qt${randomBytes(8).toString('hex')}`;

let issuer: Issuer;
let trib: TributaryProcess;
let policySink: HttpSink;
let openSink: HttpSink;
let channelSink: HttpSink;
let pingSink: HttpSink;
let signedSink: HttpSink;
let fn: FunctionServer | undefined;
let fnPort: number;

let seq = 0;
async function post(
  pathname: string,
  opts: { token?: string; authorization?: string; type?: string } = {},
): Promise<{ status: number; body: string; id: string }> {
  const id = `sec-${++seq}-${Math.random()}`;
  const headers: Record<string, string> = {
    'ce-specversion': '1.0',
    'ce-id': id,
    'ce-source': '/security-e2e',
    'ce-type': opts.type ?? 'com.ok.created',
    'content-type': 'application/json',
  };
  if (opts.authorization !== undefined) headers['authorization'] = opts.authorization;
  else if (opts.token !== undefined) headers['authorization'] = `Bearer ${opts.token}`;
  const res = await request(`${trib.baseUrl}${pathname}`, { method: 'POST', headers, body: '{}' });
  return { status: res.statusCode, body: await res.body.text(), id };
}

const delivered = (sink: HttpSink, id: string) =>
  sink.requests.some((r) => r.events.some((e) => e.attributes['id'] === id));

beforeAll(async () => {
  issuer = await startIssuer();
  policySink = await startHttpSink();
  openSink = await startHttpSink();
  channelSink = await startHttpSink();
  pingSink = await startHttpSink();
  signedSink = await startHttpSink();
  // The function verifies against Tributary's URL, known once it listens: it starts in its test.
  fnPort = await freePort();
  const dir = writeManifests({
    'auth.yaml': `
apiVersion: tributary.dev/v1alpha1
kind: Authentication
metadata: { name: default }
spec:
  issuers:
    - issuer: ${issuer.url}
      audiences: [tributary]
  tokens:
    - name: ci
      secretKeyRef: { name: producer-tokens, key: ci }
  defaultAuthorization: allow-same-namespace
---
apiVersion: v1
kind: Secret
metadata: { name: producer-tokens }
stringData: { ci: ${STATIC_TOKEN} }
---
apiVersion: v1
kind: Secret
metadata: { name: signing, namespace: team }
stringData: { secret: "${WEBHOOK_SECRET}" }
`,
    'brokers.yaml': `
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: guarded, namespace: team, labels: { tier: gold } }
---
apiVersion: eventing.knative.dev/v1alpha1
kind: EventPolicy
metadata: { name: producers, namespace: team }
spec:
  to:
    - selector: { apiVersion: eventing.knative.dev/v1, kind: Broker, matchLabels: { tier: gold } }
  from:
    - sub: system:serviceaccount:team:orders
    - sub: "system:serviceaccount:ci:build-*"
    - sub: token:ci
  filters:
    - prefix: { type: com.ok. }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: to-policy-sink, namespace: team }
spec:
  broker: guarded
  subscriber:
    uri: "http://user:${URL_PASSWORD}@${new URL(policySink.url).host}/in?token=${URL_TOKEN}"
    audience: policy-sink
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: signed
  namespace: team
  annotations: { tributary.dev/webhook-signing-secret: signing/secret }
spec:
  broker: guarded
  subscriber: { uri: "${signedSink.url}" }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: to-fn, namespace: team }
spec:
  broker: guarded
  filter: { attributes: { type: com.ok.fn } }
  subscriber: { uri: "http://127.0.0.1:${fnPort}/", audience: fn-aud }
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: open, namespace: team }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: to-open-sink, namespace: team }
spec:
  broker: open
  subscriber: { uri: "${openSink.url}" }
---
apiVersion: messaging.knative.dev/v1
kind: InMemoryChannel
metadata: { name: chan, namespace: team }
---
apiVersion: messaging.knative.dev/v1
kind: Subscription
metadata: { name: chan-sub, namespace: team }
spec:
  channel: { apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel, name: chan }
  subscriber: { uri: "${channelSink.url}" }
`,
    'ping.yaml': `
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: pings, namespace: team }
---
apiVersion: eventing.knative.dev/v1alpha1
kind: EventPolicy
metadata: { name: only-allowed-ping, namespace: team }
spec:
  to:
    - ref: { apiVersion: eventing.knative.dev/v1, kind: Broker, name: pings }
  from:
    - ref: { apiVersion: sources.knative.dev/v1, kind: PingSource, name: allowed-ping, namespace: team }
---
apiVersion: sources.knative.dev/v1
kind: PingSource
metadata: { name: allowed-ping, namespace: team }
spec:
  schedule: "* * * * * *"
  data: '{"from":"allowed"}'
  sink: { ref: { apiVersion: eventing.knative.dev/v1, kind: Broker, name: pings } }
---
apiVersion: sources.knative.dev/v1
kind: PingSource
metadata: { name: other-ping, namespace: other }
spec:
  schedule: "* * * * * *"
  data: '{"from":"other"}'
  sink: { ref: { apiVersion: eventing.knative.dev/v1, kind: Broker, name: pings, namespace: team } }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: to-ping-sink, namespace: team }
spec:
  broker: pings
  subscriber: { uri: "${pingSink.url}" }
`,
  });
  const tokenFile = path.join(dir, 'admin-token');
  writeFileSync(tokenFile, `${ADMIN_TOKEN}\n`);
  trib = await startTributary(dir, [
    '--admin-token-file',
    tokenFile,
    '--keys-dir',
    path.join(dir, 'keys'),
  ]);
});

afterAll(async () => {
  await trib?.stop();
  await Promise.all(
    [policySink, openSink, channelSink, pingSink, signedSink].map((s) => s?.close()),
  );
  await fn?.close();
  await new Promise((r) => issuer?.server.close(r));
});

describe('authentication of senders (401, nothing published)', () => {
  it('refuses missing, malformed, forged, expired, not-yet-valid, wrong-audience and untrusted tokens', async () => {
    const now = Math.floor(Date.now() / 1000);
    const other = await newKey('k1'); // same kid, another key: a forgery
    const cases: Array<[string, { token?: string; authorization?: string }, RegExp]> = [
      ['missing', {}, /missing Authorization/],
      ['malformed', { authorization: 'Basic dXNlcjpwdw==' }, /malformed/],
      ['garbage', { token: 'not-a-token' }, /not a known token or a JWT/],
      [
        'forged',
        {
          token: await mint(issuer, { sub: 'system:serviceaccount:team:orders', key: other.priv }),
        },
        /signature/,
      ],
      [
        'expired',
        { token: await mint(issuer, { sub: 'system:serviceaccount:team:orders', exp: now - 120 }) },
        /expired/,
      ],
      [
        'nbf',
        { token: await mint(issuer, { sub: 'system:serviceaccount:team:orders', nbf: now + 600 }) },
        /not valid yet/,
      ],
      [
        'audience',
        {
          token: await mint(issuer, {
            sub: 'system:serviceaccount:team:orders',
            aud: 'someone-else',
          }),
        },
        /audience/,
      ],
      [
        'issuer',
        {
          token: await mint(issuer, {
            sub: 'system:serviceaccount:team:orders',
            iss: 'https://evil.example',
          }),
        },
        /not trusted/,
      ],
    ];
    const ids: string[] = [];
    for (const [name, auth, message] of cases) {
      const r = await post('/team/guarded', auth);
      ids.push(r.id);
      expect({ name, status: r.status }).toEqual({ name, status: 401 });
      expect(JSON.parse(r.body).error).toMatch(message);
    }
    // Channel ingress asks the same question.
    const c = await post('/team/channels/chan');
    expect(c.status).toBe(401);
    ids.push(c.id);
    // A valid event afterwards is delivered; none of the refused ones ever was.
    const ok = await post('/team/guarded', {
      token: await mint(issuer, { sub: 'system:serviceaccount:team:orders' }),
    });
    expect(ok.status).toBe(202);
    await policySink.waitForEvent((e) => e.attributes['id'] === ok.id, 20_000);
    for (const id of ids) {
      expect(delivered(policySink, id)).toBe(false);
      expect(delivered(channelSink, id)).toBe(false);
    }
  });

  it('accepts a token signed with a key the issuer added later (JWKS refetched on an unknown kid)', async () => {
    const before = issuer.fetches;
    issuer.keys.push(await newKey('k2'));
    await new Promise((r) => setTimeout(r, 5_500)); // past the refetch cooldown
    const r = await post('/team/guarded', {
      token: await mint(issuer, { sub: 'system:serviceaccount:team:orders', kid: 'k2' }),
    });
    expect(r.status).toBe(202);
    expect(issuer.fetches).toBeGreaterThan(before);
  });

  it('accepts the static token from the Secret as subject token:ci', async () => {
    const r = await post('/team/guarded', { token: STATIC_TOKEN });
    expect(r.status).toBe(202);
    const url = `${trib.baseUrl}/team/guarded`;
    const cli = ['send', url, '--type', 'com.ok.cli', '--source', '/cli'];
    const denied = await runCli(cli);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^401 /);
    const sent = await runCli([...cli, '--token', STATIC_TOKEN]);
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(/^202 /);
  });
});

describe('EventPolicy (403)', () => {
  it('allows an exact subject and a prefix subject, refuses others', async () => {
    const exact = await post('/team/guarded', {
      token: await mint(issuer, { sub: 'system:serviceaccount:team:orders' }),
    });
    const prefix = await post('/team/guarded', {
      token: await mint(issuer, { sub: 'system:serviceaccount:ci:build-42' }),
    });
    const stranger = await post('/team/guarded', {
      token: await mint(issuer, { sub: 'system:serviceaccount:team:intruder' }),
    });
    const notPrefix = await post('/team/guarded', {
      token: await mint(issuer, { sub: 'system:serviceaccount:ci:deploy' }),
    });
    expect([exact.status, prefix.status, stranger.status, notPrefix.status]).toEqual([
      202, 202, 403, 403,
    ]);
    expect(JSON.parse(stranger.body).error).toMatch(/not allowed by the EventPolicies .*producers/);
  });

  it("refuses an allowed sender's event that fails the policy's filters", async () => {
    const r = await post('/team/guarded', {
      token: await mint(issuer, { sub: 'system:serviceaccount:team:orders' }),
      type: 'com.bad.created',
    });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).error).toMatch(/filters/);
  });

  it('follows defaultAuthorization allow-same-namespace for resources without policies', async () => {
    const same = await post('/team/open', {
      token: await mint(issuer, { sub: 'system:serviceaccount:team:anyone' }),
    });
    const otherNs = await post('/team/open', {
      token: await mint(issuer, { sub: 'system:serviceaccount:elsewhere:x' }),
    });
    const chan = await post('/team/channels/chan', {
      token: await mint(issuer, { sub: 'system:serviceaccount:team:a' }),
    });
    expect([same.status, otherNs.status, chan.status]).toEqual([202, 403, 202]);
    await openSink.waitForEvent((e) => e.attributes['id'] === same.id, 20_000);
    await channelSink.waitForEvent((e) => e.attributes['id'] === chan.id, 20_000);
    expect(delivered(openSink, otherNs.id)).toBe(false);
  });

  it('identifies in-process sources by ref: only the allowed PingSource reaches the broker', async () => {
    await pingSink.waitFor(3, 30_000);
    for (const r of pingSink.requests)
      expect(Buffer.from(r.events[0]!.data!).toString()).toBe('{"from":"allowed"}');
  });

  it('shows policies in the admin API with the resources they apply to', async () => {
    const res = await request(`${trib.baseUrl}/admin/v1/resources?kind=eventpolicy`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const body = (await res.body.json()) as { items: Array<{ name: string; message: string }> };
    const byName = Object.fromEntries(body.items.map((i) => [i.name, i.message]));
    expect(byName['producers']).toBe('applies to Broker/team/guarded');
    expect(byName['only-allowed-ping']).toBe('applies to Broker/team/pings');
  });
});

describe('tributary get', () => {
  it('lists EventPolicies with what they apply to, with the admin token from TRIBUTARY_ADMIN_TOKEN', async () => {
    const without = await runCli(['get', 'eventpolicies', '--server', trib.baseUrl]);
    expect(without.code).toBe(1);
    expect(without.stderr).toContain('(401)');
    process.env['TRIBUTARY_ADMIN_TOKEN'] = ADMIN_TOKEN;
    try {
      const r = await runCli(['get', 'eventpolicies', '--server', trib.baseUrl]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(
        /producers\s+team\s+True\s+Ready\s+applies to Broker\/team\/guarded/,
      );
      const triggers = await runCli(['get', 'triggers', '-o', 'json', '--server', trib.baseUrl]);
      expect(triggers.stdout).toContain('REDACTED');
      expect(triggers.stdout).not.toContain(URL_PASSWORD);
      expect(triggers.stdout).not.toContain(URL_TOKEN);
    } finally {
      delete process.env['TRIBUTARY_ADMIN_TOKEN'];
    }
  });
});

describe("Tributary's identity on deliveries", () => {
  it('sends a JWT for the Destination audience that verifies against /.well-known (jose)', async () => {
    const r = await post('/team/guarded', {
      token: await mint(issuer, { sub: 'system:serviceaccount:team:orders' }),
    });
    const req = await policySink.waitForRequest(
      (q) => q.events.some((e) => e.attributes['id'] === r.id),
      20_000,
    );
    const auth = String(req.headers['authorization']);
    expect(auth).toMatch(/^Bearer /);
    const discovery = (await (
      await request(`${trib.baseUrl}/.well-known/openid-configuration`)
    ).body.json()) as {
      issuer: string;
      jwks_uri: string;
    };
    expect(discovery.issuer).toBe(trib.baseUrl);
    const { payload } = await jwtVerify(
      auth.slice(7),
      createRemoteJWKSet(new URL(discovery.jwks_uri)),
      {
        issuer: discovery.issuer,
        audience: 'policy-sink',
      },
    );
    expect(payload.sub).toBe(
      'system:serviceaccount:team:to-policy-sink-oidc-eventing.knative.dev-trigger',
    );
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(600);
  });

  it('signs deliveries with Standard Webhooks when the Trigger names a signing Secret', async () => {
    const r = await post('/team/guarded', { token: STATIC_TOKEN });
    const req = await signedSink.waitForRequest(
      (q) => q.events.some((e) => e.attributes['id'] === r.id),
      20_000,
    );
    const h = req.headers as Record<string, string>;
    expect(h['webhook-id']).toBe(r.id);
    expect(verifyWebhook(webhookSecretKey(WEBHOOK_SECRET), h, req.body)).toBe(true);
    expect(verifyWebhook(webhookSecretKey('whsec_AAAA'), h, req.body)).toBe(false);
  });

  it('serve({ verify }) accepts Tributary tokens and refuses other requests, also after a key rotation', async () => {
    const seen: string[] = [];
    fn = await serve(
      (event) => {
        seen.push(event.id);
        return undefined;
      },
      {
        port: fnPort,
        handleSignals: false,
        logger: 'silent',
        verify: { issuer: trib.baseUrl, audience: 'fn-aud' },
      },
    );
    const direct = await request(`${fn.url}/`, {
      method: 'POST',
      headers: { 'ce-specversion': '1.0', 'ce-id': 'x', 'ce-source': '/x', 'ce-type': 't' },
      body: '',
    });
    expect(direct.statusCode).toBe(401);
    await direct.body.dump();
    const first = await post('/team/guarded', { token: STATIC_TOKEN, type: 'com.ok.fn' });
    expect(first.status).toBe(202);
    await waitUntil(() => seen.includes(first.id), 20_000);

    const unauth = await request(`${trib.baseUrl}/admin/v1/keys/rotate`, { method: 'POST' });
    expect(unauth.statusCode).toBe(401);
    await unauth.body.dump();
    const jwksBefore = (await (
      await request(`${trib.baseUrl}/.well-known/jwks.json`)
    ).body.json()) as { keys: JWK[] };
    const rotated = await request(`${trib.baseUrl}/admin/v1/keys/rotate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(rotated.statusCode).toBe(200);
    const { kid } = (await rotated.body.json()) as { kid: string };
    const jwksAfter = (await (
      await request(`${trib.baseUrl}/.well-known/jwks.json`)
    ).body.json()) as { keys: JWK[] };
    expect(jwksAfter.keys.map((k) => k.kid)).toEqual([kid, jwksBefore.keys[0]!.kid]);
    await new Promise((r) => setTimeout(r, 5_500)); // past the function's JWKS refetch cooldown
    const second = await post('/team/guarded', { token: STATIC_TOKEN, type: 'com.ok.fn' });
    const req = await policySink.waitForRequest(
      (q) => q.events.some((e) => e.attributes['id'] === second.id),
      20_000,
    );
    const header = JSON.parse(
      Buffer.from(
        String(req.headers['authorization']).slice(7).split('.')[0]!,
        'base64url',
      ).toString(),
    ) as { kid: string };
    expect(header.kid).toBe(kid);
    await waitUntil(() => seen.includes(second.id), 20_000);
    expect(seen).not.toContain('x');
  });
});

async function waitUntil(pred: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('admin token', () => {
  it('/metrics and /admin need the token; /.well-known and ingress do not', async () => {
    const none = await request(`${trib.baseUrl}/metrics`);
    const wrong = await request(`${trib.baseUrl}/admin/v1/resources`, {
      headers: { authorization: 'Bearer nope-nope-nope-nope' },
    });
    const right = await request(`${trib.baseUrl}/metrics`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const wellKnown = await request(`${trib.baseUrl}/.well-known/jwks.json`);
    expect([none.statusCode, wrong.statusCode, right.statusCode, wellKnown.statusCode]).toEqual([
      401, 401, 200, 200,
    ]);
    await Promise.all([none, wrong, right, wellKnown].map((r) => r.body.dump()));
  });
});

describe('secrets stay secret', () => {
  it('no log line (debug level), admin answer or metric shows a Secret value or URL credentials', async () => {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const resources = await (
      await request(`${trib.baseUrl}/admin/v1/resources`, { headers: admin })
    ).body.text();
    const metrics = await (
      await request(`${trib.baseUrl}/metrics`, { headers: admin })
    ).body.text();
    // The trigger whose URI carries credentials is listed, redacted.
    expect(resources).toContain('REDACTED');
    expect(
      trib.logs.some(
        (l) => l['msg'] === 'trigger ready' && String(l['subscriber']).includes('REDACTED'),
      ),
    ).toBe(true);
    const everything = [JSON.stringify(trib.logs), resources, metrics].join('\n');
    for (const secret of [STATIC_TOKEN, ADMIN_TOKEN, WEBHOOK_SECRET, URL_PASSWORD, URL_TOKEN])
      expect(everything.includes(secret), `found ${secret.slice(0, 4)}…`).toBe(false);
  });
});
