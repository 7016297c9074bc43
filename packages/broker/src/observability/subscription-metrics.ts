import { Counter, Histogram, type Registry } from './prom-client.js';
import { KnativeExtensions, redactUrl, type CloudEvent } from '@tributary/core';
import type { AttemptReport, DispatchOutcome } from '../dispatcher/dispatcher-types.js';
import {
  KNATIVE_DURATION_BUCKETS,
  MAX_EVENT_TYPES_PER_BROKER,
  OTHER_EVENT_TYPE_LABEL,
} from './metrics.js';
import { summedCounter } from './summed-counter.js';

/**
 * The series of Channels and their Subscriptions (docs/metrics.md, "Channels and
 * Subscriptions"): what a channel's ingress accepted and refused, and per Subscription (a
 * Subscription resource, a Sequence step, a Parallel filter or branch) its delivery attempts and
 * outcomes. They sit in the runtime's registry next to the broker and trigger series
 * (metrics.ts), named for channels so the two never mix.
 */

/** Identity of a channel subscription in its series. */
export interface SubscriptionLabels {
  /** The channel's namespace (a Subscription delivers from a channel of its namespace). */
  readonly namespace: string;
  readonly channel: string;
  readonly subscription: string;
}

const CHANNEL = ['kn_channel_namespace', 'kn_channel_name'] as const;
const SUBSCRIPTION = [...CHANNEL, 'kn_subscription_name'] as const;

type Labels = Record<string, string>;
type Increment = { inc(): void };
type Observer = { observe(v: number): void };

interface SubscriptionSeries {
  readonly labels: Labels;
  process?: Observer;
  readonly dispatch: Map<string, Observer>;
  readonly outcomes: Map<string, Increment>;
  readonly retried: Map<string, Increment>;
}

