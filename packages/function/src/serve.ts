import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@tributary/core';
import { pino } from 'pino';
import {
  DEADLINE_HEADER,
  type FunctionResponse,
  errorResponse,
  handleCloudEventRequest,
  parseDeadline,
} from './serve-request.js';
import { BodyTooLargeError } from './errors.js';
import type { FunctionHandler } from './types.js';
import { createTokenCheck, type VerifyOptions } from './verify-token.js';

/** Options of {@link serve}. */
export interface ServeOptions {
  /** TCP port; 0 picks a free one (see {@link FunctionServer.url}). */
  readonly port: number;
  /** Address to listen on. @default '127.0.0.1' (use '0.0.0.0' in a container) */
  readonly host?: string;
  /** A pino (or pino-compatible) logger, or a pino level. @default LOG_LEVEL env or 'info' */
  readonly logger?: Logger | string;
  /** The path events are POSTed to. @default '/' */
  readonly path?: string;
  /** Request body limit in bytes; larger requests get 413. @default 1 MiB */
  readonly maxBodyBytes?: number;
  /** How long `close()` (and SIGTERM) waits for handlers in flight. @default 10000 */
  readonly shutdownTimeoutMs?: number;
  /**
   * Close gracefully on SIGTERM and SIGINT (then re-raise the signal when nothing else listens to
   * it, so the process exits as it would have). @default true
   */
  readonly handleSignals?: boolean;
  /**
   * Accept only deliveries carrying Tributary's token for this audience (docs/security.md):
   * others get 401 and the handler is not called.
   */
  readonly verify?: VerifyOptions;
}

/** A running function server. */
export interface FunctionServer {
  /** Base URL, e.g. `http://127.0.0.1:8081` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** The underlying node:http server. */
  readonly server: Server;
  /**
   * Stops accepting requests, answers `/healthz` with 503, waits for handlers in flight up to
   * `timeoutMs` (default `shutdownTimeoutMs`), then aborts their `context.signal` and closes every
   * connection.
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

const DEFAULT_MAX_BODY = 1024 * 1024;

function toLogger(option: Logger | string | undefined): Logger {
  if (option !== undefined && typeof option !== 'string') return option;
  return pino({
    level: option ?? process.env['LOG_LEVEL'] ?? 'info',
    base: { service: 'function' },
  });
}

function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLargeError(limit));
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('client disconnected before sending the whole body'));
    });
  });
}

/** Writes the response; resolves once it is flushed (or the connection is gone). */
function write(res: ServerResponse, r: FunctionResponse): Promise<void> {
  if (res.writableEnded || res.destroyed) return Promise.resolve();
  const headers: Record<string, string | number> = { ...r.headers };
  headers['content-length'] = r.body?.byteLength ?? 0;
  res.writeHead(r.status, headers);
  return new Promise((resolve) => {
    res.once('close', resolve);
    res.end(r.body, resolve);
  });
}

/**
 * Serves a {@link FunctionHandler} over HTTP as a Knative-compatible CloudEvents sink: `POST <path>`
 * accepts binary, structured and batch mode (a batch calls the handler per event), `GET /healthz`
 * answers 200 (503 while shutting down). Reply rules: a returned event → 200 with the reply
 * (binary mode, structured if the request was structured); nothing → 202; a thrown
 * `NonRetryableError` → its 4xx with `{ error }` (dead-lettered); any other throw → 500 (retried).
 *
 * The handler's `context.signal` aborts when the client disconnects or when shutdown runs out of
 * time; `context.deadline` comes from the `X-Tributary-Deadline` header (RFC 3339 or epoch ms) and
 * is undefined without it.
 *
 * @example
 * const server = await serve(async (event) => ({ type: 'greeting', data: { hello: event.data } }), { port: 8081 });
 */
export async function serve(
  handler: FunctionHandler,
  options: ServeOptions,
): Promise<FunctionServer> {
  if (typeof handler !== 'function') {
    throw new TypeError(
      `serve(handler, options): handler must be a function (event, context) => reply, got ${typeof handler}`,
    );
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new RangeError(
      `serve: port ${String(options.port)} must be a whole number from 0 to 65535`,
    );
  }
  const logger = toLogger(options.logger);
  const path = options.path ?? '/';
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const shutdownMs = options.shutdownTimeoutMs ?? 10_000;
  const inFlight = new Set<AbortController>();
  let idle: (() => void) | undefined;
  let closing: Promise<void> | undefined;
  const checkToken = options.verify ? createTokenCheck(options.verify) : undefined;

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = (req.url ?? '/').split('?')[0];
    if (pathname === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      const status = closing ? 503 : 200;
      await write(res, {
        status,
        headers: { 'content-type': 'application/json' },
        body: Buffer.from(JSON.stringify({ status: closing ? 'shutting down' : 'ok' })),
      });
      return;
    }
    if (pathname !== path)
      return write(
        res,
        errorResponse(404, `no route for ${pathname}: POST CloudEvents to ${path}`),
      );
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return write(
        res,
        errorResponse(405, `method ${req.method} not allowed on ${path}: use POST`),
      );
    }
    if (closing) {
      res.setHeader('connection', 'close');
      return write(res, errorResponse(503, 'function is shutting down'));
    }
    if (checkToken) {
      const auth = req.headers['authorization'];
      const check = await checkToken(Array.isArray(auth) ? auth[0] : auth);
      if ('error' in check) {
        res.setHeader('www-authenticate', 'Bearer');
        logger.debug({ reason: check.error }, 'delivery refused: token not valid');
        req.resume();
        return write(res, errorResponse(401, check.error));
      }
    }
    const ac = new AbortController();
    inFlight.add(ac);
    res.on('close', () => {
      if (!res.writableFinished) ac.abort(new Error('client disconnected'));
    });
    try {
      const body = await readBody(req, maxBody);
      const context = { signal: ac.signal, deadline: parseDeadline(req.headers[DEADLINE_HEADER]) };
      await write(res, await handleCloudEventRequest(handler, req.headers, body, context, logger));
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        res.setHeader('connection', 'close');
        await write(res, errorResponse(413, `request body is larger than ${maxBody} bytes`));
      } else {
        logger.error({ err }, 'request failed');
        await write(res, errorResponse(500, err instanceof Error ? err.message : String(err)));
      }
    } finally {
      inFlight.delete(ac);
      if (inFlight.size === 0) idle?.();
    }
  }

  const server = createServer((req, res) => void onRequest(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;

  const signals: NodeJS.Signals[] = options.handleSignals === false ? [] : ['SIGTERM', 'SIGINT'];
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down');
    void close().then(() => {
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  };
  const listeners = signals.map((s) => [s, () => onSignal(s)] as const);
  for (const [s, l] of listeners) process.once(s, l);

  function close({ timeoutMs = shutdownMs }: { timeoutMs?: number } = {}): Promise<void> {
    closing ??= (async () => {
      for (const [s, l] of listeners) process.off(s, l);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => (idle = resolve)),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
        ]);
        clearTimeout(timer);
        if (inFlight.size > 0) {
          logger.warn(
            { inFlight: inFlight.size, timeoutMs },
            'shutdown timeout: aborting handlers in flight',
          );
          for (const ac of inFlight) ac.abort(new Error('function server shutting down'));
        }
      }
      server.closeAllConnections();
      await closed;
      logger.info({ url }, 'function server stopped');
    })();
    return closing;
  }

  logger.info({ url, path }, 'function listening');
  return { url, port: addr.port, server, close };
}
