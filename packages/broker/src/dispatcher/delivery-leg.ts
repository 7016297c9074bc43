import { performance } from 'node:perf_hooks';
import {
  type CloudEvent,
  type DeadLetterAttempt,
  type DeliveryInfo,
  type Logger,
  RedeliverLaterError,
  withAttributes,
} from '@tributary/core';
import {
  type DeliveryTarget,
  type SendOptions,
  type SendOutcome,
  isSuccessStatus,
  preparationFailed,
} from './delivery-target.js';
import {
  type AttemptReport,
  DispatcherClosedError,
  type SubscriptionDispatcherOptions,
} from './dispatcher-types.js';
import { isRetryableStatus, retryDelayMs } from './retry.js';
import { sleep } from './dispatch-support.js';
import {
  SpanKind,
  endSpan,
  parseTraceparent,
  passedTraceparent,
  startSpan,
  traceparentOf,
  tracerRegistered,
} from '../observability/tracing.js';

/**
 * One leg of a delivery (docs/architecture.md): the attempts at one target (subscriber, reply or
 * dead-letter sink) with the retry policy, the flow gate, one span and one attempt report each.
 */

/** What a dispatcher resolved once, read by every attempt of its legs. */
export interface LegContext {
  readonly name: string;
  readonly namespace: string;
  readonly kind: 'trigger' | 'subscription';
  readonly log: Logger;
  readonly options: SubscriptionDispatcherOptions;
  readonly timeoutMs: number;
  readonly subscriberFormat: 'binary' | 'structured';
  /** Span attribute names `kn.<kind>.name` / `kn.<kind>.namespace` (built once, not per attempt). */
  readonly spanNameKey: string;
  readonly spanNamespaceKey: string;
  readonly closed: boolean;
  /** Aborts when the dispatcher closes. */
  readonly signal: AbortSignal;
}

/** The delivery a leg belongs to (for logs) and what its subscriber leg leaves out. */
export interface DeliveryOrigin {
  readonly event: CloudEvent;
  readonly deliveryCount: number;
  /** Passed as `omitAttribute` to a subscriber that {@link DeliveryTarget.omitsAttributes}. */
  readonly omitFromSubscriber?: string | undefined;
}

export type Leg =
  | { ok: true; outcome: SendOutcome; attempts: number; traceparent?: string | undefined }
  | { ok: false; outcome: SendOutcome; status: number | undefined; attempts: number };

/**
 * The report of an attempt whose event was sent without `omit`: `received` is the event as held,
 * `event` the event as sent, made only if read (the metrics read `received`). Saves the copy of
 * every event a Trigger delivers over HTTP, ~1.5 % of the broker's CPU with its GC under
 * bench/hot-path.mjs (deleting the attribute from a copy also made the copy a slow dictionary).
 */
class OmittedAttributeReport implements AttemptReport {
  readonly leg: AttemptReport['leg'];
  readonly received: CloudEvent;
  readonly target: string;
  readonly attempt: number;
  readonly status: number | undefined;
  readonly ok: boolean;
  readonly willRetry: boolean;
  readonly startedAt: number;
  readonly durationMs: number;
  readonly #omit: string;
  #event: CloudEvent | undefined;

  constructor(report: AttemptReport, omit: string) {
    this.leg = report.leg;
    this.received = report.event;
    this.target = report.target;
    this.attempt = report.attempt;
    this.status = report.status;
    this.ok = report.ok;
    this.willRetry = report.willRetry;
    this.startedAt = report.startedAt;
    this.durationMs = report.durationMs;
    this.#omit = omit;
  }