/** Prometheus series of the channels and subscriptions of one runtime. */
export class SubscriptionMetrics {
  readonly #accepted: ReturnType<typeof summedCounter>;
  readonly #rejected: Counter;
  readonly #dispatch: Histogram;
  readonly #process: Histogram;
  readonly #outcomes: ReturnType<typeof summedCounter>;
  readonly #retried: ReturnType<typeof summedCounter>;
  readonly #acceptedByType = new Map<string, Increment>();
  // Label sets are resolved once per (subscription, type), as metrics.ts does for triggers.
  readonly #subscriptions = new WeakMap<SubscriptionLabels, Map<string, SubscriptionSeries>>();
  readonly #types = new Map<string, Set<string>>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.#accepted = summedCounter({
      name: 'tributary_channel_events_accepted_total',
      help: 'Events a channel ingress accepted (202: the backend holds them), Sequence and Parallel ingresses included.',
      labelNames: [...CHANNEL, 'cloudevents_type'],
      registers,
    });
    this.#rejected = new Counter({
      name: 'tributary_channel_events_rejected_total',
      help: 'Requests (or in-process ingests) a channel ingress refused, by response status.',
      labelNames: [...CHANNEL, 'http_response_status_code'],
      registers,
    });
    this.#dispatch = new Histogram({
      name: 'tributary_subscription_dispatch_duration_seconds',
      help: 'Duration of one delivery attempt of a channel subscription to its subscriber, reply or dead-letter sink.',
      labelNames: [
        ...SUBSCRIPTION,
        'cloudevents_type',
        'http_response_status_code',
        'messaging_destination_name',
      ],
      buckets: KNATIVE_DURATION_BUCKETS,
      registers,
    });
    this.#process = new Histogram({
      name: 'tributary_subscription_process_duration_seconds',
      help: "Time from an event's arrival (knativearrivaltime) to a channel subscription's first attempt to its subscriber.",
      labelNames: [...SUBSCRIPTION, 'cloudevents_type'],
      buckets: KNATIVE_DURATION_BUCKETS,
      registers,
    });
    this.#outcomes = summedCounter({
      name: 'tributary_subscription_events_total',
      help: 'Events a channel subscription finished with, by outcome (delivered, filtered, dead-lettered, stored, dropped, failed-held).',
      labelNames: [...SUBSCRIPTION, 'cloudevents_type', 'outcome'],
      registers,
    });
    this.#retried = summedCounter({
      name: 'tributary_subscription_events_retried_total',
      help: 'Failed delivery attempts of a channel subscription that will be retried, by status.',
      labelNames: [...SUBSCRIPTION, 'cloudevents_type', 'http_response_status_code'],
      registers,
    });
  }

  /** Records a channel-ingress publish: counts accepted events, or the refusal. */
  ingested(
    namespace: string,
    channel: string,
    events: readonly CloudEvent[],
    status: number,
  ): void {
    if (status !== 202) {
      this.#rejected.inc({
        kn_channel_namespace: namespace,
        kn_channel_name: channel,
        http_response_status_code: String(status),
      });
      return;
    }
    for (const e of events) {
      const type = this.#type(namespace, channel, e.attributes['type']);
      const key = `${namespace}\u0001${channel}\u0001${type}`;
      let child = this.#acceptedByType.get(key);
      if (child === undefined) {
        child = this.#accepted.child({
          kn_channel_namespace: namespace,
          kn_channel_name: channel,
          cloudevents_type: type,
        });
        this.#acceptedByType.set(key, child);
      }
      child.inc();
    }
  }

  /** Records one delivery attempt of a subscription's dispatcher. */
  attempt(s: SubscriptionLabels, a: AttemptReport): void {
    const series = this.#series(s, a.event.attributes['type']);
    const code = a.status === undefined ? '' : String(a.status);
    const destination = a.leg === 'subscriber' ? '' : a.target;
    const key = `${code}\u0001${destination}`;
    let dispatch = series.dispatch.get(key);
    if (dispatch === undefined) {
      dispatch = this.#dispatch.labels({
        ...series.labels,
        http_response_status_code: code,
        messaging_destination_name:
          a.leg === 'subscriber'
            ? `subscription:${s.subscription}.${s.namespace}`
            : redactUrl(a.target),
      });
      series.dispatch.set(key, dispatch);
    }
    dispatch.observe(a.durationMs / 1000);
    if (a.willRetry) {
      let retried = series.retried.get(code);
      if (retried === undefined) {
        retried = this.#retried.child({ ...series.labels, http_response_status_code: code });
        series.retried.set(code, retried);
      }
      retried.inc();
    }
    if (a.leg === 'subscriber' && a.attempt === 1) {
      const arrived = Date.parse(a.event.attributes[KnativeExtensions.arrivalTime] ?? '');
      if (Number.isFinite(arrived)) {
        series.process ??= this.#process.labels(series.labels);
        series.process.observe(Math.max(0, a.startedAt - arrived) / 1000);
      }
    }
  }

  /** Records the final outcome of one event at a subscription. */
  outcome(s: SubscriptionLabels, o: DispatchOutcome): void {
    if (o.kind === 'aborted') return;
    const series = this.#series(s, o.eventType);
    let child = series.outcomes.get(o.kind);
    if (child === undefined) {
      child = this.#outcomes.child({ ...series.labels, outcome: o.kind });
      series.outcomes.set(o.kind, child);
    }
    child.inc();
  }

  #series(s: SubscriptionLabels, rawType: string | undefined): SubscriptionSeries {
    const type = this.#type(s.namespace, s.channel, rawType);
    let byType = this.#subscriptions.get(s);
    if (byType === undefined) this.#subscriptions.set(s, (byType = new Map()));
    let series = byType.get(type);
    if (series === undefined) {
      series = {
        labels: {
          kn_channel_namespace: s.namespace,
          kn_channel_name: s.channel,
          kn_subscription_name: s.subscription,
          cloudevents_type: type,
        },
        dispatch: new Map(),
        outcomes: new Map(),
        retried: new Map(),
      };
      byType.set(type, series);
    }
    return series;
  }

  /** The label value of an event type: itself while the channel has few, else `other`. */
  #type(namespace: string, channel: string, type: string | undefined): string {
    const v = type ?? '';
    const key = `${namespace}/${channel}`;
    let seen = this.#types.get(key);
    if (!seen) this.#types.set(key, (seen = new Set()));
    if (seen.has(v)) return v;
    if (seen.size >= MAX_EVENT_TYPES_PER_BROKER) return OTHER_EVENT_TYPE_LABEL;
    seen.add(v);
    return v;
  }
}
