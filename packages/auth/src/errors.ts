/**
 * Errors of @tributary/auth. Each has a stable `code`; messages name the subject and the fix.
 */
import { TributaryError, type TributaryErrorOptions } from '@tributary/core';

export const authCodes = {
  TRIB_ERR_AUTH_CONFIG: 'the Authentication resource or an EventPolicy cannot be used as written',
  TRIB_ERR_AUTH_KEYS: "Tributary's signing keys could not be read, written or generated",
  TRIB_ERR_AUTH_DISCOVERY: "an issuer's OIDC discovery document or JWKS could not be fetched",
} as const;

export type AuthErrorCode = keyof typeof authCodes;

/** Base of every error this package throws. */
export class AuthError extends TributaryError<AuthErrorCode> {
  constructor(code: AuthErrorCode, message: string, options?: TributaryErrorOptions) {
    super(code, message, options);
  }
}

/** The Authentication resource or an EventPolicy is not usable (e.g. a missing Secret). */
export class AuthConfigError extends AuthError {
  constructor(message: string, options?: ErrorOptions) {
    super('TRIB_ERR_AUTH_CONFIG', message, options);
  }
}

/** The key directory cannot be used. */
export class SigningKeyError extends AuthError {
  constructor(message: string, options?: ErrorOptions) {
    super('TRIB_ERR_AUTH_KEYS', message, options);
  }
}

/** An issuer's discovery document or key set is unreachable or malformed. */
export class DiscoveryError extends AuthError {
  constructor(message: string, options?: ErrorOptions) {
    super('TRIB_ERR_AUTH_DISCOVERY', message, options);
  }
}
