// Shared pieces of the benchmark scripts: the sink process, a `tributary run` started on given
// manifests, and the closed-loop measurement through it.
import { fork, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentile, runLoad } from './http-load.mjs';
import { cpuSeconds, cpuUsPerEvent } from './lib/proc.mjs';
import { medians, pairedRatios, summary } from './lib/stats.mjs';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const BODY = JSON.stringify({ order: 42, items: ['a', 'b', 'c'], note: 'x'.repeat(200) });
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/**
 * Seconds of load before measuring (BENCH_WARMUP_SECONDS, 3). With 1 s, JIT compilation still took
 * 16 % of the Kafka broker process' CPU in the measured window (perf, 2-core VM), against 3 % for
 * the memory broker, whose shorter code path warms up sooner: the figures then compare warm-up.
 */
export const warmupSeconds = () => Number(process.env.BENCH_WARMUP_SECONDS ?? 3);

/** The benchmark sink (bench/sink.mjs) in its own process: counts events and their latency. */
export function startSink() {
  const child = fork(path.join(root, 'bench/sink.mjs'));
  const call = (msg, kind) =>
    new Promise((resolve) => {
      const on = (m) => {
        if (m.kind === kind) {
          child.off('message', on);
          resolve(m);
        }
      };
      child.on('message', on);
      if (msg) child.send(msg);
    });
  return call(undefined, 'ready').then((m) => ({
    url: `http://127.0.0.1:${m.port}/`,
    pid: child.pid,
    reset: () => call('reset', 'reset'),
    report: () => call('report', 'report'),
    stop: () => child.send('exit'),
  }));
}

/**
 * Writes `yaml` to a fresh directory and starts `tributary run` on it (port 0, plus `extraArgs`
 * such as `--data-dir`); resolves with the ingress URL of `ingressPath` (e.g. `/default/bench`)
 * and the child process.
 */
export async function startTributary(yaml, ingressPath, extraArgs = []) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trib-bench-'));
  writeFileSync(path.join(dir, 'bench.yaml'), yaml);
  const cli = path.join(root, 'packages/cli/bin/tributary.js');
  const child = spawn(
    process.execPath,
    [cli, 'run', '-f', dir, '--port', '0', '--log-level', 'info', ...extraArgs],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      for (const line of buf.split('\n'))
        if (line.includes('tributary running')) resolve(JSON.parse(line).url);
    });
    child.on('exit', (c) => reject(new Error(`tributary exited ${c}`)));
  });
  child.stdout.resume();
  return { url: `${url}${ingressPath}`, child };
}

/** Waits until `count()` reaches `target` or stops growing for 5 s; resolves with the time of the last growth. */
export async function drained(count, target) {
  let last = await count();
  let lastAt = process.hrtime.bigint();
  while (last < target) {
    await sleep(50);
    const c = await count();
    if (c > last) {
      last = c;
      lastAt = process.hrtime.bigint();
    } else if (Number(process.hrtime.bigint() - lastAt) / 1e9 > 5) break;
  }
  return { count: last, at: lastAt };
}

/**
 * Closed-loop HTTP load through a running Tributary to `sink` for `seconds` (after warmupSeconds()),
 * counting until everything accepted arrived: events/s delivered and end-to-end latency, and, for
 * each of `pids` (undefined entries allowed; `process.pid` is the load generator), the CPU it used
 * per delivered event (user + system, /proc/<pid>/stat) from the end of the warm-up until the last
 * event arrived: `cpuUsPerEvent[i]`, null for a process not found.
 */
export async function measureThrough({ url, sink, seconds, concurrency, pids = [] }) {
  // Warm-up; then wait until all of it arrived (or stopped arriving for 5 s) before counting.
  await sink.reset();
  const warm = await runLoad({
    url,
    seconds: warmupSeconds(),
    concurrency,
    body: BODY,
  });
  await drained(async () => (await sink.report()).count, warm.sent);
  await sink.reset();
  const cpu = () => pids.map((pid) => (pid ? cpuSeconds(pid) : NaN));
  const cpu0 = cpu();
  const t0 = process.hrtime.bigint();
  const { sent, failed } = await runLoad({ url, seconds, concurrency, body: BODY });
  const done = await drained(async () => (await sink.report()).count, sent);
  const cpu1 = cpu();
  const { latencies } = await sink.report();
  latencies.sort((a, b) => a - b);
  const elapsed = Number(done.at - t0) / 1e9;
  return {
    accepted: sent,
    failed,
    delivered: done.count,
    eventsPerSecond: Math.round(done.count / elapsed),
    p50LatencyMs: Number((percentile(latencies, 50) / 1000).toFixed(2)),
    p99LatencyMs: Number((percentile(latencies, 99) / 1000).toFixed(2)),
    cpuUsPerEvent: cpu0.map((c, i) => cpuUsPerEvent(c, cpu1[i], done.count)),
  };
}

