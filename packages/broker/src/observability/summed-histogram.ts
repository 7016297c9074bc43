import { Histogram, type Registry } from './prom-client.js';

type Labels = Record<string, string>;

/**
 * One label set of a {@link SummedHistogram}: `observe()` finds the bucket and adds to plain fields.
 * prom-client's own child validates the label set, hashes it (sorting and joining the label names)
 * and looks the series up on every `observe`; three per delivered event (ingress publish, attempt,
 * process duration) were ~2 % of the broker's CPU under bench/hot-path.mjs.
 */
export class HistogramSeries {
  /** Observations per bucket (not cumulative); the last slot counts values above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

/** What prom-client's Histogram.getForPromString resolves with (not in its typings). */
type PromStringData = Awaited<ReturnType<Histogram['get']>> & { values: ExportedValue[] };
type PromStringSource = { getForPromString(this: Histogram): Promise<PromStringData> };

type ExportedValue = {
  labels: Record<string, string | number>;
  sharedLabels: Labels;
  value: number;
  metricName: string;
  exemplar?: null;
};

/**
 * A prom-client Histogram whose series are {@link HistogramSeries} made by {@link child}: the
 * registry renders them exactly as prom-client renders its own (same `_bucket` / `_sum` / `_count`
 * lines, labels and order), `get()` and `getMetricsAsJSON()` see them, `reset()` zeroes them.
 * Series appear at their first observation, as with prom-client's children.
 */
export class SummedHistogram extends Histogram {
  // Not a #private field: prom-client's constructor calls reset() before this class's fields exist.
  private readonly series: HistogramSeries[] = [];
  readonly #bounds: readonly number[];
  readonly #name: string;

  constructor(config: {
    name: string;
    help: string;
    labelNames: readonly string[];
    buckets: number[];
    registers: Registry[];
  }) {
    super(config);
    this.#name = config.name;
    this.#bounds = [...config.buckets].sort((a, b) => a - b);
  }

  /** The series of one label set; resolve it once and keep it. */
  child(labels: Labels): HistogramSeries {
    const s = new HistogramSeries(labels, this.#bounds);
    this.series.push(s);
    return s;
  }

  override reset(): void {
    super.reset();
    for (const s of (this.series as HistogramSeries[] | undefined) ?? []) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }

  /**
   * prom-client 15's registry renders a histogram with `getForPromString()` (and `get()` is that
   * with the labels merged): ours are appended to its own series in the shape it uses.
   */
  async getForPromString(): Promise<PromStringData> {
    const base = (Histogram.prototype as unknown as PromStringSource).getForPromString;
    const data = await base.call(this);
    const bucket = `${this.#name}_bucket`;
    const bounds = this.#bounds;
    for (const s of this.series) {
      if (s.count === 0) continue;
      let acc = 0;
      for (let i = 0; i < bounds.length; i++) {
        acc += s.counts[i]!;
        data.values.push({
          labels: { le: bounds[i]! },
          sharedLabels: s.labels,
          value: acc,
          metricName: bucket,
          exemplar: null,
        });
      }
      data.values.push(
        {
          labels: { le: '+Inf' },
          sharedLabels: s.labels,
          value: s.count,
          metricName: bucket,
          exemplar: null,
        },
        { labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.#name}_sum` },
        { labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.#name}_count` },
      );
    }
    return data;
  }
}
