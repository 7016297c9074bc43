// Footprint against a bare node:http server, measured in the same run: resident memory when idle, the
// time from spawning the process to its first 200 (Tributary: `/readyz` with 100 triggers), the CPU
// time the process used until then (from /proc/<pid>/stat: less sensitive than wall time to other load
// on the machine), and how much resident memory 10,000 triggers add to a run with one.
// `tributary` runs from its bundle with a V8 code cache that the first start after a build writes
// (packages/cli/bin/code-cache.js): the rounds measure starts with the cache, as an installed CLI
// starts, after one warm-up start; each round also times a start without it (an empty
// TRIBUTARY_CODE_CACHE_DIR), the first start after a build.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { root, sleep } from './harness.mjs';
import { memoryBrokerYaml } from './hot-path.mjs';
import { cpuSeconds, rssMiB } from './lib/proc.mjs';
import { freePort } from './lib/ports.mjs';

const cli = path.join(root, 'packages/cli/bin/tributary.js');

function manifestsDir(yaml) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trib-footprint-'));
  writeFileSync(path.join(dir, 'bench.yaml'), yaml);
  return dir;
}

async function firstOk(url, child, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited ${child.exitCode}`);
    try {
      const res = await request(url);
      await res.body.dump();
      if (res.statusCode === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(5);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

/**
 * Spawns a server, resolves when `probePath` answers 200: ms from spawn, CPU ms the child used by
 * then, the child and its port.
 */
async function startTimed(kind, yaml, env = {}) {
  const port = await freePort();
  const args =
    kind === 'bare'
      ? [path.join(root, 'bench/bare-server.mjs'), String(port)]
      : [cli, 'run', '-f', manifestsDir(yaml), '--port', String(port), '--log-level', 'warn'];
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, ...env },
  });
  await firstOk(`http://127.0.0.1:${port}${kind === 'bare' ? '/' : '/readyz'}`, child);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, cpuMs: cpuSeconds(child.pid) * 1000, child, port };
}

async function stop(child) {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** Idle RSS after `settleMs`, in MiB. */
async function idleRss(child, settleMs) {
  await sleep(settleMs);
  return rssMiB(child.pid);
}

const noSink = 'http://127.0.0.1:9/';

export async function benchFootprint({ rounds, manyTriggers }) {
  const out = {
    bareRss: [],
    tribRss: [],
    bareReadyMs: [],
    tribReadyMs: [],
    bareReadyCpuMs: [],
    tribReadyCpuMs: [],
    tribColdReadyMs: [],
    growth: undefined,
  };
  // Warm-up: a start that lives long enough to write the bundle's code cache.
  const warm = await startTimed('tributary', memoryBrokerYaml(noSink, 1));
  await sleep(2500);
  await stop(warm.child);
  for (let r = 0; r < rounds; r++) {
    const bare = await startTimed('bare');
    out.bareReadyMs.push(bare.ms);
    out.bareReadyCpuMs.push(bare.cpuMs);
    out.bareRss.push(await idleRss(bare.child, 1500));
    await stop(bare.child);

    const one = await startTimed('tributary', memoryBrokerYaml(noSink, 1));
    out.tribRss.push(await idleRss(one.child, 1500));
    await stop(one.child);

    const hundred = await startTimed('tributary', memoryBrokerYaml(noSink, 100));
    out.tribReadyMs.push(hundred.ms);
    out.tribReadyCpuMs.push(hundred.cpuMs);
    await stop(hundred.child);

    const noCache = { TRIBUTARY_CODE_CACHE_DIR: mkdtempSync(path.join(os.tmpdir(), 'trib-cc-')) };
    const cold = await startTimed('tributary', memoryBrokerYaml(noSink, 100), noCache);
    out.tribColdReadyMs.push(cold.ms);
    await stop(cold.child);
    console.error(
      `footprint round ${r + 1}: idle RSS bare ${out.bareRss.at(-1).toFixed(1)} / tributary ${out.tribRss.at(-1).toFixed(1)} MiB; ` +
        `first 200 bare ${bare.ms.toFixed(0)} ms / readyz with 100 triggers ${hundred.ms.toFixed(0)} ms ` +
        `(${cold.ms.toFixed(0)} without the code cache); ` +
        `CPU until then bare ${bare.cpuMs.toFixed(0)} / tributary ${hundred.cpuMs.toFixed(0)} ms`,
    );
  }
  if (manyTriggers) {
    const one = await startTimed('tributary', memoryBrokerYaml(noSink, 1));
    const rssOne = await idleRss(one.child, 2000);
    await stop(one.child);
    const many = await startTimed('tributary', memoryBrokerYaml(noSink, manyTriggers));
    const rssMany = await idleRss(many.child, 2000);
    await stop(many.child);
    out.growth = { triggers: manyTriggers, rssOne, rssMany, readyMs: many.ms };
    console.error(
      `RSS with ${manyTriggers} triggers − with 1: ${(rssMany - rssOne).toFixed(1)} MiB`,
    );
  }
  return out;
}
