import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import {
  type CloudEvent,
  type IngressResource,
  type Logger,
  nowRfc3339Nano,
  silentLogger,
} from '@tributary/core';
import type { RouteContext } from '../http/http-server.js';
import { DEFAULT_MAX_TTL, prepareIngressEvent } from './ingress-event.js';
import {
  type IngressRequestTarget,
  type IngressRoute,
  type IngressTrace,
  serveIngress,
} from './ingress-http.js';
import {
  type IngestResult,
  type PublishReport,
  PublishPath,
  invalidEvents,
} from './publish-path.js';
import { withIngressSpan } from './ingress-span.js';

export { INGRESS_ALLOW } from './ingress-http.js';
export type { IngestResult } from './publish-path.js';

/** Where an ingress puts a broker's events (the runtime wraps `backend.publish(brokerTopic, …)`). */
export interface BrokerIngressTarget {
  /** Resolves once the backend holds every event; rejects with BackendUnavailableError when full. */
  publish(events: CloudEvent[]): Promise<void>;
}

export interface BrokerIngressOptions {
  /** The broker `<ns>/<name>`, or undefined when there is none (→ 404). */
  lookup(namespace: string, name: string): BrokerIngressTarget | undefined;
  /**
   * The publish path the ingress hands events to (the runtime's, whose hook feeds metrics,
   * archive, catalog and the event tap). @default one with `onIngest` as its hook
   */
  readonly publishPath?: PublishPath;
  /** Called once per ingest (HTTP or in-process) with its result, when no `publishPath` is given. */
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

/** Adapts an `onIngest` hook to the publish path's report. */
function ingestHook(onIngest: (r: IngestReport) => void) {
  return (r: PublishReport) =>
    onIngest({
      namespace: r.resource.namespace,
      name: r.resource.name,
      events: r.events,
      status: r.status,
      durationMs: r.durationMs,
      via: r.via,
    });
}

/**
 * Creates the broker ingress (docs/knative-behaviour.md §1, docs/decisions.md D8–D10): the ingress
 * span and TTL rules in front of the one publish path (publish-path.ts).
 */
export function createBrokerIngress(options: BrokerIngressOptions): BrokerIngress {
  const log = options.logger ?? silentLogger;
  const maxTtl = options.maxTtl ?? DEFAULT_MAX_TTL;
  const path =
    options.publishPath ??
    new PublishPath({
      logger: log,
      onPublished: options.onIngest ? ingestHook(options.onIngest) : undefined,
    });

  /**
   * Runs {@link publishEvents} in the ingress span (ingress-span.ts). Not async, so the span's
   * promise is the answer rather than one more wrapped around it; a throw still rejects.
   */
  function ingest(
    namespace: string,
    name: string,
    events: readonly CloudEvent[],
    validated: boolean,
    trace: IngressTrace = {},
  ): Promise<IngestResult> {
    const started = performance.now();
    try {
      return withIngressSpan(
        `broker:${name}.${namespace}`,
        { 'kn.broker.name': name, 'kn.broker.namespace': namespace },
        events,
        trace,
        (traced) => publishEvents(namespace, name, traced, validated, started),
      );
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  async function publishEvents(
    namespace: string,
    name: string,
    events: readonly CloudEvent[],
    validated: boolean,
    started: number,
  ): Promise<IngestResult> {
    const resource = { kind: 'Broker', namespace, name } as const;
    const via = validated ? 'http' : 'in-process';
    const refuse = (r: IngestResult): IngestResult => {
      path.report({ resource, events, status: r.status, via, durationMs: 0 });
      return r;
    };
    const invalid = validated ? undefined : invalidEvents(events);
    if (invalid) return refuse(invalid);
    const target = options.lookup(namespace, name);
    if (!target) return refuse({ status: 404, error: `broker '${namespace}/${name}' not found` });
    const now = nowRfc3339Nano();
    const prepared: CloudEvent[] = [];
    for (const e of events) {
      const r = prepareIngressEvent(e, maxTtl, now);
      if ('error' in r) {
        log.debug(
          { broker: `${namespace}/${name}`, id: e.attributes['id'] },
          'event dropped: TTL used up',
        );
        return refuse({ status: 400, error: r.error });
      }
      prepared.push(r.event);
    }
    // `return await`: returning the promise from an async function costs two more microtask jobs.
    return await path.publish({ resource, publish: (evs) => target.publish(evs) }, prepared, {
      validated: true,
      via,
      started,
      reported: events,
    });
  }

  // One route for every request (it was an object and two closures per request), and one request
  // target per path, kept (bounded: paths come from clients) rather than parsed per request.
  const targets = new Map<string, BrokerRequest>();
  const route: IngressRoute = {
    what: 'broker',
    target: (req, ctx) => {
      if ((req.url ?? '') === '/')
        return { status: 404, error: 'no broker at /: post to /<namespace>/<broker>' };
      const known = targets.get(ctx.path);
      if (known) return known;
      const t = parseBrokerPath(ctx.path);
      if (!t) return { status: 400, error: `path '${ctx.path}' is not /<namespace>/<broker>` };
      const target = new BrokerRequest(t.namespace, t.name, ingest);
      if (targets.size < TARGET_CACHE_LIMIT) targets.set(ctx.path, target);
      return target;
    },
  };

  return {
    matches: () => true,
    handle: (req, res, ctx) => serveIngress(req, res, ctx, route, log),
    ingestEvents: (namespace, name, events) => ingest(namespace, name, events, false),
  };
}

/** Request targets kept per path (a path names a broker whether it exists or not). */
const TARGET_CACHE_LIMIT = 1024;

/** What a `POST /<ns>/<broker>` is for: the broker, and the ingest of its decoded events. */
class BrokerRequest implements IngressRequestTarget {
  readonly resource: IngressResource;
  readonly #ingest: BrokerIngest;

  constructor(namespace: string, name: string, ingest: BrokerIngest) {
    this.resource = { kind: 'Broker', namespace, name };
    this.#ingest = ingest;
  }

  ingest(events: CloudEvent[], trace: IngressTrace): Promise<IngestResult> {
    const { namespace, name } = this.resource;
    return this.#ingest(namespace, name, events, true, trace);
  }
}

type BrokerIngest = (
  namespace: string,
  name: string,
  events: readonly CloudEvent[],
  validated: boolean,
  trace?: IngressTrace,
) => Promise<IngestResult>;
