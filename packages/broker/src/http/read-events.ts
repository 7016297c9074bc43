import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type CloudEvent,
  CloudEventDecodeError,
  type IngressResource,
  type Logger,
  decodeHttp,
} from '@tributary/core';
import { HttpError, sendError } from './http-error.js';
import type { RouteContext } from './http-server.js';

/**
 * Reads a request body (within the route's limit) and decodes the CloudEvents it carries, in any
 * content mode. On a problem it answers the request itself (413 over the limit, 400 naming what is
 * wrong with the event) and resolves undefined; every ingress (brokers, channels, flows) shares it.
 *
 * With `resource`, it is also where every ingress asks the authorizer (docs/security.md): a
 * request that is not authenticated gets 401, one no EventPolicy allows 403, and nothing of it is
 * published. `headers` go on every error answer it sends (an ingress's `Allow`).
 */
export async function readCloudEvents(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RouteContext,
  log: Logger,
  resource?: IngressResource,
  headers: Readonly<Record<string, string>> = {},
): Promise<CloudEvent[] | undefined> {
  let body: Buffer;
  try {
    body = await ctx.readBody();
  } catch (err) {
    if (err instanceof HttpError) {
      sendError(res, err.status, err.message, { ...headers, ...err.headers });
      return undefined;
    }
    throw err;
  }
  let events: CloudEvent[];
  try {
    events = decodeHttp(req.headers, body).events;
  } catch (err) {
    if (!(err instanceof CloudEventDecodeError)) throw err;
    log.debug(
      { path: ctx.path, problems: err.problems },
      'rejected a request that is not a valid CloudEvent',
    );
    sendError(res, 400, err.message, headers);
    return undefined;
  }
  if (resource && ctx.authorize) {
    const asked = ctx.authorize(resource, events);
    // Awaited only when it is a promise: the server answers at once when there is no authorizer.
    const decision = isThenable(asked) ? await asked : asked;
    if (!decision.allowed) {
      log.debug(
        { path: ctx.path, status: decision.status, reason: decision.message },
        'request refused by the authorizer',
      );
      sendError(
        res,
        decision.status,
        decision.message,
        decision.status === 401 ? { ...headers, 'www-authenticate': 'Bearer' } : headers,
      );
      return undefined;
    }
  }
  return events;
}

function isThenable<T>(v: T | PromiseLike<T>): v is PromiseLike<T> {
  return typeof (v as { then?: unknown }).then === 'function';
}
