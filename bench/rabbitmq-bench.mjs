// RabbitMQ benchmark: events/s through a `tributary run` with a RabbitMQBroker (HTTP load →
// ingress → publisher confirm → quorum queue → dispatcher → HTTP sink), against raw amqplib on the
// same server in the same run (closed-loop confirmed publishes → consumer acking each message).
// Needs RabbitMQ on 127.0.0.1:5672 (guest/guest) or RABBITMQ_URL, and `pnpm exec tsc -b` first.
// Env: BENCH_SECONDS (10), BENCH_CONCURRENCY (32), RABBITMQ_QUEUE_TYPE (quorum), RABBITMQ_PID (the
// server's beam.smp process, found with pgrep when unset; its CPU is measured when it is local),
// BENCH_BACKEND_ROUNDS (2: rounds of the RabbitMQ broker and the memory broker in rotating order;
// `tributary` and `memory` are per-field medians, `toMemory` the per-round events/s ratios' median
// and range).
// Besides events/s it reports CPU µs per event over the measured events (user + system from
// /proc/<pid>/stat): of the `tributary run` process (`tributaryCpuUsPerEvent`), of the raw amqplib
// client (this process, `clientCpuUsPerEvent`) and of the RabbitMQ server (`serverCpuUsPerEvent`,
// null when it is not found; shared with anything else using that server meanwhile).
// Prints a JSON object as its last stdout line.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BODY, againstMemoryBroker, drained, measureBroker } from './harness.mjs';
import { cpuSeconds, cpuUsPerEvent as usPerEvent } from './lib/proc.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const amqp = createRequire(path.join(root, 'packages/rabbitmq/package.json'))('amqplib');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const ROUNDS = Number(process.env.BENCH_BACKEND_ROUNDS ?? 2);
const QUEUE_TYPE = process.env.RABBITMQ_QUEUE_TYPE ?? 'quorum';
const URL_ = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** The local RabbitMQ server's process (the oldest beam.smp running rabbit), or undefined. */
function serverPid() {
  if (process.env.RABBITMQ_PID) return Number(process.env.RABBITMQ_PID);
  try {
    const out = execFileSync('pgrep', ['-o', '-f', 'beam.smp.*rabbit'], { encoding: 'utf8' });
    const pid = Number(out.trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
const SERVER_PID = serverPid();

const serverCpu = () => (SERVER_PID === undefined ? NaN : cpuSeconds(SERVER_PID));
const ownCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function benchTributary() {
  const u = new URL(URL_);
  const measured = await measureBroker({
    brokerClass: 'RabbitMQBroker',
    configYaml: `apiVersion: v1
kind: Secret
metadata: { name: rabbit }
stringData: { uri: "amqp://${u.host}", username: "${decodeURIComponent(u.username)}", password: "${decodeURIComponent(u.password)}" }
---
apiVersion: eventing.knative.dev/v1alpha1
kind: RabbitmqBrokerConfig
metadata: { name: rabbit }
spec:
  rabbitmqClusterReference: { connectionSecret: { name: rabbit } }
  queueType: ${QUEUE_TYPE}`,
    configRef:
      '{ apiVersion: eventing.knative.dev/v1alpha1, kind: RabbitmqBrokerConfig, name: rabbit }',
    serverPid: SERVER_PID,
    seconds: SECONDS,
    concurrency: CONCURRENCY,
  });
  const { broker } = measured;
  await cleanup({
    exchanges: [`knative-broker-default-${broker}`],
    queues: [`knative-broker-default-${broker}.knative-trigger-default-to-sink`],
  });
  return measured;
}

async function benchRaw() {
  const exchange = `bench-raw-${randomUUID().slice(0, 8)}`;
  const queue = `${exchange}.q`;
  const pubConn = await amqp.connect(URL_);
  const subConn = await amqp.connect(URL_);
  const pub = await pubConn.createConfirmChannel();
  const sub = await subConn.createChannel();
  await pub.assertExchange(exchange, 'fanout', { durable: true });
  await sub.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': QUEUE_TYPE } });
  await sub.bindQueue(queue, exchange, '');
  await sub.prefetch(100);
  let consumed = 0;
  await sub.consume(queue, (m) => {
    consumed++;
    sub.ack(m);
  });
  const content = Buffer.from(BODY);
  let seq = 0;
  const publishFor = async (seconds) => {
    const deadline = Date.now() + seconds * 1000;
    let published = 0;
    const worker = async () => {
      while (Date.now() < deadline) {
        const id = `r-${seq++}`;
        await new Promise((resolve, reject) =>
          pub.publish(
            exchange,
            '',
            content,
            {
              persistent: true,
              contentType: 'application/json',
              messageId: id,
              headers: {
                specversion: '1.0',
                id,
                source: '/bench',
                type: 'bench.event',
                datacontenttype: 'application/json',
              },
            },
            (err) => (err ? reject(err) : resolve()),
          ),
        );
        published++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return published;
  };
  try {
    await publishFor(1);
    await drained(async () => consumed, seq);
    consumed = 0;
    const before = { client: ownCpu(), server: serverCpu() };
    const t0 = process.hrtime.bigint();
    const published = await publishFor(SECONDS);
    const done = await drained(async () => consumed, published);
    const after = { client: ownCpu(), server: serverCpu() };
    const elapsed = Number(done.at - t0) / 1e9;
    return {
      published,
      consumed: done.count,
      eventsPerSecond: Math.round(done.count / elapsed),
      clientCpuUsPerEvent: usPerEvent(before.client, after.client, done.count),
      serverCpuUsPerEvent: usPerEvent(before.server, after.server, done.count),
      names: { exchanges: [exchange], queues: [queue] },
    };
  } finally {
    await pubConn.close().catch(() => undefined);
    await subConn.close().catch(() => undefined);
  }
}

async function cleanup(names) {
  const conn = await amqp.connect(URL_);
  for (const q of names.queues) {
    const ch = await conn.createChannel();
    await ch.deleteQueue(q).catch(() => undefined);
    await ch.close().catch(() => undefined);
  }
  for (const e of names.exchanges) {
    const ch = await conn.createChannel();
    await ch.deleteExchange(e).catch(() => undefined);
    await ch.close().catch(() => undefined);
  }
  await conn.close();
}

const raw = await benchRaw();
await cleanup(raw.names);
delete raw.names;
const { tributary, memory, toMemory, byRound } = await againstMemoryBroker({
  rounds: ROUNDS,
  measure: benchTributary,
  load: { seconds: SECONDS, concurrency: CONCURRENCY },
});
const ratio = Number((tributary.eventsPerSecond / raw.eventsPerSecond).toFixed(3));
console.log(
  `raw amqplib (confirm → consume)   ${String(raw.eventsPerSecond).padStart(8)} events/s`,
);
console.log(
  `tributary RabbitMQBroker (HTTP→HTTP) ${String(tributary.eventsPerSecond).padStart(8)} events/s  p50 ${tributary.p50LatencyMs} ms  p99 ${tributary.p99LatencyMs} ms`,
);
console.log(`ratio tributary/raw: ${ratio}`);
console.log(
  `memory broker ${memory.eventsPerSecond} events/s; RabbitMQ ÷ memory ${toMemory.median.toFixed(2)} (${toMemory.min.toFixed(2)}–${toMemory.max.toFixed(2)}, ${ROUNDS} rounds)`,
);
console.log(
  `CPU µs per event (${QUEUE_TYPE}): tributary ${tributary.tributaryCpuUsPerEvent}, server ${tributary.serverCpuUsPerEvent}; raw amqplib client ${raw.clientCpuUsPerEvent}, server ${raw.serverCpuUsPerEvent}`,
);
console.log(
  JSON.stringify({
    node: process.version,
    seconds: SECONDS,
    concurrency: CONCURRENCY,
    queueType: QUEUE_TYPE,
    raw,
    tributary,
    ratio,
    rounds: ROUNDS,
    memory,
    toMemory,
    byRound,
  }),
);
