import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from '../http/http-error.js';
import type {
  HttpServer,
  RouteContext,
  RouteHandler,
  RouteMatcher,
  RouteOptions,
} from '../http/http-server.js';

interface PluginRoute {
  readonly method: string;
  readonly matcher: RouteMatcher;
  readonly handler: RouteHandler;
}

/**
 * The routes of the current plugin generation. Plugins get a server facade whose `route` adds
 * here; the real server holds two fixed proxy routes (one normal, one fallback) that look the
 * request up in the current generation, so a reload can drop every plugin route and let the new
 * plugins add theirs without restarting the HTTP server.
 */
export class PluginRoutes {
  #normal: PluginRoute[] = [];
  #fallback: PluginRoute[] = [];

  /** Adds the proxy routes to `server`. Call before the ingress fallback route is added. */
  install(server: HttpServer): void {
    server.route(
      '*',
      (path, req) => this.#find(this.#normal, path, req),
      this.#handler(this.#normalList),
    );
    server.route(
      '*',
      (path, req) => this.#find(this.#fallback, path, req),
      this.#handler(this.#fallbackList),
      {
        fallback: true,
      },
    );
  }

  /** The server as plugins see it: `route` registers into the current generation. */
  facade(server: HttpServer): HttpServer {
    const self: HttpServer = {
      route: (method: string, matcher: RouteMatcher, handler: RouteHandler, o?: RouteOptions) => {
        const list = o?.fallback ? this.#fallback : this.#normal;
        list.push({ method: method === '*' ? '*' : method.toUpperCase(), matcher, handler });
        return self;
      },
      listen: () => server.listen(),
      address: () => server.address(),
      close: (o) => server.close(o),
    };
    return self;
  }

  /** Forgets every plugin route (before a new plugin generation registers). */
  clear(): void {
    this.#normal = [];
    this.#fallback = [];
  }

  readonly #normalList = () => this.#normal;
  readonly #fallbackList = () => this.#fallback;

  #find(list: readonly PluginRoute[], path: string, req: IncomingMessage): boolean {
    return list.some((r) => params(r.matcher, path, req) !== undefined);
  }

  #handler(list: () => readonly PluginRoute[]): RouteHandler {
    return async (req: IncomingMessage, res: ServerResponse, ctx: RouteContext) => {
      const method = (req.method ?? 'GET').toUpperCase();
      const allowed: string[] = [];
      for (const r of list()) {
        const p = params(r.matcher, ctx.path, req);
        if (p === undefined) continue;
        if (r.method !== '*' && r.method !== method) {
          allowed.push(r.method);
          continue;
        }
        await r.handler(req, res, { ...ctx, params: p, readBody: ctx.readBody });
        return;
      }
      if (allowed.length > 0)
        throw new HttpError(405, `method ${method} is not allowed on ${ctx.path}`, {
          allow: allowed.join(', '),
        });
      throw new HttpError(404, `no route for ${method} ${ctx.path}`);
    };
  }
}

function params(
  m: RouteMatcher,
  path: string,
  req: IncomingMessage,
): Record<string, string> | undefined {
  if (typeof m === 'string') return m === path ? {} : undefined;
  if (m instanceof RegExp) {
    const r = m.exec(path);
    return r ? { ...r.groups } : undefined;
  }
  return m(path, req) ? {} : undefined;
}
