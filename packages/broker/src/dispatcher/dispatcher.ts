import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import {
  type CloudEvent,
  type DeadLetterAttempt,
  type DeliveryInfo,
  KnativeExtensions,
  type Logger,
  RedeliverLaterError,
  isWellFormed,
  silentLogger,
  withAttributes,
} from '@tributary/core';
import { failureOf, withDeadLetterExtensions } from './dead-letter.js';
import {
  type DeliveryTarget,
  type SendOutcome,
  isSuccessStatus,
  preparationFailed,
} from './delivery-target.js';
import {
  type AttemptReport,
  DeadLetterFailedError,
  type DeliveryExhaustion,
  type DispatchOutcome,
  DispatcherClosedError,
  type EventDispatcher,
  type RedriveResult,
  type SubscriptionDispatcherOptions,
  type TriggerDispatcherOptions,
} from './dispatcher-types.js';
import { isRetryableStatus, retryDelayMs } from './retry.js';
import {
  SpanKind,
  endSpan,
  parseTraceparent,
  startSpan,
  traceparentOf,
} from '../observability/tracing.js';

export {
  type AttemptReport,
  DeadLetterFailedError,
  type DeliveryExhaustion,
  type RedriveResult,
  type DispatchOutcome,
  DispatcherClosedError,
  type EventDispatcher,
  type SubscriptionDispatcherOptions,
  type TriggerDispatcherOptions,
};

/**
 * The per-subscription delivery loop (docs/architecture.md): filter → deliver (timeout, retry, backoff,
 * Retry-After) → reply → dead-letter → ack. One dispatcher per Trigger (or Channel Subscription);
 * its `handle` is the backend subscription's handler.
 */

/**
 * The per-attempt timeout when the delivery sets none (docs/manifests.md, delivery): a hung
 * subscriber cannot hold a delivery for good.
 */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 30_000;

/** Dispatcher of a Trigger: {@link createSubscriptionDispatcher} with `stripTtl: true` and `kind: 'trigger'`. */
export function createTriggerDispatcher(options: TriggerDispatcherOptions): EventDispatcher {
  return createSubscriptionDispatcher({ ...options, kind: 'trigger', stripTtl: true });
}

type Leg =
  | { ok: true; outcome: SendOutcome; attempts: number; traceparent?: string | undefined }
  | { ok: false; outcome: SendOutcome; status: number | undefined; attempts: number };

