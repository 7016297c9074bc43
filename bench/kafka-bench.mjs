// Kafka benchmark: events/s through a `tributary run` with a Kafka broker (HTTP load → ingress →
// produce with acks -1 → topic → consumer group → dispatcher → HTTP sink), against raw kafkajs on
// the same cluster in the same run (closed-loop acks -1 sends → a consumer group counting records).
// The cluster is librdkafka's mock (kcat, one broker, loopback): it measures client and Tributary
// overhead, not a real broker's disk and network. Needs kcat and `pnpm exec tsc -b` first.
// Env: BENCH_SECONDS (10), BENCH_CONCURRENCY (32), KAFKA_BOOTSTRAP_SERVERS (skip the mock),
// BENCH_BACKEND_ROUNDS (2: rounds of the Kafka broker and the memory broker in rotating order;
// `tributary` and `memory` are per-field medians, `toMemory` the per-round events/s ratios' median
// and range).
// Prints a JSON object as its last stdout line. Besides events/s (noise on a shared machine) it
// gives CPU microseconds per event (user + system, /proc/<pid>/stat) over the measured events:
// `tributaryCpuUsPerEvent` (the `tributary run` process), `serverCpuUsPerEvent` (the kcat mock
// during that run; null for an external cluster), and the same for the raw kafkajs run
// (`raw.clientCpuUsPerEvent`: this process, `raw.serverCpuUsPerEvent`). All per delivered
// (consumed) event, after the harness' warm-up (BENCH_WARMUP_SECONDS).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BODY, againstMemoryBroker, drained, measureBroker } from './harness.mjs';
import { cpuSeconds, cpuUsPerEvent as perEvent } from './lib/proc.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const { Kafka, logLevel } = createRequire(path.join(root, 'packages/kafka/package.json'))(
  'kafkajs',
);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const ROUNDS = Number(process.env.BENCH_BACKEND_ROUNDS ?? 2);

/** Starts the librdkafka mock cluster through kcat; resolves with its address and a stop(). */
function startMock() {
  const child = spawn(
    'sh',
    [
      '-c',
      // No `-d mock`: its debug log writes a line per Kafka request, which costs the mock CPU and
      // reaches this process (the load generator) through the pipe.
      'sleep infinity | exec kcat -P -b unused:9092 -t boot -X test.mock.num.brokers=1',
    ],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (d) => {
      text += d;
      const m = /replaced with (127\.0\.0\.1:\d+)/.exec(text);
      if (!m) return;
      child.stderr.off('data', onData);
      child.stderr.resume();
      resolve({
        address: m[1],
        pid: kcatPid(child.pid),
        stop: () => process.kill(-child.pid, 'SIGKILL'),
      });
    };
    child.stderr.on('data', onData);
    child.on('exit', (c) =>
      reject(new Error(`kcat exited ${c} (install it: sudo apt-get install -y kcat)`)),
    );
  });
}

