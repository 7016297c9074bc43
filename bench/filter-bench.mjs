// Filter benchmarks: routing throughput of the RoutingIndex with 1, 100 and 10,000 Triggers
// (distinct exact types plus a 10% mix of prefix and CESQL filters), and CESQL evaluations per
// second for typical expressions. Needs `pnpm exec tsc -b packages/filter` first.
// Prints human-readable lines, then one JSON object as the LAST line (collected by bench/run.mjs).
import { compileCesql, RoutingIndex } from '../packages/filter/dist/index.js';

const SECONDS = Number(process.env.FILTER_BENCH_SECONDS ?? 1);

/** Runs `fn(i)` in batches for about SECONDS and returns operations per second. */
function opsPerSecond(fn) {
  for (let i = 0; i < 20_000; i++) fn(i); // warm-up
  let ops = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(SECONDS * 1e9));
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let j = 0; j < 10_000; j++) fn(ops++);
    elapsed = process.hrtime.bigint() - start;
  }
  return Math.round(ops / (Number(elapsed) / 1e9));
}

const event = (type, extra = {}) => ({
  attributes: {
    specversion: '1.0',
    id: 'b-1',
    source: '/shop/eu',
    type,
    priority: '4',
    subject: 'b',
    ...extra,
  },
  data: undefined,
});

/** N Triggers: 90% distinct exact types, 5% prefix, 5% CESQL (indexable and not). */
function triggers(n) {
  if (n === 1) return [{ key: 't0', spec: { filters: [{ exact: { type: 'com.example.t0' } }] } }];
  return Array.from({ length: n }, (_, i) => {
    const r = i % 20;
    let spec;
    if (r === 18) spec = { filters: [{ prefix: { type: `com.example.p${i}.` } }] };
    else if (r === 19)
      spec =
        i % 40 === 19
          ? { filters: [{ cesql: `type = 'com.example.c${i}' AND INT(priority) > 2` }] }
          : { filters: [{ cesql: `type LIKE 'com.example.l${i}%' AND subject IN ('a', 'b')` }] };
    else spec = { filters: [{ exact: { type: `com.example.t${i}` } }] };
    return { key: `t${i}`, spec };
  });
}

function routeBench(n) {
  const entries = triggers(n);
  const index = new RoutingIndex(entries);
  // Events that each match one Trigger, spread over all of them (for n = 1 all go to t0).
  const events = Array.from({ length: 4096 }, (_, k) => {
    const i = n === 1 ? 0 : (k * 7919) % n;
    const r = n === 1 ? 0 : i % 20;
    const type =
      r === 18
        ? `com.example.p${i}.created`
        : r === 19
          ? i % 40 === 19
            ? `com.example.c${i}`
            : `com.example.l${i}.x`
          : `com.example.t${i}`;
    return event(type);
  });
  let matched = 0;
  for (const e of events) matched += index.match(e).length;
  const rate = opsPerSecond((k) => index.match(events[k & 4095]));
  return {
    triggers: n,
    ...index.stats(),
    matchesPerEvent: matched / events.length,
    eventsPerSecond: rate,
  };
}

const routing = [1, 100, 10_000].map(routeBench);
for (const r of routing) {
  console.log(
    `routing ${String(r.triggers).padStart(6)} triggers (indexed ${r.indexed}, residual ${r.residual}): ` +
      `${r.eventsPerSecond.toLocaleString('en')} events/s, ${r.matchesPerEvent} match(es)/event`,
  );
}
const ratio = routing[2].eventsPerSecond / routing[0].eventsPerSecond;
console.log(`10,000 vs 1 trigger throughput ratio: ${ratio.toFixed(2)} (aim >= 0.5)`);
// The same comparison with the same stream on both sides: one repeated event type. This separates
// the index's own cost (flat in N) from the cache misses of 4096 distinct event types.
const oneType = (n) => {
  const index = new RoutingIndex(triggers(n));
  const events = Array.from({ length: 4096 }, () => event('com.example.t0'));
  return opsPerSecond((k) => index.match(events[k & 4095]));
};
const sameStream = { triggers1: oneType(1), triggers10k: oneType(10_000) };
const sameStreamRatio = sameStream.triggers10k / sameStream.triggers1;
console.log(
  `one repeated event type: 1 trigger ${sameStream.triggers1.toLocaleString('en')} events/s, ` +
    `10,000 triggers ${sameStream.triggers10k.toLocaleString('en')} events/s, ratio ${sameStreamRatio.toFixed(2)}`,
);

const orderData = new TextEncoder().encode(
  JSON.stringify({ order: { total: 120, currency: 'EUR', items: [1, 2, 3] } }),
);
const expressions = [
  { expr: "type = 'com.example.order.created'" },
  { expr: "type LIKE 'com.example.%' AND source = '/shop/eu'" },
  { expr: "INT(priority) > 3 OR subject IN ('a', 'b', 'c')" },
  { expr: "CONCAT(LOWER(source), '/', subject) = '/shop/eu/b'" },
  { expr: "missingext = 'x' OR type = 'com.example.order.created'" },
  { expr: 'data.order.total > 100', filterData: true },
];
const cesql = expressions.map(({ expr, filterData }) => {
  const c = compileCesql(expr, { filterData: filterData === true });
  const e = { ...event('com.example.order.created'), data: orderData };
  const result = c.test(e);
  return { expression: expr, result, evaluationsPerSecond: opsPerSecond(() => c.test(e)) };
});
for (const c of cesql)
  console.log(
    `cesql ${c.evaluationsPerSecond.toLocaleString('en').padStart(12)} evals/s  ${c.expression}`,
  );

console.log(
  JSON.stringify({
    node: process.version,
    routing,
    routingRatio10kVs1: Number(ratio.toFixed(3)),
    sameStream: { ...sameStream, ratio: Number(sameStreamRatio.toFixed(3)) },
    cesql,
  }),
);
