import type { Registry } from 'prom-client';

/**
 * Per-trigger counters read from the runtime's prom-client registry (docs/metrics.md), for the
 * console's topology badges. Totals only: the browser diffs two readings to get events/s, the
 * error rate and the p99 latency of the interval (see web/src/rates.ts).
 */

export interface TriggerStats {
  readonly namespace: string;
  readonly broker: string;
  readonly trigger: string;
  readonly delivered: number;
  /** Dead-lettered + dropped + dead-letter-failed outcomes. */
  readonly failed: number;
  readonly filtered: number;
  /** Events waiting for the trigger (absent when the backend cannot tell). */
  readonly backlog?: number | undefined;
  /** Cumulative counts of subscriber attempts per latency bucket (`le` in seconds). */
  readonly latency: ReadonlyArray<{ readonly le: number; readonly count: number }>;
}

export interface StatsAnswer {
  /** `Date.now()` of the reading. */
  readonly time: number;
  readonly triggers: TriggerStats[];
}

interface MetricJson {
  name: string;
  values: Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>;
}

interface Acc {
  namespace: string;
  broker: string;
  trigger: string;
  delivered: number;
  failed: number;
  filtered: number;
  backlog?: number;
  buckets: Map<number, number>;
}

const FAILED = new Set([
  'tributary_events_dead_lettered_total',
  'tributary_events_dropped_total',
  'tributary_events_dead_letter_failed_total',
]);

/** Reads the per-trigger totals of a runtime. */
export async function readTriggerStats(registry: Registry): Promise<StatsAnswer> {
  const metrics = (await registry.getMetricsAsJSON()) as unknown as MetricJson[];
  const byTrigger = new Map<string, Acc>();
  const acc = (labels: Record<string, string | number>): Acc | undefined => {
    const trigger = String(labels['kn_trigger_name'] ?? '');
    if (!trigger) return undefined;
    const namespace = String(labels['kn_broker_namespace'] ?? '');
    const broker = String(labels['kn_broker_name'] ?? '');
    const key = `${namespace}/${trigger}`;
    let a = byTrigger.get(key);
    if (!a) {
      a = { namespace, broker, trigger, delivered: 0, failed: 0, filtered: 0, buckets: new Map() };
      byTrigger.set(key, a);
    }
    return a;
  };
  for (const m of metrics) {
    for (const v of m.values) {
      if (m.name === 'kn_eventing_dispatch_duration_seconds') {
        if (v.metricName !== `${m.name}_bucket`) continue;
        const dest = String(v.labels['messaging_destination_name'] ?? '');
        if (!dest.startsWith('trigger:')) continue;
        const a = acc(v.labels);
        const le = v.labels['le'];
        const bound = le === '+Inf' ? Infinity : Number(le);
        if (a) a.buckets.set(bound, (a.buckets.get(bound) ?? 0) + v.value);
        continue;
      }
      const a =
        m.name === 'tributary_events_delivered_total' ||
        m.name === 'tributary_events_filtered_total' ||
        m.name === 'tributary_trigger_events_waiting' ||
        FAILED.has(m.name)
          ? acc(v.labels)
          : undefined;
      if (!a) continue;
      if (m.name === 'tributary_events_delivered_total') a.delivered += v.value;
      else if (m.name === 'tributary_events_filtered_total') a.filtered += v.value;
      else if (m.name === 'tributary_trigger_events_waiting') a.backlog = v.value;
      else a.failed += v.value;
    }
  }
  return {
    time: Date.now(),
    triggers: [...byTrigger.values()].map((a) => ({
      namespace: a.namespace,
      broker: a.broker,
      trigger: a.trigger,
      delivered: a.delivered,
      failed: a.failed,
      filtered: a.filtered,
      ...(a.backlog === undefined ? {} : { backlog: a.backlog }),
      latency: [...a.buckets.entries()]
        .sort((x, y) => x[0] - y[0])
        .map(([le, count]) => ({ le, count })),
    })),
  };
}
