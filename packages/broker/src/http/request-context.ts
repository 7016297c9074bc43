import type { IncomingMessage } from 'node:http';
import type { AuthorizationDecision, CloudEvent, IngressResource } from '@tributary/core';
import type { HttpServerOptions, RouteContext } from './http-server.js';
import { readBody } from './read-body.js';

/** `ctx` with other route params, whether the server made it or a caller built it. */
export function withParams(
  ctx: RouteContext,
  params: Readonly<Record<string, string>>,
): RouteContext {
  return ctx instanceof RequestContext ? ctx.withParams(params) : { ...ctx, params };
}

const ALLOW_ALL: AuthorizationDecision = Object.freeze({ allowed: true });

/**
 * A routed request's {@link RouteContext}: one object with its methods on the prototype, where an
 * object literal made three closures (`readBody`, `authorize`, the `query` getter) per request.
 */
export class RequestContext implements RouteContext {
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly maxBodyBytes: number;
  readonly #req: IncomingMessage;
  readonly #raw: string;
  readonly #q: number;
  readonly #options: HttpServerOptions;
  #query: URLSearchParams | undefined;

  constructor(
    req: IncomingMessage,
    raw: string,
    q: number,
    path: string,
    params: Readonly<Record<string, string>>,
    maxBodyBytes: number,
    options: HttpServerOptions,
  ) {
    this.#req = req;
    this.#raw = raw;
    this.#q = q;
    this.path = path;
    this.params = params;
    this.maxBodyBytes = maxBodyBytes;
    this.#options = options;
  }

  /** Parsed when a handler asks: the broker ingress never does. */
  get query(): URLSearchParams {
    return (this.#query ??= new URLSearchParams(
      this.#q === -1 ? '' : this.#raw.slice(this.#q + 1),
    ));
  }

  /** The same request with other route params (a route group's own match). */
  withParams(params: Readonly<Record<string, string>>): RequestContext {
    const c = new RequestContext(
      this.#req,
      this.#raw,
      this.#q,
      this.path,
      params,
      this.maxBodyBytes,
      this.#options,
    );
    c.#query = this.#query;
    return c;
  }

  readBody(limit = this.maxBodyBytes): Promise<Buffer> {
    return readBody(this.#req, limit);
  }

  /** Without an authorizer, every request gets one shared answer at once (RouteContext). */
  authorize(
    resource: IngressResource,
    events: readonly CloudEvent[],
  ): AuthorizationDecision | Promise<AuthorizationDecision> {
    const authorizer = this.#options.ingressAuthorizer?.();
    if (!authorizer) return ALLOW_ALL;
    return authorizer.authorize({ headers: this.#req.headers, events }, resource);
  }
}
