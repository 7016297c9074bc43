type Labels = Record<string, string>;

/**
 * prom-client validates and hashes a label object on every `inc`/`observe`; on the per-event path
 * the metrics keep one labelled child per label set instead. Cardinality is what prom-client keeps
 * anyway (one series per label set).
 */
export function labelled<R>(
  metric: { labels(labels: Labels): R },
  names: readonly string[],
): (labels: Labels) => R {
  const children = new Map<string, R>();
  return (labels) => {
    let key = '';
    for (const n of names) key += `${labels[n] ?? ''}\u0001`;
    let child = children.get(key);
    if (child === undefined) {
      child = metric.labels(labels);
      children.set(key, child);
    }
    return child;
  };
}
