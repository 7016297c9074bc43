import type { IncomingMessage } from 'node:http';
import { type DeadLetterEntryJson, deadLetterEntryToJson } from '@tributary/core';
import { HttpError, sendJson } from '../http/http-error.js';
import type { HttpServer, RouteContext } from '../http/http-server.js';
import type {
  BrokerRef,
  DeadLetterService,
  EntrySelection,
  RedriveOutcome,
} from './dead-letter-service.js';

/**
 * The dead-letter admin API under `/admin/v1/deadletters` (docs/failed-deliveries.md):
 * list, get, redrive, purge. `tributary dlq` is its client.
 */

/** Base path of the dead-letter admin API. */
export const ADMIN_DEADLETTERS_PATH = '/admin/v1/deadletters';

/** Answer of `GET /admin/v1/deadletters`. */
export interface DeadLetterListResponse {
  readonly items: readonly DeadLetterEntryJson[];
  readonly next?: string;
}

/** Answer of `POST /admin/v1/deadletters/redrive`. */
export interface RedriveResponse {
  readonly results: readonly RedriveOutcome[];
}

/** Answer of `POST /admin/v1/deadletters/purge`. */
export interface PurgeResponse {
  readonly purged: number;
}

/** Options of {@link registerDeadLetterRoutes}. */
export interface DeadLetterRoutesOptions {
  /** Called before redrive and purge; throws an HttpError (401/403) to refuse. */
  readonly authorizeWrite?: ((req: IncomingMessage) => void | Promise<void>) | undefined;
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
const MAX_IDS = 10_000;

export function registerDeadLetterRoutes(
  server: HttpServer,
  service: DeadLetterService,
  options: DeadLetterRoutesOptions = {},
): void {
  const P = ADMIN_DEADLETTERS_PATH;
  server.route('GET', P, async (_req, res, ctx) => {
    sendJson(res, 200, await list(service, ctx.query));
  });
  server.route('POST', `${P}/redrive`, async (req, res, ctx) => {
    await options.authorizeWrite?.(req);
    const ids = await idsOf(service, await readJson(ctx));
    sendJson(res, 200, { results: await service.redrive(ids) } satisfies RedriveResponse);
  });
  server.route('POST', `${P}/purge`, async (req, res, ctx) => {
    await options.authorizeWrite?.(req);
    const ids = await idsOf(service, await readJson(ctx));
    sendJson(res, 200, { purged: await service.purge(ids) } satisfies PurgeResponse);
  });
  server.route('GET', /^\/admin\/v1\/deadletters\/(?<id>[^/]+)$/, async (_req, res, ctx) => {
    const id = decodeURIComponent(ctx.params['id'] ?? '');
    const found = await service.get(id);
    if (!found) throw new HttpError(404, `dead-letter entry '${id}' not found`);
    sendJson(res, 200, deadLetterEntryToJson(found.entry));
  });
}

/** `broker=<ns>/<name>` → ref, or a 400 saying the expected form. */
export function parseBrokerParam(value: string): BrokerRef {
  return parseRefParam('broker', value, 'default/default');
}

function parseRefParam(field: string, value: string, example: string): BrokerRef {
  const m = /^([^/\s]+)\/([^/\s]+)$/.exec(value);
  if (!m)
    throw new HttpError(
      400,
      `${field} '${value}' is not <namespace>/<name>, e.g. ${example.includes('/') ? example : `default/${example}`}`,
    );
  return { namespace: m[1]!, name: m[2]! };
}

async function list(
  service: DeadLetterService,
  q: URLSearchParams,
): Promise<DeadLetterListResponse> {
  const limitText = q.get('limit');
  const limit = limitText === null || limitText === '' ? DEFAULT_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    throw new HttpError(400, `limit '${limitText}' must be an integer from 1 to ${MAX_LIMIT}`);
  const sel = selectionOf(service, {
    broker: q.get('broker') ?? undefined,
    channel: q.get('channel') ?? undefined,
    trigger: q.get('trigger') ?? undefined,
    subscription: q.get('subscription') ?? undefined,
    namespace: q.get('namespace') ?? undefined,
  });
  const stores = service.stores(sel);
  const cursorText = q.get('cursor');
  let at = 0;
  let storeCursor: string | undefined;
  if (cursorText) {
    const c = decodeCursor(cursorText);
    at = stores.findIndex((s) => s.key === c.b);
    if (at < 0)
      throw new HttpError(
        400,
        `cursor '${cursorText}' names a broker or channel that is not running`,
      );
    storeCursor = c.c;
  }
  const items: DeadLetterEntryJson[] = [];
  for (; at < stores.length; at++, storeCursor = undefined) {
    const { key, store } = stores[at]!;
    const page = await store.list({
      owner: sel.owner,
      namespace: sel.namespace,
      limit: limit - items.length,
      cursor: storeCursor,
    });
    items.push(...page.items.map(deadLetterEntryToJson));
    if (page.next !== undefined) return { items, next: encodeCursor({ b: key, c: page.next }) };
    if (items.length === limit) {
      const following = stores[at + 1];
      return following ? { items, next: encodeCursor({ b: following.key }) } : { items };
    }
  }
  return { items };
}

/**
 * The filters of a list or bulk operation. `broker`/`trigger` select Trigger entries (broker
 * stores), `channel`/`subscription` Subscription entries (channel stores); mixing the two is a 400.
 */
function selectionOf(
  service: DeadLetterService,
  p: {
    broker?: unknown;
    channel?: unknown;
    trigger?: unknown;
    subscription?: unknown;
    namespace?: unknown;
  },
): EntrySelection {
  const text = (field: string, v: unknown): string | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || v === '')
      throw new HttpError(400, `${field} must be a non-empty string, got ${JSON.stringify(v)}`);
    return v;
  };
  const brokerText = text('broker', p.broker);
  const channelText = text('channel', p.channel);
  const trigger = text('trigger', p.trigger);
  const subscription = text('subscription', p.subscription);
  const brokerSide = brokerText ?? trigger;
  const channelSide = channelText ?? subscription;
  if (brokerSide !== undefined && channelSide !== undefined)
    throw new HttpError(
      400,
      `${brokerText !== undefined ? 'broker' : 'trigger'} and ${channelText !== undefined ? 'channel' : 'subscription'} cannot be combined: broker and trigger select Trigger entries, channel and subscription select Subscription entries; give one side`,
    );
  const broker = brokerText === undefined ? undefined : parseBrokerParam(brokerText);
  if (broker && !service.store(broker))
    throw new HttpError(
      404,
      `broker '${brokerText}' is not running (see \`tributary get brokers\`)`,
    );
  const channel =
    channelText === undefined
      ? undefined
      : parseRefParam('channel', channelText, 'my-seq-kn-sequence-0');
  if (channel && !service.channelStore(channel))
    throw new HttpError(
      404,
      `channel '${channelText}' is not running (see \`tributary get channels\`, \`tributary get sequences\`)`,
    );
  return {
    broker,
    channel,
    scope: brokerSide !== undefined ? 'broker' : channelSide !== undefined ? 'channel' : undefined,
    owner: trigger ?? subscription,
    namespace: text('namespace', p.namespace),
  };
}

