import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './http-error.js';
import type { RouteContext, RouteHandler, RouteMatcher, RouteOptions } from './http-server.js';
import { withParams } from './request-context.js';

/**
 * Routes that can be dropped together (`HttpServer.group()`): a runtime puts each plugin
 * generation's routes in one, so a reload clears them and the next generation adds its own
 * without restarting the server. A group holds its place in the server's route order (its
 * fallback routes before fallbacks registered after it), and answers 405 for a path it has with
 * another method.
 */
export interface RouteGroup {
  route(
    method: string | '*',
    matcher: RouteMatcher,
    handler: RouteHandler,
    options?: RouteOptions,
  ): RouteGroup;
  /** Drops every route of the group. */
  clear(): void;
}

interface GroupRoute {
  readonly method: string;
  readonly matcher: RouteMatcher;
  readonly handler: RouteHandler;
}

/** A group whose two entries (normal, fallback) `add` puts into the server's route list. */
export function createRouteGroup(
  add: (matcher: RouteMatcher, handler: RouteHandler, options: RouteOptions) => void,
): RouteGroup {
  let normal: GroupRoute[] = [];
  let fallback: GroupRoute[] = [];
  const find = (list: () => readonly GroupRoute[]) => (path: string, req: IncomingMessage) =>
    list().some((r) => matchRoute(r.matcher, path, req) !== undefined);
  const handle =
    (list: () => readonly GroupRoute[]): RouteHandler =>
    async (req: IncomingMessage, res: ServerResponse, ctx: RouteContext) => {
      const method = (req.method ?? 'GET').toUpperCase();
      const allowed: string[] = [];
      for (const r of list()) {
        const params = matchRoute(r.matcher, ctx.path, req);
        if (params === undefined) continue;
        if (r.method !== '*' && r.method !== method) {
          allowed.push(r.method);
          continue;
        }
        await r.handler(req, res, withParams(ctx, params));
        return;
      }
      if (allowed.length > 0)
        throw new HttpError(405, `method ${method} is not allowed on ${ctx.path}`, {
          allow: allowed.join(', '),
        });
      throw new HttpError(404, `no route for ${method} ${ctx.path}`);
    };
  add(
    find(() => normal),
    handle(() => normal),
    {},
  );
  add(
    find(() => fallback),
    handle(() => fallback),
    { fallback: true },
  );
  const group: RouteGroup = {
    route(method, matcher, handler, o) {
      const entry = { method: method === '*' ? '*' : method.toUpperCase(), matcher, handler };
      if (o?.fallback) fallback.push(entry);
      else normal.push(entry);
      return group;
    },
    clear() {
      normal = [];
      fallback = [];
    },
  };
  return group;
}

/** The params of a matching route (named RegExp groups), or undefined when it does not match. */
export function matchRoute(
  m: RouteMatcher,
  path: string,
  req: IncomingMessage,
): Record<string, string> | undefined {
  if (typeof m === 'string') return m === path ? NO_PARAMS : undefined;
  if (m instanceof RegExp) {
    const r = m.exec(path);
    return r ? { ...r.groups } : undefined;
  }
  return m(path, req) ? NO_PARAMS : undefined;
}

/** The params of a match without named groups: one frozen object, not one per request. */
const NO_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;
