import type { Stats, TriggerStats } from './api';

/** A trigger's figures over the interval between two stats readings. */
export interface TriggerRates {
  eventsPerSecond: number;
  /** Failed outcomes / all outcomes in the interval (0 when nothing happened). */
  errorRate: number;
  /** 99th percentile of subscriber attempt latency in the interval, in ms (undefined: no attempts). */
  p99Ms?: number | undefined;
  backlog?: number | undefined;
}

const key = (t: TriggerStats) => `${t.namespace}/${t.trigger}`;

/** Rates per trigger (`namespace/name`) from two readings. */
export function computeRates(prev: Stats | undefined, next: Stats): Map<string, TriggerRates> {
  const out = new Map<string, TriggerRates>();
  const before = new Map(prev?.triggers.map((t) => [key(t), t]));
  const seconds = prev ? Math.max(0.001, (next.time - prev.time) / 1000) : 1;
  for (const t of next.triggers) {
    const p = before.get(key(t));
    const delivered = t.delivered - (p?.delivered ?? 0);
    const failed = t.failed - (p?.failed ?? 0);
    const done = delivered + failed;
    const buckets = t.latency.map((b) => {
      const old = p?.latency.find((x) => x.le === b.le)?.count ?? 0;
      return { le: b.le ?? Infinity, count: b.count - old };
    });
    const total = buckets.at(-1)?.count ?? 0;
    let p99Ms: number | undefined;
    if (total > 0) {
      const bound = buckets.find((b) => b.count >= total * 0.99)?.le ?? Infinity;
      p99Ms = Number.isFinite(bound) ? bound * 1000 : undefined;
    }
    out.set(key(t), {
      eventsPerSecond: prev ? done / seconds : 0,
      errorRate: done > 0 ? failed / done : 0,
      p99Ms,
      backlog: t.backlog,
    });
  }
  return out;
}

export function formatRates(r: TriggerRates | undefined): string {
  if (!r) return 'no traffic yet';
  const p99 = r.p99Ms === undefined ? '–' : `≤${r.p99Ms < 1000 ? r.p99Ms : r.p99Ms / 1000 + 's'}`;
  return `${r.eventsPerSecond.toFixed(1)} ev/s · err ${(r.errorRate * 100).toFixed(0)}% · p99 ${p99}${r.p99Ms !== undefined && r.p99Ms < 1000 ? 'ms' : ''} · backlog ${r.backlog ?? '–'}`;
}