  get event(): CloudEvent {
    return (this.#event ??= withAttributes(this.received, { [this.#omit]: undefined }));
  }
}

/** A failed attempt: its effective status and whether to retry. */
type Failure = { readonly retry: boolean; readonly status?: number };
const RETRY_ERROR: Failure = { retry: true };
const RETRY_BAD_GATEWAY: Failure = { retry: true, status: 502 };

/** Judges an attempt: undefined for a success, else the failure. */
function failureOf(
  c: LegContext,
  outcome: SendOutcome,
  leg: 'subscriber' | 'other',
): Failure | undefined {
  if (outcome.kind === 'error') return RETRY_ERROR;
  if (!isSuccessStatus(outcome.status))
    return { retry: isRetryableStatus(outcome.status), status: outcome.status };
  if (outcome.replyError !== undefined) return RETRY_BAD_GATEWAY;
  if (
    leg === 'subscriber' &&
    c.options.nonCeBodyIsFailure &&
    !outcome.reply &&
    outcome.body.byteLength > 0
  ) {
    return RETRY_BAD_GATEWAY;
  }
  return undefined;
}

/**
 * Sends with the retry policy; rejects only when the dispatcher closes (or hands a long backoff to
 * the backend with RedeliverLaterError). Failed attempts are appended to `attemptLog`. `origin` and
 * `deliveryCount` (the event the backend delivered) only name the delivery in debug logs.
 */
export async function deliverLeg(
  c: LegContext,
  target: DeliveryTarget,
  event: CloudEvent,
  leg: 'subscriber' | 'other',
  origin: DeliveryOrigin,
  resume?: Pick<DeliveryInfo, 'attempt' | 'deferral'>,
  attemptLog?: DeadLetterAttempt[],
): Promise<Leg> {
  const { options, name } = c;
  const headers: Record<string, string> = { 'kn-namespace': c.namespace };
  const tp = event.attributes['traceparent'];
  const ts = event.attributes['tracestate'];
  if (tp !== undefined) headers['traceparent'] = tp;
  if (ts !== undefined) headers['tracestate'] = ts;
  const isSubscriber = target === options.subscriber;
  const role = isSubscriber ? 'subscriber' : target === options.reply ? 'reply' : 'dead-letter';
  // One options object per leg: the attempts are sequential and only `traceparent` changes.
  const omit = isSubscriber ? origin.omitFromSubscriber : undefined;
  const sendOptions: SendOptions = {
    omitAttribute: omit,
    timeoutMs: c.timeoutMs,
    format: leg === 'subscriber' ? c.subscriberFormat : 'binary',
    headers,
    expectReply: leg === 'subscriber',
    signal: c.signal,
  };
  for (let attempt = resume?.attempt ?? 1; ; attempt++) {
    if (c.closed) throw new DispatcherClosedError(name);
    // Flow control (flow-gate.ts) holds subscriber attempts; a held attempt burns no retry.
    const gate = isSubscriber ? options.gate : undefined;
    const release = gate
      ? (gate.tryAcquire?.() ?? (await gate.acquire(c.signal, name)))
      : undefined;
    const startedAt = Date.now();
    const t0 = performance.now();
    // One span per attempt; the subscriber's `traceparent` header names it (docs/knative-behaviour.md
    // §9.3). Without a registered tracer provider the API's span would be a no-op carrying the
    // parent's context: the header is computed directly, which skips a tracer, two contexts, the
    // span and its attributes (microbenchmark: ~0.77 → ~0.05 µs per attempt with a traceparent,
    // ~0.06 → ~0.01 µs without).
    const span = tracerRegistered()
      ? startSpan(`send ${target.url}`, parseTraceparent(tp), SpanKind.CLIENT, {
          [c.spanNameKey]: name,
          [c.spanNamespaceKey]: c.namespace,
          'cloudevents.id': event.attributes['id'] ?? '',
          'cloudevents.type': event.attributes['type'] ?? '',
          'tributary.delivery.leg': role,
          'tributary.delivery.attempt': attempt,
        })
      : undefined;
    const sent = span ? (traceparentOf(span) ?? tp) : passedTraceparent(tp);
    if (sent !== undefined) headers['traceparent'] = sent;
    let outcome: SendOutcome;
    try {
      outcome = await target.send(event, sendOptions);
    } catch (err) {
      // Whatever fails while preparing or making an attempt is a failed attempt (retried, then
      // dead-lettered with the reason), never a rejected handler that the backend redelivers.
      outcome = { kind: 'error', message: preparationFailed(err) };
    }
    if (c.closed) {
      release?.('aborted');
      throw new DispatcherClosedError(name);
    }
    const failure = failureOf(c, outcome, leg);
    release?.(failure === undefined ? 'ok' : 'failed');
    const last = failure === undefined || !failure.retry || attempt > options.policy.retry;
    const status = outcome.kind === 'response' ? outcome.status : undefined;
    const error = outcome.kind === 'error' ? outcome.message : undefined;
    if (span) endSpan(span, status, error);
    // A leg that fails consists of failed attempts only, so successes need no entry.
    if (failure !== undefined)
      attemptLog?.push({
        time: new Date(startedAt).toISOString(),
        status: status ?? null,
        ...(error !== undefined ? { error } : {}),
      });
    if (options.onAttempt) {
      try {
        const report: AttemptReport = {
          leg: role,
          event,
          target: target.url,
          attempt,
          status,
          ok: failure === undefined,
          willRetry: !last,
          startedAt,
          durationMs: performance.now() - t0,
        };
        options.onAttempt(omit === undefined ? report : new OmittedAttributeReport(report, omit));
      } catch (err) {
        c.log.error({ err }, 'onAttempt hook threw');
      }
    }
    if (failure === undefined) return { ok: true, outcome, attempts: attempt, traceparent: sent };
    c.log.debug(
      {
        eventId: origin.event.attributes['id'] ?? '',
        type: origin.event.attributes['type'] ?? '',
        deliveryCount: origin.deliveryCount,
        ...(role === 'reply' ? { replyId: event.attributes['id'] } : {}),
        target: target.url,
        attempt,
        status: failure.status,
        error,
        retryable: failure.retry,
      },
      last ? 'delivery attempt failed; giving up' : 'delivery attempt failed; will retry',
    );
    if (last) return { ok: false, outcome, status: failure.status, attempts: attempt };
    const wait = retryDelayMs(options.policy, attempt, outcome);
    // A backend that persists delayed redeliveries takes long backoffs off our hands.
    if (resume?.deferral && wait >= resume.deferral.minDelayMs)
      throw new RedeliverLaterError(wait, attempt + 1);
    await sleep(wait, c.signal, name);
  }
}
