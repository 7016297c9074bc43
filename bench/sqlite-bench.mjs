// Embedded durable benchmark: events/s through `tributary run --data-dir` (HTTP load → ingress →
// group commit into SQLite → dispatcher → HTTP sink → acknowledgement) against the memory broker
// (`tributary run` without --data-dir) on the same manifests, once per durability level, in
// BENCH_BACKEND_ROUNDS rounds whose order rotates (harness.mjs inRotatingRounds); each ratio is the
// median of the per-round ratios. Needs `pnpm exec tsc -b` first.
// Env: BENCH_SECONDS (10), BENCH_CONCURRENCY (32), BENCH_BACKEND_ROUNDS (2). Prints a JSON object as
// its last stdout line; per backend, the per-field medians over the rounds, with
// `tributaryCpuUsPerEvent` the CPU (user + system) the tributary process used per delivered event
// during the measured part (less noisy than events/s on a shared machine).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inRotatingRounds, measureDefaultBroker } from './harness.mjs';
import { medians, pairedRatios, summary } from './lib/stats.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const ROUNDS = Number(process.env.BENCH_BACKEND_ROUNDS ?? 2);
const load = { seconds: SECONDS, concurrency: CONCURRENCY };

async function durable(durability) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trib-bench-data-'));
  try {
    return await measureDefaultBroker({
      ...load,
      extraArgs: ['--data-dir', path.join(dir, 'data'), '--durability', durability],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const byRound = await inRotatingRounds(ROUNDS, {
  memory: () => measureDefaultBroker(load),
  processCrash: () => durable('process-crash'),
  powerLoss: () => durable('power-loss'),
});
const [memory, processCrash, powerLoss] = [
  byRound.memory,
  byRound.processCrash,
  byRound.powerLoss,
].map(medians);
const toMemory = (rounds) => summary(pairedRatios(rounds, byRound.memory, 'eventsPerSecond'));
const ratios = {
  processCrash: toMemory(byRound.processCrash),
  powerLoss: toMemory(byRound.powerLoss),
};
const fmtRatio = (r) => `${r.median.toFixed(2)} (${r.min.toFixed(2)}–${r.max.toFixed(2)})`;
const row = (label, r) =>
  `${label.padEnd(40)} ${String(r.eventsPerSecond).padStart(8)} events/s  p50 ${r.p50LatencyMs} ms  p99 ${r.p99LatencyMs} ms  ${r.tributaryCpuUsPerEvent} µs CPU/event  (${r.accepted} accepted, ${r.delivered} delivered)`;
console.log(`medians over ${ROUNDS} rounds of ${SECONDS} s`);
console.log(row('memory broker', memory));
console.log(row('durable, process-crash (synchronous=NORMAL)', processCrash));
console.log(row('durable, power-loss (WAL fdatasync per group)', powerLoss));
console.log(
  `ratio durable/memory: ${fmtRatio(ratios.processCrash)} (power-loss: ${fmtRatio(ratios.powerLoss)})`,
);
console.log(
  JSON.stringify({
    node: process.version,
    seconds: SECONDS,
    concurrency: CONCURRENCY,
    rounds: ROUNDS,
    memory,
    processCrash,
    powerLoss,
    ratio: ratios.processCrash.median,
    ratioRange: ratios.processCrash,
    ratioPowerLoss: ratios.powerLoss.median,
    ratioPowerLossRange: ratios.powerLoss,
    byRound,
  }),
);
