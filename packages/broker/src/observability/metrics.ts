import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CloudEvent } from '@tributary/core';
import { KnativeExtensions, redactUrl } from '@tributary/core';
import type { AttemptReport, DispatchOutcome } from '../dispatcher/dispatcher-types.js';
import { labelled } from './labelled.js';

/**
 * The runtime's Prometheus metrics (docs/metrics.md). One {@link RuntimeMetrics} per runtime, with
 * its own prom-client Registry, so several runtimes in one process never share series.
 *
 * Names: Knative's current OpenTelemetry histograms (`kn.eventing.dispatch.duration`,
 * `kn.eventing.process.duration`) rendered the way the OTel Prometheus exporter renders them
 * (dots → underscores, unit suffix), plus Tributary's own event counters and the backlog gauge.
 */

/** Buckets of Knative's duration histograms, in seconds (docs/knative-behaviour.md §9.1). */
export const KNATIVE_DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

/** Where a trigger's backlog comes from, asked at every scrape. */
export interface BacklogSource {
  /** True when the broker exists; others are labelled {@link UNKNOWN_BROKER_LABEL}. @default all known */
  knownBroker?(namespace: string, name: string): boolean;
  /** One entry per running trigger: its broker, namespace and `backend.backlog?.(…)`. */
  backlogs(): Array<{
    namespace: string;
    broker: string;
    trigger: string;
    waiting: number | undefined;
  }>;
}

/**
 * Bounds on label values, whatever clients send (docs/metrics.md): requests to brokers that do not
 * exist are counted under {@link UNKNOWN_BROKER_LABEL}; each broker keeps at most
 * {@link MAX_EVENT_TYPES_PER_BROKER} distinct `cloudevents_type` values, later ones are `other`.
 */
export const UNKNOWN_BROKER_LABEL = '_unknown';
export const MAX_EVENT_TYPES_PER_BROKER = 100;
export const OTHER_EVENT_TYPE_LABEL = 'other';

/** Trigger identity the runtime adds to dispatcher reports. */
export interface TriggerLabels {
  readonly namespace: string;
  readonly broker: string;
  readonly trigger: string;
}

const BROKER = ['kn_broker_namespace', 'kn_broker_name'] as const;
const TRIGGER = [...BROKER, 'kn_trigger_name'] as const;

/** Prometheus metrics of one runtime. */
export class RuntimeMetrics {
  /** The registry `GET /metrics` renders. */
  readonly registry = new Registry();
  readonly #dispatch: Histogram;
  readonly #process: Histogram;
  readonly #accepted: Counter;
  readonly #rejected: Counter;
  readonly #delivered: Counter;
  readonly #filtered: Counter;
  readonly #retried: Counter;
  readonly #deadLettered: Counter;
  readonly #dropped: Counter;
  readonly #held: Counter;
  readonly #children = new Map<
    object,
    (labels: Record<string, string>) => { inc(): void; observe(v: number): void }
  >();

  readonly #types = new Map<string, Set<string>>();
  readonly #knownBroker: (namespace: string, name: string) => boolean;

