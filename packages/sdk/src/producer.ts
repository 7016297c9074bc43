import { type CloudEvent, CloudEventDecodeError, decodeHttp, encodeHttp } from '@tributary/core';
import type { z } from 'zod';
import { type BatchOptions, Batcher } from './batcher.js';
import {
  AttemptTimeoutError,
  BrokerUnreachableError,
  EventRejectedError,
  InvalidReplyError,
  ProducerClosedError,
  ProducerValidationError,
  ReplyTimeoutError,
} from './errors.js';
import { buildEvent, type EventInput } from './event-input.js';
import { retryPolicy, type RetryOptions } from './retry.js';
import { type SendResult, Transport, brokerMessage } from './transport.js';
import { type EventDefinition, type EventOverrides, isEventDefinition } from './typed-event.js';

/** How events travel: one per request (binary or structured), or many per request (batch). */
export type ProducerMode = 'binary' | 'structured' | 'batch';

/** Options of {@link createProducer}. */
export interface ProducerOptions {
  /** Broker ingress URL, e.g. `http://localhost:8080/default/default` (Tributary or Knative). */
  readonly url: string;
  /** Default `source` of events that do not set one. */
  readonly source?: string;
  /** @default 'binary' */
  readonly mode?: ProducerMode;
  /** Timeout of each HTTP attempt (a timed-out attempt is retried). @default 10_000 */
  readonly timeoutMs?: number;
  readonly retry?: RetryOptions;
  /** Most keep-alive connections to the broker. @default 10 */
  readonly connections?: number;
  /** Batch mode only: when queued events are posted. */
  readonly batch?: BatchOptions;
  /** Extra headers on every request (e.g. `authorization`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Per-call options. */
export interface SendOptions {
  /** Timeout of each attempt of this call (binary/structured mode; batch requests use the producer's). */
  readonly timeoutMs?: number;
  /** Aborts the call; in batch mode it withdraws an event that is still queued. */
  readonly signal?: AbortSignal;
}

/** Options of {@link Producer.request}. */
export interface RequestOptions {
  /**
   * How long to wait for the reply, in milliseconds; the RequestReply's own `spec.timeout` also
   * applies (it answers 504). @default 35000 (a little over Knative's default PT30S)
   */
  readonly timeout?: number;
  /** Aborts the call. */
  readonly signal?: AbortSignal;
}

/** Default of {@link RequestOptions.timeout}. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 35_000;

/** Per-call options of a typed send: attribute overrides plus {@link SendOptions}. */
export type TypedSendOptions = EventOverrides & SendOptions;

/** A client that sends CloudEvents to one broker. */
export interface Producer {
  /** The content mode in use. */
  readonly mode: ProducerMode;
  /** True once `close()` was called. */
  readonly closed: boolean;
  /**
   * Sends one event; resolves when the broker accepted it (in batch mode: when the batch carrying
   * it was accepted). Rejects with ProducerValidationError, EventRejectedError,
   * BrokerUnreachableError or ProducerClosedError.
   */
  send(event: EventInput, options?: SendOptions): Promise<SendResult>;
  /** Sends a typed event: `data` is checked against the definition's schema (types and run time). */
  send<S extends z.ZodType>(
    definition: EventDefinition<S>,
    data: z.input<S>,
    options?: TypedSendOptions,
  ): Promise<SendResult>;
  /**
   * Sends several events: in batch mode as batch requests of at most `batch.maxEvents` (now, not
   * queued), otherwise one request per event, concurrently. Every event is validated first (nothing
   * is sent if one is invalid). Resolves with one result per request; when some requests fail,
   * rejects with the first failure after all of them settled.
   */
  sendBatch(events: readonly EventInput[], options?: SendOptions): Promise<SendResult[]>;
  /**
   * Sends one event to a RequestReply address (the producer's `url`, e.g.
   * `http://localhost:8080/default/requestreplies/<name>`) and resolves with the reply event.
   * One HTTP request, not retried. Rejects with ReplyTimeoutError (504, or `timeout` passed),
   * EventRejectedError (any other status: 400, 404, 409, 503…), BrokerUnreachableError,
   * InvalidReplyError, ProducerValidationError or ProducerClosedError.
   */
  request(event: EventInput, options?: RequestOptions): Promise<CloudEvent>;
  /** Posts what is queued, waits for calls in flight (including their retries), then closes the connections. */
  close(): Promise<void>;
  /** Open and busy connections of the pool. */
  readonly stats: { connected: number; running: number; queued: number };
}

function positive(
  field: string,
  value: number | undefined,
  fallback: number,
  integer = false,
): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new ProducerValidationError(
      field,
      v,
      `${field}: must be a positive ${integer ? 'integer' : 'number'}, got ${v}`,
    );
  }
  return v;
}

/**
 * Creates a {@link Producer} for a broker ingress URL.
 *
 * @example
 * const producer = createProducer({ url: 'http://localhost:8080/default/default', source: '/shop' });
 * await producer.send({ type: 'com.example.order.created', data: { orderId: 'o-1' } });
 * await producer.close();
 */
