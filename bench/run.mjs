// `pnpm bench` (`--quick` for a one-minute look at the hot path): every benchmark against its bare
// baseline or raw transport in the same run, as ratios and CPU µs per event, then docs/benchmarks.md.
// The file is written only when the machine was quiet enough: when the bare proxy's own events/s moved
// by more than BENCH_MAX_SPREAD (default 0.15) between rounds, the figures are printed but not written.
// Every closed-loop measurement starts after BENCH_WARMUP_SECONDS (3; 1 with --quick) of the same load.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root } from './harness.mjs';
import { benchFootprint } from './footprint.mjs';
import { benchHotPath } from './hot-path.mjs';
import { renderBenchmarks } from './report.mjs';
import { spread } from './lib/stats.mjs';

const quick = process.argv.includes('--quick');
const env = (name, full, short) => Number(process.env[name] ?? (quick ? short : full));
const config = {
  quick,
  rounds: env('BENCH_ROUNDS', 3, 2),
  seconds: env('BENCH_SECONDS', 8, 4),
  warmupSeconds: env('BENCH_WARMUP_SECONDS', 3, 1),
  concurrency: env('BENCH_CONCURRENCY', 32, 32),
  pacedRate: env('BENCH_PACED_RATE', 1000, 1000),
  pacedSeconds: env('BENCH_PACED_SECONDS', 5, 3),
  manyTriggers: quick ? 0 : env('BENCH_MANY_TRIGGERS', 10_000, 0),
  backendSeconds: env('BENCH_BACKEND_SECONDS', 5, 0),
  backendRounds: env('BENCH_BACKEND_ROUNDS', 2, 0),
  maxSpread: Number(process.env.BENCH_MAX_SPREAD ?? 0.15),
};
// Read by bench/harness.mjs here and in every script started below.
process.env.BENCH_WARMUP_SECONDS = String(config.warmupSeconds);

/** Runs a benchmark script and resolves with the JSON object on its last stdout line. */
function runScript(file, scriptEnv = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, file)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...scriptEnv },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', () => {
      const last = out.trim().split('\n').pop();
      try {
        resolve(JSON.parse(last));
      } catch {
        console.error(`${file} printed no JSON result`);
        resolve(undefined);
      }
    });
  });
}

const startedAt = new Date();
const loadBefore = os.loadavg()[0];
const hot = await benchHotPath(config);
const footprint = await benchFootprint({
  rounds: config.rounds,
  manyTriggers: config.manyTriggers,
});
const scripts = {};
if (!quick) {
  scripts.filters = await runScript('bench/filter-bench.mjs');
  const s = {
    BENCH_SECONDS: String(config.backendSeconds),
    BENCH_BACKEND_ROUNDS: String(config.backendRounds),
  };
  scripts.rabbitmq = await runScript('bench/rabbitmq-bench.mjs', s);
  scripts.redis = await runScript('bench/redis-bench.mjs', s);
  scripts.kafka = await runScript('bench/kafka-bench.mjs', s);
  scripts.sqlite = await runScript('bench/sqlite-bench.mjs', s);
}

const proxySpread = spread(hot.byRound.proxy.map((m) => m.eventsPerSecond));
const quiet = config.rounds >= 2 && proxySpread <= config.maxSpread;
const machine = {
  date: startedAt.toISOString(),
  cores: os.cpus().length,
  cpu: os.cpus()[0]?.model ?? 'unknown CPU',
  node: process.version,
  loadBefore,
  proxySpread,
};
const md = renderBenchmarks({ config, machine, hot, footprint, scripts });
console.log(md);
if (quick) {
  console.error('--quick: figures printed, docs/benchmarks.md left as it is');
} else if (!quiet && process.env.BENCH_FORCE !== '1') {
  console.error(
    config.rounds < 2
      ? 'one round cannot show whether the machine was quiet: docs/benchmarks.md not written'
      : `the bare proxy's events/s varied by ${(proxySpread * 100).toFixed(0)} % between rounds ` +
          `(more than ${config.maxSpread * 100} %): the machine is busy, docs/benchmarks.md not written ` +
          '(BENCH_FORCE=1 writes it anyway)',
  );
  process.exitCode = 3;
} else {
  writeFileSync(path.join(root, 'docs/benchmarks.md'), md);
  console.error('written docs/benchmarks.md');
}
