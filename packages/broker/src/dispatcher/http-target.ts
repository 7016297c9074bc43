import { type CloudEvent, type Logger, encodeHttp, redactUrl, silentLogger } from '@tributary/core';
import { EventEmitter } from 'node:events';
import type { Agent, Dispatcher } from 'undici';
import {
  type DeliveryTarget,
  type SendOptions,
  type SendOutcome,
  preparationFailed,
} from './delivery-target.js';
import { ERROR_BODY_CAPTURE_BYTES, httpAttempt } from './http-attempt.js';
import { undiciModule } from './undici-module.js';

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
  /** PEM certificates to trust instead of the system's (a Destination's `CACerts`). */
  readonly ca?: string;
}

/**
 * The keep-alive agent deliveries share. Create ONE per runtime (or per Trigger), pass it to every
 * {@link createHttpTarget}, and `close()` it on shutdown. The undici Agent behind it is made at the
 * first request (see {@link LazyDeliveryAgent}).
 */
export function createDeliveryAgent(options: DeliveryAgentOptions = {}): Agent {
  // Typed as undici's Agent (what callers pass to createHttpTarget and close), without loading undici.
  return new LazyDeliveryAgent(options) as unknown as Agent;
}

function agentOptions(options: DeliveryAgentOptions): Agent.Options {
  return {
    connections: options.connections ?? 128,
    pipelining: options.pipelining ?? 1,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
    connect: {
      timeout: options.connectTimeoutMs ?? 10_000,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
    },
    // Timeouts are per attempt via AbortSignal (delivery.timeout); no undici default cut-offs.
    headersTimeout: 0,
    bodyTimeout: 0,
  };
}

/**
 * An {@link Agent} that makes the real undici Agent at its first `dispatch`. The runtime gives each
 * Trigger its own pool; an idle Agent (option copies, client map, origin set, listeners) retains
 * ~0.7 KB and this object ~0.25 KB, so 10,000 Triggers that never deliver hold ~5 MiB less heap (heap snapshots of `tributary run` with 1 vs 10,000 Triggers, bench/footprint.mjs).
 * Closing or destroying one that never dispatched makes nothing.
 */
class LazyDeliveryAgent {
  readonly #options: DeliveryAgentOptions;
  #agent: Agent | undefined;
  #closed = false;
  #destroyed = false;
  // undici's Dispatcher is an EventEmitter; this one's emitter (it forwards the real agent's
  // events) is made when someone listens. Extending EventEmitter gave every idle Trigger its
  // listener table (a dictionary-mode object, ~0.2 KB: heap snapshots, bench/footprint.mjs).
  #events: EventEmitter | undefined;

  constructor(options: DeliveryAgentOptions) {
    this.#options = options;
  }

  #emitter(): EventEmitter {
    return (this.#events ??= new EventEmitter());
  }

