import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import {
  type CloudEvent,
  type Logger,
  nowRfc3339Nano,
  silentLogger,
  validateCloudEvent,
  withAttributes,
  hasErrorCode,
  type BackendUnavailableError,
} from '@tributary/core';
import { readCloudEvents } from '../http/read-events.js';
import { sendError } from '../http/http-error.js';
import type { RouteContext } from '../http/http-server.js';
import { DEFAULT_MAX_TTL, prepareIngressEvent } from './ingress-event.js';
import {
  SpanKind,
  endSpan,
  parseTraceparent,
  startSpan,
  traceparentOf,
} from '../observability/tracing.js';

/** Where an ingress puts a broker's events (the runtime wraps `backend.publish(brokerTopic, …)`). */
export interface BrokerIngressTarget {
  /** Resolves once the backend holds every event; rejects with BackendUnavailableError when full. */
  publish(events: CloudEvent[]): Promise<void>;
}

export interface BrokerIngressOptions {
  /** The broker `<ns>/<name>`, or undefined when there is none (→ 404). */
  lookup(namespace: string, name: string): BrokerIngressTarget | undefined;
  /** Called once per ingest (HTTP or in-process) with its result; the metrics hook. */
  readonly onIngest?: (r: IngestReport) => void;
  /** TTL given to events that arrive without a valid `knativebrokerttl`. @default 255 */
  readonly maxTtl?: number;
  readonly logger?: Logger;
}

/** What {@link BrokerIngressOptions.onIngest} receives. */
export interface IngestReport {
  readonly namespace: string;
  readonly name: string;
  /** The events as published (with the `traceparent` extension the ingress kept). */
  readonly events: readonly CloudEvent[];
  readonly status: number;
  readonly durationMs: number;
  /** `http` for `POST /<ns>/<broker>`, `in-process` for replies, flows and `publish`. */
  readonly via: 'http' | 'in-process';
}

/** Outcome of ingesting events, as the HTTP ingress would answer. */
export interface IngestResult {
  readonly status: number;
  readonly error?: string;
  /** Set with 503: seconds after which trying again makes sense. */
  readonly retryAfterSeconds?: number;
}

/** The broker ingress: an HTTP route plus the same logic for in-process hops. */
export interface BrokerIngress {
  /** Route matcher: the ingress answers every path it is offered (register it as a fallback route). */
  matches(path: string): boolean;
  /** Route handler implementing Knative's MT broker ingress status table. */
  handle(req: IncomingMessage, res: ServerResponse, ctx: RouteContext): Promise<void>;
  /** Validates, applies TTL/arrival time and publishes, answering like `POST /<ns>/<name>` would. */
  ingestEvents(
    namespace: string,
    name: string,
    events: readonly CloudEvent[],
  ): Promise<IngestResult>;
}

/** `Allow` header of every ingress response. */
export const INGRESS_ALLOW = 'POST, OPTIONS';

/**
 * Splits `/<ns>/<name>` (one trailing slash allowed, query ignored) into its parts, or undefined
 * when the path has another shape.
 */
export function parseBrokerPath(path: string): { namespace: string; name: string } | undefined {
  const q = path.indexOf('?');
  let p = q === -1 ? path : path.slice(0, q);
  if (p.endsWith('/')) p = p.slice(0, -1);
  const parts = p.split('/');
  if (parts.length !== 3 || parts[0] !== '' || !parts[1] || !parts[2]) return undefined;
  return { namespace: parts[1], name: parts[2] };
}