async function readJson(ctx: RouteContext): Promise<Record<string, unknown>> {
  const raw = await ctx.readBody();
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpError(400, 'body must be JSON: {"ids": ["<id>", …]} or {"all": true}');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new HttpError(400, 'body must be a JSON object: {"ids": ["<id>", …]} or {"all": true}');
  return body as Record<string, unknown>;
}

/** `{ids}` or `{all: true, broker?, trigger?, namespace?}` → the ids to act on. */
async function idsOf(service: DeadLetterService, body: Record<string, unknown>): Promise<string[]> {
  const { ids, all } = body;
  if (ids !== undefined && all !== undefined)
    throw new HttpError(400, 'give either "ids" or "all", not both');
  if (ids !== undefined) {
    if (
      !Array.isArray(ids) ||
      ids.length === 0 ||
      ids.some((i) => typeof i !== 'string' || i === '')
    )
      throw new HttpError(400, '"ids" must be a non-empty array of entry ids (strings)');
    if (ids.length > MAX_IDS) throw new HttpError(400, `"ids" may name at most ${MAX_IDS} entries`);
    return [...new Set(ids as string[])];
  }
  if (all !== true)
    throw new HttpError(
      400,
      'body needs "ids": ["<id>", …] or "all": true (with optional "broker", "trigger", "channel", "subscription", "namespace")',
    );
  return service.select(selectionOf(service, body));
}

function encodeCursor(c: { b: string; c?: string }): string {
  return Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
}

function decodeCursor(text: string): { b: string; c?: string } {
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as {
      b?: unknown;
      c?: unknown;
    };
    if (typeof c.b === 'string' && (c.c === undefined || typeof c.c === 'string'))
      return c.c === undefined ? { b: c.b } : { b: c.b, c: c.c };
  } catch {
    // falls through to the 400
  }
  throw new HttpError(
    400,
    `cursor '${text}' is not a cursor this API returned (pass "next" as is)`,
  );
}