  on(name: string | symbol, listener: (...args: unknown[]) => void): this {
    this.#emitter().on(name, listener);
    return this;
  }
  addListener(name: string | symbol, listener: (...args: unknown[]) => void): this {
    return this.on(name, listener);
  }
  once(name: string | symbol, listener: (...args: unknown[]) => void): this {
    this.#emitter().once(name, listener);
    return this;
  }
  off(name: string | symbol, listener: (...args: unknown[]) => void): this {
    this.#events?.off(name, listener);
    return this;
  }
  removeListener(name: string | symbol, listener: (...args: unknown[]) => void): this {
    return this.off(name, listener);
  }
  removeAllListeners(name?: string | symbol): this {
    this.#events?.removeAllListeners(name);
    return this;
  }
  emit(name: string | symbol, ...args: unknown[]): boolean {
    return this.#events?.emit(name, ...args) ?? false;
  }
  listenerCount(name: string | symbol): number {
    return this.#events?.listenerCount(name) ?? 0;
  }
  listeners(name: string | symbol): ((...args: unknown[]) => unknown)[] {
    return (this.#events?.listeners(name) ?? []) as ((...args: unknown[]) => unknown)[];
  }

  get closed(): boolean {
    return this.#agent?.closed ?? this.#closed;
  }

  get destroyed(): boolean {
    return this.#agent?.destroyed ?? this.#destroyed;
  }

  get stats(): Agent['stats'] {
    return this.#agent?.stats ?? {};
  }

  dispatch(options: Agent.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    if (this.#agent === undefined) {
      if (this.#closed || this.#destroyed) {
        // What a closed undici Agent does: the handler hears the error, nothing is sent.
        handler.onError?.(new (undiciModule().errors.ClientDestroyedError)());
        return false;
      }
      this.#agent = new (undiciModule().Agent)(agentOptions(this.#options));
      // Its events are this agent's events (the typings list them per name; forwarded as one).
      const real = this.#agent as unknown as NodeJS.EventEmitter;
      const forward = (name: string) =>
        real.on(name, (...args: unknown[]) => this.emit(name, ...args));
      for (const name of ['connect', 'disconnect', 'connectionError', 'drain']) forward(name);
    }
    return this.#agent.dispatch(options, handler);
  }

  close(): Promise<void>;
  close(callback: () => void): void;
  close(callback?: () => void): Promise<void> | void {
    this.#closed = true;
    const done = this.#agent ? this.#agent.close() : Promise.resolve();
    if (!callback) return done;
    void done.then(callback, callback);
  }

  destroy(): Promise<void>;
  destroy(err: Error | null): Promise<void>;
  destroy(callback: () => void): void;
  destroy(err: Error | null, callback: () => void): void;
  destroy(
    errOrCallback?: Error | null | (() => void),
    callback?: () => void,
  ): Promise<void> | void {
    const err = typeof errOrCallback === 'function' ? null : (errOrCallback ?? null);
    const cb = typeof errOrCallback === 'function' ? errOrCallback : callback;
    this.#destroyed = true;
    const done = this.#agent ? this.#agent.destroy(err) : Promise.resolve();
    if (!cb) return done;
    void done.then(cb, cb);
  }
}

/**
 * Options of {@link createHttpTarget}. The connection pool is passed in, `dispatcher` or its alias
 * `agent` (one per runtime or per Trigger, `createDeliveryAgent`): there is no process-wide default.
 */
export type HttpTargetOptions = HttpTargetSettings &
  (
    | { readonly dispatcher: Dispatcher; readonly agent?: Dispatcher }
    | { readonly agent: Dispatcher; readonly dispatcher?: Dispatcher }
  );

/** Options of {@link createHttpTarget} besides its connection pool. */
export interface HttpTargetSettings {
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

export { ERROR_BODY_CAPTURE_BYTES };

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
  return new HttpTarget(url, options);
}

/**
 * One object per target, methods on the prototype: a Trigger's subscriber and dead-letter sink
 * were two closures and a context each (~0.3 KB per Trigger).
 */
class HttpTarget implements DeliveryTarget {
  /** What logs, metrics, statuses and knativeerrordest show: never the URL's credentials. */
  readonly url: string;
  declare readonly keepsTtl?: true;
  readonly omitsAttributes = true;
  readonly #url: string;
  // Taken from the URL at the first send: an idle Trigger keeps no copies of them (the origin
  // was a concatenated string, ~0.1 KB per Trigger with the path: heap snapshots, bench/footprint.mjs).
  #origin: string | undefined;
  #path: string | undefined;
  readonly #dispatcher: Dispatcher;
  readonly #maxReplyBytes: number;
  readonly #options: HttpTargetOptions;

  constructor(url: string, options: HttpTargetOptions) {
    this.#url = url;
    this.url = redactUrl(url);
    if (options.keepsTtl) (this as { keepsTtl?: true }).keepsTtl = true;
    const dispatcher = options.dispatcher ?? options.agent;
    if (!dispatcher)
      throw new TypeError(
        'createHttpTarget needs a dispatcher (or agent): use createDeliveryAgent()',
      );
    this.#dispatcher = dispatcher;
    this.#maxReplyBytes = options.maxReplyBytes ?? 4 * 1024 * 1024;
    this.#options = options;
  }

  send(event: CloudEvent, opts: SendOptions): Promise<SendOutcome> {
    const options = this.#options;
    // One object filled in place (the event's headers are encoded straight into it) rather than
    // spreads merged; undici reads it once.
    const headers: Record<string, string> = { 'kn-namespace': options.namespace };
    if (opts.headers)
      for (const k of Object.keys(opts.headers)) headers[k.toLowerCase()] = opts.headers[k]!;
    let body: Uint8Array | undefined;
    try {
      body = encodeHttp(event, opts.format, opts.omitAttribute, headers).body;
    } catch (err) {
      // A failed attempt like any other (retried, then dead-lettered), never a thrown handler.
      return Promise.resolve({ kind: 'error', message: preparationFailed(err) });
    }
    if (opts.expectReply) headers['prefer'] = 'reply';
    if (body === undefined) headers['content-length'] = '0';
    if (options.sign) {
      try {
        Object.assign(headers, options.sign(event.attributes['id'] ?? '', body));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    if (this.#origin === undefined) {
      const parsed = new URL(this.#url);
      this.#origin = parsed.origin;
      this.#path = parsed.search ? `${parsed.pathname}${parsed.search}` : parsed.pathname;
    }
    return httpAttempt(
      this.#dispatcher,
      {
        origin: this.#origin,
        path: this.#path!,
        method: 'POST',
        headers,
        body: body === undefined ? null : body,
      },
      {
        url: this.#url,
        expectReply: opts.expectReply,
        maxReplyBytes: this.#maxReplyBytes,
        timeoutMs: opts.timeoutMs,
        signal: opts.signal,
        logger: options.logger ?? silentLogger,
        shownUrl: this.url,
      },
      options.authorization,
    );
  }
}
