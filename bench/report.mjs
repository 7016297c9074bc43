// Renders one `pnpm bench` run as docs/benchmarks.md: every figure from that run, medians with their
// range over the rounds, and each ratio beside the target it is held to.
import { cell, fmt, median, pairedRatios as pairedRatio } from './lib/stats.mjs';

const verdict = (ok) => (ok ? 'met' : '**not met**');
const col = (rounds, key) => rounds.map((m) => m[key]);

function hotPathSection({ config, hot }) {
  const { direct, proxy, memory } = hot.byRound;
  const row = (label, rounds) =>
    `| ${label} | ${cell(col(rounds, 'eventsPerSecond'))} | ${cell(col(rounds, 'cpuMicrosPerEvent'), 1)} | ${cell(col(rounds, 'sinkCpuMicrosPerEvent'), 1)} | ${cell(col(rounds, 'loadCpuMicrosPerEvent'), 1)} | ${cell(col(rounds, 'p50LatencyMs'), 2)} | ${cell(col(rounds, 'p99LatencyMs'), 2)} |`;
  const cpuRatio = pairedRatio(proxy, memory, 'cpuMicrosPerEvent');
  const rateRatio = pairedRatio(memory, proxy, 'eventsPerSecond');
  const directRatio = pairedRatio(memory, direct, 'eventsPerSecond');
  const { paced } = hot;
  const added = paced.addedP99ms;
  return `## The hot path against its floor

A closed-loop load generator (${config.concurrency} requests in flight over keep-alive connections,
${config.seconds} s per measurement after a ${config.warmupSeconds} s warm-up, binary-mode CloudEvents with a small JSON body)
sends to (a) the sink directly, (b) the bare two-hop proxy \`bench/min-proxy.mjs\` (a \`node:http\` server
that answers 202 and forwards the body with undici: no validation, queue, filter or retry — the floor of any
HTTP-in, HTTP-out design in one Node process) and (c) \`tributary run\` with one memory Broker and one
Trigger (exact type filter). ${config.rounds} rounds; the order of (a), (b), (c) rotates every round. CPU is
each process's user + system time from \`/proc/<pid>/stat\` from the end of the warm-up until the last event
arrived, divided by the events the sink received in that time. Cells are the median, with the range over the rounds in brackets.

| system | events/s delivered | CPU µs/event (its process) | sink CPU µs/event | load generator CPU µs/event | p50 ms | p99 ms |
|---|---:|---:|---:|---:|---:|---:|
${row('(a) direct to the sink', direct)}
${row('(b) bare two-hop proxy', proxy)}
${row('(c) Tributary, memory broker', memory)}

| ratio (paired per round) | median (range) | target |
|---|---:|---|
| CPU per event, proxy ÷ Tributary | ${cell(cpuRatio, 2)} | ≥ 0.75: ${verdict(median(cpuRatio) >= 0.75)} |
| events/s, Tributary ÷ proxy | ${cell(rateRatio, 2)} | — |
| events/s, Tributary ÷ direct | ${cell(directRatio, 2)} | — |

At a paced ${config.pacedRate} events/s for ${config.pacedSeconds} s (open loop), in ${config.rounds} rounds of alternating order
(medians): the proxy's p50 / p99 ${fmt(paced.proxy.p50ms)} / ${fmt(paced.proxy.p99ms)} ms, Tributary's
${fmt(paced.memory.p50ms)} / ${fmt(paced.memory.p99ms)} ms: **${fmt(added.median)} ms** (${fmt(added.min)} to ${fmt(added.max)}) of p99
latency added over the floor, the median of the rounds' differences.
`;
}

