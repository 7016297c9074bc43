/**
 * HTTP ingress of channels and flows (docs/architecture.md): `POST /<ns>/channels/<name>`,
 * `/<ns>/sequences/<name>`, `/<ns>/parallels/<name>`, with the broker ingress's status table
 * (OPTIONS 200, other methods 405, unknown 404, bad event 400, too large 413, accepted 202).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CloudEvent, Logger } from '@tributary/core';
import {
  INGRESS_ALLOW,
  type IngestResult,
  type RouteContext,
  readCloudEvents,
  sendError,
} from '@tributary/broker';

/** Matches the three ingress paths (one trailing slash allowed). */
export const FLOW_INGRESS_PATH =
  /^\/(?<ns>[^/]+)\/(?<segment>channels|sequences|parallels)\/(?<name>[^/]+)\/?$/;

/** Something the route can hand events to. */
export interface FlowIngress {
  ingest(events: CloudEvent[]): Promise<IngestResult>;
}

/** The kind an EventPolicy names for each path segment (a `Channel` ref covers every channel kind). */
const RESOURCE_KIND_OF_SEGMENT: Record<string, string> = {
  channels: 'Channel',
  sequences: 'Sequence',
  parallels: 'Parallel',
};

const KIND_OF_SEGMENT: Record<string, string> = {
  channels: 'channel',
  sequences: 'sequence',
  parallels: 'parallel',
};

/**
 * Creates the route handler. `lookup` finds the ingress by kind (`channel`, `sequence`,
 * `parallel`), namespace and name.
 */
export function createFlowIngressHandler(
  lookup: (kind: string, namespace: string, name: string) => FlowIngress | undefined,
  logger: Logger,
) {
  return async (req: IncomingMessage, res: ServerResponse, ctx: RouteContext): Promise<void> => {
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
    const { ns = '', segment = '', name = '' } = ctx.params;
    const kind = KIND_OF_SEGMENT[segment] ?? segment;
    if (method !== 'POST')
      return sendError(
        res,
        405,
        `method ${method} is not allowed: the ${kind} ingress accepts POST`,
      );
    const target = lookup(kind, safeDecode(ns), safeDecode(name));
    if (!target) return sendError(res, 404, `${kind} '${ns}/${name}' not found`);
    const events = await readCloudEvents(req, res, ctx, logger, {
      kind: RESOURCE_KIND_OF_SEGMENT[segment] ?? kind,
      namespace: safeDecode(ns),
      name: safeDecode(name),
    });
    if (!events) return;
    const r = await target.ingest(events);
    if (r.status === 202) {
      res.writeHead(202, { 'content-length': '0' });
      res.end();
      return;
    }
    sendError(
      res,
      r.status,
      r.error ?? 'request failed',
      r.retryAfterSeconds === undefined ? {} : { 'retry-after': String(r.retryAfterSeconds) },
    );
  };
}

/** Percent-decodes a path segment; a malformed escape is kept as written (and so finds nothing). */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
