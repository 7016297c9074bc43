import { type HeaderMap, type Logger, decodeHttp, detectContentMode } from '@tributary/core';
import type { Dispatcher } from 'undici';
import { undiciModule } from './undici-module.js';
import { type SendOutcome, isSuccessStatus } from './delivery-target.js';
import {
  type WatchedAttempt,
  unwatchSignal,
  unwatchTimeout,
  watchSignal,
  watchTimeout,
} from './attempt-watch.js';

/**
 * One HTTP delivery attempt on undici's `dispatch` handler API (docs/knative-behaviour.md §2.5).
 *
 * `undici.request` would cost, per attempt: a RequestHandler (an AsyncResource), a Readable for the
 * response body read back through an async iterator, an AbortController with listeners on two
 * signals and one more promise to race the timeout. This handler is the single object of an attempt:
 * it owns the timer, listens on the caller's signal itself and collects the body as undici hands it
 * over. In CPU profiles of `tributary run` under the bench load (bench/hot-path.mjs) the send of an
 * attempt, its timer and listeners and the reading of the answer went from ~16 % of the broker's
 * CPU to ~11 %. What an attempt produces is unchanged (http-target.ts documents it).
 */

/** Bytes of a non-reply body kept for error reporting (knativeerrordata needs 768). */
export const ERROR_BODY_CAPTURE_BYTES = 64 * 1024;
/** Bytes read past the capture limit before the connection is dropped instead of drained. */
const DRAIN_LIMIT_BYTES = 1024 * 1024;

/** What an attempt needs besides the request. */
export interface HttpAttemptOptions {
  readonly url: string;
  readonly expectReply: boolean;
  readonly maxReplyBytes: number;
  readonly timeoutMs: number | undefined;
  readonly signal: AbortSignal | undefined;
  /** Gets a debug line for a 2xx body that is not a CloudEvent. */
  readonly logger: Logger;
  /** The URL as logs show it (without credentials). */
  readonly shownUrl: string;
}

/**
 * Makes one attempt; resolves with its outcome and never rejects. `authorization`, when given, is
 * awaited within the attempt (its timeout counts) and becomes the `authorization` header.
 */
export function httpAttempt(
  dispatcher: Dispatcher,
  request: Dispatcher.DispatchOptions & { headers: Record<string, string> },
  options: HttpAttemptOptions,
  authorization?: () => Promise<string>,
): Promise<SendOutcome> {
  return new Promise<SendOutcome>((resolve) => {
    const attempt = new HttpAttempt(options, resolve);
    if (attempt.settled) return;
    if (!authorization) {
      dispatcher.dispatch(request, attempt);
      return;
    }
    void (async () => {
      try {
        request.headers['authorization'] = await authorization();
      } catch (err) {
        attempt.onError(err as Error);
        return;
      }
      if (!attempt.settled) dispatcher.dispatch(request, attempt);
    })();
  });
}

class HttpAttempt implements Dispatcher.DispatchHandler, WatchedAttempt {
  settled = false;
  deadline = 0;
  readonly #o: HttpAttemptOptions;
  readonly #resolve: (o: SendOutcome) => void;
  /** Whether a timeout watches it (attempt-watch.ts). */
  readonly #timed: boolean = false;
  #abort: ((err: Error) => void) | undefined;
  #timedOut = false;
  #status = 0;
  #headers: Record<string, string | string[] | undefined> = NO_HEADERS;
  #isCe = false;
  #limit = ERROR_BODY_CAPTURE_BYTES;
  /** Made at the first body chunk: most answers to a delivery have none. */
  #chunks: Buffer[] | undefined;
  #kept = 0;
  #seen = 0;
  #truncated = false;

  constructor(options: HttpAttemptOptions, resolve: (o: SendOutcome) => void) {
    this.#o = options;
    this.#resolve = resolve;
    const { signal, timeoutMs } = options;
    if (signal?.aborted) {
      this.#finish({ kind: 'error', message: 'delivery aborted', aborted: true });
      return;
    }
    // One listener per signal and one timer per timeout length for all attempts (attempt-watch.ts).
    if (signal) watchSignal(signal, this);
    if (timeoutMs !== undefined && timeoutMs > 0) {
      this.#timed = true;
      watchTimeout(timeoutMs, this);
    }
  }

  /** The caller's signal aborted. */
  handleEvent(): void {
    this.#cancel({ kind: 'error', message: 'delivery aborted', aborted: true });
  }

