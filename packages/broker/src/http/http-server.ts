import { ADMIN_LOGIN_PATH, handleAdminLogin } from './admin-login.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type * as Https from 'node:https';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import {
  type AuthorizationDecision,
  type CloudEvent,
  type IngressAuthorizer,
  type IngressResource,
  type Logger,
  silentLogger,
} from '@tributary/core';
import { HttpError, sendError, sendJson } from './http-error.js';
import { DEFAULT_MAX_BODY_BYTES } from './read-body.js';
import { RequestContext } from './request-context.js';
import { type RouteGroup, createRouteGroup, matchRoute } from './route-group.js';
import {
  type AdminAccess,
  DEFAULT_LIMITS,
  type ServerLimits,
  type TlsFiles,
  applyLimits,
  checkAdminAccess,
  isAdminPath,
  isLoopback,
  readTlsOptions,
  watchTlsFiles,
} from './server-security.js';

/** node:https (and node:tls with it) loads only for a TLS server: ~2 ms of every other start. */
const httpsModule = () => createRequire(import.meta.url)('node:https') as typeof Https;

/** Matches a request path (without query): exact string, RegExp (named groups become params) or predicate. */
export type RouteMatcher = string | RegExp | ((path: string, req: IncomingMessage) => boolean);

/** What a route handler gets besides the request and response. */
export interface RouteContext {
  /** The request path without the query string, exactly as sent (not percent-decoded). */
  readonly path: string;
  /** The query string parameters. */
  readonly query: URLSearchParams;
  /** Named groups of a RegExp matcher. */
  readonly params: Readonly<Record<string, string>>;
  /** The server's body limit. */
  readonly maxBodyBytes: number;
  /** Reads the body, throwing HttpError 413 beyond `limit` (default: the server's limit). */
  readBody(limit?: number): Promise<Buffer>;
  /**
   * Asks the ingress authorizer (docs/security.md) whether this request may publish `events` to
   * `resource`; allowed when the server has no authorizer (then answered at once, not in a
   * promise: awaiting nothing cost a suspension of the ingress per request).
   */
  authorize?(
    resource: IngressResource,
    events: readonly CloudEvent[],
  ): AuthorizationDecision | Promise<AuthorizationDecision>;
}

/** Handles a routed request; throw {@link HttpError} for a JSON error response. */
export type RouteHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RouteContext,
) => void | Promise<void>;

/** What `GET /readyz` reports. */
export interface ReadinessReport {
  readonly ready: boolean;
  readonly notReady: ReadonlyArray<{
    readonly resource: string;
    readonly reason: string;
    readonly message: string;
  }>;
}

export interface HttpServerOptions {
  /** @default '127.0.0.1' */
  readonly host?: string | undefined;
  /** 0 picks a free port. @default 8080 */
  readonly port?: number | undefined;
  readonly logger?: Logger | undefined;
  /** Request body limit for `ctx.readBody()`. @default 1 MiB */
  readonly maxBodyBytes?: number | undefined;
  /** Backs `GET /readyz`; without it the server is always ready. */
  readonly readiness?: (() => ReadinessReport | Promise<ReadinessReport>) | undefined;
  /** The ingress authorizer, read at every request (an Authentication resource may come and go). */
  readonly ingressAuthorizer?: (() => IngressAuthorizer | undefined) | undefined;
  /** HTTPS only, from these files (reloaded when they change). */
  readonly tls?: TlsFiles | undefined;
  /** The admin token rule for `/admin/*`, `/metrics`, `/console`. */
  readonly admin?: AdminAccess | undefined;
  /** Timeouts and connection limits. @default DEFAULT_LIMITS */
  readonly limits?: ServerLimits | undefined;
}

export interface RouteOptions {
  /** Fallback routes are tried after every other route (e.g. the broker ingress catch-all). */
  readonly fallback?: boolean;
}

/** Most request headers accepted (Node's default keep-count); more get 431 (docs/manifests.md). */
export const MAX_REQUEST_HEADERS = 1000;

/** A small node:http server with a router, `/healthz` and `/readyz`. */
export interface HttpServer {
  /** Registers a route; routes are tried in registration order (fallbacks last). */
  route(
    method: string | '*',
    matcher: RouteMatcher,
    handler: RouteHandler,
    options?: RouteOptions,
  ): HttpServer;
  /**
   * A group of routes that can be dropped together, placed where this call is in the route order
   * (route-group.ts).
   */
  group(): RouteGroup;
  /** Starts listening; resolves with the base URL, e.g. `http://127.0.0.1:8080`. */
  listen(): Promise<string>;
  /** The bound address once listening. */
  address(): AddressInfo | undefined;
  /** Stops accepting, lets requests in flight finish for up to `drainMs`, then closes every connection. */
  close(options?: { drainMs?: number }): Promise<void>;
}

interface Route {
  readonly method: string;
  readonly matcher: RouteMatcher;
  readonly handler: RouteHandler;
  readonly fallback: boolean;
}

