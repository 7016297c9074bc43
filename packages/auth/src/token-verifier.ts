/**
 * Verifies bearer tokens against the Authentication resource: JWTs of trusted OIDC issuers (keys
 * from `jwksUri` or OIDC discovery, cached, refetched on an unknown `kid`) and static tokens from
 * Secrets (subject `token:<name>`). `jose` is imported at first use (docs/security.md).
 */
import type * as JoseModule from 'jose';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from '@tributary/core';
import { silentLogger } from '@tributary/core';
import { DiscoveryError } from './errors.js';

/** A trusted issuer, as the Authentication resource lists it. */
export interface TrustedIssuer {
  readonly issuer: string;
  readonly jwksUri?: string | undefined;
  readonly audiences: readonly string[];
}

/** A static bearer token with its name (its subject is `token:<name>`). */
export interface StaticToken {
  readonly name: string;
  readonly value: string;
}

/** Clock skew allowed on `exp`, `nbf` and `iat`, in seconds. */
export const CLOCK_TOLERANCE_SECONDS = 30;
/** A JWKS is refetched at most this often when a token names an unknown `kid`. */
export const JWKS_REFETCH_COOLDOWN_MS = 5_000;
/** A fetched JWKS is used for at most this long before it is fetched again. */
export const JWKS_MAX_AGE_MS = 10 * 60_000;

/** A verified JWT is trusted again without checking its signature for at most this long. */
export const VERIFIED_TOKEN_CACHE_MS = 60_000;
/** Verified tokens remembered at most (the cache is emptied when full). */
const MAX_CACHED_TOKENS = 10_000;

/** The verified sender, or why the token is refused (always a 401). */
export type VerifyResult = { subject: string } | { error: string };

type Jose = typeof JoseModule;
type KeySet = ReturnType<Jose['createRemoteJWKSet']>;

export interface TokenVerifierOptions {
  readonly issuers: readonly TrustedIssuer[];
  readonly tokens: readonly StaticToken[];
  readonly logger?: Logger;
  /** Fetch used for OIDC discovery (tests, proxies). @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/** Checks bearer tokens; one per Authentication resource. */
export class TokenVerifier {
  readonly #issuers: Map<string, TrustedIssuer>;
  readonly #tokens: ReadonlyArray<{ name: string; digest: Buffer }>;
  readonly #keySets = new Map<string, Promise<KeySet>>();
  /** Verified JWTs (with the audience they were checked for) → subject, until min(exp, 60 s). */
  readonly #verified = new Map<string, { subject: string; until: number }>();
  readonly #log: Logger;
  readonly #fetch: typeof fetch;
  #jose: Promise<Jose> | undefined;

