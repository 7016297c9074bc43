import { createRequire } from 'node:module';
import type * as Undici from 'undici';
import type { Pool } from 'undici';

// undici loads with the first Transport, not with the package: programs that import the SDK for
// `buildEvent` and its types only (the CLI's in-process mesh) do not pay its ~18 MiB.
const requireFromHere = createRequire(import.meta.url);
import { AttemptTimeoutError, BrokerUnreachableError, EventRejectedError } from './errors.js';
import { backoffDelay, isRetryableStatus, retryAfterMs, type RetryPolicy, sleep } from './retry.js';

/** What a successful post returned. */
export interface SendResult {
  /** The broker's 2xx status (202 from a Tributary or Knative broker). */
  readonly status: number;
  /** Requests made, 1 when the first attempt succeeded. */
  readonly attempts: number;
}

/** One HTTP message to post. */
export interface OutgoingMessage {
  readonly headers: Record<string, string>;
  readonly body: Uint8Array | undefined;
}

/** Settings of one call. */
export interface CallSettings {
  /** Timeout of each attempt. */
  readonly timeoutMs: number;
  /** Aborts the call (not retried); the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
}

/** Most of a rejection body kept for the error message. */
const MAX_ERROR_BODY = 2048;

/**
 * Posts CloudEvents to one broker URL over a keep-alive undici {@link Pool}, retrying network
 * errors, timeouts and retried statuses with backoff (and `Retry-After` on 429/503).
 */
export class Transport {
  readonly #pool: Pool;
  readonly #path: string;

  constructor(
    readonly url: string,
    connections: number,
    private readonly extraHeaders: Readonly<Record<string, string>>,
    private readonly policy: RetryPolicy,
  ) {
    const u = new URL(url);
    this.#path = `${u.pathname}${u.search}`;
    const { Pool: UndiciPool } = requireFromHere('undici') as typeof Undici;
    this.#pool = new UndiciPool(u.origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
  }

  /** Open and busy connection counts of the pool (for tests and metrics). */
  get stats(): { connected: number; running: number; queued: number } {
    const s = this.#pool.stats;
    return { connected: s.connected, running: s.running, queued: s.queued };
  }

  /** Posts `message`, retrying as the policy says; resolves on 2xx. */
  async post(message: OutgoingMessage, settings: CallSettings): Promise<SendResult> {
    const { signal } = settings;
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      let retryWait: number | undefined;
      try {
        const { status, headers, text } = await this.#attempt(message, settings);
        if (status >= 200 && status < 300) return { status, attempts: attempt };
        if (!isRetryableStatus(status) || attempt > this.policy.retries) {
          throw new EventRejectedError(status, brokerMessage(text), attempt, this.url);
        }
        if (status === 429 || status === 503) {
          const ra = retryAfterMs(headers['retry-after']);
          if (ra !== undefined) retryWait = Math.min(ra, this.policy.retryAfterMaxMs);
        }
      } catch (err) {
        if (err instanceof EventRejectedError) throw err;
        if (signal?.aborted) throw signal.reason;
        if (attempt > this.policy.retries) throw new BrokerUnreachableError(this.url, attempt, err);
      }
      const backoff = backoffDelay(this.policy, attempt);
      await sleep(retryWait === undefined ? backoff : Math.max(retryWait, backoff), signal);
    }
  }

  /**
   * One request (no retries) that returns the whole answer: for `request()`, whose calls are not
   * repeated on the caller's behalf. Rejects on network errors, the timeout or the signal.
   */
  async exchange(
    message: OutgoingMessage,
    { timeoutMs, signal }: CallSettings,
  ): Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: Buffer;
  }> {
    const controller = new AbortController();
    const timeoutError = new AttemptTimeoutError(timeoutMs);
    const timer = setTimeout(() => controller.abort(timeoutError), timeoutMs);
    const onAbort = (): void => controller.abort(signal!.reason);
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await this.#pool.request({
        method: 'POST',
        path: this.#path,
        headers: { ...this.extraHeaders, ...message.headers },
        body:
          message.body === undefined
            ? undefined
            : Buffer.from(message.body.buffer, message.body.byteOffset, message.body.byteLength),
        signal: controller.signal,
      });
      const body = Buffer.from(await res.body.arrayBuffer());
      return { status: res.statusCode, headers: res.headers, body };
    } catch (err) {
      throw controller.signal.reason === timeoutError ? timeoutError : err;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async #attempt(
    message: OutgoingMessage,
    { timeoutMs, signal }: CallSettings,
  ): Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    text: string;
  }> {
    const controller = new AbortController();
    const timeoutError = new AttemptTimeoutError(timeoutMs);
    const timer = setTimeout(() => controller.abort(timeoutError), timeoutMs);
    const onAbort = (): void => controller.abort(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await this.#pool.request({
        method: 'POST',
        path: this.#path,
        headers: { ...this.extraHeaders, ...message.headers },
        body:
          message.body === undefined
            ? undefined
            : Buffer.from(message.body.buffer, message.body.byteOffset, message.body.byteLength),
        signal: controller.signal,
      });
      let text = '';
      if (res.statusCode >= 200 && res.statusCode < 300) await res.body.dump();
      else text = (await res.body.text()).slice(0, MAX_ERROR_BODY);
      return { status: res.statusCode, headers: res.headers, text };
    } catch (err) {
      throw controller.signal.reason === timeoutError ? timeoutError : err;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Waits for requests in flight, then closes every connection. */
  close(): Promise<void> {
    return this.#pool.close();
  }
}

/** The `error` (or `message`) field of a JSON body, else the trimmed text. */
export function brokerMessage(text: string): string {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      const json = JSON.parse(trimmed) as Record<string, unknown>;
      for (const key of ['error', 'message']) {
        const v = json[key];
        if (typeof v === 'string') return v;
        if (
          v &&
          typeof v === 'object' &&
          typeof (v as Record<string, unknown>)['message'] === 'string'
        ) {
          return (v as Record<string, string>)['message']!;
        }
      }
    } catch {
      // not JSON: use the text
    }
  }
  return trimmed;
}
