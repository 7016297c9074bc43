import type { CatalogEventType } from '@tributary/broker';
import { stringify } from 'yaml';
import { CatalogReadError, fetchEventTypes, schemaSummary } from './eventtypes.js';
import type { GetOptions } from './get.js';

/**
 * `tributary get eventtypes [name]`: the catalog (declared and auto-created EventTypes) with
 * schemas; the table shows each schema's top-level fields, json and yaml the whole schema.
 */
export async function getEventTypes(name: string | undefined, opts: GetOptions): Promise<number> {
  let items: CatalogEventType[];
  try {
    items = await fetchEventTypes(opts.server, opts.namespace);
  } catch (err) {
    if (!(err instanceof CatalogReadError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
  if (name) items = items.filter((e) => e.metadata.name === name);
  if (name && items.length === 0) {
    process.stderr.write(`Error from server (404): EventType '${name}' not found\n`);
    return 1;
  }
  const output = opts.output ?? 'table';
  // A Kubernetes List, so the output can be read back as manifests (`tributary codegen -f`).
  const list = { apiVersion: 'v1', kind: 'List', items };
  if (output === 'json') process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
  else if (output === 'yaml') process.stdout.write(stringify(list));
  else if (items.length === 0) process.stderr.write("No resources found matching 'eventtypes'.\n");
  else process.stdout.write(formatEventTypes(items));
  return 0;
}

/** Columns: NAME, NAMESPACE, TYPE, SOURCE, BROKER, ORIGIN, EVENTS, SCHEMA. */
export function formatEventTypes(items: readonly CatalogEventType[]): string {
  const attr = (e: CatalogEventType, n: string) =>
    e.spec.attributes.find((a) => a.name === n)?.value ?? '-';
  const header = ['NAME', 'NAMESPACE', 'TYPE', 'SOURCE', 'BROKER', 'ORIGIN', 'EVENTS', 'SCHEMA'];
  const rows = items.map((e) => [
    e.metadata.name,
    e.metadata.namespace,
    attr(e, 'type'),
    attr(e, 'source'),
    e.spec.reference?.name ?? '-',
    e.status.origin,
    String(e.status.events),
    schemaSummary(e.status.schema),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd();
  return `${[header, ...rows].map(line).join('\n')}\n`;
}