/** Creates an {@link HttpServer} (not yet listening). */
export function createHttpServer(options: HttpServerOptions = {}): HttpServer {
  const log = options.logger ?? silentLogger;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const routes: Route[] = [];
  /** `fixed`, then `routes` without and with `fallback`; rebuilt after `route()` adds one. */
  let ordered: Route[] | undefined;
  let active = 0;
  let closing = false;
  let onIdle: (() => void) | undefined;

  const fixed: Route[] = [
    {
      method: 'GET',
      matcher: '/healthz',
      fallback: false,
      handler: (_q, res) => sendJson(res, 200, { status: 'ok' }),
    },
    {
      method: 'GET',
      matcher: '/readyz',
      fallback: false,
      handler: async (_q, res) => {
        const report = options.readiness
          ? await options.readiness()
          : { ready: true, notReady: [] };
        sendJson(res, report.ready ? 200 : 503, { ready: report.ready, notReady: report.notReady });
      },
    },
  ];

  const admin = options.admin ?? {};
  let boundToLoopback = true;

  const dispatch = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // Node keeps at most `maxHeadersCount` headers and drops the rest silently: refuse instead.
    if (req.rawHeaders.length > MAX_REQUEST_HEADERS * 2)
      throw new HttpError(
        431,
        `the request has more than ${MAX_REQUEST_HEADERS} headers; send at most ${MAX_REQUEST_HEADERS}`,
        { connection: 'close' },
      );
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const path = q === -1 ? raw : raw.slice(0, q);
    const method = (req.method ?? 'GET').toUpperCase();
    if (path === ADMIN_LOGIN_PATH && (boundToLoopback || admin.token !== undefined))
      return handleAdminLogin(req, res, admin.token, options.tls !== undefined);
    if (isAdminPath(path)) {
      const refused = checkAdminAccess(req, admin, boundToLoopback);
      const opensPage = String(req.headers.accept ?? '').includes('text/html');
      if (refused?.status === 401 && method === 'GET' && opensPage && path.startsWith('/console')) {
        // A page a person opened: send them to the sign-in form instead of a JSON error.
        res.writeHead(303, { location: ADMIN_LOGIN_PATH });
        res.end();
        return;
      }
      if (refused) throw new HttpError(refused.status, refused.message);
    }
    ordered ??= [
      ...fixed,
      ...routes.filter((r) => !r.fallback),
      ...routes.filter((r) => r.fallback),
    ];
    const allowed: string[] = [];
    for (const route of ordered) {
      const params = matchRoute(route.matcher, path, req);
      if (params === undefined) continue;
      if (route.method !== '*' && route.method !== method) {
        allowed.push(route.method);
        continue;
      }
      const ctx = new RequestContext(req, raw, q, path, params, maxBodyBytes, options);
      await route.handler(req, res, ctx);
      return;
    }
    if (allowed.length > 0)
      throw new HttpError(405, `method ${method} is not allowed on ${path}`, {
        allow: allowed.join(', '),
      });
    throw new HttpError(404, `no route for ${method} ${path}`);
  };

  // One listener for every response rather than a closure per request.
  const onClose = (): void => {
    active--;
    if (active === 0) onIdle?.();
  };
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    active++;
    if (closing) res.setHeader('connection', 'close');
    res.on('close', onClose);
    dispatch(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) return sendError(res, err.status, err.message, err.headers);
      log.error({ err, method: req.method, url: req.url }, 'request handler failed');
      if (!res.headersSent)
        sendError(res, 500, `internal error: ${(err as Error)?.message ?? String(err)}`);
      else res.destroy();
    });
  };
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const base = {
    maxHeaderSize: limits.maxHeaderBytes,
    // Node checks request and header timeouts on this interval (default 30 s).
    connectionsCheckingInterval: Math.min(1_000, limits.requestTimeoutMs, limits.headersTimeoutMs),
  };
  const server: Server = options.tls
    ? (httpsModule().createServer(
        { ...base, ...readTlsOptions(options.tls) },
        onRequest,
      ) as unknown as Server)
    : createServer(base, onRequest);
  applyLimits(server, limits);
  const stopWatching = options.tls
    ? watchTlsFiles(server as unknown as { setSecureContext(o: object): void }, options.tls, log)
    : undefined;

  // One more than the limit, so that a request over it is seen (and refused) rather than cut.
  server.maxHeadersCount = MAX_REQUEST_HEADERS + 1;

  const self: HttpServer = {
    route(method, matcher, handler, opts) {
      ordered = undefined;
      routes.push({
        method: method === '*' ? '*' : method.toUpperCase(),
        matcher,
        handler,
        fallback: opts?.fallback ?? false,
      });
      return self;
    },
    group: () => createRouteGroup((matcher, handler, o) => self.route('*', matcher, handler, o)),
    listen: () =>
      new Promise<string>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', () => {
          server.off('error', reject);
          const bound = server.address() as AddressInfo;
          boundToLoopback = isLoopback(bound.address);
          const url = baseUrl(bound, options.tls ? 'https' : 'http');
          log.info(
            {
              url,
              bound: `${bound.address.includes(':') ? `[${bound.address}]` : bound.address}:${bound.port}`,
            },
            'http server listening',
          );
          resolve(url);
        });
      }),
    address: () => (server.listening ? (server.address() as AddressInfo) : undefined),
    async close({ drainMs = 10_000 } = {}) {
      stopWatching?.();
      if (!server.listening) return;
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (active > 0) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          onIdle = resolve;
          timer = setTimeout(resolve, drainMs);
        });
        clearTimeout(timer);
      }
      server.closeAllConnections();
      await closed;
      log.info({ abandoned: active }, 'http server closed');
    },
  };
  return self;
}

/** The URL this process reaches itself at (a wildcard address is reached over loopback). */
function baseUrl(a: AddressInfo, scheme: 'http' | 'https'): string {
  let host = a.address;
  if (host === '0.0.0.0') host = '127.0.0.1';
  else if (host === '::') host = '::1';
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${a.port}`;
}
