import type { DeadLetterListResponse, PurgeResponse, RedriveResponse } from '@tributary/broker';
import type { DeadLetterEntryJson } from '@tributary/core';
import { stringify } from 'yaml';

/** As `ADMIN_DEADLETTERS_PATH` in @tributary/broker; not imported, so the CLI starts without the broker. */
const ADMIN_DEADLETTERS_PATH = '/admin/v1/deadletters';

/**
 * `tributary dlq list|show|redrive|purge`: the client of the dead-letter admin API
 * (docs/failed-deliveries.md), with kubectl habits: `--server`, `-n`, `-o table|json|yaml`.
 */

export interface DlqOptions {
  server: string;
  output?: string;
  namespace?: string;
  broker?: string;
  trigger?: string;
  /** A channel's store (its Subscriptions' entries, e.g. Sequence steps): `<ns>/<name>`. */
  channel?: string;
  subscription?: string;
  all?: boolean;
}

type Answer<T> = { ok: true; body: T } | { ok: false };

/** Calls the admin API; prints the error and answers `{ok: false}` on any failure. */
async function call<T>(
  opts: DlqOptions,
  path: string,
  init: { method?: string; body?: unknown; query?: Record<string, string | undefined> } = {},
): Promise<Answer<T>> {
  let url: URL;
  try {
    url = new URL(path, opts.server);
  } catch {
    process.stderr.write(
      `--server '${opts.server}' is not a URL: pass the base URL of a running tributary, e.g. http://127.0.0.1:8080\n`,
    );
    return { ok: false };
  }
  for (const [k, v] of Object.entries(init.query ?? {})) if (v) url.searchParams.set(k, v);
  // The admin token (docs/security.md), when the server requires one.
  const token = process.env['TRIBUTARY_ADMIN_TOKEN'];
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method ?? 'GET',
      headers: {
        accept: 'application/json',
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    process.stderr.write(
      `cannot reach ${opts.server}: ${cause ?? (err as Error).message} (is \`tributary run\` running there? set --server)\n`,
    );
    return { ok: false };
  }
  const body = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (!res.ok) {
    process.stderr.write(`Error from server (${res.status}): ${body.error ?? res.statusText}\n`);
    return { ok: false };
  }
  return { ok: true, body };
}

function print(opts: DlqOptions, value: unknown, table: () => string): void {
  const output = opts.output ?? 'table';
  if (output === 'json') process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else if (output === 'yaml') process.stdout.write(stringify(value));
  else process.stdout.write(table());
}

/**
 * `tributary dlq list [--broker ns/name] [--trigger name] [--channel ns/name] [--subscription name]`:
 * every page, oldest first.
 */
export async function dlqListCommand(opts: DlqOptions): Promise<number> {
  const items: DeadLetterEntryJson[] = [];
  let cursor: string | undefined;
  do {
    const r = await call<DeadLetterListResponse>(opts, ADMIN_DEADLETTERS_PATH, {
      query: {
        broker: opts.broker,
        trigger: opts.trigger,
        channel: opts.channel,
        subscription: opts.subscription,
        namespace: opts.namespace,
        limit: '1000',
        cursor,
      },
    });
    if (!r.ok) return 1;
    items.push(...r.body.items);
    cursor = r.body.next;
  } while (cursor !== undefined);
  if ((opts.output ?? 'table') === 'table' && items.length === 0) {
    process.stderr.write('No dead-letter entries found.\n');
    return 0;
  }
  print(opts, { items }, () => formatEntryTable(items));
  return 0;
}

/** `tributary dlq show <id>`: one entry (table: its fields as `key: value` lines). */
export async function dlqShowCommand(id: string, opts: DlqOptions): Promise<number> {
  const r = await call<DeadLetterEntryJson>(
    opts,
    `${ADMIN_DEADLETTERS_PATH}/${encodeURIComponent(id)}`,
  );
  if (!r.ok) return 1;
  print(opts, r.body, () => stringify(r.body));
  return 0;
}

/** The request body of redrive and purge: ids, or `all` narrowed by --broker/--trigger/-n. */
function selection(ids: readonly string[], opts: DlqOptions): object | undefined {
  if (ids.length > 0 && opts.all) {
    process.stderr.write('give entry ids or --all, not both\n');
    return undefined;
  }
  if (ids.length > 0) return { ids };
  if (!opts.all) {
    process.stderr.write('name entry ids (see `tributary dlq list`) or pass --all\n');
    return undefined;
  }
  return {
    all: true,
    ...(opts.broker ? { broker: opts.broker } : {}),
    ...(opts.trigger ? { trigger: opts.trigger } : {}),
    ...(opts.channel ? { channel: opts.channel } : {}),
    ...(opts.subscription ? { subscription: opts.subscription } : {}),
    ...(opts.namespace ? { namespace: opts.namespace } : {}),
  };
}

/** `tributary dlq redrive (<id>... | --all) [--trigger name]`: exits 1 when any entry failed. */
export async function dlqRedriveCommand(ids: string[], opts: DlqOptions): Promise<number> {
  const body = selection(ids, opts);
  if (!body) return 1;
  const r = await call<RedriveResponse>(opts, `${ADMIN_DEADLETTERS_PATH}/redrive`, {
    method: 'POST',
    body,
  });
  if (!r.ok) return 1;
  const results = r.body.results;
  print(opts, r.body, () =>
    results.length === 0
      ? 'No dead-letter entries matched.\n'
      : columns(
          ['ID', 'OUTCOME', 'ERROR'],
          results.map((x) => [x.id, x.outcome, x.error ?? '']),
        ),
  );
  return results.some((x) => x.outcome === 'failed' || x.outcome === 'not-found') ? 1 : 0;
}

/** `tributary dlq purge (<id>... | --all)`. */
export async function dlqPurgeCommand(ids: string[], opts: DlqOptions): Promise<number> {
  const body = selection(ids, opts);
  if (!body) return 1;
  const r = await call<PurgeResponse>(opts, `${ADMIN_DEADLETTERS_PATH}/purge`, {
    method: 'POST',
    body,
  });
  if (!r.ok) return 1;
  print(opts, r.body, () => `${r.body.purged} dead-letter entries purged.\n`);
  return 0;
}

/**
 * kubectl-like columns: ID, BROKER, OWNER, TYPE, EVENT-ID, ATTEMPTS, LAST-STATUS, DEAD-LETTERED.
 * A Subscription's entry lives in its channel's store: BROKER shows `channel:<ns>/<name>`.
 */
export function formatEntryTable(items: readonly DeadLetterEntryJson[]): string {
  const header = ['ID', 'BROKER', 'OWNER', 'TYPE', 'EVENT-ID', 'ATTEMPTS', 'LAST-STATUS'];
  header.push('DEAD-LETTERED');
  const rows = items.map((e) => {
    const last = e.attempts[e.attempts.length - 1];
    return [
      e.id,
      `${e.owner.kind === 'Subscription' ? 'channel:' : ''}${e.broker.namespace}/${e.broker.name}`,
      `${e.owner.kind.toLowerCase()}/${e.owner.name}`,
      e.event.attributes['type'] ?? '',
      e.event.attributes['id'] ?? '',
      String(e.attempts.length),
      last ? (last.status === null ? (last.error ?? 'error') : String(last.status)) : '',
      e.deadLetteredAt,
    ];
  });
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
