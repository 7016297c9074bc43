import { type Topology, redactUrlsInText } from '@tributary/core';
import { HttpError, sendJson } from '../http/http-error.js';
import type { HttpServer } from '../http/http-server.js';
import type { ResourceStatus, StatusBoard } from '../runtime/resource-status.js';
import type { RuntimeMetrics } from './metrics.js';

/**
 * The operations endpoints of a runtime: `GET /metrics` (Prometheus text format) and the read-only
 * admin API `GET /admin/v1/resources` that `tributary get` talks to (docs/operations.md).
 */

/** Every admin endpoint is under this prefix; unknown paths below it answer 404. */
export const ADMIN_API_PREFIX = '/admin/v1/';

/** Start of the 404 message for an admin path no endpoint answers. */
export const NO_ADMIN_ENDPOINT = 'no admin endpoint';

/** Path of the admin API's resource list. */
export const ADMIN_RESOURCES_PATH = '/admin/v1/resources';

/** One row of `GET /admin/v1/resources`: a resource and its Ready condition. */
export interface ResourceRow extends ResourceStatus {
  readonly apiVersion?: string | undefined;
}

/** Answer of `GET /admin/v1/resources`. */
export interface ResourceList {
  readonly items: readonly ResourceRow[];
}

/**
 * True when `query` names `kind` the way kubectl accepts it: case-insensitive, singular or plural
 * (`trigger`, `Triggers`, `pingsources`, `brokers`).
 */
export function kindMatches(kind: string, query: string): boolean {
  const k = kind.toLowerCase();
  const q = query.toLowerCase();
  return (
    q === k || q === `${k}s` || q === `${k}es` || (k.endsWith('y') && q === `${k.slice(0, -1)}ies`)
  );
}

/**
 * Every resource of the topology with its Ready condition: what the runtime reported, else what
 * loading found (a missing dependency), else Ready with reason `Accepted` (a resource that has
 * no running part, e.g. a ConfigMap). Status entries of parts not in the manifests come last.
 */
export function listResources(topology: Topology, statuses: StatusBoard): ResourceRow[] {
  const reported = new Map(statuses.list().map((s) => [`${s.kind}/${s.namespace}/${s.name}`, s]));
  const rows: ResourceRow[] = [];
  for (const r of topology.resources) {
    const key = `${r.kind}/${r.metadata.namespace}/${r.metadata.name}`;
    const live = reported.get(key);
    reported.delete(key);
    if (live) {
      rows.push({ ...live, apiVersion: r.apiVersion });
      continue;
    }
    const loaded = topology.statusOf(r.kind, r.metadata.namespace, r.metadata.name);
    const first = loaded?.reasons[0];
    rows.push({
      apiVersion: r.apiVersion,
      kind: r.kind,
      namespace: r.metadata.namespace,
      name: r.metadata.name,
      ready: first === undefined,
      reason: first?.reason ?? 'Accepted',
      message: loaded?.reasons.map((x) => x.message).join('; ') ?? '',
    });
  }
  rows.push(...reported.values());
  return rows;
}

/** Registers `GET /metrics` and `GET /admin/v1/resources` on the server. */
export function registerOperationsRoutes(
  server: HttpServer,
  deps: {
    metrics: RuntimeMetrics;
    topology: () => Topology;
    statuses: StatusBoard;
    /** Hides Secret values and URL credentials in answers (docs/security.md). */
    scrub?: ((text: string) => string) | undefined;
  },
): void {
  const scrub = deps.scrub ?? redactUrlsInText;
  server.route('GET', '/metrics', async (_req, res) => {
    const text = scrub(await deps.metrics.render());
    res.writeHead(200, {
      'content-type': deps.metrics.registry.contentType,
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  });
  server.route('GET', ADMIN_RESOURCES_PATH, (_req, res, ctx) => {
    const kind = ctx.query.get('kind');
    const namespace = ctx.query.get('namespace');
    const name = ctx.query.get('name');
    let items = listResources(deps.topology(), deps.statuses);
    if (kind) items = items.filter((r) => kindMatches(r.kind, kind));
    if (namespace) items = items.filter((r) => r.namespace === namespace);
    if (name) items = items.filter((r) => r.name === name);
    if (name && items.length === 0)
      throw new HttpError(
        404,
        `${kind ?? 'resource'} '${namespace ? `${namespace}/` : ''}${name}' not found`,
      );
    const list: ResourceList = {
      items: items.map((r) => (r.message ? { ...r, message: scrub(r.message) } : r)),
    };
    sendJson(res, 200, list);
  });
}
