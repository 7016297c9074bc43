// Redis benchmark: events/s through a `tributary run` with a `Redis` broker (HTTP load → ingress →
// XADD → consumer group → dispatcher → HTTP sink → XACK), against raw ioredis XADD → XREADGROUP/XACK
// and raw BullMQ (add → worker) on the same server in the same run.
// Needs Redis on 127.0.0.1:6379 (or REDIS_URL) and `pnpm exec tsc -b` first.
// Env: BENCH_SECONDS (10), BENCH_CONCURRENCY (32), BENCH_BACKEND_ROUNDS (2: rounds of the Redis
// broker and the memory broker, in rotating order; `tributary` and `memory` are per-field medians,
// `toMemory` the median and range of the per-round events/s ratios). Prints a JSON object as its
// last stdout line.
//
// CPU per event (user + system from /proc/<pid>/stat, bench/lib/proc.mjs), the figure to compare
// while other work shares the machine: `tributary.tributaryCpuUsPerEvent` is the `tributary run`
// process per delivered event of the timed run (harness.mjs measureThrough: after the warm-up until
// the last event arrived), `serverCpuUsPerEvent` redis-server's over the same events (null
// when no local redis-server process is found); `streams.clientCpuUsPerEvent` is this process's
// CPU for the raw ioredis XADD → XREADGROUP/XACK loop, i.e. what ioredis alone costs per event.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, cpuUsPerEvent } from './lib/proc.mjs';
import { BODY, againstMemoryBroker, drained, measureBroker } from './harness.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const req = createRequire(path.join(root, 'packages/redis/package.json'));
const { Redis } = req('ioredis');
const { Queue, Worker } = req('bullmq');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const ROUNDS = Number(process.env.BENCH_BACKEND_ROUNDS ?? 2);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The local redis-server's pid, or undefined (Redis elsewhere, or no pgrep). */
const serverPid = (() => {
  try {
    return (
      Number(execFileSync('pgrep', ['-x', 'redis-server']).toString().split('\n')[0]) || undefined
    );
  } catch {
    return undefined;
  }
})();
const connection = () => {
  const u = new URL(REDIS_URL);
  return { host: u.hostname, port: Number(u.port || 6379), maxRetriesPerRequest: null };
};

/** One round of the Redis broker; deletes its stream and BullMQ keys afterwards. */
async function benchTributary() {
  const measured = await measureBroker({
    brokerClass: 'Redis',
    configYaml: `apiVersion: v1
kind: ConfigMap
metadata: { name: redis }
data: { address: "${REDIS_URL}" }`,
    configRef: '{ apiVersion: v1, kind: ConfigMap, name: redis }',
    serverPid,
    seconds: SECONDS,
    concurrency: CONCURRENCY,
  });
  const admin = new Redis(connection());
  await admin.del(`knative-broker-default-${measured.broker}`);
  const leftovers = await admin.keys(`tributary:knative-broker-default-${measured.broker}*`);
  if (leftovers.length > 0) await admin.del(...leftovers);
  admin.disconnect();
  return measured;
}

