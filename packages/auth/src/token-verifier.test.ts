import type { webcrypto } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { TokenVerifier } from './token-verifier.js';

let url = '';
let hits = 0;
let jwks: unknown = { keys: [] };
const server = createServer((req, res) => {
  hits++;
  if (req.url === '/jwks') return res.end(JSON.stringify(jwks));
  res.statusCode = 503; // discovery is down
  res.end();
});

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

async function token(iss: string, aud: string, key: webcrypto.CryptoKey) {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: 'a' })
    .setIssuer(iss)
    .setSubject('system:serviceaccount:ns:x')
    .setAudience(aud)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key);
}

describe('TokenVerifier', () => {
  it('uses jwksUri without discovery and accepts the resource audience given with the request', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'a', alg: 'ES256' }] };
    const v = new TokenVerifier({
      issuers: [{ issuer: `${url}/with-jwks`, jwksUri: `${url}/jwks`, audiences: ['tributary'] }],
      tokens: [],
    });
    const own = await token(`${url}/with-jwks`, 'eventing.knative.dev/broker/ns/b', privateKey);
    expect(await v.verify(`Bearer ${own}`, 'eventing.knative.dev/broker/ns/b')).toEqual({
      subject: 'system:serviceaccount:ns:x',
    });
    expect(await v.verify(`Bearer ${own}`, 'eventing.knative.dev/broker/ns/other')).toEqual({
      error: "the token's audience is not accepted here",
    });
  });

  it('answers 401 while discovery is down, asking the issuer at most once per cooldown', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const v = new TokenVerifier({
      issuers: [{ issuer: `${url}/down`, audiences: ['tributary'] }],
      tokens: [],
    });
    const t = await token(`${url}/down`, 'tributary', privateKey);
    const before = hits;
    const a = await v.verify(`Bearer ${t}`);
    const b = await v.verify(`Bearer ${t}`);
    expect(a).toEqual({ error: `the keys of issuer '${url}/down' cannot be fetched now` });
    expect(b).toEqual(a);
    expect(hits - before).toBe(1);
  });
});
