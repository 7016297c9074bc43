/**
 * Size caps of a Broker on the embedded durable backend, from its annotations (documented in
 * docs/embedded-durable.md).
 */
import { SqliteConfigError } from './errors.js';

/** Most bytes (attributes + data of the events held) a Broker may hold, e.g. `512Mi`, `2G`. */
export const MAX_BYTES_ANNOTATION = 'tributary.dev/max-bytes';
/** Most events a Broker may hold, e.g. `100000`. */
export const MAX_EVENTS_ANNOTATION = 'tributary.dev/max-events';
/** The cap of a topic without `tributary.dev/max-bytes`: 1 GiB. */
export const DEFAULT_MAX_BYTES = 1024 ** 3;

const UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** Parses a Kubernetes-style quantity (`1000`, `64Ki`, `512Mi`, `2G`) into a whole number. */
export function parseQuantity(value: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kKMGT]i?)?\s*$/.exec(value);
  const unit = m ? UNITS[m[2] ?? ''] : undefined;
  if (!m || unit === undefined)
    throw new SqliteConfigError(
      `${what} '${value}' is not a size; write a whole number with an optional unit (Ki, Mi, Gi, Ti, k, M, G, T), e.g. 512Mi`,
    );
  const n = Math.floor(Number(m[1]) * unit);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new SqliteConfigError(`${what} '${value}' must be greater than 0`);
  return n;
}

/** The caps a Broker's annotations ask for (bytes default to {@link DEFAULT_MAX_BYTES}). */
export function capsFrom(annotations: Readonly<Record<string, string>> | undefined): {
  maxBytes: number;
  maxEvents: number | undefined;
} {
  const a = annotations ?? {};
  const bytes = a[MAX_BYTES_ANNOTATION];
  const events = a[MAX_EVENTS_ANNOTATION];
  const maxEvents = events === undefined ? undefined : parseQuantity(events, MAX_EVENTS_ANNOTATION);
  return {
    maxBytes: bytes === undefined ? DEFAULT_MAX_BYTES : parseQuantity(bytes, MAX_BYTES_ANNOTATION),
    maxEvents,
  };
}
