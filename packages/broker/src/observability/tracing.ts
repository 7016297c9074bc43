import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';
import type { Attributes, Span, SpanContext } from '@opentelemetry/api';

// The OpenTelemetry API loads when a tracer provider is registered (or a span is asked for), not
// at start: it is ~160 modules and ~7 MiB of resident memory an untraced process does not need
// (idle RSS, `pnpm bench`). Its CommonJS build shares the API's one global with any other copy
// (the CLI's OTLP setup imports the ES build), so a provider registered there is seen here.
const requireFromHere = createRequire(import.meta.url);
let api: typeof OtelApi | undefined;
const otel = (): typeof OtelApi =>
  (api ??= requireFromHere('@opentelemetry/api') as typeof OtelApi);

/**
 * Where every copy of the OpenTelemetry API (major version 1) keeps its registered globals; `trace`
 * is set there by `trace.setGlobalTracerProvider` and nothing else.
 */
const OTEL_API_GLOBAL = Symbol.for('opentelemetry.js.api.1');

/** The API's span kinds (the same numbers as its `SpanKind` enum), usable without loading it. */
export const SpanKind = {
  INTERNAL: 0,
  SERVER: 1,
  CLIENT: 2,
  PRODUCER: 3,
  CONSUMER: 4,
} as unknown as typeof OtelApi.SpanKind;
export type SpanKind = OtelApi.SpanKind;

/**
 * W3C Trace Context over OpenTelemetry's API (docs/knative-behaviour.md §9.3). Spans go to whatever tracer
 * provider the program registered (the CLI registers an OTLP exporter when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` is set); with none, the API's no-op tracer returns non-recording
 * spans that carry the parent's context, so a `traceparent` passes through unchanged.
 */

/** Instrumentation scope of every Tributary span. */
export const TRACER_NAME = '@tributary/broker';

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
const CANONICAL_TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/;

/** Parses a W3C `traceparent` (version 00 and future versions); undefined when invalid. */
export function parseTraceparent(value: string | undefined): SpanContext | undefined {
  if (!value) return undefined;
  const m = TRACEPARENT.exec(value.trim().toLowerCase());
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m as unknown as string[];
  if (version === 'ff' || (version === '00' && rest)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return {
    traceId: traceId!,
    spanId: spanId!,
    traceFlags: parseInt(flags!, 16) & 1,
    isRemote: true,
  };
}

/** Formats a span context as a version-00 `traceparent`. */
export function formatTraceparent(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** The `traceparent` that continues `span`, or undefined when it has no valid context. */
export function traceparentOf(span: Span): string | undefined {
  const sc = span.spanContext();
  if (sc.traceId === ZERO_TRACE || sc.spanId === ZERO_SPAN) return undefined;
  return formatTraceparent(sc);
}

// What the global provider delegates to while nothing is registered (the API's no-op provider).
let noopProvider: OtelApi.TracerProvider | undefined;

/**
 * True once a tracer provider is registered (`trace.setGlobalTracerProvider`, the CLI's OTLP setup).
 * Read per attempt, so a provider registered later is used from then on; while none is, it costs
 * one property read and loads nothing.
 */
export function tracerRegistered(): boolean {
  const globals = (globalThis as Record<symbol, { trace?: unknown } | undefined>)[OTEL_API_GLOBAL];
  if (globals?.trace === undefined) return false;
  const { trace, ProxyTracerProvider } = otel();
  noopProvider ??= new ProxyTracerProvider().getDelegate();
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== noopProvider;
}

/**
 * The `traceparent` a no-op span started under `traceparent` would carry: the parent's context,
 * formatted as version 00, or `traceparent` itself when it is not valid. What {@link startSpan} and
 * {@link traceparentOf} give without a registered provider, without making the span.
 */
export function passedTraceparent(traceparent: string | undefined): string | undefined {
  // Already version-00 form with a valid context: it is its own formatting (skips a lower-cased
  // copy, a match array and a new string per attempt).
  if (
    traceparent !== undefined &&
    CANONICAL_TRACEPARENT.test(traceparent) &&
    !traceparent.startsWith(ZERO_TRACE, 3) &&
    !traceparent.startsWith(ZERO_SPAN, 36)
  )
    return traceparent;
  const parent = parseTraceparent(traceparent);
  return parent ? formatTraceparent(parent) : traceparent;
}

/** Starts a span as a child of `parent` (a remote span context), or a root span without one. */
export function startSpan(
  name: string,
  parent: SpanContext | undefined,
  kind: SpanKind,
  attributes: Attributes,
): Span {
  const { context, trace } = otel();
  const ctx = parent ? trace.setSpanContext(context.active(), parent) : context.active();
  return trace.getTracer(TRACER_NAME).startSpan(name, { kind, attributes }, ctx);
}

/** Ends a span with an HTTP status (≥ 400 or absent → error status). */
export function endSpan(span: Span, status: number | undefined, error?: string): void {
  if (status !== undefined) span.setAttribute('http.response.status_code', status);
  if (status === undefined || status >= 400)
    span.setStatus({ code: otel().SpanStatusCode.ERROR, ...(error ? { message: error } : {}) });
  span.end();
}
