/**
 * Tokens on deliveries (the hot path): `Authorization: Bearer <JWT>` for a Destination with an
 * `audience`, `iss` the server's public URL, `sub` the Trigger/Subscription in Knative's
 * ServiceAccount style, valid {@link DELIVERY_TOKEN_LIFETIME_SECONDS}; one token per subject and
 * audience is reused until {@link DELIVERY_TOKEN_RENEW_SECONDS} before it expires.
 */
import type * as JoseModule from 'jose';
import { type DeliveryCredentials, type DeliveryOwner, oidcSubjectOf } from '@tributary/core';
import type { SigningKeys } from './signing-keys.js';
import { SIGNING_ALGORITHM } from './signing-keys.js';

/** Lifetime of a delivery token. */
export const DELIVERY_TOKEN_LIFETIME_SECONDS = 300;
/** A cached token is replaced when it has less than this left. */
export const DELIVERY_TOKEN_RENEW_SECONDS = 60;
/** Cached tokens at most (subject × audience pairs). */
const MAX_CACHED = 10_000;

type Jose = typeof JoseModule;

/** Mints and caches delivery tokens. */
export class DeliveryTokens implements DeliveryCredentials {
  readonly #cache = new Map<string, { header: string; renewAt: number }>();
  readonly #pending = new Map<string, Promise<string>>();
  #jose: Promise<Jose> | undefined;

  constructor(
    private readonly keys: SigningKeys,
    /** The issuer (`iss`): the server's public URL, read at each mint. */
    private readonly issuer: () => string,
    private readonly now: () => number = Date.now,
  ) {
    keys.onRotate(() => this.#cache.clear());
  }

  authorization(owner: DeliveryOwner, audience: string): Promise<string> {
    const sub = oidcSubjectOf(owner);
    const key = `${sub}\n${audience}`;
    const hit = this.#cache.get(key);
    if (hit && hit.renewAt > this.now()) return Promise.resolve(hit.header);
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = this.#mint(sub, audience).then(
        (header) => {
          this.#pending.delete(key);
          if (this.#cache.size >= MAX_CACHED) this.#cache.clear();
          this.#cache.set(key, {
            header,
            renewAt:
              this.now() + (DELIVERY_TOKEN_LIFETIME_SECONDS - DELIVERY_TOKEN_RENEW_SECONDS) * 1000,
          });
          return header;
        },
        (err: unknown) => {
          this.#pending.delete(key);
          throw err;
        },
      );
      this.#pending.set(key, pending);
    }
    return pending;
  }

  async #mint(sub: string, audience: string): Promise<string> {
    this.#jose ??= import('jose');
    const jose = await this.#jose;
    const { kid, key } = await this.keys.current();
    const iat = Math.floor(this.now() / 1000);
    const jwt = await new jose.SignJWT({})
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid, typ: 'JWT' })
      .setIssuer(this.issuer())
      .setSubject(sub)
      .setAudience(audience)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + DELIVERY_TOKEN_LIFETIME_SECONDS)
      .sign(key);
    return `Bearer ${jwt}`;
  }
}

/** `/.well-known/openid-configuration` of Tributary as an issuer. */
export function openidConfiguration(issuer: string): Record<string, unknown> {
  return {
    issuer,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    id_token_signing_alg_values_supported: [SIGNING_ALGORITHM],
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
  };
}