export function createProducer(options: ProducerOptions): Producer {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new ProducerValidationError(
      'url',
      options.url,
      `url: '${String(options.url)}' is not an absolute URL`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ProducerValidationError(
      'url',
      options.url,
      `url: must be http: or https:, got '${url.protocol}'`,
    );
  }
  const mode = options.mode ?? 'binary';
  if (!['binary', 'structured', 'batch'].includes(mode)) {
    throw new ProducerValidationError(
      'mode',
      mode,
      `mode: must be 'binary', 'structured' or 'batch', got '${String(mode)}'`,
    );
  }
  const timeoutMs = positive('timeoutMs', options.timeoutMs, 10_000);
  const connections = positive('connections', options.connections, 10, true);
  const maxEvents = positive('batch.maxEvents', options.batch?.maxEvents, 100, true);
  const maxDelayMs = positive('batch.maxDelayMs', options.batch?.maxDelayMs, 50);
  const transport = new Transport(
    url.href,
    connections,
    options.headers ?? {},
    retryPolicy(options.retry),
  );
  const batcher = new Batcher(transport, maxEvents, maxDelayMs, timeoutMs);
  const inflight = new Set<Promise<unknown>>();
  let closing: Promise<void> | undefined;

  const track = <T>(p: Promise<T>): Promise<T> => {
    inflight.add(p);
    const done = (): boolean => inflight.delete(p);
    p.then(done, done);
    return p;
  };

  const sendOne = (event: CloudEvent, opts: SendOptions = {}): Promise<SendResult> => {
    if (mode === 'batch') return batcher.enqueue(event, opts.signal);
    const callTimeout = positive('timeoutMs', opts.timeoutMs, timeoutMs);
    return track(
      transport.post(encodeHttp(event, mode), { timeoutMs: callTimeout, signal: opts.signal }),
    );
  };

  const producer: Producer = {
    mode,
    get closed() {
      return closing !== undefined;
    },
    get stats() {
      return transport.stats;
    },
    async send(
      first: EventInput | EventDefinition,
      second?: unknown,
      third?: TypedSendOptions,
    ): Promise<SendResult> {
      if (closing) throw new ProducerClosedError(url.href);
      if (isEventDefinition(first)) {
        const event = buildEvent(first.event(second, third), options.source);
        return sendOne(event, third);
      }
      return sendOne(buildEvent(first, options.source), second as SendOptions | undefined);
    },
    async sendBatch(events, opts = {}) {
      if (closing) throw new ProducerClosedError(url.href);
      const built = events.map((e, i) => {
        try {
          return buildEvent(e, options.source);
        } catch (err) {
          if (!(err instanceof ProducerValidationError)) throw err;
          const field = `events[${i}].${err.field}`;
          throw new ProducerValidationError(
            field,
            err.value,
            `events[${i}].${err.message}`,
            err.problems,
          );
        }
      });
      if (built.length === 0) return [];
      const calls =
        mode === 'batch'
          ? [track(batcher.postAll(built, opts.signal))]
          : built.map((e) => sendOne(e, opts).then((r) => [r]));
      const settled = await Promise.allSettled(calls);
      const failed = settled.find((s) => s.status === 'rejected');
      if (failed) throw failed.reason;
      return settled.flatMap((s) => (s.status === 'fulfilled' ? s.value : []));
    },
    async request(input, opts = {}) {
      if (closing) throw new ProducerClosedError(url.href);
      const event = buildEvent(input, options.source);
      const timeout = positive('timeout', opts.timeout, DEFAULT_REQUEST_TIMEOUT_MS);
      const message = encodeHttp(event, mode === 'structured' ? 'structured' : 'binary');
      return track(
        (async () => {
          let answer;
          try {
            answer = await transport.exchange(message, { timeoutMs: timeout, signal: opts.signal });
          } catch (err) {
            if (err instanceof AttemptTimeoutError) throw new ReplyTimeoutError(url.href, timeout);
            if (opts.signal?.aborted) throw opts.signal.reason;
            throw new BrokerUnreachableError(url.href, 1, err);
          }
          const text = () => answer.body.toString('utf8').slice(0, 2048);
          if (answer.status === 504)
            throw new ReplyTimeoutError(url.href, timeout, brokerMessage(text()));
          if (answer.status < 200 || answer.status > 299)
            throw new EventRejectedError(answer.status, brokerMessage(text()), 1, url.href);
          try {
            const decoded = decodeHttp(answer.headers, answer.body).events;
            if (decoded.length !== 1)
              throw new InvalidReplyError(url.href, `${decoded.length} events`);
            return decoded[0]!;
          } catch (err) {
            if (err instanceof CloudEventDecodeError)
              throw new InvalidReplyError(url.href, err.message);
            throw err;
          }
        })(),
      );
    },
    close() {
      closing ??= (async () => {
        await batcher.drain();
        while (inflight.size > 0) await Promise.allSettled([...inflight]);
        await transport.close();
      })();
      return closing;
    },
  };
  return producer;
}
