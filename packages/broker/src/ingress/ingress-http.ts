/**
 * The HTTP side of every ingress (Brokers, Channels, Sequences, Parallels): Knative's MT broker
 * ingress status table (docs/knative-behaviour.md §1): OPTIONS 200 with the webhook headers, other
 * methods than POST 405, unknown resource 404, bad event 400, too large 413, not ready 503 with
 * Retry-After, accepted 202.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CloudEvent, IngressResource, Logger } from '@tributary/core';
import { sendError } from '../http/http-error.js';
import type { RouteContext } from '../http/http-server.js';
import { readCloudEvents } from '../http/read-events.js';
import type { IngestResult } from './publish-path.js';

/** `Allow` header of every ingress response. */
export const INGRESS_ALLOW = 'POST, OPTIONS';

/** The trace headers of a request, carried with its events. */
export interface IngressTrace {
  readonly traceparent?: string | undefined;
  readonly tracestate?: string | undefined;
}

/** What a request is addressed to, once its path is read. */
export interface IngressRequestTarget {
  /** The resource as EventPolicies name it (the authorizer's question). */
  readonly resource: IngressResource;
  ingest(events: CloudEvent[], trace: IngressTrace): Promise<IngestResult>;
}

/** How an ingress route finds what a request is for. */
export interface IngressRoute {
  /** `broker`, `channel`, `sequence`, …: names the ingress in the 405 message. */
  readonly what: string;
  /** The target, or the refusal (404 unknown, 400 bad path) to answer. */
  target(
    req: IncomingMessage,
    ctx: RouteContext,
  ): IngressRequestTarget | { status: number; error: string };
}

/** The headers of every error answer: each one names the methods (`Allow`). */
const ALLOW_HEADERS: Readonly<Record<string, string>> = Object.freeze({ allow: INGRESS_ALLOW });

/**
 * The 202's headers as Node's flat `[name, value, …]` list: with no `res.setHeader` before it,
 * `writeHead` stores them as they are, without the per-response header map `setHeader` builds
 * (and its validation per call), which the ingress paid on every accepted event.
 */
const ACCEPTED_HEADERS: readonly string[] = Object.freeze([
  'allow',
  INGRESS_ALLOW,
  'content-length',
  '0',
]);

/** Serves one request to an ingress route. */
export async function serveIngress(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RouteContext,
  route: IngressRoute,
  log: Logger,
): Promise<void> {
  try {
    const method = (req.method ?? '').toUpperCase();
    if (method === 'OPTIONS') {
      res.writeHead(200, {
        allow: INGRESS_ALLOW,
        'webhook-allowed-origin': '*',
        'webhook-allowed-rate': '*',
        'content-length': '0',
      });
      res.end();
      return;
    }
    if (method !== 'POST')
      return sendError(
        res,
        405,
        `method ${method} is not allowed: the ${route.what} ingress accepts POST`,
        ALLOW_HEADERS,
      );
    const target = route.target(req, ctx);
    if ('status' in target) return sendError(res, target.status, target.error, ALLOW_HEADERS);
    const events = await readCloudEvents(req, res, ctx, log, target.resource, ALLOW_HEADERS);
    if (!events) return;
    const r = await target.ingest(events, {
      traceparent: headerValue(req.headers['traceparent']),
      tracestate: headerValue(req.headers['tracestate']),
    });
    if (r.status === 202) {
      res.writeHead(202, ACCEPTED_HEADERS as string[]);
      res.end();
      return;
    }
    sendError(
      res,
      r.status,
      r.error ?? 'request failed',
      r.retryAfterSeconds === undefined
        ? ALLOW_HEADERS
        : { allow: INGRESS_ALLOW, 'retry-after': String(r.retryAfterSeconds) },
    );
  } catch (err) {
    // The server's 500 for an unexpected failure names the methods too.
    if (!res.headersSent) res.setHeader('allow', INGRESS_ALLOW);
    throw err;
  }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
