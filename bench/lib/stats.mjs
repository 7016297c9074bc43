// Small statistics for benchmark rounds: the median to quote and the range that says how noisy it was.

export function median(values) {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Median, minimum and maximum of a list of figures. */
export function summary(values) {
  const v = values.filter(Number.isFinite);
  return { median: median(v), min: Math.min(...v), max: Math.max(...v), n: v.length };
}

/** (max − min) / median: how far apart the rounds of one figure were. */
export function spread(values) {
  const s = summary(values);
  return s.median > 0 ? (s.max - s.min) / s.median : Infinity;
}

export const fmt = (n, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

/** `median (min–max)` for a table cell. */
export function cell(values, d = 0) {
  const s = summary(values);
  return s.n > 1 ? `${fmt(s.median, d)} (${fmt(s.min, d)}–${fmt(s.max, d)})` : fmt(s.median, d);
}

/** Per-round ratios a[i][key] / b[i][key] of two systems measured in the same rounds (drift cancels). */
export function pairedRatios(a, b, key) {
  return a.map((m, i) => m[key] / b[i][key]);
}

/** One measurement made of several: each numeric field's median over them, other fields from the first. */
export function medians(measurements) {
  const out = { ...measurements[0] };
  for (const [key, value] of Object.entries(out))
    if (typeof value === 'number') out[key] = median(measurements.map((m) => m[key]));
  return out;
}
