/**
 * Reading the event catalog: from a running tributary's admin API, or from EventTypes in
 * manifests (their `tributary.dev/data-schema` annotation or `status.schema`).
 */
import {
  ADMIN_EVENTTYPES_PATH,
  type CatalogEventType,
  EventCatalog,
  type EventTypeList,
} from '@tributary/broker';
import { formatProblem } from '@tributary/core';
import { CatalogReadError } from '../errors.js';
import { loadAll } from './manifests.js';

export { CatalogReadError } from '../errors.js';

/** `GET /admin/v1/eventtypes` of the server at `server`. */
export async function fetchEventTypes(
  server: string,
  namespace?: string,
): Promise<CatalogEventType[]> {
  let url: URL;
  try {
    url = new URL(ADMIN_EVENTTYPES_PATH, server);
  } catch {
    throw new CatalogReadError(
      `--server '${server}' is not a URL: pass the base URL of a running tributary, e.g. http://127.0.0.1:8080`,
    );
  }
  if (namespace) url.searchParams.set('namespace', namespace);
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json' } });
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    throw new CatalogReadError(
      `cannot reach ${server}: ${cause ?? (err as Error).message} (is \`tributary run\` running there? set --server)`,
    );
  }
  const body = (await res.json().catch(() => ({}))) as Partial<EventTypeList> & { error?: string };
  if (!res.ok)
    throw new CatalogReadError(
      `Error from server (${res.status}): ${body.error ?? res.statusText}`,
    );
  return [...(body.items ?? [])];
}

/** The EventTypes declared in manifests, as the catalog would list them. */
export async function eventTypesFromManifests(files: string[]): Promise<CatalogEventType[]> {
  const { topology, problems } = await loadAll(files);
  if (problems.length > 0)
    throw new CatalogReadError(
      `${problems.map(formatProblem).join('\n')}\n${problems.length} problem(s) found`,
    );
  return new EventCatalog(topology).list();
}

/** Top-level fields of a schema, `?` marking optional ones: `object{orderId,total,coupon?}`. */
export function schemaSummary(schema: Record<string, unknown> | undefined): string {
  if (!schema) return '-';
  const type = schema['type'];
  const props = schema['properties'];
  if (type === 'object' && props && typeof props === 'object') {
    const required = new Set((schema['required'] as string[] | undefined) ?? []);
    const fields = Object.keys(props).map((k) => (required.has(k) ? k : `${k}?`));
    const text = `object{${fields.join(',')}}`;
    return text.length > 60 ? `${text.slice(0, 57)}...}` : text;
  }
  if (Array.isArray(type)) return type.join('|');
  if (typeof type === 'string') return type;
  if (Array.isArray(schema['anyOf'])) return 'anyOf';
  return 'any';
}
