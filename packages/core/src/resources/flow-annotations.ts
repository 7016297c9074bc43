/**
 * Flow-control and archive annotations (docs/failed-deliveries.md): their parsers and the
 * validation that names the field, the value and the fix.
 */
import { isIsoDuration, parseIsoDuration } from '../config/duration.js';

/** Trigger: `"true"` holds every delivery until resumed. */
export const PAUSED_ANNOTATION = 'tributary.dev/paused';
/** Trigger: `"<n>/s"` or `"<n>/m"`, at most n deliveries per second (minute), bursts ≤ n. */
export const RATE_LIMIT_ANNOTATION = 'tributary.dev/rate-limit';
/** Trigger: `"<n>"`, at most n deliveries in flight to the subscriber at once. */
export const MAX_IN_FLIGHT_ANNOTATION = 'tributary.dev/max-in-flight';
/** Trigger: `"<failures>/<cool-down>"`, e.g. `5/30s`. */
export const CIRCUIT_BREAKER_ANNOTATION = 'tributary.dev/circuit-breaker';
/** Broker: how long every accepted event is archived for replay (`72h`, `PT72H`). */
export const ARCHIVE_RETENTION_ANNOTATION = 'tributary.dev/archive-retention';

/** The flow-control settings of one Trigger (absent = no limit). */
export interface FlowControlSpec {
  readonly paused: boolean;
  readonly rateLimit?: { readonly count: number; readonly perMs: number } | undefined;
  readonly maxInFlight?: number | undefined;
  readonly circuitBreaker?: { readonly failures: number; readonly coolDownMs: number } | undefined;
}

type Meta = { readonly metadata: { readonly annotations?: Record<string, string> | undefined } };
type Problem = { path: (string | number)[]; message: string };
const at = (name: string): (string | number)[] => ['metadata', 'annotations', name];

const GO_UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const GO_DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;

/**
 * Parses a Go duration (`72h`, `1h30m`, `500ms`) or an ISO-8601 one (`PT72H`, `P3D`) into
 * milliseconds; `undefined` when it is neither.
 */
export function parseFlexibleDuration(text: string): number | undefined {
  if (isIsoDuration(text)) return parseIsoDuration(text);
  if (!GO_DURATION.test(text)) return undefined;
  let ms = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g))
    ms += Number(m[1]) * GO_UNIT_MS[m[2]!]!;
  return Math.round(ms);
}

const positiveInt = (v: string): number | undefined =>
  /^[1-9]\d*$/.test(v) && Number.isSafeInteger(Number(v)) ? Number(v) : undefined;

function parseRate(v: string): FlowControlSpec['rateLimit'] {
  const m = /^([1-9]\d*)\/(s|m)$/.exec(v);
  if (!m || !Number.isSafeInteger(Number(m[1]))) return undefined;
  return { count: Number(m[1]), perMs: m[2] === 's' ? 1000 : 60_000 };
}

function parseBreaker(v: string): FlowControlSpec['circuitBreaker'] {
  const slash = v.indexOf('/');
  if (slash < 0) return undefined;
  const failures = positiveInt(v.slice(0, slash));
  const coolDownMs = parseFlexibleDuration(v.slice(slash + 1));
  if (failures === undefined || coolDownMs === undefined || coolDownMs <= 0) return undefined;
  return { failures, coolDownMs };
}

/** The flow control of a Trigger without flow-control annotations (one object for all of them). */
const NO_FLOW_CONTROL: FlowControlSpec = Object.freeze({
  paused: false,
  rateLimit: undefined,
  maxInFlight: undefined,
  circuitBreaker: undefined,
});

/** The Trigger's flow-control annotations (invalid values are reported by validation, ignored here). */
export function flowControlOf(trigger: Meta): FlowControlSpec {
  const a = trigger.metadata.annotations ?? {};
  const rate = a[RATE_LIMIT_ANNOTATION];
  const inFlight = a[MAX_IN_FLIGHT_ANNOTATION];
  const breaker = a[CIRCUIT_BREAKER_ANNOTATION];
  if (
    a[PAUSED_ANNOTATION] === undefined &&
    rate === undefined &&
    inFlight === undefined &&
    breaker === undefined
  )
    return NO_FLOW_CONTROL;
  return {
    paused: a[PAUSED_ANNOTATION] === 'true',
    rateLimit: rate === undefined ? undefined : parseRate(rate),
    maxInFlight: inFlight === undefined ? undefined : positiveInt(inFlight),
    circuitBreaker: breaker === undefined ? undefined : parseBreaker(breaker),
  };
}

/** The Broker's archive retention in ms, or `undefined` when it does not archive. */
export function archiveRetentionOf(broker: Meta): number | undefined {
  const v = broker.metadata.annotations?.[ARCHIVE_RETENTION_ANNOTATION];
  if (v === undefined) return undefined;
  const ms = parseFlexibleDuration(v);
  return ms !== undefined && ms > 0 ? ms : undefined;
}

/** Problems of the flow-control annotations of a Trigger. */
export function validateFlowControlAnnotations(trigger: Meta): Problem[] {
  const a = trigger.metadata?.annotations ?? {};
  const problems: Problem[] = [];
  const check = (name: string, ok: (v: string) => boolean, fix: string) => {
    const v = a[name];
    if (typeof v === 'string' && !ok(v))
      problems.push({ path: at(name), message: `${name} '${v}' is invalid: ${fix}` });
  };
  check(PAUSED_ANNOTATION, (v) => v === 'true' || v === 'false', 'write "true" or "false"');
  check(
    RATE_LIMIT_ANNOTATION,
    (v) => parseRate(v) !== undefined,
    'write "<n>/s" or "<n>/m" with a positive integer n, e.g. "50/s"',
  );
  check(
    MAX_IN_FLIGHT_ANNOTATION,
    (v) => positiveInt(v) !== undefined,
    'write a positive integer, e.g. "10"',
  );
  check(
    CIRCUIT_BREAKER_ANNOTATION,
    (v) => parseBreaker(v) !== undefined,
    'write "<failures>/<cool-down>" with a positive integer and a duration, e.g. "5/30s"',
  );
  return problems;
}

/** Problems of the archive annotation of a Broker. */
export function validateArchiveAnnotation(broker: Meta): Problem[] {
  const v = broker.metadata?.annotations?.[ARCHIVE_RETENTION_ANNOTATION];
  if (typeof v !== 'string' || archiveRetentionOf(broker) !== undefined) return [];
  return [
    {
      path: at(ARCHIVE_RETENTION_ANNOTATION),
      message: `${ARCHIVE_RETENTION_ANNOTATION} '${v}' is invalid: write a positive Go or ISO-8601 duration, e.g. "72h" or "PT72H"`,
    },
  ];
}
