/**
 * Verification of Tributary's delivery tokens in `serve` (docs/security.md): the issuer's keys are
 * found through its `/.well-known/openid-configuration`, cached by jose and refetched when a token
 * names an unknown `kid` (after a key rotation). `jose` is imported at first use.
 */
import type * as JoseModule from 'jose';

/** `serve`'s `verify` option: accept only tokens Tributary minted for this function. */
export interface VerifyOptions {
  /** Tributary's public URL (its tokens' `iss`), e.g. `https://tributary.example.com`. */
  readonly issuer: string;
  /** The Destination's `audience` this function expects. */
  readonly audience: string;
  /** Clock skew allowed, in seconds. @default 30 */
  readonly clockToleranceSeconds?: number;
}

/** The result of checking one request: the sender's subject, or why it is refused (401). */
export type TokenCheck = { subject: string } | { error: string };

type Jose = typeof JoseModule;

/** Builds the checker; the discovery document is fetched at the first request. */
export function createTokenCheck(
  options: VerifyOptions,
): (header: string | undefined) => Promise<TokenCheck> {
  const issuer = options.issuer.endsWith('/') ? options.issuer.slice(0, -1) : options.issuer;
  let setup: Promise<{ jose: Jose; keys: ReturnType<Jose['createRemoteJWKSet']> }> | undefined;
  const load = () => {
    setup ??= (async () => {
      const jose = await import('jose');
      const res = await fetch(`${issuer}/.well-known/openid-configuration`, {
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new Error(`OIDC discovery of ${issuer} answered ${res.status}`);
      const doc = (await res.json()) as { jwks_uri?: string };
      if (!doc.jwks_uri) throw new Error(`OIDC discovery of ${issuer} has no jwks_uri`);
      return {
        jose,
        keys: jose.createRemoteJWKSet(new URL(doc.jwks_uri), { cooldownDuration: 5_000 }),
      };
    })();
    setup.catch(() => (setup = undefined));
    return setup;
  };
  return async (header) => {
    const m = header ? /^Bearer[ ]+(\S+)\s*$/i.exec(header) : null;
    if (!m) return { error: 'missing or malformed Authorization header: expected Bearer <token>' };
    let ctx;
    try {
      ctx = await load();
    } catch (err) {
      return { error: `cannot fetch the keys of ${issuer}: ${(err as Error).message}` };
    }
    try {
      const { payload } = await ctx.jose.jwtVerify(m[1]!, ctx.keys, {
        issuer,
        audience: options.audience,
        clockTolerance: options.clockToleranceSeconds ?? 30,
        requiredClaims: ['exp', 'sub'],
      });
      return { subject: payload.sub! };
    } catch (err) {
      return { error: `the token is not valid: ${(err as Error).message}` };
    }
  };
}
