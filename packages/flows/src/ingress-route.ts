/**
 * HTTP ingress of channels and flows (docs/architecture.md): `POST /<ns>/channels/<name>`,
 * `/<ns>/sequences/<name>`, `/<ns>/parallels/<name>`, served by the broker ingress's HTTP handling
 * (`serveIngress`: OPTIONS 200, other methods 405, unknown 404, bad event 400, too large 413,
 * accepted 202).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CloudEvent, Logger } from '@tributary/core';
import {
  type IngestResult,
  type IngressTrace,
  type RouteContext,
  serveIngress,
} from '@tributary/broker';

/** Matches the three ingress paths (one trailing slash allowed). */
export const FLOW_INGRESS_PATH =
  /^\/(?<ns>[^/]+)\/(?<segment>channels|sequences|parallels)\/(?<name>[^/]+)\/?$/;

/** Something the route can hand events to. */
export interface FlowIngress {
  ingest(events: CloudEvent[], trace?: IngressTrace): Promise<IngestResult>;
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
  return (req: IncomingMessage, res: ServerResponse, ctx: RouteContext): Promise<void> => {
    const { ns = '', segment = '', name = '' } = ctx.params;
    const kind = KIND_OF_SEGMENT[segment] ?? segment;
    return serveIngress(
      req,
      res,
      ctx,
      {
        what: kind,
        target: () => {
          const namespace = safeDecode(ns);
          const decoded = safeDecode(name);
          const target = lookup(kind, namespace, decoded);
          if (!target) return { status: 404, error: `${kind} '${ns}/${name}' not found` };
          return {
            resource: { kind: RESOURCE_KIND_OF_SEGMENT[segment] ?? kind, namespace, name: decoded },
            ingest: (events, trace) => target.ingest(events, trace),
          };
        },
      },
      logger,
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