/** One Trigger on Broker `broker` passing the bench events to `sinkUrl`. */
const triggerYaml = (broker, sinkUrl) => `apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: to-sink }
spec:
  broker: ${broker}
  filters: [{ exact: { type: bench.event } }]
  subscriber: { uri: "${sinkUrl}" }
`;

/**
 * A fresh sink and `tributary run` on `manifests(sinkUrl)` (with `extraArgs`), measured by
 * measureThrough against `ingressPath`; adds `tributaryCpuUsPerEvent` and `serverCpuUsPerEvent`
 * (of `serverPid`, null when unknown). Waits for the process to exit before resolving.
 */
async function measureManifests({ manifests, ingressPath, extraArgs = [], serverPid, ...load }) {
  const sink = await startSink();
  const trib = await startTributary(manifests(sink.url), ingressPath, extraArgs);
  try {
    const { cpuUsPerEvent, ...measured } = await measureThrough({
      ...load,
      url: trib.url,
      sink,
      pids: [trib.child.pid, serverPid],
    });
    const [tributaryCpuUsPerEvent, serverCpuUsPerEvent] = cpuUsPerEvent;
    return { ...measured, tributaryCpuUsPerEvent, serverCpuUsPerEvent };
  } finally {
    trib.child.kill('SIGTERM');
    await new Promise((r) => trib.child.once('exit', r));
    sink.stop();
  }
}

/**
 * One Broker of `brokerClass` (its `spec.config` is `configRef`; `configYaml` holds the objects it
 * names) with one Trigger to the sink, measured by measureManifests, plus `broker`, its name.
 */
export async function measureBroker({ brokerClass, configYaml, configRef, ...load }) {
  const broker = `bench-${randomUUID().slice(0, 8)}`;
  const measured = await measureManifests({
    ...load,
    manifests: (sinkUrl) => `${configYaml.trim()}
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: ${broker}, annotations: { eventing.knative.dev/broker.class: ${brokerClass} } }
spec: { config: ${configRef} }
---
${triggerYaml(broker, sinkUrl)}`,
    ingressPath: `/default/${broker}`,
  });
  return { ...measured, broker };
}

/**
 * One Broker `bench` of the default class with one Trigger in a fresh `tributary run` with
 * `extraArgs` (none: the memory broker; `--data-dir …`: the embedded durable one), measured by
 * measureManifests.
 */
export function measureDefaultBroker(load) {
  return measureManifests({
    ...load,
    manifests: (sinkUrl) => `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: bench }
---
${triggerYaml('bench', sinkUrl)}`,
    ingressPath: '/default/bench',
  });
}

/**
 * Runs every system (name → () => Promise<measurement>) once per round, the order rotating every
 * round, so that a drift of the machine's speed touches all of them; resolves with each system's
 * measurements in round order.
 */
export async function inRotatingRounds(rounds, systems) {
  const names = Object.keys(systems);
  const byRound = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++)
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + r) % names.length];
      byRound[name].push(await systems[name]());
    }
  return byRound;
}

/**
 * A durable broker class (`measure`) against the memory broker under the same `load`, in `rounds`
 * rounds of both in rotating order: `tributary` and `memory` are the per-field medians,
 * `toMemory` the median and range of the per-round events/s ratios, `byRound` every measurement.
 */
export async function againstMemoryBroker({ rounds, measure, load }) {
  const byRound = await inRotatingRounds(rounds, {
    memory: () => measureDefaultBroker(load),
    tributary: measure,
  });
  return {
    tributary: medians(byRound.tributary),
    memory: medians(byRound.memory),
    toMemory: summary(pairedRatios(byRound.tributary, byRound.memory, 'eventsPerSecond')),
    byRound,
  };
}
