import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type CloudEvent,
  type Logger,
  nowRfc3339Nano,
  silentLogger,
  validateCloudEvent,
} from '@tributary/core';
import { readCloudEvents } from '../http/read-events.js';
import { sendError } from '../http/http-error.js';
import type { RouteContext } from '../http/http-server.js';
import { DEFAULT_MAX_TTL, prepareIngressEvent } from './ingress-event.js';

/** Where an ingress puts a broker's events (the runtime wraps `backend.publish(brokerTopic, …)`). */
export interface BrokerIngressTarget {
  /** Resolves once the backend holds every event; rejects with BackendUnavailableError when full. */
  publish(events: CloudEvent[]): Promise<void>;
}

export interface BrokerIngressOptions {
  /** The broker `<ns>/<name>`, or undefined when there is none (→ 404). */
  lookup(namespace: string, name: string): BrokerIngressTarget | undefined;
  /** TTL given to events that arrive without a valid `knativebrokerttl`. @default 255 */
  readonly maxTtl?: number;
  readonly logger?: Logger;
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

/** Creates the broker ingress (reference §1, DESIGN §5 decisions 8-10). */
export function createBrokerIngress(options: BrokerIngressOptions): BrokerIngress {
  const log = options.logger ?? silentLogger;
  const maxTtl = options.maxTtl ?? DEFAULT_MAX_TTL;

  async function ingest(
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
      const e = err as Error & { retryAfterSeconds?: number };
      if (e?.name === 'BackendUnavailableError') {
        const retryAfterSeconds = Math.max(0, Math.ceil(e.retryAfterSeconds ?? 1));
        log.debug({ broker, err: e.message }, 'backend unavailable; answering 503');
        return {
          status: 503,
          error: `broker '${broker}' cannot take events now: ${e.message}`,
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
    const events = await readCloudEvents(req, res, ctx, log);
    if (!events) return;
    const r = await ingest(target.namespace, target.name, events, true);
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
