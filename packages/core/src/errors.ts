/**
 * Errors of @tributary/core. Every error carries a stable code; messages name the subject, quote
 * the value and say the fix when there is one.
 */
export const codes = {
  TRIB_ERR_CONFIG_INVALID: 'a manifest or option failed validation',
  TRIB_ERR_MANIFEST_READ: 'a manifest file could not be read or parsed as YAML',
  TRIB_ERR_SECRET_MISSING: 'a secretKeyRef resolved neither from a Secret nor from the environment',
  TRIB_ERR_REF_UNRESOLVED: 'a reference names a resource that does not exist',
  TRIB_ERR_PROVIDER_UNKNOWN: 'no provider is registered for a kind or broker class',
} as const;

export type TributaryErrorCode = keyof typeof codes;

export class TributaryError extends Error {
  constructor(
    readonly code: TributaryErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One validation problem, located in a manifest file. */
export interface ValidationProblem {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** `Kind/name` of the resource, or `-` when the document has none. */
  readonly resource: string;
  /** Dotted field path, e.g. `spec.delivery.backoffDelay`. */
  readonly path: string;
  readonly message: string;
}

/** Formats a problem as `file:line:col: Kind/name: field.path: message`. */
export function formatProblem(p: ValidationProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.resource}: ${p.path || '(document)'}: ${p.message}`;
}

/** Manifests failed validation; `problems` has every one of them. */
export class ConfigError extends TributaryError {
  constructor(
    readonly problems: readonly ValidationProblem[],
    options?: ErrorOptions,
  ) {
    super(
      'TRIB_ERR_CONFIG_INVALID',
      `${problems.length} problem(s) in the manifests:\n${problems.map(formatProblem).join('\n')}`,
      options,
    );
  }
}

/** A secretKeyRef could not be resolved. */
export class SecretMissingError extends TributaryError {
  constructor(message: string) {
    super('TRIB_ERR_SECRET_MISSING', message);
  }
}

/** A registry has no provider for a kind or class. */
export class ProviderUnknownError extends TributaryError {
  constructor(what: string, name: string, known: readonly string[]) {
    super(
      'TRIB_ERR_PROVIDER_UNKNOWN',
      `${what} '${name}' is not registered (registered: ${known.length ? known.join(', ') : 'none'})`,
    );
  }
}