/** Creates the broker ingress (docs/knative-behaviour.md §1, docs/decisions.md D8–D10). */
export function createBrokerIngress(options: BrokerIngressOptions): BrokerIngress {
  const log = options.logger ?? silentLogger;
  const maxTtl = options.maxTtl ?? DEFAULT_MAX_TTL;

  /** Wraps {@link publishEvents} in the ingress span, keeps the trace with the events, reports. */
  async function ingest(
    namespace: string,
    name: string,
    events: readonly CloudEvent[],
    validated: boolean,
    trace: { traceparent?: string; tracestate?: string } = {},
  ): Promise<IngestResult> {
    const started = performance.now();
    const header = trace.traceparent ?? events[0]?.attributes['traceparent'];
    const span = startSpan(
      `broker:${name}.${namespace}`,
      parseTraceparent(header),
      SpanKind.SERVER,
      {
        'kn.broker.name': name,
        'kn.broker.namespace': namespace,
        'messaging.system': 'knative',
        'messaging.operation.name': 'send',
      },
    );
    const tp = traceparentOf(span);
    const recording = span.isRecording();
    // The CloudEvents distributed-tracing extension carries the trace on through the backend.
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
    const r = await publishEvents(namespace, name, traced, validated);
    endSpan(span, r.status, r.error);
    try {
      options.onIngest?.({
        namespace,
        name,
        events: traced,
        status: r.status,
        durationMs: performance.now() - started,
        via: validated ? 'http' : 'in-process',
      });
    } catch (err) {
      log.error({ err }, 'onIngest hook threw');
    }
    return r;
  }

  async function publishEvents(
    namespace: string,
    name: string,
    events: readonly CloudEvent[],
    validated: boolean,
  ): Promise<IngestResult> {
    const broker = `${namespace}/${name}`;
    if (events.length === 0) return { status: 400, error: 'no event in the request' };
    if (!validated) {
      for (const [i, e] of events.entries()) {
        const problems = validateCloudEvent(e.attributes);
        if (problems.length > 0)
          return {
            status: 400,
            error: `${events.length > 1 ? `event[${i}]: ` : ''}${problems.join('; ')}`,
          };
      }
    }
    const target = options.lookup(namespace, name);
    if (!target) return { status: 404, error: `broker '${broker}' not found` };
    const now = nowRfc3339Nano();
    const prepared: CloudEvent[] = [];
    for (const e of events) {
      const r = prepareIngressEvent(e, maxTtl, now);
      if ('error' in r) {
        log.debug({ broker, id: e.attributes['id'] }, 'event dropped: TTL used up');
        return { status: 400, error: r.error };
      }
      prepared.push(r.event);
    }
    try {
      await target.publish(prepared);
    } catch (err) {
      const e = err as Error | undefined;
      if (hasErrorCode(err, 'TRIB_ERR_BATCH_TOO_LARGE'))
        return { status: 413, error: `broker '${broker}' cannot take the request: ${err.message}` };
      if (hasErrorCode(err, 'TRIB_ERR_BACKEND_UNAVAILABLE')) {
        const unavailable = err as BackendUnavailableError;
        const retryAfterSeconds = Math.max(0, Math.ceil(unavailable.retryAfterSeconds ?? 1));
        log.debug({ broker, err: err.message }, 'backend unavailable; answering 503');
        return {
          status: 503,
          error: `broker '${broker}' cannot take events now: ${err.message}`,
          retryAfterSeconds,
        };
      }
      log.warn({ broker, err }, 'publishing to the backend failed');
      return {
        status: 500,
        error: `broker '${broker}' failed to store the event(s): ${e?.message ?? String(err)}`,
      };
    }
    if (log.isLevelEnabled?.('debug') ?? true) {
      for (const e of prepared)
        log.debug({ broker, id: e.attributes['id'], type: e.attributes['type'] }, 'event accepted');
    }
    return { status: 202 };
  }

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    ctx: RouteContext,
  ): Promise<void> {
    res.setHeader('allow', INGRESS_ALLOW);
    const method = (req.method ?? '').toUpperCase();
    if (method === 'OPTIONS') {
      res.writeHead(200, {
        'webhook-allowed-origin': '*',
        'webhook-allowed-rate': '*',
        'content-length': '0',
      });
      res.end();
      return;
    }
    if (method !== 'POST')
      return fail(res, 405, `method ${method} is not allowed: the broker ingress accepts POST`);
    if ((req.url ?? '') === '/')
      return fail(res, 404, 'no broker at /: post to /<namespace>/<broker>');
    const target = parseBrokerPath(ctx.path);
    if (!target) return fail(res, 400, `path '${ctx.path}' is not /<namespace>/<broker>`);
    const events = await readCloudEvents(req, res, ctx, log, {
      kind: 'Broker',
      namespace: target.namespace,
      name: target.name,
    });
    if (!events) return;
    const r = await ingest(target.namespace, target.name, events, true, {
      traceparent: headerValue(req.headers['traceparent']),
      tracestate: headerValue(req.headers['tracestate']),
    });
    if (r.status === 202) {
      res.writeHead(202, { 'content-length': '0' });
      res.end();
      return;
    }
    fail(
      res,
      r.status,
      r.error ?? 'request failed',
      r.retryAfterSeconds === undefined ? {} : { 'retry-after': String(r.retryAfterSeconds) },
    );
  }

  return {
    matches: () => true,
    handle,
    ingestEvents: (namespace, name, events) => ingest(namespace, name, events, false),
  };
}

function fail(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  sendError(res, status, message, headers);
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