  constructor(options: TokenVerifierOptions) {
    this.#issuers = new Map(options.issuers.map((i) => [trimSlash(i.issuer), i]));
    this.#tokens = options.tokens.map((t) => ({ name: t.name, digest: sha256(t.value) }));
    this.#log = options.logger ?? silentLogger;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  /**
   * Verifies the value of an `Authorization` header. `extraAudience` is also accepted as `aud`
   * (Knative's audience of the receiving resource, e.g. `eventing.knative.dev/broker/ns/name`).
   */
  async verify(header: string | undefined, extraAudience?: string): Promise<VerifyResult> {
    if (header === undefined || header === '')
      return { error: 'missing Authorization header: send Authorization: Bearer <token>' };
    const m = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
    if (!m) return { error: 'malformed Authorization header: expected Bearer <token>' };
    const token = m[1]!;
    const digest = sha256(token);
    for (const t of this.#tokens)
      if (timingSafeEqual(t.digest, digest)) return { subject: `token:${t.name}` };
    const cacheKey = `${token}\n${extraAudience ?? ''}`;
    const hit = this.#verified.get(cacheKey);
    if (hit) {
      if (hit.until > Date.now()) return { subject: hit.subject };
      this.#verified.delete(cacheKey);
    }
    if (token.split('.').length !== 3)
      return { error: 'the bearer token is not a known token or a JWT' };
    const jose = await this.#loadJose();
    let iss: string | undefined;
    try {
      iss = jose.decodeJwt(token).iss;
    } catch {
      return { error: 'the bearer token is not a well-formed JWT' };
    }
    const issuer = iss === undefined ? undefined : this.#issuers.get(trimSlash(iss));
    if (!issuer)
      return { error: `the token's issuer ${JSON.stringify(iss ?? null)} is not trusted` };
    try {
      const keys = await this.#keySet(issuer);
      const audience = extraAudience ? [...issuer.audiences, extraAudience] : [...issuer.audiences];
      const { payload } = await jose.jwtVerify(token, keys, {
        issuer: iss!,
        audience,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp', 'sub'],
      });
      // Signature checks dominate the cost of an authenticated request: remember the result.
      if (this.#verified.size >= MAX_CACHED_TOKENS) this.#verified.clear();
      const until = Math.min((payload.exp ?? 0) * 1000, Date.now() + VERIFIED_TOKEN_CACHE_MS);
      this.#verified.set(cacheKey, { subject: payload.sub!, until });
      return { subject: payload.sub! };
    } catch (err) {
      if (err instanceof DiscoveryError) {
        this.#log.warn({ issuer: issuer.issuer, err: err.message }, 'issuer keys unavailable');
        return { error: `the keys of issuer '${issuer.issuer}' cannot be fetched now` };
      }
      return { error: describeJoseError(err) };
    }
  }

  #loadJose(): Promise<Jose> {
    this.#jose ??= import('jose');
    return this.#jose;
  }

  #keySet(issuer: TrustedIssuer): Promise<KeySet> {
    const key = trimSlash(issuer.issuer);
    let pending = this.#keySets.get(key);
    if (!pending) {
      pending = this.#createKeySet(issuer);
      this.#keySets.set(key, pending);
      // A failed discovery is remembered for the refetch cooldown, so requests naming an issuer
      // that is down do not each make a request to it.
      pending.catch(() => {
        setTimeout(() => this.#keySets.delete(key), JWKS_REFETCH_COOLDOWN_MS).unref();
      });
    }
    return pending;
  }

  async #createKeySet(issuer: TrustedIssuer): Promise<KeySet> {
    const jose = await this.#loadJose();
    const uri = issuer.jwksUri ?? (await this.#discover(issuer.issuer));
    const set = jose.createRemoteJWKSet(new URL(uri), {
      cooldownDuration: JWKS_REFETCH_COOLDOWN_MS,
      cacheMaxAge: JWKS_MAX_AGE_MS,
    });
    // Surface an unreachable JWKS as DiscoveryError rather than "signature invalid".
    const wrapped = (async (...args: Parameters<KeySet>) => {
      try {
        return await set(...args);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'ERR_JWKS_TIMEOUT' || code === 'ERR_JOSE_GENERIC' || err instanceof TypeError)
          throw new DiscoveryError(`JWKS ${uri}: ${(err as Error).message}`, { cause: err });
        throw err;
      }
    }) as unknown as KeySet;
    return wrapped;
  }

  async #discover(issuer: string): Promise<string> {
    const url = `${trimSlash(issuer)}/.well-known/openid-configuration`;
    let doc: { issuer?: unknown; jwks_uri?: unknown };
    try {
      const res = await this.#fetch(url, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      doc = (await res.json()) as typeof doc;
    } catch (err) {
      throw new DiscoveryError(`OIDC discovery ${url}: ${(err as Error).message}`, { cause: err });
    }
    if (typeof doc.jwks_uri !== 'string')
      throw new DiscoveryError(`OIDC discovery ${url} has no jwks_uri`);
    if (typeof doc.issuer === 'string' && trimSlash(doc.issuer) !== trimSlash(issuer))
      throw new DiscoveryError(
        `OIDC discovery ${url} names issuer '${doc.issuer}', not '${issuer}'`,
      );
    return doc.jwks_uri;
  }
}

function describeJoseError(err: unknown): string {
  const code = (err as { code?: string }).code;
  const claim = (err as { claim?: string }).claim;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'the token has expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (claim === 'nbf') return 'the token is not valid yet (nbf)';
      if (claim === 'aud') return "the token's audience is not accepted here";
      if (claim === 'iat') return 'the token was issued in the future (iat)';
      return `the token's ${claim ?? 'claims'} claim is not acceptable: ${(err as Error).message}`;
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'the token signature is not valid';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return "no key of the issuer matches the token's kid";
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return "the token's algorithm is not accepted";
    default:
      return `the token is not valid: ${(err as Error)?.message ?? String(err)}`;
  }
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();
const trimSlash = (s: string): string => (s.endsWith('/') ? s.slice(0, -1) : s);