  expire(): void {
    this.#timedOut = true;
    this.#cancel({
      kind: 'error',
      message: `timeout after ${this.#o.timeoutMs} ms`,
      timedOut: true,
    });
  }

  onConnect(abort: (err?: Error) => void): void {
    // A connection that arrives after a timeout or an abort is not used.
    if (this.settled) abort(new Error('the attempt is over'));
    else this.#abort = abort;
  }

  onHeaders(status: number, rawHeaders: Buffer[]): boolean {
    if (status < 200) return true; // informational: the final answer follows
    this.#status = status;
    this.#headers = undiciModule().util.parseHeaders(rawHeaders) as Record<
      string,
      string | string[]
    >;
    this.#isCe =
      isSuccessStatus(status) &&
      this.#o.expectReply &&
      detectContentMode(this.#headers as HeaderMap) !== undefined;
    this.#limit = this.#isCe ? this.#o.maxReplyBytes : ERROR_BODY_CAPTURE_BYTES;
    return true;
  }

  /**
   * Keeps at most the limit. A non-reply body past it is read and thrown away (so the connection
   * can be reused) up to a bound, then the connection is dropped; a reply past it is dropped at once.
   */
  onData(chunk: Buffer): boolean {
    if (this.settled) return true;
    this.#seen += chunk.byteLength;
    if (this.#kept < this.#limit) {
      const take = Math.min(chunk.byteLength, this.#limit - this.#kept);
      (this.#chunks ??= []).push(take === chunk.byteLength ? chunk : chunk.subarray(0, take));
      this.#kept += take;
      if (take < chunk.byteLength) this.#truncated = true;
    } else if (chunk.byteLength > 0) {
      this.#truncated = true;
    }
    if (this.#truncated && (this.#isCe || this.#seen > this.#limit + DRAIN_LIMIT_BYTES)) {
      this.#answered();
      this.#abort?.(new Error('response body over the limit'));
    }
    return true;
  }

  onComplete(): void {
    this.#answered();
  }

  onError(err: Error): void {
    if (this.settled) return;
    this.#finish({ kind: 'error', message: errorMessage(err) });
  }

  /** Timeout or abort: the outcome is known now; the request, if it started, is torn down. */
  #cancel(outcome: SendOutcome): void {
    if (this.settled) return;
    this.#finish(outcome);
    this.#abort?.(new Error(outcome.kind === 'error' ? outcome.message : 'aborted'));
  }

  /** The response (possibly cut at the limit) is complete: judge it. */
  #answered(): void {
    if (this.settled) return;
    const status = this.#status;
    const headers = flattenHeaders(this.#headers);
    const chunks = this.#chunks;
    // An empty body is one shared empty buffer, not a new one per answer.
    const bytes =
      chunks === undefined
        ? NO_BODY
        : chunks.length === 1
          ? chunks[0]!
          : Buffer.concat(chunks, this.#kept);
    if (!this.#isCe) {
      if (isSuccessStatus(status) && bytes.byteLength > 0)
        this.#o.logger.debug(
          { url: this.#o.shownUrl, status },
          '2xx response body is not a CloudEvent: success without reply',
        );
      return this.#finish({ kind: 'response', status, headers, body: bytes });
    }
    if (this.#truncated) {
      return this.#finish({
        kind: 'response',
        status,
        headers,
        body: bytes.subarray(0, ERROR_BODY_CAPTURE_BYTES),
        replyError: `reply event is larger than ${this.#o.maxReplyBytes} bytes`,
      });
    }
    try {
      const { events } = decodeHttp(this.#headers as HeaderMap, bytes);
      if (events.length !== 1)
        throw new Error(`expected one reply event, got a batch of ${events.length}`);
      this.#finish({ kind: 'response', status, headers, body: bytes, reply: events[0] });
    } catch (err) {
      this.#finish({
        kind: 'response',
        status,
        headers,
        body: bytes,
        replyError: `malformed reply event: ${(err as Error).message}`,
      });
    }
  }

  #finish(outcome: SendOutcome): void {
    this.settled = true;
    if (this.#timed) unwatchTimeout(this.#o.timeoutMs!, this);
    if (this.#o.signal) unwatchSignal(this.#o.signal, this);
    this.#resolve(outcome);
  }
}

/** The headers before an answer has any (never written to), and the body of an empty answer. */
const NO_HEADERS: Record<string, string | string[] | undefined> = Object.freeze({});
const NO_BODY: Buffer = Buffer.alloc(0);

function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(h)) {
    const v = h[k];
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
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
