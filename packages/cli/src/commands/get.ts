import { ADMIN_RESOURCES_PATH, kindMatches, type ResourceRow } from '@tributary/broker';
import { ADMIN_JOBS_PATH, type JobRecord } from '@tributary/serving';
import { stringify } from 'yaml';
import { getEventTypes } from './get-eventtypes.js';

export interface GetOptions {
  server: string;
  output?: string;
  namespace?: string;
}

/**
 * `tributary get <kind> [name]`: asks a running instance's admin API for resources and their
 * Ready condition and prints them like kubectl (table, `-o json` or `-o yaml`).
 */
export async function getCommand(
  kind: string,
  name: string | undefined,
  opts: GetOptions,
): Promise<number> {
  if (kindMatches('EventType', kind)) return getEventTypes(name, opts);
  const jobs = kindMatches('job', kind);
  let base: URL;
  try {
    base = new URL(jobs ? ADMIN_JOBS_PATH : ADMIN_RESOURCES_PATH, opts.server);
  } catch {
    process.stderr.write(
      `--server '${opts.server}' is not a URL: pass the base URL of a running tributary, e.g. http://127.0.0.1:8080\n`,
    );
    return 1;
  }
  if (kind.toLowerCase() !== 'all' && !jobs) base.searchParams.set('kind', kind);
  if (name) base.searchParams.set('name', name);
  if (opts.namespace) base.searchParams.set('namespace', opts.namespace);
  let res: Response;
  try {
    // The admin token of `--admin-token-file` (docs/security.md), when the server requires one.
    const token = process.env['TRIBUTARY_ADMIN_TOKEN'];
    res = await fetch(base, {
      headers: {
        accept: 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
    });
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    process.stderr.write(
      `cannot reach ${opts.server}: ${cause ?? (err as Error).message} (is \`tributary run\` running there? set --server)\n`,
    );
    return 1;
  }
  const body = (await res.json().catch(() => ({}))) as { items?: ResourceRow[]; error?: string };
  if (!res.ok) {
    process.stderr.write(`Error from server (${res.status}): ${body.error ?? res.statusText}\n`);
    return 1;
  }
  const items = body.items ?? [];
  const output = opts.output ?? 'table';
  if (output === 'json') process.stdout.write(`${JSON.stringify({ items }, null, 2)}\n`);
  else if (output === 'yaml') process.stdout.write(stringify({ items }));
  else if (items.length === 0) process.stderr.write(`No resources found matching '${kind}'.\n`);
  else if (jobs) process.stdout.write(formatJobTable(items as unknown as JobRecord[]));
  else process.stdout.write(formatTable(items, kind.toLowerCase() === 'all'));
  return 0;
}

/** kubectl-like columns: NAME, NAMESPACE, READY, REASON, MESSAGE (KIND first for `get all`). */
export function formatTable(items: readonly ResourceRow[], withKind: boolean): string {
  const header = [...(withKind ? ['KIND'] : []), 'NAME', 'NAMESPACE', 'READY', 'REASON', 'MESSAGE'];
  const rows = items.map((r) => [
    ...(withKind ? [r.kind] : []),
    r.name,
    r.namespace,
    r.ready ? 'True' : 'False',
    r.reason,
    r.message.replace(/\s+/g, ' '),
  ]);
  return columns(header, rows);
}

/** `tributary get jobs`: NAME, NAMESPACE, JOBSINK, STATUS, COMPLETIONS, FAILED, SOURCE, ID, MESSAGE (docs/jobs.md). */
export function formatJobTable(items: readonly JobRecord[]): string {
  const header = ['NAME', 'NAMESPACE', 'JOBSINK', 'STATUS', 'COMPLETIONS', 'FAILED'];
  header.push('SOURCE', 'ID', 'MESSAGE');
  const rows = items.map((j) => [
    j.name,
    j.namespace,
    j.jobsink,
    j.status,
    `${j.succeeded}/${j.completions}`,
    String(j.failed),
    j.source,
    j.id,
    j.message.replace(/\s+/g, ' '),
  ]);
  return columns(header, rows);
}

function columns(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd();
  return `${[header, ...rows].map(line).join('\n')}\n`;
}