function footprintSection({ footprint }) {
  const rssRatio = footprint.tribRss.map((t, i) => t / footprint.bareRss[i]);
  const readyRatio = footprint.tribReadyMs.map((t, i) => t / footprint.bareReadyMs[i]);
  const coldRatio = footprint.tribColdReadyMs.map((t, i) => t / footprint.bareReadyMs[i]);
  let md = `## Footprint against a bare \`node:http\` server

Both spawned fresh in each round (\`bench/bare-server.mjs\` answers 200 to everything). Idle RSS is read from
\`/proc/<pid>/status\` 1.5 s after the process answers; start-up time is from spawn to the first 200
(for Tributary, \`GET /readyz\` with 100 Triggers on one memory Broker). Tributary starts from its
bundle with the V8 code cache that the first start after a build writes; the last row is a start without
it, the first one after a build.

| figure | bare server | Tributary | ratio | target |
|---|---:|---:|---:|---|
| idle RSS, 1 Broker and 1 Trigger (MiB) | ${cell(footprint.bareRss, 1)} | ${cell(footprint.tribRss, 1)} | ${cell(rssRatio, 2)} | ≤ 1.6: ${verdict(median(rssRatio) <= 1.6)} |
| spawn → first 200 (ms) | ${cell(footprint.bareReadyMs)} | ${cell(footprint.tribReadyMs)} | ${cell(readyRatio, 2)} | ≤ 3: ${verdict(median(readyRatio) <= 3)} |
| spawn → first 200 without the code cache (ms) | ${cell(footprint.bareReadyMs)} | ${cell(footprint.tribColdReadyMs)} | ${cell(coldRatio, 2)} | — |
`;
  if (footprint.growth) {
    const g = footprint.growth;
    const grow = g.rssMany - g.rssOne;
    md += `
With ${g.triggers.toLocaleString('en-US')} Triggers the idle RSS is ${fmt(g.rssMany, 1)} MiB against
${fmt(g.rssOne, 1)} MiB with one: **+${fmt(grow, 1)} MiB** (target ≤ 60 MiB: ${verdict(grow <= 60)});
\`/readyz\` answered after ${fmt(g.readyMs / 1000, 1)} s.
`;
  }
  return md;
}

function filtersSection(filters) {
  const n = (x) => Math.round(x).toLocaleString('en-US');
  return `## Filters and routing (bench/filter-bench.mjs)

In-process, no I/O: one broker's routing index matching events against N triggers (distinct exact types,
plus a 10% mix of prefix and CESQL filters), and single CESQL expressions evaluated per event.

| triggers | indexed | residual | events/s routed |
|---:|---:|---:|---:|
${filters.routing.map((r) => `| ${n(r.triggers)} | ${n(r.indexed)} | ${n(r.residual)} | ${n(r.eventsPerSecond)} |`).join('\n')}

10,000 triggers ÷ 1 trigger: **${fmt(filters.routingRatio10kVs1)}**; with the same repeated event type on
both sides: **${fmt(filters.sameStream.ratio)}** (${n(filters.sameStream.triggers1)} and
${n(filters.sameStream.triggers10k)} events/s).

| CESQL expression | evaluations/s |
|---|---:|
${filters.cesql.map((c) => `| \`${c.expression}\` | ${n(c.evaluationsPerSecond)} |`).join('\n')}
`;
}

/** `median (min–max)` of a {median, min, max} summary of ratios. */
const ratioCell = (r) =>
  r.max > r.min ? `${fmt(r.median)} (${fmt(r.min)}–${fmt(r.max)})` : fmt(r.median);

function backendsSection({ config, scripts }) {
  const rows = [];
  const add = (label, raw, rawLabel, { tributary: trib, memory, toMemory }) => {
    const us = (v) => (typeof v === 'number' ? fmt(v, 1) : 'n/a');
    const rate = (v) => Math.round(v);
    rows.push(
      `| ${label} | ${rawLabel} ${raw} | ${rate(trib.eventsPerSecond)} | ${rate(memory.eventsPerSecond)} | ${fmt(trib.p50LatencyMs)} / ${fmt(trib.p99LatencyMs)} | ${us(trib.tributaryCpuUsPerEvent)} | ${us(memory.tributaryCpuUsPerEvent)} | ${us(trib.serverCpuUsPerEvent)} | ${fmt(trib.eventsPerSecond / raw)} | ${ratioCell(toMemory)} (≥ 0.8: ${verdict(toMemory.median >= 0.8)}) |`,
    );
  };
  const { rabbitmq, redis, kafka } = scripts;
  if (rabbitmq)
    add(`RabbitMQ (${rabbitmq.queueType})`, rabbitmq.raw.eventsPerSecond, 'amqplib', rabbitmq);
  if (redis) add('Redis Streams', redis.streams.eventsPerSecond, 'ioredis', redis);
  if (kafka) add('Kafka (librdkafka mock)', kafka.raw.eventsPerSecond, 'kafkajs', kafka);
  if (rows.length === 0) return '';
  return `## Durable broker classes

