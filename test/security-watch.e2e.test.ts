import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startTributary, writeManifests } from './support/tributary-process.js';

// Issue 17: security follows `tributary run --watch` edits (policies added, Authentication removed).

describe('run --watch', () => {
  it('applies an EventPolicy added while running, and an Authentication removed', async () => {
    const base = `
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: b }
---
apiVersion: v1
kind: Secret
metadata: { name: toks }
stringData: { a: token-a-${randomBytes(6).toString('hex')}, b: token-b-${randomBytes(6).toString('hex')} }
`;
    const auth = `---
apiVersion: tributary.dev/v1alpha1
kind: Authentication
metadata: { name: default }
spec:
  tokens:
    - { name: a, secretKeyRef: { name: toks, key: a } }
    - { name: b, secretKeyRef: { name: toks, key: b } }
  defaultAuthorization: allow-all
`;
    const policy = `---
apiVersion: eventing.knative.dev/v1alpha1
kind: EventPolicy
metadata: { name: only-a }
spec:
  from: [{ sub: "token:a" }]
`;
    const dir = writeManifests({ 'm.yaml': base + auth });
    const file = path.join(dir, 'm.yaml');
    const [, tokA, tokB] = /a: (\S+), b: (\S+) \}/.exec(base)!;
    const w = await startTributary(dir, ['--watch']);
    const send = async (token?: string) => {
      const res = await request(`${w.baseUrl}/default/b`, {
        method: 'POST',
        headers: {
          'ce-specversion': '1.0',
          'ce-id': `${Math.random()}`,
          'ce-source': '/w',
          'ce-type': 't',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: '',
      });
      await res.body.dump();
      return res.statusCode;
    };
    const reloaded = async (mark: number) => {
      const until = Date.now() + 30_000;
      while (!w.logs.slice(mark).some((l) => l['msg'] === 'manifests reloaded')) {
        if (Date.now() > until) throw new Error('no reload within 30 s');
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      expect([await send(tokA), await send(tokB), await send()]).toEqual([202, 202, 401]);
      let mark = w.logs.length;
      writeFileSync(file, base + auth + policy);
      await reloaded(mark);
      expect([await send(tokA), await send(tokB)]).toEqual([202, 403]);
      mark = w.logs.length;
      writeFileSync(file, base);
      await reloaded(mark);
      expect(await send()).toBe(202);
    } finally {
      await w.stop();
    }
  });
});

describe('other ingresses', () => {
  it('EventTransform answers 401 without a token and transforms with one', async () => {
    const token = `tok-${randomBytes(8).toString('hex')}`;
    const dir = writeManifests({
      'm.yaml': `
apiVersion: tributary.dev/v1alpha1
kind: Authentication
metadata: { name: default }
spec:
  tokens: [{ name: t, secretKeyRef: { name: toks, key: t } }]
  defaultAuthorization: allow-all
---
apiVersion: v1
kind: Secret
metadata: { name: toks }
stringData: { t: ${token} }
---
apiVersion: eventing.knative.dev/v1alpha1
kind: EventTransform
metadata: { name: tx }
spec:
  jsonata:
    expression: '{ "specversion": "1.0", "id": id, "source": source, "type": "transformed" }'
`,
    });
    const w = await startTributary(dir);
    try {
      const send = async (auth?: string) => {
        const res = await request(`${w.baseUrl}/default/eventtransforms/tx`, {
          method: 'POST',
          headers: {
            'ce-specversion': '1.0',
            'ce-id': '1',
            'ce-source': '/x',
            'ce-type': 'original',
            ...(auth ? { authorization: auth } : {}),
          },
          body: '',
        });
        await res.body.dump();
        return { status: res.statusCode, type: res.headers['ce-type'] };
      };
      expect((await send()).status).toBe(401);
      expect(await send(`Bearer ${token}`)).toEqual({ status: 200, type: 'transformed' });
    } finally {
      await w.stop();
    }
  });
});

describe('signing keys', () => {
  it('persist under --data-dir: a restart serves the same JWKS', async () => {
    const dir = writeManifests({
      'b.yaml': 'apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: { name: b }\n',
    });
    const data = path.join(dir, 'data');
    const jwks = async () => {
      const t = await startTributary(dir, ['--data-dir', data]);
      try {
        return await (await request(`${t.baseUrl}/.well-known/jwks.json`)).body.json();
      } finally {
        await t.stop();
      }
    };
    const first = (await jwks()) as { keys: Array<{ kid: string }> };
    const second = (await jwks()) as { keys: Array<{ kid: string }> };
    expect(first.keys).toHaveLength(1);
    expect(second).toEqual(first);
  });
});