/** A general dispatcher (Trigger, Channel Subscription, flow step); see {@link SubscriptionDispatcherOptions}. */
export function createSubscriptionDispatcher(
  options: SubscriptionDispatcherOptions,
): EventDispatcher {
  const { name, namespace, policy, subscriber } = options;
  const kind = options.kind ?? 'subscription';
  const log = bindName(options.logger ?? silentLogger, kind, name, namespace);
  const held = options.heldRedelivery ?? { initialMs: 1000, maxMs: 60_000 };
  const closer = new AbortController();
  // Every delivery in flight listens on this one signal; the bound is the trigger's concurrency.
  setMaxListeners(0, closer.signal);
  const subscriberFormat = policy.format === 'json' ? 'structured' : 'binary';
  const timeoutMs = policy.timeoutMs ?? options.defaultTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;

  function report(o: DispatchOutcome): void {
    try {
      options.onOutcome?.(o);
    } catch (err) {
      log.error({ err }, 'onOutcome hook threw');
    }
  }

  function reportAttempt(a: AttemptReport): void {
    if (!options.onAttempt) return;
    try {
      options.onAttempt(a);
    } catch (err) {
      log.error({ err }, 'onAttempt hook threw');
    }
  }

  /** Judges an attempt: success, or a failure with its effective status and whether to retry. */
  function judge(
    outcome: SendOutcome,
    leg: 'subscriber' | 'other',
  ): { ok: true } | { ok: false; retry: boolean; status?: number } {
    if (outcome.kind === 'error') return { ok: false, retry: true };
    if (!isSuccessStatus(outcome.status))
      return { ok: false, retry: isRetryableStatus(outcome.status), status: outcome.status };
    if (outcome.replyError !== undefined) return { ok: false, retry: true, status: 502 };
    if (
      leg === 'subscriber' &&
      options.nonCeBodyIsFailure &&
      !outcome.reply &&
      outcome.body.byteLength > 0
    ) {
      return { ok: false, retry: true, status: 502 };
    }
    return { ok: true };
  }

  /** Sends with the retry policy; rejects only when the dispatcher closes. */
  async function deliver(
    target: DeliveryTarget,
    event: CloudEvent,
    leg: 'subscriber' | 'other',
    fields: object,
    resume?: Pick<DeliveryInfo, 'attempt' | 'deferral'>,
    attemptLog?: DeadLetterAttempt[],
  ): Promise<Leg> {
    const headers: Record<string, string> = { 'kn-namespace': namespace };
    const tp = event.attributes['traceparent'];
    const ts = event.attributes['tracestate'];
    if (tp !== undefined) headers['traceparent'] = tp;
    if (ts !== undefined) headers['tracestate'] = ts;
    for (let attempt = resume?.attempt ?? 1; ; attempt++) {
      if (closer.signal.aborted) throw new DispatcherClosedError(name);
      // Flow control (flow-gate.ts) holds subscriber attempts; a held attempt burns no retry.
      const release =
        target === subscriber && options.gate
          ? await options.gate.acquire(closer.signal, name)
          : undefined;
      const startedAt = Date.now();
      const t0 = performance.now();
      const role =
        target === subscriber ? 'subscriber' : target === options.reply ? 'reply' : 'dead-letter';
      // One span per attempt; the subscriber's `traceparent` header names it (docs/knative-behaviour.md §9.3).
      const span = startSpan(`send ${target.url}`, parseTraceparent(tp), SpanKind.CLIENT, {
        [`kn.${kind}.name`]: name,
        [`kn.${kind}.namespace`]: namespace,
        'cloudevents.id': event.attributes['id'] ?? '',
        'cloudevents.type': event.attributes['type'] ?? '',
        'tributary.delivery.leg': role,
        'tributary.delivery.attempt': attempt,
      });
      const sent = traceparentOf(span) ?? tp;
      if (sent !== undefined) headers['traceparent'] = sent;
      let outcome: SendOutcome;
      try {
        outcome = await target.send(event, {
          timeoutMs,
          format: leg === 'subscriber' ? subscriberFormat : 'binary',
          headers,
          expectReply: leg === 'subscriber',
          signal: closer.signal,
        });
      } catch (err) {
        // Whatever fails while preparing or making an attempt is a failed attempt (retried, then
        // dead-lettered with the reason), never a rejected handler that the backend redelivers.
        outcome = { kind: 'error', message: preparationFailed(err) };
      }
      if (closer.signal.aborted) {
        release?.('aborted');
        throw new DispatcherClosedError(name);
      }
      const verdict = judge(outcome, leg);
      release?.(verdict.ok ? 'ok' : 'failed');
      const last = verdict.ok || !verdict.retry || attempt > policy.retry;
      endSpan(
        span,
        outcome.kind === 'response' ? outcome.status : undefined,
        outcome.kind === 'error' ? outcome.message : undefined,
      );
      attemptLog?.push({
        time: new Date(startedAt).toISOString(),
        status: outcome.kind === 'response' ? outcome.status : null,
        ...(outcome.kind === 'error' ? { error: outcome.message } : {}),
      });
      reportAttempt({
        leg: role,
        event,
        target: target.url,
        attempt,
        status: outcome.kind === 'response' ? outcome.status : undefined,
        ok: verdict.ok,
        willRetry: !last,
        startedAt,
        durationMs: performance.now() - t0,
      });
      if (verdict.ok) return { ok: true, outcome, attempts: attempt, traceparent: sent };
      log.debug(
        {
          ...fields,
          target: target.url,
          attempt,
          status: verdict.status,
          error: outcome.kind === 'error' ? outcome.message : undefined,
          retryable: verdict.retry,
        },
        last ? 'delivery attempt failed; giving up' : 'delivery attempt failed; will retry',
      );
      if (last) return { ok: false, outcome, status: verdict.status, attempts: attempt };
      const wait = retryDelayMs(policy, attempt, outcome);
      // A backend that persists delayed redeliveries takes long backoffs off our hands.
      if (resume?.deferral && wait >= resume.deferral.minDelayMs)
        throw new RedeliverLaterError(wait, attempt + 1);
      await sleep(wait, closer.signal, name);
    }
  }

  /** The delivery of one event; `redriving` skips the filter and hands an exhaustion back. */
  async function dispatchOne(
    event: CloudEvent,
    info: DeliveryInfo,
    redriving: boolean,
  ): Promise<RedriveResult | undefined> {
    const started = performance.now();
    const eventId = event.attributes['id'] ?? '';
    const eventType = event.attributes['type'] ?? '';
    const fields = { eventId, type: eventType, deliveryCount: info.deliveryCount };
    const base = { name, namespace, eventId, eventType, deliveryCount: info.deliveryCount };
    const elapsed = () => performance.now() - started;
    if (closer.signal.aborted) throw new DispatcherClosedError(name);

    if (!redriving && options.filter && options.filter.match(event) === 'fail') {
      log.debug(fields, 'event filtered out');
      report({ ...base, kind: 'filtered', attempts: 0, durationMs: elapsed() });
      return;
    }

    let attempts = 0;
    try {
      const ttl = event.attributes[KnativeExtensions.brokerTtl];
      const toSubscriber =
        options.stripTtl && ttl !== undefined && subscriber.keepsTtl !== true
          ? withAttributes(event, { [KnativeExtensions.brokerTtl]: undefined })
          : event;
      const subAttempts: DeadLetterAttempt[] = [];
      const sub = await deliver(subscriber, toSubscriber, 'subscriber', fields, info, subAttempts);
      attempts = sub.attempts;
      let failed:
        | { destination: string; leg: Leg & { ok: false }; attempts: DeadLetterAttempt[] }
        | undefined;
      let replied = false;
      if (!sub.ok) failed = { destination: subscriber.url, leg: sub, attempts: subAttempts };
      else if (sub.outcome.kind === 'response' && sub.outcome.reply) {
        if (!options.reply) {
          log.debug(fields, 'reply event discarded: no reply destination');
        } else {
          let reply = sub.outcome.reply;
          // The reply continues the delivery's trace unless it carries its own.
          if (sub.traceparent !== undefined && reply.attributes['traceparent'] === undefined)
            reply = withAttributes(reply, { traceparent: sub.traceparent });
          if (options.stripTtl && ttl !== undefined)
            reply = withAttributes(reply, { [KnativeExtensions.brokerTtl]: ttl });
          const replyAttempts: DeadLetterAttempt[] = [];
          const r = await deliver(
            options.reply,
            reply,
            'other',
            { ...fields, replyId: reply.attributes['id'] },
            undefined,
            replyAttempts,
          );
          if (!r.ok) failed = { destination: options.reply.url, leg: r, attempts: replyAttempts };
          else replied = true;
        }
      }
      const subStatus = sub.outcome.kind === 'response' ? sub.outcome.status : undefined;
      if (!failed) {
        log.debug({ ...fields, status: subStatus, attempts, replied }, 'event delivered');
        report({
          ...base,
          kind: 'delivered',
          attempts,
          status: subStatus,
          replied,
          durationMs: elapsed(),
        });
        return { kind: 'delivered' };
      }

      const failure = failureOf(failed.destination, failed.leg.outcome, failed.leg.status);
      const why = {
        ...fields,
        destination: failure.destination,
        status: failure.status,
        attempts: failed.leg.attempts,
        error: failed.leg.outcome.kind === 'error' ? failed.leg.outcome.message : undefined,
      };
      const common = {
        ...base,
        attempts,
        status: failure.status,
        failedDestination: failure.destination,
      };
      if (!options.deadLetter) {
        const exhaustion: DeliveryExhaustion = { event, failure, attempts: failed.attempts };
        if (redriving) return { kind: 'exhausted', exhaustion };
        if (options.onExhausted) {
          try {
            await options.onExhausted(exhaustion);
          } catch (err) {
            const msg = `delivery to ${failure.destination} failed (${failure.status}) and the dead-letter store refused the event (${(err as Error).message}); the event stays with the backend for redelivery`;
            log.error({ ...why, err }, msg);
            report({ ...common, kind: 'failed-held', durationMs: elapsed() });
            await holdBeforeRedelivery(info);
            throw new DeadLetterFailedError(msg);
          }
          log.warn(
            why,
            'delivery failed and no dead-letter sink is configured: event stored in the dead-letter store',
          );
          report({ ...common, kind: 'stored', durationMs: elapsed() });
          return undefined;
        }
        log.warn(why, 'delivery failed and no dead-letter sink is configured: event dropped');
        report({ ...common, kind: 'dropped', durationMs: elapsed() });
        return undefined;
      }
      const dls = await deliver(
        options.deadLetter,
        representable(withDeadLetterExtensions(event, failure)),
        'other',
        fields,
      );
      if (dls.ok) {
        log.warn(
          { ...why, deadLetterSink: options.deadLetter.url },
          'delivery failed: event sent to the dead-letter sink',
        );
        report({ ...common, kind: 'dead-lettered', durationMs: elapsed() });
        return { kind: 'dead-lettered' };
      }
      const dlsFailure = failureOf(options.deadLetter.url, dls.outcome, dls.status);
      const msg = `delivery to ${failure.destination} failed (${failure.status}) and so did the dead-letter sink ${dlsFailure.destination} (${dlsFailure.status}); the event stays with the backend for redelivery`;
      log.error(
        { ...why, deadLetterSink: dlsFailure.destination, deadLetterStatus: dlsFailure.status },
        msg,
      );
      report({ ...common, kind: 'failed-held', durationMs: elapsed() });
      if (!redriving) await holdBeforeRedelivery(info);
      throw new DeadLetterFailedError(msg);
    } catch (err) {
      if (err instanceof DispatcherClosedError) {
        log.debug(fields, 'dispatcher closed mid-delivery; event left with the backend');
        report({ ...base, kind: 'aborted', attempts, durationMs: elapsed() });
      } else if (err instanceof RedeliverLaterError) {
        log.debug(
          { ...fields, delayMs: err.delayMs, nextAttempt: err.attempt },
          'retry handed to the backend for durable redelivery',
        );
      }
      throw err;
    }
  }

  /** Waits before rejecting a held event, so a backend that redelivers at once does not spin. */
  async function holdBeforeRedelivery(info: DeliveryInfo): Promise<void> {
    const wait = Math.min(held.maxMs, held.initialMs * 2 ** Math.max(0, info.deliveryCount - 1));
    await sleep(wait, closer.signal, name).catch(() => undefined);
  }

  return {
    async handle(event, info) {
      await dispatchOne(event, info, false);
    },
    async redrive(event) {
      const r = await dispatchOne(event, { deliveryCount: 1 }, true);
      // process only returns undefined for a filtered event, which a redrive never is.
      return r ?? { kind: 'delivered' };
    },
    close() {
      closer.abort();
    },
  };
}