Each script (bench/rabbitmq-bench.mjs, bench/redis-bench.mjs, bench/kafka-bench.mjs) sends the same
closed-loop HTTP load for ${config.backendSeconds} s through a \`tributary run\` whose Broker has that class, to
an HTTP sink, and through a \`tributary run\` with the memory broker on the same load, in ${config.backendRounds}
rounds whose order alternates; Tributary and memory cells are the medians over the rounds, and the last
column is the median (range) of the per-round ratios. It also moves the same kind of message through the
raw client library on the same server, once; the raw side does no HTTP, so that ratio also carries both
HTTP hops. CPU µs per event is user + system time from \`/proc/<pid>/stat\` over the measured events, of
the \`tributary run\` process and of the transport's server process (redis-server, RabbitMQ's beam.smp,
the kcat mock cluster). All of them, the load generator and the sink share the machine's two cores, so a
server's CPU per event comes out of the same budget as ours.

| broker class | raw events/s | Tributary events/s | memory broker events/s | p50 / p99 (ms) | Tributary CPU µs/event | memory broker CPU µs/event | server CPU µs/event | ÷ raw | ÷ memory broker |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}
`;
}

function embeddedDurableSection({ config, scripts }) {
  const r = scripts.sqlite;
  if (!r) return '';
  const row = (label, m, ratio) =>
    `| ${label} | ${Math.round(m.eventsPerSecond)} | ${fmt(m.p50LatencyMs)} / ${fmt(m.p99LatencyMs)} | ${fmt(m.tributaryCpuUsPerEvent, 1)} | ${ratio} |`;
  return `## Embedded durable broker (\`--data-dir\`) against the memory broker

bench/sqlite-bench.mjs sends the same closed-loop HTTP load for ${config.backendSeconds} s through three
\`tributary run\` processes in turn, on the same manifests (one Broker of the default class, one Trigger to
an HTTP sink): without \`--data-dir\`, and with it at each durability level (docs/embedded-durable.md), in
${r.rounds} rounds whose order rotates. Cells are the medians over the rounds; the last column is the median
(range) of the per-round ratios.

| backend | events/s delivered | p50 / p99 (ms) | CPU µs/event | ÷ memory broker |
|---|---:|---:|---:|---:|
${row('memory', r.memory, '1')}
${row('SQLite, durability process-crash', r.processCrash, `${ratioCell(r.ratioRange)} (≥ 0.8: ${verdict(r.ratio >= 0.8)})`)}
${row('SQLite, durability power-loss', r.powerLoss, ratioCell(r.ratioPowerLossRange))}
`;
}

export function renderBenchmarks(run) {
  const { machine, config } = run;
  let md = `# Benchmarks

One run of \`pnpm bench\` (bench/run.mjs) on ${machine.date.slice(0, 16).replace('T', ' ')} UTC: ${machine.cores}
cores (${machine.cpu}), Node ${machine.node}, load average ${fmt(machine.loadBefore)} at the start. Every figure
below comes from that run. The bare proxy's events/s varied by ${fmt(machine.proxySpread * 100, 0)} % between
rounds (the run refuses to write this file above ${fmt(config.maxSpread * 100, 0)} %). Load generator, sink
and the system under test share the machine's cores. \`pnpm bench --quick\` prints the hot-path figures in
about a minute without writing this file.

${hotPathSection(run)}
${footprintSection(run)}`;
  if (run.scripts.filters) md += `\n${filtersSection(run.scripts.filters)}`;
  const backends = backendsSection(run);
  if (backends) md += `\n${backends}`;
  const embedded = embeddedDurableSection(run);
  if (embedded) md += `\n${embedded}`;
  return md;
}
