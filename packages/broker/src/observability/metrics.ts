import { Counter, Gauge, Registry } from './prom-client.js';
import type { CloudEvent } from '@tributary/core';
import { KnativeExtensions, redactUrl } from '@tributary/core';
import type { AttemptReport, DispatchOutcome } from '../dispatcher/dispatcher-types.js';
import { summedCounter } from './summed-counter.js';
import { type HistogramSeries, SummedHistogram } from './summed-histogram.js';

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

type Labels = Record<string, string>;
type Increment = { inc(): void };
type OutcomeKind = DispatchOutcome['kind'];

/** The series of one trigger and event type, resolved once: label objects and children. */
interface TypeSeries {
  readonly labels: Labels;
  process?: HistogramSeries;
  /** Dispatch-duration children of subscriber attempts by status (undefined: no response). */
  readonly subscriber: Map<number | undefined, HistogramSeries>;
  /** Dispatch-duration children of reply / dead-letter attempts by `<status>\u0001<target>`. */
  readonly other: Map<string, HistogramSeries>;
  /** Retried-counter children by status. */
  readonly retried: Map<number | undefined, Increment>;
  readonly outcomes: Map<OutcomeKind, Increment>;
}

/** The series of one broker ingress and event type. */
interface IngressSeries {
  readonly accepted: Increment;
  readonly dispatch: HistogramSeries;
}

/** Prometheus metrics of one runtime. */
export class RuntimeMetrics {
  /** The registry `GET /metrics` renders. */
  readonly registry = new Registry();
  readonly #dispatch: SummedHistogram;
  readonly #process: SummedHistogram;
  readonly #accepted: ReturnType<typeof summedCounter>;
  readonly #rejected: Counter;
  readonly #retried: ReturnType<typeof summedCounter>;
  readonly #outcomes: Record<OutcomeKind, ReturnType<typeof summedCounter> | undefined>;
  // Label sets are resolved once per (trigger, type) / (broker, type) rather than built, keyed and
  // validated per event (see summed-counter.ts for the counters).
  readonly #triggers = new WeakMap<TriggerLabels, Map<string, TypeSeries>>();
  /** Ingress series by namespace, broker and type (nested: no key string built per ingest). */
  readonly #ingress = new Map<string, Map<string, Map<string, IngressSeries>>>();
  readonly #types = new Map<string, Set<string>>();
  readonly #knownBroker: (namespace: string, name: string) => boolean;