/** The kcat process under the `sh` that started it (the mock cluster runs in kcat). */
function kcatPid(shPid) {
  try {
    const children = readFileSync(`/proc/${shPid}/task/${shPid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    return children.find((p) => readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'kcat');
  } catch {
    return undefined;
  }
}

function benchTributary(bootstrap, serverPid) {
  return measureBroker({
    brokerClass: 'Kafka',
    configYaml: `apiVersion: v1
kind: ConfigMap
metadata: { name: kafka }
data:
  bootstrap.servers: "${bootstrap}"
  default.topic.partitions: "4"
  default.topic.replication.factor: "1"
  session.timeout.ms: "6000"
  rebalance.timeout.ms: "6000"
  heartbeat.interval.ms: "500"`,
    configRef: '{ apiVersion: v1, kind: ConfigMap, name: kafka }',
    serverPid,
    seconds: SECONDS,
    concurrency: CONCURRENCY,
  });
}

async function benchRaw(bootstrap, serverPid) {
  const kafka = new Kafka({
    brokers: [bootstrap],
    clientId: 'bench-raw',
    logLevel: logLevel.NOTHING,
  });
  const topic = `bench-raw-${randomUUID().slice(0, 8)}`;
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  const consumer = kafka.consumer({
    groupId: `${topic}-g`,
    sessionTimeout: 6000,
    rebalanceTimeout: 6000,
    heartbeatInterval: 500,
    maxWaitTimeInMs: 100,
  });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: [{ value: 'warmup' }] });
  let consumed = 0;
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let joined;
  const join = new Promise((r) => (joined = r));
  consumer.on(consumer.events.GROUP_JOIN, () => joined());
  await consumer.run({ eachMessage: async () => void consumed++ });
  await join;
  await drained(async () => consumed, 1);
  const value = Buffer.from(BODY);
  const start = consumed;
  const self0 = process.cpuUsage();
  const server0 = serverPid ? cpuSeconds(serverPid) : NaN;
  const t0 = process.hrtime.bigint();
  const deadline = Date.now() + SECONDS * 1000;
  let published = 0;
  let seq = 0;
  const worker = async () => {
    while (Date.now() < deadline) {
      const id = `r-${seq++}`;
      await producer.send({
        topic,
        acks: -1,
        messages: [
          {
            value,
            headers: {
              ce_specversion: '1.0',
              ce_id: id,
              ce_source: '/bench',
              ce_type: 'bench.event',
              'content-type': 'application/json',
            },
          },
        ],
      });
      published++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const done = await drained(async () => consumed - start, published);
  const self = process.cpuUsage(self0);
  const server1 = serverPid ? cpuSeconds(serverPid) : NaN;
  const elapsed = Number(done.at - t0) / 1e9;
  await consumer.disconnect();
  await producer.disconnect();
  return {
    published,
    consumed: done.count,
    eventsPerSecond: Math.round(done.count / elapsed),
    clientCpuUsPerEvent: perEvent(0, (self.user + self.system) / 1e6, done.count),
    serverCpuUsPerEvent: perEvent(server0, server1, done.count),
  };
}

const mock = process.env.KAFKA_BOOTSTRAP_SERVERS ? undefined : await startMock();
const bootstrap = process.env.KAFKA_BOOTSTRAP_SERVERS ?? mock.address;
try {
  const raw = await benchRaw(bootstrap, mock?.pid);
  const { tributary, memory, toMemory, byRound } = await againstMemoryBroker({
    rounds: ROUNDS,
    measure: () => benchTributary(bootstrap, mock?.pid),
    load: { seconds: SECONDS, concurrency: CONCURRENCY },
  });
  const ratio = Number((tributary.eventsPerSecond / raw.eventsPerSecond).toFixed(3));
  console.log(`cluster: ${mock ? 'librdkafka mock (kcat), 1 broker' : bootstrap}`);
  console.log(
    `raw kafkajs produce(acks -1) → consume ${String(raw.eventsPerSecond).padStart(8)} events/s`,
  );
  console.log(
    `tributary Kafka broker (HTTP→HTTP)     ${String(tributary.eventsPerSecond).padStart(8)} events/s  p50 ${tributary.p50LatencyMs} ms  p99 ${tributary.p99LatencyMs} ms`,
  );
  console.log(`ratio tributary/raw: ${ratio}`);
  console.log(
    `memory broker ${memory.eventsPerSecond} events/s; Kafka ÷ memory ${toMemory.median.toFixed(2)} (${toMemory.min.toFixed(2)}–${toMemory.max.toFixed(2)}, ${ROUNDS} rounds)`,
  );
  console.log(
    `CPU µs/event: tributary ${tributary.tributaryCpuUsPerEvent}, cluster ${tributary.serverCpuUsPerEvent} (raw kafkajs: client ${raw.clientCpuUsPerEvent}, cluster ${raw.serverCpuUsPerEvent})`,
  );
  console.log(
    JSON.stringify({
      node: process.version,
      seconds: SECONDS,
      concurrency: CONCURRENCY,
      cluster: mock ? 'mock' : 'external',
      raw,
      tributary,
      ratio,
      tributaryCpuUsPerEvent: tributary.tributaryCpuUsPerEvent,
      serverCpuUsPerEvent: tributary.serverCpuUsPerEvent,
      rounds: ROUNDS,
      memory,
      toMemory,
      byRound,
    }),
  );
} finally {
  mock?.stop();
}
process.exit(0);
