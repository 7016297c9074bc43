/**
 * Errors of @tributary/core, and the base of every error Tributary throws on purpose
 * ({@link TributaryError}). Every error carries a stable code (`TRIB_ERR_…`, listed in
 * docs/errors.md); callers tell errors apart by class (`instanceof`) or by `code`, never by `name`
 * or message text. Messages name the subject, quote the value and say the fix when there is one.
 */
export const codes = {
  TRIB_ERR_CONFIG_INVALID: 'a manifest or option failed validation',
  TRIB_ERR_MANIFEST_READ: 'a manifest file could not be read or parsed as YAML',
  TRIB_ERR_SECRET_MISSING: 'a secretKeyRef resolved neither from a Secret nor from the environment',
  TRIB_ERR_REF_UNRESOLVED: 'a reference names a resource that does not exist',
  TRIB_ERR_PROVIDER_UNKNOWN: 'no provider is registered for a kind or broker class',
  TRIB_ERR_CLOUDEVENT_DECODE: 'an HTTP message does not carry valid CloudEvents',
  TRIB_ERR_BACKEND_UNAVAILABLE: 'a backend cannot hold events right now (answered 503)',
  TRIB_ERR_BATCH_TOO_LARGE: 'one request holds more events than the backend can ever hold (413)',
  TRIB_ERR_EVENT_UNSUPPORTED: 'an event cannot be held by the backend as written (400)',
  TRIB_ERR_REDELIVER_LATER: 'a handler asks the backend to redeliver the event after a delay',
} as const;

/** One of the stable codes of @tributary/core, in {@link codes}. */
export type TributaryErrorCode = keyof typeof codes;

/** Options every Tributary error accepts: the standard `cause`, plus structured `details`. */
export interface TributaryErrorOptions extends ErrorOptions {
  /** Machine-readable facts about the failure (field, value, limit, …), for logs and callers. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * Base class of every error a Tributary package throws on purpose. `code` is stable across
 * releases (`TRIB_ERR_…`); `name` is the concrete class name, for logs only.
 */
export class TributaryError<C extends string = string> extends Error {
  /** Machine-readable facts about the failure, when the thrower gave some. */
  readonly details?: Readonly<Record<string, unknown>>;

  constructor(
    /** Stable identifier of the error kind (`TRIB_ERR_…`). */
    readonly code: C,
    message: string,
    options?: TributaryErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
    if (options?.details !== undefined) this.details = options.details;
  }
}

/**
 * True when `err` carries the stable `code`. Unlike `instanceof`, this also holds for an error
 * thrown by another copy of a package (a bundled function module, a dist/src mix in tests).
 */
export function hasErrorCode<C extends string>(
  err: unknown,
  code: C,
): err is Error & { readonly code: C } {
  return err instanceof Error && (err as { code?: unknown }).code === code;
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
export class ConfigError extends TributaryError<TributaryErrorCode> {
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
export class SecretMissingError extends TributaryError<TributaryErrorCode> {
  constructor(message: string) {
    super('TRIB_ERR_SECRET_MISSING', message);
  }
}

/** A registry has no provider for a kind or class. */
export class ProviderUnknownError extends TributaryError<TributaryErrorCode> {
  constructor(what: string, name: string, known: readonly string[]) {
    super(
      'TRIB_ERR_PROVIDER_UNKNOWN',
      `${what} '${name}' is not registered (registered: ${known.length ? known.join(', ') : 'none'})`,
    );
  }
}