  constructor(backlog: BacklogSource) {
    this.#knownBroker = backlog.knownBroker?.bind(backlog) ?? (() => true);
    const registers = [this.registry];
    this.#dispatch = new SummedHistogram({
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
    this.#process = new SummedHistogram({
      name: 'kn_eventing_process_duration_seconds',
      help: 'Time from arrival at the broker ingress (knativearrivaltime) to the first delivery attempt to the subscriber: backend queueing plus filtering.',
      labelNames: [...TRIGGER, 'cloudevents_type'],
      buckets: KNATIVE_DURATION_BUCKETS,
      registers,
    });
    const counter = (name: string, help: string, labelNames: readonly string[]) =>
      summedCounter({ name, help, labelNames, registers });
    this.#accepted = counter(
      'tributary_events_accepted_total',
      'Events a broker ingress accepted (202: the backend holds them).',
      [...BROKER, 'cloudevents_type'],
    );
    this.#rejected = new Counter({
      name: 'tributary_events_rejected_total',
      help: 'HTTP requests (or in-process ingests) a broker ingress refused, by response status.',
      labelNames: [...BROKER, 'http_response_status_code'],
      registers,
    });
    const outcome = (name: string, help: string) =>
      counter(name, help, [...TRIGGER, 'cloudevents_type']);
    const delivered = outcome(
      'tributary_events_delivered_total',
      'Events a trigger delivered (the subscriber answered 2xx; its reply, if any, was accepted).',
    );
    const filtered = outcome(
      'tributary_events_filtered_total',
      "Events a trigger's filter did not pass (acknowledged without delivery).",
    );
    this.#retried = counter(
      'tributary_events_retried_total',
      'Failed delivery attempts that will be retried, by the failed attempt’s status.',
      [...TRIGGER, 'cloudevents_type', 'http_response_status_code'],
    );
    const deadLettered = outcome(
      'tributary_events_dead_lettered_total',
      'Events whose delivery failed and that the dead-letter sink accepted.',
    );
    const dropped = outcome(
      'tributary_events_dropped_total',
      'Events whose delivery failed with no dead-letter sink configured (acknowledged, as Knative does).',
    );
    const held = outcome(
      'tributary_events_dead_letter_failed_total',
      'Times delivery AND the dead-letter sink failed; the event stays with the backend and is tried again.',
    );
    this.#outcomes = {
      delivered,
      filtered,
      'dead-lettered': deadLettered,
      dropped,
      'failed-held': held,
      // Counted by the dead-letter store metrics (tributary_deadletter_entries_added_total).
      stored: undefined,
      aborted: undefined,
    };
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
    if (status !== 202 || events.length === 0) return;
    const byType = this.#ingressTypes(namespace, broker);
    const first = this.#ingressSeries(byType, namespace, broker, events[0]!);
    first.accepted.inc();
    for (let i = 1; i < events.length; i++)
      this.#ingressSeries(byType, namespace, broker, events[i]!).accepted.inc();
    first.dispatch.observe(durationMs / 1000);
  }

  /** Records a refused ingress request. */
  rejected(namespace: string, broker: string, status: number): void {
    const known = this.#knownBroker(namespace, broker);
    this.#rejected.inc({
      kn_broker_namespace: known ? namespace : UNKNOWN_BROKER_LABEL,
      kn_broker_name: known ? broker : UNKNOWN_BROKER_LABEL,
      http_response_status_code: String(status),
    });
  }

  /** Records one delivery attempt of a trigger's dispatcher. */
  attempt(t: TriggerLabels, a: AttemptReport): void {
    // `received` has the same type and arrival time, and reading it builds no copy.
    const event = a.received ?? a.event;
    const series = this.#series(t, event.attributes['type']);
    const subscriber = a.leg === 'subscriber';
    const key = subscriber ? undefined : `${a.status ?? ''}\u0001${a.target}`;
    let dispatch = subscriber ? series.subscriber.get(a.status) : series.other.get(key!);
    if (dispatch === undefined) {
      dispatch = this.#dispatch.child({
        ...series.labels,
        http_response_status_code: a.status === undefined ? '' : String(a.status),
        messaging_destination_name: subscriber
          ? `trigger:${t.trigger}.${t.namespace}`
          : redactUrl(a.target),
      });
      if (subscriber) series.subscriber.set(a.status, dispatch);
      else series.other.set(key!, dispatch);
    }
    dispatch.observe(a.durationMs / 1000);
    if (a.willRetry) {
      let retried = series.retried.get(a.status);
      if (retried === undefined) {
        retried = this.#retried.child({
          ...series.labels,
          http_response_status_code: a.status === undefined ? '' : String(a.status),
        });
        series.retried.set(a.status, retried);
      }
      retried.inc();
    }
    if (subscriber && a.attempt === 1) {
      const arrived = arrivalMs(event.attributes[KnativeExtensions.arrivalTime] ?? '');
      if (Number.isFinite(arrived)) {
        series.process ??= this.#process.child(series.labels);
        series.process.observe(Math.max(0, a.startedAt - arrived) / 1000);
      }
    }
  }

  /** Records the final outcome of one event at a trigger. */
  outcome(t: TriggerLabels, o: DispatchOutcome): void {
    const counter = this.#outcomes[o.kind];
    if (!counter) return;
    const series = this.#series(t, o.eventType);
    let child = series.outcomes.get(o.kind);
    if (child === undefined) {
      child = counter.child(series.labels);
      series.outcomes.set(o.kind, child);
    }
    child.inc();
  }

  /**
   * The series of `t` for an event type. Keyed by the raw type while it is its own label value (a
   * type counted as `other` is looked up through the cap every time), so bounded.
   */
  #series(t: TriggerLabels, rawType: string | undefined): TypeSeries {
    let byType = this.#triggers.get(t);
    if (byType === undefined) this.#triggers.set(t, (byType = new Map()));
    const hit = byType.get(rawType ?? '');
    if (hit !== undefined) return hit;
    const type = this.#type(t.namespace, t.broker, rawType);
    let series = byType.get(type);
    if (series === undefined) {
      series = {
        labels: {
          kn_broker_namespace: t.namespace,
          kn_broker_name: t.broker,
          kn_trigger_name: t.trigger,
          cloudevents_type: type,
        },
        subscriber: new Map(),
        other: new Map(),
        retried: new Map(),
        outcomes: new Map(),
      };
      byType.set(type, series);
    }
    return series;
  }

  #ingressTypes(namespace: string, broker: string): Map<string, IngressSeries> {
    let byBroker = this.#ingress.get(namespace);
    if (byBroker === undefined) this.#ingress.set(namespace, (byBroker = new Map()));
    let byType = byBroker.get(broker);
    if (byType === undefined) byBroker.set(broker, (byType = new Map()));
    return byType;
  }

  #ingressSeries(
    byType: Map<string, IngressSeries>,
    namespace: string,
    broker: string,
    event: CloudEvent,
  ): IngressSeries {
    const hit = byType.get(event.attributes['type'] ?? '');
    if (hit !== undefined) return hit;
    const type = this.#type(namespace, broker, event.attributes['type']);
    let series = byType.get(type);
    if (series === undefined) {
      const b = { kn_broker_namespace: namespace, kn_broker_name: broker };
      series = {
        accepted: this.#accepted.child({ ...b, cloudevents_type: type }),
        dispatch: this.#dispatch.child({
          ...b,
          kn_trigger_name: '',
          cloudevents_type: type,
          http_response_status_code: '202',
          messaging_destination_name: `broker:${broker}.${namespace}`,
        }),
      };
      byType.set(type, series);
    }
    return series;
  }

  /** The Prometheus text exposition. */
  render(): Promise<string> {
    return this.registry.metrics();
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

/** The millisecond prefix (`YYYY-MM-DDTHH:MM:SS.mmm`) last parsed by {@link arrivalMs}, and its value. */
let lastArrivalPrefix = '';
let lastArrivalMs = Number.NaN;

/**
 * `Date.parse(time)` for `knativearrivaltime`, which the ingress writes with nanoseconds
 * (nowRfc3339Nano): the events of one millisecond share their first 23 characters, and
 * `Date.parse` ignores the digits after the milliseconds, so a repeat is answered from the last
 * parse (~180 ns per `Date.parse` per delivered event, microbenchmark).
 */
function arrivalMs(time: string): number {
  if (time.length === 30 && time.charCodeAt(29) === 90 /* Z */ && digitsFrom23(time)) {
    if (lastArrivalPrefix !== '' && time.startsWith(lastArrivalPrefix)) return lastArrivalMs;
    const ms = Date.parse(time);
    lastArrivalPrefix = time.slice(0, 23);
    lastArrivalMs = ms;
    return ms;
  }
  return Date.parse(time);
}

/** Whether characters 23 to 28 (the sub-millisecond digits) are all digits. */
function digitsFrom23(time: string): boolean {
  for (let i = 23; i < 29; i++) {
    const c = time.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
