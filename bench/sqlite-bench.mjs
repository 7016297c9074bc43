// Embedded durable benchmark: events/s through `tributary run --data-dir` (HTTP load → ingress →
// group commit into SQLite → dispatcher → HTTP sink → acknowledgement) against the memory broker
// (`tributary run` without --data-dir) on the same manifests, in the same run; once per durability
// level. Needs `pnpm exec tsc -b` first.
// Env: BENCH_SECONDS (10), BENCH_CONCURRENCY (32). Prints a JSON object as its last stdout line;
// per backend, `tributaryCpuUsPerEvent` is the CPU (user + system) the tributary process used per
// delivered event during the measured part (less noisy than events/s on a shared machine).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { measureThrough, startSink, startTributary } from './harness.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);

const MANIFESTS = `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: bench }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: to-sink }
spec:
  broker: bench
  filters: [{ exact: { type: bench.event } }]
  subscriber: { uri: "SINK" }
`;

/** One measurement through a fresh `tributary run` with `extraArgs`. */
async function through(extraArgs) {
  const sink = await startSink();
  const trib = await startTributary(
    MANIFESTS.replace('SINK', sink.url),
    '/default/bench',
    extraArgs,
  );
  try {
    const { cpuUsPerEvent, ...measured } = await measureThrough({
      url: trib.url,
      sink,
      seconds: SECONDS,
      concurrency: CONCURRENCY,
      pids: [trib.child.pid],
    });
    return { ...measured, tributaryCpuUsPerEvent: cpuUsPerEvent[0] };
  } finally {
    trib.child.kill('SIGTERM');
    await new Promise((r) => trib.child.once('exit', r));
    sink.stop();
  }
}

async function durable(durability) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trib-bench-data-'));
  try {
    return await through(['--data-dir', path.join(dir, 'data'), '--durability', durability]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const memory = await through([]);
const processCrash = await durable('process-crash');
const powerLoss = await durable('power-loss');
const ratio = (x) => Number((x.eventsPerSecond / memory.eventsPerSecond).toFixed(3));
const row = (label, r) =>
  `${label.padEnd(40)} ${String(r.eventsPerSecond).padStart(8)} events/s  p50 ${r.p50LatencyMs} ms  p99 ${r.p99LatencyMs} ms  ${r.tributaryCpuUsPerEvent} µs CPU/event  (${r.accepted} accepted, ${r.delivered} delivered)`;
console.log(row('memory broker', memory));
console.log(row('durable, process-crash (synchronous=NORMAL)', processCrash));
console.log(row('durable, power-loss (WAL fdatasync per group)', powerLoss));
console.log(`ratio durable/memory: ${ratio(processCrash)} (power-loss: ${ratio(powerLoss)})`);
console.log(
  JSON.stringify({
    node: process.version,
    seconds: SECONDS,
    concurrency: CONCURRENCY,
    memory,
    processCrash,
    powerLoss,
    ratio: ratio(processCrash),
    ratioPowerLoss: ratio(powerLoss),
  }),
);