/**
 * The event with every attribute made encodable (a lone surrogate becomes U+FFFD), so that an event
 * whose delivery failed because it could not be encoded still reaches the dead-letter sink.
 */
function representable(event: CloudEvent): CloudEvent {
  let changes: Record<string, string> | undefined;
  for (const [name, value] of Object.entries(event.attributes))
    if (!isWellFormed(value)) (changes ??= {})[name] = toWellFormed(value);
  return changes ? withAttributes(event, changes) : event;
}

function toWellFormed(value: string): string {
  return (value as string & { toWellFormed(): string }).toWellFormed();
}

/** Resolves after `ms`, or rejects with DispatcherClosedError as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new DispatcherClosedError(name));
    if (ms <= 0) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      reject(new DispatcherClosedError(name));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Adds `{ [kind]: name, namespace }` unless the logger (pino) already carries those bindings. */
function bindName(logger: Logger, kind: string, name: string, namespace: string): Logger {
  const bindings = (logger as { bindings?: () => Record<string, unknown> }).bindings;
  const have = typeof bindings === 'function' ? bindings.call(logger) : {};
  const add: Record<string, unknown> = {};
  if (!(kind in have)) add[kind] = name;
  if (!('namespace' in have)) add['namespace'] = namespace;
  return Object.keys(add).length > 0 ? logger.child(add) : logger;
}
