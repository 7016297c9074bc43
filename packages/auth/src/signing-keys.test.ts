import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { DeliveryTokens } from './delivery-tokens.js';
import { SigningKeys } from './signing-keys.js';

const owner = {
  apiVersion: 'eventing.knative.dev/v1',
  kind: 'Trigger',
  namespace: 'ns',
  name: 't',
};

describe('SigningKeys', () => {
  it('persists the key pair (mode 0600) and reloads it in a new process', async () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'keys-')), 'keys');
    const a = new SigningKeys(dir);
    await a.init();
    const file = path.join(dir, 'signing-keys.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const b = new SigningKeys(dir);
    await b.init();
    expect((await b.jwks()).keys[0]!.kid).toBe((await a.jwks()).keys[0]!.kid);
    expect(JSON.parse(readFileSync(file, 'utf8')).keys).toHaveLength(1);
  });

  it('keeps the previous public key after a rotation and signs with the new one', async () => {
    const keys = new SigningKeys();
    const first = (await keys.jwks()).keys[0]!.kid;
    const next = await keys.rotate();
    expect((await keys.jwks()).keys.map((k) => k.kid)).toEqual([next, first]);
    expect((await keys.current()).kid).toBe(next);
  });
});

describe('DeliveryTokens', () => {
  it('mints a verifiable token naming the owner, reuses it until near expiry, re-mints after rotation', async () => {
    const keys = new SigningKeys();
    let now = Date.now();
    const tokens = new DeliveryTokens(
      keys,
      () => 'https://tributary.example',
      () => now,
    );
    const a = await tokens.authorization(owner, 'aud-1');
    expect(await tokens.authorization(owner, 'aud-1')).toBe(a);
    const { payload } = await jwtVerify(a.slice(7), createLocalJWKSet(await keys.jwks()), {
      issuer: 'https://tributary.example',
      audience: 'aud-1',
      currentDate: new Date(now),
    });
    expect(payload.sub).toBe('system:serviceaccount:ns:t-oidc-eventing.knative.dev-trigger');
    expect(await tokens.authorization(owner, 'aud-2')).not.toBe(a);
    now += 250_000; // inside the renewal window
    const b = await tokens.authorization(owner, 'aud-1');
    expect(b).not.toBe(a);
    const kid = await keys.rotate();
    const c = await tokens.authorization(owner, 'aud-1');
    expect(decodeProtectedHeader(c.slice(7)).kid).toBe(kid);
  });
});
