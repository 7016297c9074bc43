import { performance } from 'node:perf_hooks';
import {
  type CloudEvent,
  type DeadLetterAttempt,
  type DeliveryInfo,
  KnativeExtensions,
  type Logger,
  RedeliverLaterError,
  silentLogger,
  withAttributes,
} from '@tributary/core';
import { failureOf, withDeadLetterExtensions } from './dead-letter.js';
import { type DeliveryOrigin, type Leg, type LegContext, deliverLeg } from './delivery-leg.js';
import { CloseSignal, bindName, representable, sleep } from './dispatch-support.js';
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
 * Retry-After; delivery-leg.ts) → reply → dead-letter → ack. One dispatcher per Trigger (or Channel
 * Subscription); its `handle` is the backend subscription's handler.
 */

/**
 * The per-attempt timeout when the delivery sets none (docs/manifests.md, delivery): a hung
 * subscriber cannot hold a delivery for good.
 */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 30_000;

/** Dispatcher of a Trigger: {@link createSubscriptionDispatcher} with `stripTtl: true` and `kind: 'trigger'`. */
export function createTriggerDispatcher(options: TriggerDispatcherOptions): EventDispatcher {
  return new SubscriptionDispatcher(options, 'trigger', true);
}

/** A general dispatcher (Trigger, Channel Subscription, flow step); see {@link SubscriptionDispatcherOptions}. */
export function createSubscriptionDispatcher(
  options: SubscriptionDispatcherOptions,
): EventDispatcher {
  return new SubscriptionDispatcher(
    options,
    options.kind ?? 'subscription',
    options.stripTtl === true,
  );
}

const DELIVERED: RedriveResult = Object.freeze({ kind: 'delivered' });

type FailedLeg = { destination: string; leg: Leg & { ok: false }; attempts: DeadLetterAttempt[] };

/**
 * One dispatcher's state, resolved once; its methods live on the prototype, so a Trigger that is
 * idle costs one object rather than a closure per step (10,000 Triggers: ~4 MiB of closures and
 * their contexts less in heap snapshots, bench/footprint.mjs).
 */
class SubscriptionDispatcher implements LegContext, EventDispatcher {
  readonly name: string;
  readonly namespace: string;
  readonly kind: 'trigger' | 'subscription';
  readonly log: Logger;
  readonly options: SubscriptionDispatcherOptions;
  readonly timeoutMs: number;
  readonly subscriberFormat: 'binary' | 'structured';
  readonly spanNameKey: string;
  readonly spanNamespaceKey: string;
  readonly stripTtl: boolean;
  readonly #closer = new CloseSignal();

  // `kind` and `stripTtl` come apart from `options`, not in a copy of them (one object and one
  // hidden class per Trigger less: ~0.18 KB).
  constructor(
    options: SubscriptionDispatcherOptions,
    kind: 'trigger' | 'subscription',
    stripTtl: boolean,
  ) {
    const { name, namespace, policy } = options;
    this.options = options;
    this.name = name;
    this.namespace = namespace;
    this.kind = kind;
    this.stripTtl = stripTtl;
    this.log = bindName(options.logger ?? silentLogger, this.kind, name, namespace);
    this.subscriberFormat = policy.format === 'json' ? 'structured' : 'binary';
    this.timeoutMs = policy.timeoutMs ?? options.defaultTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
    this.spanNameKey = kind === 'trigger' ? 'kn.trigger.name' : 'kn.subscription.name';
    this.spanNamespaceKey =
      kind === 'trigger' ? 'kn.trigger.namespace' : 'kn.subscription.namespace';
  }

  get closed(): boolean {
    return this.#closer.closed;
  }

  get signal(): AbortSignal {
    return this.#closer.signal;
  }

  /**
   * The backend's handler (called unbound). `#dispatch` resolves undefined when not redriving, so
   * its promise is the handler's: an async wrapper awaiting it was one more promise per event.
   */
  readonly handle = (event: CloudEvent, info: DeliveryInfo): Promise<void> =>
    this.#dispatch(event, info, false) as Promise<undefined>;

  async redrive(event: CloudEvent): Promise<RedriveResult> {
    const r = await this.#dispatch(event, { deliveryCount: 1 }, true);
    // #dispatch only returns undefined for a filtered event, which a redrive never is.
    return r ?? { kind: 'delivered' };
  }