/** Closed-loop producers for `seconds`; resolves with how many `produce` calls completed. */
async function produceFor(seconds, produce) {
  const deadline = Date.now() + seconds * 1000;
  let n = 0;
  const worker = async () => {
    while (Date.now() < deadline) {
      await produce();
      n++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return n;
}

async function benchRawStreams() {
  const stream = `bench-raw-${randomUUID().slice(0, 8)}`;
  const pub = new Redis({ ...connection(), enableAutoPipelining: true });
  const sub = new Redis(connection());
  const ack = new Redis({ ...connection(), enableAutoPipelining: true });
  await pub.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');
  let consumed = 0;
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      const res = await sub.xreadgroupBuffer(
        'GROUP',
        'g',
        'c',
        'COUNT',
        100,
        'BLOCK',
        200,
        'STREAMS',
        stream,
        '>',
      );
      for (const [, entries] of Buffer.isBuffer(res?.[0]) ? [res] : (res ?? []))
        for (const [id] of entries) {
          void ack.xack(stream, 'g', id);
          consumed++;
        }
    }
  })();
  const attrs = JSON.stringify({
    specversion: '1.0',
    id: 'x',
    source: '/bench',
    type: 'bench.event',
  });
  const produce = () => pub.xadd(stream, '*', 'a', attrs, 'd', BODY);
  try {
    const warm = await produceFor(1, produce);
    await drained(async () => consumed, warm);
    consumed = 0;
    const t0 = process.hrtime.bigint();
    const client0 = cpuSeconds(process.pid);
    const server0 = serverPid ? cpuSeconds(serverPid) : NaN;
    const published = await produceFor(SECONDS, produce);
    const done = await drained(async () => consumed, published);
    const client1 = cpuSeconds(process.pid);
    const server1 = serverPid ? cpuSeconds(serverPid) : NaN;
    return {
      published,
      consumed: done.count,
      eventsPerSecond: Math.round(done.count / (Number(done.at - t0) / 1e9)),
      clientCpuUsPerEvent: cpuUsPerEvent(client0, client1, done.count),
      serverCpuUsPerEvent: cpuUsPerEvent(server0, server1, done.count),
    };
  } finally {
    stop = true;
    await loop.catch(() => undefined);
    await pub.del(stream);
    pub.disconnect();
    sub.disconnect();
    ack.disconnect();
  }
}

async function benchRawBullmq() {
  const name = `bench-raw-${randomUUID().slice(0, 8)}`;
  const prefix = 'tributary-bench';
  const queue = new Queue(name, { connection: connection(), prefix });
  let consumed = 0;
  const worker = new Worker(name, async () => void consumed++, {
    connection: connection(),
    prefix,
    concurrency: CONCURRENCY,
  });
  const produce = () => queue.add('e', { body: BODY }, { removeOnComplete: true });
  try {
    const warm = await produceFor(1, produce);
    await drained(async () => consumed, warm);
    consumed = 0;
    const t0 = process.hrtime.bigint();
    const published = await produceFor(SECONDS, produce);
    const done = await drained(async () => consumed, published);
    return {
      published,
      consumed: done.count,
      eventsPerSecond: Math.round(done.count / (Number(done.at - t0) / 1e9)),
    };
  } finally {
    await worker.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
}

const streams = await benchRawStreams();

const bullmq = await benchRawBullmq();

const { tributary, memory, toMemory, byRound } = await againstMemoryBroker({
  rounds: ROUNDS,
  measure: benchTributary,
  load: { seconds: SECONDS, concurrency: CONCURRENCY },
});
const ratioStreams = Number((tributary.eventsPerSecond / streams.eventsPerSecond).toFixed(3));
const ratioBullmq = Number((tributary.eventsPerSecond / bullmq.eventsPerSecond).toFixed(3));
console.log(
  `raw streams (XADD → XREADGROUP/XACK) ${String(streams.eventsPerSecond).padStart(8)} events/s`,
);
console.log(
  `raw BullMQ (add → worker)             ${String(bullmq.eventsPerSecond).padStart(8)} events/s`,
);
console.log(
  `tributary Redis broker (HTTP→HTTP)    ${String(tributary.eventsPerSecond).padStart(8)} events/s  p50 ${tributary.p50LatencyMs} ms  p99 ${tributary.p99LatencyMs} ms`,
);
console.log(
  `CPU µs/event: tributary ${tributary.tributaryCpuUsPerEvent}  redis-server ${tributary.serverCpuUsPerEvent} (over ${tributary.delivered} events); raw streams client ${streams.clientCpuUsPerEvent}  redis-server ${streams.serverCpuUsPerEvent}`,
);
console.log(`ratio tributary/streams: ${ratioStreams}  tributary/bullmq: ${ratioBullmq}`);
console.log(
  `memory broker ${memory.eventsPerSecond} events/s; Redis ÷ memory ${toMemory.median.toFixed(2)} (${toMemory.min.toFixed(2)}–${toMemory.max.toFixed(2)}, ${ROUNDS} rounds)`,
);
console.log(
  JSON.stringify({
    node: process.version,
    seconds: SECONDS,
    concurrency: CONCURRENCY,
    streams,
    bullmq,
    tributary,
    ratioStreams,
    ratioBullmq,
    rounds: ROUNDS,
    memory,
    toMemory,
    byRound,
  }),
);