  constructor(backlog: BacklogSource) {
    this.#knownBroker = backlog.knownBroker?.bind(backlog) ?? (() => true);
    const registers = [this.registry];
    this.#dispatch = new Histogram({
      name: 'kn_eventing_dispatch_duration_seconds',
      help: 'Duration of one send: broker ingress → backend publish, or one delivery attempt to a subscriber, reply or dead-letter sink.',
      labelNames: [
        ...TRIGGER,
        'cloudevents_type',
        'http_response_status_code',
        'messaging_destination_name',
      ],
      buckets: KNATIVE_DURATION_BUCKETS,
      registers,
    });
    this.#process = new Histogram({
      name: 'kn_eventing_process_duration_seconds',
      help: 'Time from arrival at the broker ingress (knativearrivaltime) to the first delivery attempt to the subscriber: backend queueing plus filtering.',
      labelNames: [...TRIGGER, 'cloudevents_type'],
      buckets: KNATIVE_DURATION_BUCKETS,
      registers,
    });
    const counter = (name: string, help: string, labelNames: readonly string[]) =>
      new Counter({ name, help, labelNames, registers });
    this.#accepted = counter(
      'tributary_events_accepted_total',
      'Events a broker ingress accepted (202: the backend holds them).',
      [...BROKER, 'cloudevents_type'],
    );
    this.#rejected = counter(
      'tributary_events_rejected_total',
      'HTTP requests (or in-process ingests) a broker ingress refused, by response status.',
      [...BROKER, 'http_response_status_code'],
    );
    const outcome = (name: string, help: string) =>
      counter(name, help, [...TRIGGER, 'cloudevents_type']);
    this.#delivered = outcome(
      'tributary_events_delivered_total',
      'Events a trigger delivered (the subscriber answered 2xx; its reply, if any, was accepted).',
    );
    this.#filtered = outcome(
      'tributary_events_filtered_total',
      "Events a trigger's filter did not pass (acknowledged without delivery).",
    );
    this.#retried = counter(
      'tributary_events_retried_total',
      'Failed delivery attempts that will be retried, by the failed attempt’s status.',
      [...TRIGGER, 'cloudevents_type', 'http_response_status_code'],
    );
    this.#deadLettered = outcome(
      'tributary_events_dead_lettered_total',
      'Events whose delivery failed and that the dead-letter sink accepted.',
    );
    this.#dropped = outcome(
      'tributary_events_dropped_total',
      'Events whose delivery failed with no dead-letter sink configured (acknowledged, as Knative does).',
    );
    this.#held = outcome(
      'tributary_events_dead_letter_failed_total',
      'Times delivery AND the dead-letter sink failed; the event stays with the backend and is tried again.',
    );
    new Gauge({
      name: 'tributary_trigger_events_waiting',
      help: 'Events held for a trigger and not yet acknowledged (backlog / consumer lag), read from the backend at scrape time.',
      labelNames: TRIGGER,
      registers,
      collect() {
        this.reset();
        for (const b of backlog.backlogs()) {
          if (b.waiting === undefined) continue;
          this.set(
            {
              kn_broker_namespace: b.namespace,
              kn_broker_name: b.broker,
              kn_trigger_name: b.trigger,
            },
            b.waiting,
          );
        }
      },
    });
  }

  /** Records one broker-ingress publish (HTTP or in-process). */
  ingested(
    namespace: string,
    broker: string,
    events: readonly CloudEvent[],
    status: number,
    durationMs: number,
  ): void {
    const b = { kn_broker_namespace: namespace, kn_broker_name: broker };
    if (status !== 202) return;
    for (const e of events)
      this.#child(this.#accepted, {
        ...b,
        cloudevents_type: this.#type(namespace, broker, e.attributes['type']),
      }).inc();
    this.#child(this.#dispatch, {
      ...b,
      kn_trigger_name: '',
      cloudevents_type: this.#type(namespace, broker, events[0]?.attributes['type']),
      http_response_status_code: String(status),
      messaging_destination_name: `broker:${broker}.${namespace}`,
    }).observe(durationMs / 1000);
  }

  /** Records a refused ingress request. */
  rejected(namespace: string, broker: string, status: number): void {
    const known = this.#knownBroker(namespace, broker);
    this.#child(this.#rejected, {
      kn_broker_namespace: known ? namespace : UNKNOWN_BROKER_LABEL,
      kn_broker_name: known ? broker : UNKNOWN_BROKER_LABEL,
      http_response_status_code: String(status),
    }).inc();
  }

  /** Records one delivery attempt of a trigger's dispatcher. */
  attempt(t: TriggerLabels, a: AttemptReport): void {
    const labels = this.#trigger(t, a.event);
    const code = a.status === undefined ? '' : String(a.status);
    this.#child(this.#dispatch, {
      ...labels,
      http_response_status_code: code,
      messaging_destination_name:
        a.leg === 'subscriber' ? `trigger:${t.trigger}.${t.namespace}` : redactUrl(a.target),
    }).observe(a.durationMs / 1000);
    if (a.willRetry)
      this.#child(this.#retried, { ...labels, http_response_status_code: code }).inc();
    if (a.leg === 'subscriber' && a.attempt === 1) {
      const arrived = Date.parse(a.event.attributes[KnativeExtensions.arrivalTime] ?? '');
      if (Number.isFinite(arrived))
        this.#child(this.#process, labels).observe(Math.max(0, a.startedAt - arrived) / 1000);
    }
  }

  /** Records the final outcome of one event at a trigger. */
  outcome(t: TriggerLabels, o: DispatchOutcome): void {
    const labels = {
      kn_broker_namespace: t.namespace,
      kn_broker_name: t.broker,
      kn_trigger_name: t.trigger,
      cloudevents_type: this.#type(t.namespace, t.broker, o.eventType),
    };
    const counter = {
      delivered: this.#delivered,
      filtered: this.#filtered,
      'dead-lettered': this.#deadLettered,
      dropped: this.#dropped,
      'failed-held': this.#held,
      // Counted by the dead-letter store metrics (tributary_deadletter_entries_added_total).
      stored: undefined,
      aborted: undefined,
    }[o.kind];
    if (counter) this.#child(counter, labels).inc();
  }

  /** The labelled child of a metric for one label set (cached; see labelled.ts). */
  #child(metric: Counter | Histogram, labels: Record<string, string>) {
    let get = this.#children.get(metric);
    if (!get) {
      const names = (metric as unknown as { labelNames: string[] }).labelNames;
      get = labelled(
        metric as unknown as {
          labels(l: Record<string, string>): { inc(): void; observe(v: number): void };
        },
        names,
      );
      this.#children.set(metric, get);
    }
    return get(labels);
  }

  /** The Prometheus text exposition. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  #trigger(t: TriggerLabels, event: CloudEvent) {
    return {
      kn_broker_namespace: t.namespace,
      kn_broker_name: t.broker,
      kn_trigger_name: t.trigger,
      cloudevents_type: this.#type(t.namespace, t.broker, event.attributes['type']),
    };
  }

  /** The label value of an event type: itself while the broker has few, else `other`. */
  #type(namespace: string, broker: string, type: string | undefined): string {
    const v = type ?? '';
    const key = `${namespace}/${broker}`;
    let seen = this.#types.get(key);
    if (!seen) {
      seen = new Set();
      this.#types.set(key, seen);
    }
    if (seen.has(v)) return v;
    if (seen.size >= MAX_EVENT_TYPES_PER_BROKER) return OTHER_EVENT_TYPE_LABEL;
    seen.add(v);
    return v;
  }
}