  close(): void {
    this.#closer.close();
  }

  /** Reports the outcome of one event; built only when someone listens. */
  #report(
    kind: DispatchOutcome['kind'],
    event: CloudEvent,
    info: DeliveryInfo,
    started: number,
    attempts: number,
    extra?: Pick<DispatchOutcome, 'status' | 'replied' | 'failedDestination'>,
  ): void {
    const onOutcome = this.options.onOutcome;
    if (!onOutcome) return;
    try {
      onOutcome({
        name: this.name,
        namespace: this.namespace,
        eventId: event.attributes['id'] ?? '',
        eventType: event.attributes['type'] ?? '',
        deliveryCount: info.deliveryCount,
        kind,
        attempts,
        ...extra,
        durationMs: performance.now() - started,
      });
    } catch (err) {
      this.log.error({ err }, 'onOutcome hook threw');
    }
  }

  /** The fields naming an event in log lines (built only for lines that are written). */
  #fields(event: CloudEvent, info: DeliveryInfo) {
    return {
      eventId: event.attributes['id'] ?? '',
      type: event.attributes['type'] ?? '',
      deliveryCount: info.deliveryCount,
    };
  }

  #debug(): boolean {
    return this.log.isLevelEnabled?.('debug') ?? true;
  }

  /**
   * The delivery of one event; `redriving` skips the filter and hands an exhaustion back. Resolves
   * undefined unless `redriving`.
   */
  async #dispatch(
    event: CloudEvent,
    info: DeliveryInfo,
    redriving: boolean,
  ): Promise<RedriveResult | undefined> {
    const { options, name } = this;
    const started = performance.now();
    if (this.closed) throw new DispatcherClosedError(name);

    if (!redriving && options.filter && options.filter.match(event) === 'fail') {
      if (this.#debug()) this.log.debug(this.#fields(event, info), 'event filtered out');
      this.#report('filtered', event, info, started, 0);
      return;
    }

    let attempts = 0;
    try {
      const ttl = this.stripTtl ? event.attributes[KnativeExtensions.brokerTtl] : undefined;
      const strip = ttl !== undefined && options.subscriber.keepsTtl !== true;
      // A target that can leave the attribute out gets the event as it is (delivery-leg.ts).
      const omitted = strip && options.subscriber.omitsAttributes === true;
      const origin: DeliveryOrigin = {
        event,
        deliveryCount: info.deliveryCount,
        omitFromSubscriber: omitted ? KnativeExtensions.brokerTtl : undefined,
      };
      const toSubscriber =
        strip && !omitted
          ? withAttributes(event, { [KnativeExtensions.brokerTtl]: undefined })
          : event;
      const subAttempts: DeadLetterAttempt[] = [];
      const sub = await deliverLeg(
        this,
        options.subscriber,
        toSubscriber,
        'subscriber',
        origin,
        info,
        subAttempts,
      );
      attempts = sub.attempts;
      let failed: FailedLeg | undefined;
      let replied = false;
      if (!sub.ok)
        failed = { destination: options.subscriber.url, leg: sub, attempts: subAttempts };
      else if (sub.outcome.kind === 'response' && sub.outcome.reply) {
        const r = await this.#deliverReply(sub.outcome.reply, sub.traceparent, ttl, origin, info);
        if (r === true) replied = true;
        else if (r !== false) failed = r;
      }
      const status = sub.outcome.kind === 'response' ? sub.outcome.status : undefined;
      if (!failed) {
        if (this.#debug())
          this.log.debug(
            { ...this.#fields(event, info), status, attempts, replied },
            'event delivered',
          );
        this.#report('delivered', event, info, started, attempts, { status, replied });
        return redriving ? DELIVERED : undefined;
      }
      const r = await this.#failed(event, info, started, redriving, attempts, failed);
      return redriving ? r : undefined;
    } catch (err) {
      if (err instanceof DispatcherClosedError) {
        this.log.debug(
          this.#fields(event, info),
          'dispatcher closed mid-delivery; event left with the backend',
        );
        this.#report('aborted', event, info, started, attempts);
      } else if (err instanceof RedeliverLaterError) {
        this.log.debug(
          { ...this.#fields(event, info), delayMs: err.delayMs, nextAttempt: err.attempt },
          'retry handed to the backend for durable redelivery',
        );
      }
      throw err;
    }
  }

  /** Delivers the subscriber's reply; true when done (or discarded), else the failed leg. */
  async #deliverReply(
    answer: CloudEvent,
    traceparent: string | undefined,
    ttl: string | undefined,
    origin: DeliveryOrigin,
    info: DeliveryInfo,
  ): Promise<FailedLeg | false | true> {
    const target = this.options.reply;
    if (!target) {
      this.log.debug(
        this.#fields(origin.event, info),
        'reply event discarded: no reply destination',
      );
      return false;
    }
    let reply = answer;
    // The reply continues the delivery's trace unless it carries its own.
    if (traceparent !== undefined && reply.attributes['traceparent'] === undefined)
      reply = withAttributes(reply, { traceparent });
    if (ttl !== undefined) reply = withAttributes(reply, { [KnativeExtensions.brokerTtl]: ttl });
    const replyAttempts: DeadLetterAttempt[] = [];
    const r = await deliverLeg(this, target, reply, 'other', origin, undefined, replyAttempts);
    return r.ok ? true : { destination: target.url, leg: r, attempts: replyAttempts };
  }

  /** The subscriber or reply leg failed: dead-letter, store, drop or hold the event. */
  async #failed(
    event: CloudEvent,
    info: DeliveryInfo,
    started: number,
    redriving: boolean,
    attempts: number,
    failed: FailedLeg,
  ): Promise<RedriveResult | undefined> {
    const { options } = this;
    const failure = failureOf(failed.destination, failed.leg.outcome, failed.leg.status);
    const why = {
      ...this.#fields(event, info),
      destination: failure.destination,
      status: failure.status,
      attempts: failed.leg.attempts,
      error: failed.leg.outcome.kind === 'error' ? failed.leg.outcome.message : undefined,
    };
    const common = { status: failure.status, failedDestination: failure.destination };
    const report = (kind: DispatchOutcome['kind']) =>
      this.#report(kind, event, info, started, attempts, common);
    if (!options.deadLetter) {
      const exhaustion: DeliveryExhaustion = { event, failure, attempts: failed.attempts };
      if (redriving) return { kind: 'exhausted', exhaustion };
      if (options.onExhausted) {
        try {
          await options.onExhausted(exhaustion);
        } catch (err) {
          const msg = `delivery to ${failure.destination} failed (${failure.status}) and the dead-letter store refused the event (${(err as Error).message}); the event stays with the backend for redelivery`;
          this.log.error({ ...why, err }, msg);
          report('failed-held');
          await this.#holdBeforeRedelivery(info);
          throw new DeadLetterFailedError(msg);
        }
        this.log.warn(
          why,
          'delivery failed and no dead-letter sink is configured: event stored in the dead-letter store',
        );
        report('stored');
        return undefined;
      }
      this.log.warn(why, 'delivery failed and no dead-letter sink is configured: event dropped');
      report('dropped');
      return undefined;
    }
    const dls = await deliverLeg(
      this,
      options.deadLetter,
      representable(withDeadLetterExtensions(event, failure)),
      'other',
      { event, deliveryCount: info.deliveryCount },
    );
    if (dls.ok) {
      this.log.warn(
        { ...why, deadLetterSink: options.deadLetter.url },
        'delivery failed: event sent to the dead-letter sink',
      );
      report('dead-lettered');
      return { kind: 'dead-lettered' };
    }
    const dlsFailure = failureOf(options.deadLetter.url, dls.outcome, dls.status);
    const msg = `delivery to ${failure.destination} failed (${failure.status}) and so did the dead-letter sink ${dlsFailure.destination} (${dlsFailure.status}); the event stays with the backend for redelivery`;
    this.log.error(
      { ...why, deadLetterSink: dlsFailure.destination, deadLetterStatus: dlsFailure.status },
      msg,
    );
    report('failed-held');
    if (!redriving) await this.#holdBeforeRedelivery(info);
    throw new DeadLetterFailedError(msg);
  }

  /** Waits before rejecting a held event, so a backend that redelivers at once does not spin. */
  async #holdBeforeRedelivery(info: DeliveryInfo): Promise<void> {
    const held = this.options.heldRedelivery ?? { initialMs: 1000, maxMs: 60_000 };
    const wait = Math.min(held.maxMs, held.initialMs * 2 ** Math.max(0, info.deliveryCount - 1));
    await sleep(wait, this.signal, this.name).catch(() => undefined);
  }
}
