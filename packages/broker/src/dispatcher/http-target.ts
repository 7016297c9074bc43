import {
  type CloudEvent,
  type Logger,
  decodeHttp,
  detectContentMode,
  encodeHttp,
  redactUrl,
  silentLogger,
} from '@tributary/core';
import { Agent, type Dispatcher, request } from 'undici';
import {
  type DeliveryTarget,
  type SendOptions,
  type SendOutcome,
  attemptSignal,
  isSuccessStatus,
  preparationFailed,
} from './delivery-target.js';

/**
 * Delivery to HTTP endpoints (docs/knative-behaviour.md §2.5): one POST per attempt over a shared keep-alive
 * connection pool, binary mode by default, `Prefer: reply`, `Kn-Namespace`, trace headers.
 */

/** Options of the shared keep-alive agent. */
export interface DeliveryAgentOptions {
  /** Connections per origin. @default 128 */
  readonly connections?: number;
  /** Requests in flight per connection; 1 = no pipelining (safe for non-idempotent POSTs). @default 1 */
  readonly pipelining?: number;
  /** Idle keep-alive time when the server does not say otherwise. @default 4000 */
  readonly keepAliveTimeoutMs?: number;
  /** TCP/TLS connect timeout. @default 10000 */
  readonly connectTimeoutMs?: number;
}

/**
 * The keep-alive agent deliveries share. Create ONE per runtime, pass it to every
 * {@link createHttpTarget}, and `close()` it on shutdown.
 */
export function createDeliveryAgent(options: DeliveryAgentOptions = {}): Agent {
  return new Agent({
    connections: options.connections ?? 128,
    pipelining: options.pipelining ?? 1,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
    connect: { timeout: options.connectTimeoutMs ?? 10_000 },
    // Timeouts are per attempt via AbortSignal (delivery.timeout); no undici default cut-offs.
    headersTimeout: 0,
    bodyTimeout: 0,
  });
}

let defaultAgent: Agent | undefined;

/** A process-wide agent used when a target is created without one (lazily created). */
export function defaultDeliveryAgent(): Agent {
  defaultAgent ??= createDeliveryAgent();
  return defaultAgent;
}

/** Options of {@link createHttpTarget}. */
export interface HttpTargetOptions {
  /** The keep-alive agent (one per runtime). @default {@link defaultDeliveryAgent} */
  readonly dispatcher?: Dispatcher;
  /** Same as `dispatcher` (alias); `dispatcher` wins when both are given. */
  readonly agent?: Dispatcher;
  /** Sent as `Kn-Namespace` (the Trigger's / Subscription's namespace). */
  readonly namespace: string;
  /** Largest reply event body accepted, in bytes. @default 4 MiB */
  readonly maxReplyBytes?: number;
  /** Debug logs (non-CloudEvent 2xx bodies). @default silentLogger */
  readonly logger?: Logger;
  /**
   * The `Authorization` header of each attempt (Tributary's token for the Destination's
   * `audience`, docs/security.md); asked at every attempt, so it may come from a cache.
   */
  readonly authorization?: (() => Promise<string>) | undefined;
  /** Extra headers computed from the event id and the encoded body (Standard Webhooks signature). */
  readonly sign?:
    ((eventId: string, body: Uint8Array | undefined) => Record<string, string>) | undefined;
  /** The URL is Tributary's own ingress: deliver `knativebrokerttl` (see DeliveryTarget.keepsTtl). */
  readonly keepsTtl?: boolean;
}

/** Bytes of a non-reply body kept for error reporting (knativeerrordata needs 768). */
export const ERROR_BODY_CAPTURE_BYTES = 64 * 1024;
/** Bytes read past the capture limit before the connection is dropped instead of drained. */
const DRAIN_LIMIT_BYTES = 1024 * 1024;

/**
 * A {@link DeliveryTarget} that POSTs to `url`. Responses: a 2xx carrying a CloudEvent (binary
 * `ce-*` headers or structured) is a reply when `expectReply`; a 2xx with any other body is a success
 * without reply (docs/decisions.md D5); a CloudEvent-looking 2xx that fails to decode sets
 * `replyError`. The body is always consumed (or the connection dropped), never unbounded.
 */
