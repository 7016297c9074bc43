/**
 * The console's calls to the server: the admin API (`/admin/v1/…`, the same the CLI uses) and the
 * console's own read API (`/console/api/…`). A 404 from an admin endpoint means this server does
 * not have that feature; callers show "not available on this server".
 */

export class NotAvailable extends Error {
  constructor(readonly path: string) {
    super(`${path} is not available on this server`);
  }
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    credentials: 'same-origin',
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const message = (json as { error?: string } | undefined)?.error;
  // The server's answer for an admin path it has no endpoint for (or a server too old to say so).
  if (
    (res.status === 404 && (message === undefined || message.startsWith('no admin endpoint'))) ||
    res.status === 405
  )
    throw new NotAvailable(path);
  if (!res.ok) {
    const err = (json as { error?: string } | undefined)?.error ?? (text || res.statusText);
    throw new ApiError(res.status, err);
  }
  return json as T;
}

export const get = <T>(path: string) => call<T>('GET', path);
export const post = <T>(path: string, body?: unknown) => call<T>('POST', path, body ?? {});
export const del = <T>(path: string) => call<T>('DELETE', path);

export interface ResourceRow {
  kind: string;
  namespace: string;
  name: string;
  ready: boolean;
  reason: string;
  message: string;
}

export interface GraphNode {
  id: string;
  kind: string;
  namespace: string;
  name: string;
  loaded: boolean;
}
export interface GraphEdge {
  from: string;
  to: string;
  kind: 'delivery' | 'reply' | 'dead-letter' | 'filter';
  label?: string;
}
export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export interface TriggerStats {
  namespace: string;
  broker: string;
  trigger: string;
  delivered: number;
  failed: number;
  filtered: number;
  backlog?: number;
  latency: Array<{ le: number | null; count: number }>;
}
export interface Stats {
  time: number;
  triggers: TriggerStats[];
}

export interface EventJson {
  attributes: Record<string, string>;
  data?: string;
  dataEncoding?: 'utf8' | 'base64';
}

export interface DeadLetterEntry {
  id: string;
  broker: { namespace: string; name: string };
  owner: { kind: string; namespace: string; name: string };
  event: EventJson;
  attempts: Array<{ time: string; status?: number; error?: string }>;
  lastResponseBody?: string;
  errorExtensions: Record<string, string>;
  deadLetteredAt: string;
}

export interface RedriveResult {
  id: string;
  outcome: 'delivered' | 'dead-lettered-again' | 'not-found' | 'failed';
  error?: string;
}

export const resourcePath = (kind: string, ns: string, name: string) =>
  `/console/resources/${encodeURIComponent(kind)}/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`;

/** Pretty-prints event data: JSON indented, text as is, base64 as is (marked by the caller). */
export function prettyData(e: EventJson): string {
  if (e.data === undefined) return '';
  if (e.dataEncoding === 'base64') return e.data;
  try {
    return JSON.stringify(JSON.parse(e.data), null, 2);
  } catch {
    return e.data;
  }
}
