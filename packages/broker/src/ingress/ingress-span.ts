import { type CloudEvent, withAttributes } from '@tributary/core';
import {
  SpanKind,
  endSpan,
  parseTraceparent,
  passedTraceparent,
  startSpan,
  traceparentOf,
  tracerRegistered,
} from '../observability/tracing.js';
import type { IngressTrace } from './ingress-http.js';
import type { IngestResult } from './publish-path.js';

/**
 * Runs an ingest inside the ingress's server span (docs/knative-behaviour.md §9.3): `broker:<name>.<ns>`
 * for a Broker, `channel:<name>.<ns>` for a Channel. The span continues the request's (or the first
 * event's) `traceparent`, and the events carry it on through the backend in their CloudEvents
 * distributed-tracing extension.
 */
export function withIngressSpan(
  spanName: string,
  attributes: Readonly<Record<string, string>>,
  events: readonly CloudEvent[],
  trace: IngressTrace,
  run: (traced: readonly CloudEvent[]) => Promise<IngestResult>,
): Promise<IngestResult> {
  const header = trace.traceparent ?? events[0]?.attributes['traceparent'];
  const parent = parseTraceparent(header);
  // Without a tracer provider the span would be the API's no-op span: it carries the parent's
  // context, or none. Its traceparent is computed directly, and no span (nor the API) is made.
  const span = tracerRegistered()
    ? startSpan(spanName, parent, SpanKind.SERVER, {
        ...attributes,
        'messaging.system': 'knative',
        'messaging.operation.name': 'send',
      })
    : undefined;
  const tp = span ? traceparentOf(span) : parent && passedTraceparent(header);
  const recording = span?.isRecording() ?? false;
  const traced =
    tp === undefined
      ? events
      : events.map((e) =>
          e.attributes['traceparent'] !== undefined && !recording
            ? e
            : withAttributes(e, {
                traceparent: tp,
                ...(trace.tracestate && e.attributes['tracestate'] === undefined
                  ? { tracestate: trace.tracestate }
                  : {}),
              }),
        );
  // Not an async function: without a span the ingest's own promise is the answer (an async
  // wrapper cost one more promise and the microtask jobs to adopt the inner one, per request).
  if (!span) return run(traced);
  return run(traced).then((r) => {
    endSpan(span, r.status, r.error);
    return r;
  });
}