export function createHttpTarget(url: string, options: HttpTargetOptions): DeliveryTarget {
  const parsed = new URL(url); // throws early on a malformed URL
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`delivery URL '${url}' must be http or https`);
  }
  const dispatcher = options.dispatcher ?? options.agent ?? defaultDeliveryAgent();
  const maxReplyBytes = options.maxReplyBytes ?? 4 * 1024 * 1024;
  const log = options.logger ?? silentLogger;

  async function send(event: CloudEvent, opts: SendOptions): Promise<SendOutcome> {
    let encoded: ReturnType<typeof encodeHttp>;
    try {
      encoded = encodeHttp(event, opts.format);
    } catch (err) {
      // A failed attempt like any other (retried, then dead-lettered), never a thrown handler.
      return { kind: 'error', message: preparationFailed(err) };
    }
    const { headers: ceHeaders, body } = encoded;
    const headers: Record<string, string> = {
      'kn-namespace': options.namespace,
      ...lowerCased(opts.headers),
      ...ceHeaders,
    };
    if (opts.expectReply) headers['prefer'] = 'reply';
    if (body === undefined) headers['content-length'] = '0';
    if (options.sign) Object.assign(headers, options.sign(event.attributes['id'] ?? '', body));
    const attempt = attemptSignal(opts.signal, opts.timeoutMs);
    const signal = attempt.signal;
    try {
      if (options.authorization) headers['authorization'] = await options.authorization();
      const pending = request(url, {
        method: 'POST',
        headers,
        body: body === undefined ? null : body,
        dispatcher,
        signal,
      });
      // undici notices an abort only once the request has a connection: the race makes the
      // timeout cover the wait for one too.
      const res = signal === undefined ? await pending : await untilAborted(pending, signal);
      const resHeaders = flattenHeaders(res.headers);
      const isCe =
        isSuccessStatus(res.statusCode) &&
        opts.expectReply &&
        detectContentMode(res.headers) !== undefined;
      const read = await readBody(res.body, isCe ? maxReplyBytes : ERROR_BODY_CAPTURE_BYTES, !isCe);
      if (!isCe) {
        if (isSuccessStatus(res.statusCode) && read.bytes.byteLength > 0) {
          log.debug(
            { url: redactUrl(url), status: res.statusCode },
            '2xx response body is not a CloudEvent: success without reply',
          );
        }
        return { kind: 'response', status: res.statusCode, headers: resHeaders, body: read.bytes };
      }
      if (read.truncated) {
        return {
          kind: 'response',
          status: res.statusCode,
          headers: resHeaders,
          body: read.bytes.subarray(0, ERROR_BODY_CAPTURE_BYTES),
          replyError: `reply event is larger than ${maxReplyBytes} bytes`,
        };
      }
      try {
        const { events } = decodeHttp(res.headers, read.bytes);
        if (events.length !== 1)
          throw new Error(`expected one reply event, got a batch of ${events.length}`);
        return {
          kind: 'response',
          status: res.statusCode,
          headers: resHeaders,
          body: read.bytes,
          reply: events[0],
        };
      } catch (err) {
        return {
          kind: 'response',
          status: res.statusCode,
          headers: resHeaders,
          body: read.bytes,
          replyError: `malformed reply event: ${(err as Error).message}`,
        };
      }
    } catch (err) {
      if (attempt.timedOut())
        return { kind: 'error', message: `timeout after ${opts.timeoutMs} ms`, timedOut: true };
      if (opts.signal?.aborted)
        return { kind: 'error', message: 'delivery aborted', aborted: true };
      return { kind: 'error', message: errorMessage(err) };
    } finally {
      attempt.done();
    }
  }

  // `url` is what logs, metrics, statuses and knativeerrordest show: never its credentials.
  const shown = redactUrl(url);
  return options.keepsTtl ? { url: shown, send, keepsTtl: true } : { url: shown, send };
}

/**
 * Settles like `pending`, or rejects with the signal's reason as soon as it aborts; a response that
 * arrives after that has its body destroyed so its connection is not left busy.
 */
function untilAborted(
  pending: Promise<Dispatcher.ResponseData>,
  signal: AbortSignal,
): Promise<Dispatcher.ResponseData> {
  return new Promise((resolve, reject) => {
    let done = false;
    const onAbort = (): void => {
      done = true;
      reject(signal.reason ?? new Error('aborted'));
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (res) => {
        signal.removeEventListener('abort', onAbort);
        if (done) res.body.destroy();
        else resolve(res);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        if (!done) reject(err);
      },
    );
  });
}

function lowerCased(h: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (h) for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}

function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/**
 * Reads a response body keeping at most `limit` bytes. When `drain` is set, bytes past the limit are
 * read and thrown away (so the connection can be reused) up to a bound, after which the stream is
 * destroyed; otherwise the stream is destroyed as soon as the limit is exceeded.
 */
async function readBody(
  body: Dispatcher.ResponseData['body'],
  limit: number,
  drain: boolean,
): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let kept = 0;
  let seen = 0;
  let truncated = false;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    seen += chunk.byteLength;
    if (kept < limit) {
      const take = Math.min(chunk.byteLength, limit - kept);
      chunks.push(take === chunk.byteLength ? chunk : chunk.subarray(0, take));
      kept += take;
      if (take < chunk.byteLength) truncated = true;
    } else if (chunk.byteLength > 0) {
      truncated = true;
    }
    if (truncated && (!drain || seen > limit + DRAIN_LIMIT_BYTES)) {
      body.destroy();
      break;
    }
  }
  return { bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, kept), truncated };
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    const code = (err as Error & { code?: string }).code;
    const base = err.message || code || err.name;
    return cause instanceof Error && cause.message && !base.includes(cause.message)
      ? `${base}: ${cause.message}`
      : base;
  }
  return String(err);
}
