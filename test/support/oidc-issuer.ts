import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, type JWK, SignJWT, exportJWK, generateKeyPair } from 'jose';

/** An OIDC issuer served by a test: discovery document and JWKS on loopback; keys can be added. */
export interface Issuer {
  url: string;
  server: Server;
  keys: Array<{ kid: string; pub: JWK; priv: CryptoKey }>;
  fetches: number;
}

/** A fresh ES256 key pair with its public JWK. */
export async function newKey(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  return { kid, pub: { ...(await exportJWK(publicKey)), kid, alg: 'ES256' }, priv: privateKey };
}

/** Starts an issuer with key `k1`. */
export async function startIssuer(): Promise<Issuer> {
  const state: Issuer = { url: '', server: undefined as unknown as Server, keys: [], fetches: 0 };
  state.keys.push(await newKey('k1'));
  state.server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration')
      return res.end(JSON.stringify({ issuer: state.url, jwks_uri: `${state.url}/keys` }));
    if (req.url === '/keys') {
      state.fetches++;
      return res.end(JSON.stringify({ keys: state.keys.map((k) => k.pub) }));
    }
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((r) => state.server.listen(0, '127.0.0.1', () => r()));
  state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}`;
  return state;
}

/** Claims and key of a token minted by {@link mint}. */
export interface MintOptions {
  sub: string;
  aud?: string;
  kid?: string;
  key?: CryptoKey;
  iss?: string;
  exp?: number;
  nbf?: number;
}

/** Mints a JWT as `issuer` would (or forged, with `key`). */
export async function mint(issuer: Issuer, o: MintOptions): Promise<string> {
  const k = issuer.keys.find((x) => x.kid === (o.kid ?? 'k1'))!;
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: o.kid ?? 'k1' })
    .setIssuer(o.iss ?? issuer.url)
    .setSubject(o.sub)
    .setAudience(o.aud ?? 'tributary')
    .setIssuedAt(now)
    .setExpirationTime(o.exp ?? now + 300);
  if (o.nbf !== undefined) jwt.setNotBefore(o.nbf);
  return jwt.sign(o.key ?? k.priv);
}
