import type { CloudEvent } from '@tributary/core';

/**
 * Where a dispatcher sends an event: an HTTP endpoint, an in-process function, or an in-process
 * ingress hop (a Broker/Channel in the same process). Every kind answers in HTTP terms (a status,
 * headers and a body, or a transport error), so retry classification and dead-lettering are the same
 * for all of them.
 */
export interface DeliveryTarget {
  /**
   * The address used in logs and in `knativeerrordest` when this target fails: the HTTP URL,
   * `function://<namespace>/<name>` for in-process functions, the ingress URL for ingress hops.
   */
  readonly url: string;
  /**
   * True when the target is a broker ingress (in process, or Tributary's own HTTP ingress): it
   * applies the TTL itself, so a Trigger delivers the event WITH its `knativebrokerttl` and a loop
   * back into a broker runs down (docs/architecture.md, loops). Unset for other subscribers, which
   * never see the TTL (Knative's rule).
   */
  readonly keepsTtl?: boolean;
  /**
   * True when `send` honours {@link SendOptions.omitAttribute}; for other targets the dispatcher
   * sends a copy of the event without the attribute.
   */
  readonly omitsAttributes?: boolean;
  /**
   * Performs ONE attempt (no retries: the dispatcher owns the retry policy). Never rejects for
   * delivery problems: a transport failure, a timeout or an abort is `{ kind: 'error' }`.
   */
  send(event: CloudEvent, options: SendOptions): Promise<SendOutcome>;
}

/** Options of one delivery attempt. */
export interface SendOptions {
  /** Per-attempt timeout; the attempt becomes `{ kind: 'error', timedOut: true }` when it elapses. */
  readonly timeoutMs?: number | undefined;
  /** CloudEvents HTTP content mode. Non-HTTP targets may ignore it. */
  readonly format: 'binary' | 'structured';
  /**
   * An attribute to leave out of what is sent, as if the event did not carry it (a Trigger's
   * `knativebrokerttl`); only given to targets with {@link DeliveryTarget.omitsAttributes}.
   */
  readonly omitAttribute?: string | undefined;
  /** Extra request headers (lower-case names), e.g. `traceparent`, `tracestate`, `kn-namespace`. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /**
   * True when a reply is wanted: HTTP targets send `Prefer: reply` and decode a CloudEvent in the
   * response. When false the response body is only captured (bounded) for error reporting.
   */
  readonly expectReply: boolean;
  /** Aborts the attempt (dispatcher shutdown); the outcome is then `{ kind: 'error', aborted: true }`. */
  readonly signal?: AbortSignal | undefined;
}

/** What one attempt produced. */
export type SendOutcome = SendResponse | SendError;

/** The target answered (any status). */
export interface SendResponse {
  readonly kind: 'response';
  readonly status: number;
  /** Response headers, lower-case names, repeated values joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The response body, possibly truncated to a capture limit (enough for `knativeerrordata`, which
   * keeps at most 768 bytes). Empty when there was none.
   */
  readonly body: Uint8Array;
  /** The reply event, when the answer was a 2xx carrying a valid CloudEvent and a reply was expected. */
  readonly reply?: CloudEvent | undefined;
  /**
   * Set when the answer claimed to be a CloudEvent (ce-specversion or a cloudevents content type)
   * but could not be decoded, or was larger than the reply limit. Knative's broker-filter answers
   * 502 for that; the dispatcher treats it as a retryable failure.
   */
  readonly replyError?: string | undefined;
}

/** No usable answer: network error, timeout or abort. */
export interface SendError {
  readonly kind: 'error';
  /** What happened, e.g. `connect ECONNREFUSED 127.0.0.1:1` or `timeout after 500 ms`. */
  readonly message: string;
  /** The per-attempt timeout elapsed. */
  readonly timedOut?: boolean | undefined;
  /** The caller's signal aborted the attempt. */
  readonly aborted?: boolean | undefined;
}

/** True for a response with a 2xx status. */
export function isSuccessStatus(status: number): boolean {
  return status >= 200 && status <= 299;
}

/** The abort signal of one attempt; call `done()` when the attempt is over. */
export interface AttemptSignal {
  /** Aborts when the caller's signal aborts or the timeout elapses; undefined when neither can. */
  readonly signal: AbortSignal | undefined;
  /** True when the timeout (not the caller) aborted the attempt. */
  timedOut(): boolean;
  /** Clears the timer and the listener on the caller's signal. */
  done(): void;
}

/**
 * Combines a caller's abort signal with a per-attempt timeout. One controller, one timer cleared by
 * `done()` and one listener object per attempt: `AbortSignal.timeout` would keep every timer alive
 * for its whole duration and `AbortSignal.any` costs far more, on a path every delivery takes.
 */
export function attemptSignal(
  signal: AbortSignal | undefined,
  timeoutMs: number | undefined,
): AttemptSignal {
  if (timeoutMs === undefined || !(timeoutMs > 0))
    return { signal, timedOut: () => false, done: () => undefined };
  return new TimedAttempt(signal, timeoutMs);
}

class TimedAttempt implements AttemptSignal {
  readonly #controller = new AbortController();
  readonly #parent: AbortSignal | undefined;
  readonly #timer: NodeJS.Timeout;
  #timedOut = false;

  constructor(parent: AbortSignal | undefined, timeoutMs: number) {
    this.#parent = parent;
    if (parent?.aborted) this.#controller.abort(parent.reason);
    else parent?.addEventListener('abort', this, { once: true });
    this.#timer = setTimeout(onAttemptTimeout, timeoutMs, this);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  timedOut(): boolean {
    return this.#timedOut;
  }

  /** The caller's signal aborted (EventListener object: no closure per attempt). */
  handleEvent(): void {
    this.#controller.abort(this.#parent?.reason);
  }

  expire(): void {
    if (this.#controller.signal.aborted) return;
    this.#timedOut = true;
    this.#controller.abort(new DOMException('the attempt timed out', 'TimeoutError'));
  }

  done(): void {
    clearTimeout(this.#timer);
    this.#parent?.removeEventListener('abort', this);
  }
}

function onAttemptTimeout(attempt: TimedAttempt): void {
  attempt.expire();
}

/** The reason an event could not be turned into a request. */
export function preparationFailed(err: unknown): string {
  const why =
    err instanceof RangeError
      ? 'its data is nested too deeply to be encoded'
      : err instanceof Error
        ? err.message
        : String(err);
  return `the event could not be prepared for delivery: ${why}`;
}
