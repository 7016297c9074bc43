/**
 * The catalog's admin API (docs/event-catalog.md):
 * - `GET /admin/v1/eventtypes[?namespace=&broker=&type=]` → `{ items: EventType[] }`, each with
 *   `status.schema`;
 * - `GET /admin/v1/eventtypes/<ns>/<name>` → one EventType;
 * - `GET /admin/v1/eventtypes/<ns>/<name>/schema` → its JSON Schema (`application/schema+json`).
 */
import { HttpError, sendJson } from '../http/http-error.js';
import type { HttpServer } from '../http/http-server.js';
import type { CatalogEventType, EventCatalog } from './event-catalog.js';

/** Path of the EventType list. */
export const ADMIN_EVENTTYPES_PATH = '/admin/v1/eventtypes';

/** Answer of `GET /admin/v1/eventtypes`. */
export interface EventTypeList {
  readonly items: readonly CatalogEventType[];
}

const ONE = /^\/admin\/v1\/eventtypes\/(?<ns>[^/]+)\/(?<name>[^/]+)(?<schema>\/schema)?\/?$/;

/** Registers the catalog routes; `catalog()` is looked up per request (reloads replace it). */
export function registerCatalogRoutes(server: HttpServer, catalog: () => EventCatalog): void {
  server.route('GET', ADMIN_EVENTTYPES_PATH, async (_req, res, ctx) => {
    const c = catalog();
    await c.settle();
    const ns = ctx.query.get('namespace');
    const broker = ctx.query.get('broker');
    const type = ctx.query.get('type');
    const items = c
      .list()
      .filter((e) => !ns || e.metadata.namespace === ns)
      .filter((e) => !broker || e.spec.reference?.name === broker)
      .filter((e) => !type || e.spec.attributes.some((a) => a.name === 'type' && a.value === type));
    sendJson(res, 200, { items } satisfies EventTypeList);
  });
  server.route('GET', ONE, async (_req, res, ctx) => {
    const c = catalog();
    await c.settle();
    const { ns = '', name = '', schema } = ctx.params;
    const item = c.list().find((e) => e.metadata.namespace === ns && e.metadata.name === name);
    if (!item)
      throw new HttpError(
        404,
        `EventType '${ns}/${name}' not found; list them with GET ${ADMIN_EVENTTYPES_PATH}`,
      );
    if (!schema) return sendJson(res, 200, item);
    if (!item.status.schema)
      throw new HttpError(
        404,
        `EventType '${ns}/${name}' has no schema yet: no sample with JSON data was seen, and none is declared`,
      );
    const body = JSON.stringify(item.status.schema);
    res.writeHead(200, {
      'content-type': 'application/schema+json',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  });
}
