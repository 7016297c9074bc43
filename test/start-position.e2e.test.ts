import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { deleteRabbitmqTopology } from '@tributary/rabbitmq';
import {
  startHttpSink,
  startKafkaMock,
  type HttpSink,
  type KafkaMockCluster,
} from '@tributary/testkit';
import {
  startTributary,
  writeManifests,
  type TributaryProcess,
} from './support/tributary-process.js';
import { redisCli } from './support/redis-cli.js';

// Issue 13: a Trigger is Ready only once its start position is stored in the backend (Kafka:
// committed group offsets; RabbitMQ: queue declared and bound; Redis: consumer group created).
// Events accepted after Ready survive a kill -9 that happens before anything was delivered.
const procs: TributaryProcess[] = [];
const sinks: HttpSink[] = [];
const rabbit = { exchanges: [] as string[], queues: [] as string[] };
const redisKeys: string[] = [];
let cluster: KafkaMockCluster;

beforeAll(async () => {
  cluster = await startKafkaMock();
});
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop('SIGKILL')));
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await cluster?.stop();
  await deleteRabbitmqTopology('amqp://guest:guest@127.0.0.1:5672', rabbit);
  if (redisKeys.length > 0) await redisCli('DEL', ...redisKeys);
});

function rabbitmqctl(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('rabbitmqctl', ['-q', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', (e) => reject(new Error(`rabbitmqctl: ${e.message}`)));
    child.on('exit', (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`rabbitmqctl exited ${code}`)),
    );
  });
}

/** A sink that holds every request unanswered while `gate.open` is false, then answers 202. */
async function gatedSink(): Promise<{ sink: HttpSink; gate: { open: boolean } }> {
  const gate = { open: false };
  const sink = await startHttpSink({
    script: () => (gate.open ? { status: 202 } : { status: 202, delayMs: 600_000 }),
  });
  sinks.push(sink);
  return { sink, gate };
}

async function run(dir: string): Promise<TributaryProcess> {
  const p = await startTributary(dir);
  procs.push(p);
  return p;
}

async function waitReady(base: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  let last = '';
  while (Date.now() < deadline) {
    const res = await request(`${base}/readyz`);
    last = await res.body.text();
    if (res.statusCode === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not ready within ${ms} ms: ${last}`);
}

async function post(url: string, id: string): Promise<number> {
  const res = await request(url, {
    method: 'POST',
    headers: {
      'ce-specversion': '1.0',
      'ce-id': id,
      'ce-type': 'test.start',
      'ce-source': '/e2e',
      'content-type': 'application/json',
    },
    body: JSON.stringify({ id }),
  });
  await res.body.dump();
  return res.statusCode;
}

/** Waits until every id in `want` arrived among the sink's events from index `from` on. */
async function waitForIds(
  s: HttpSink,
  want: readonly string[],
  from: number,
  ms: number,
): Promise<void> {
  const deadline = Date.now() + ms;
  const missing = () => {
    const got = new Set(s.events.slice(from).map((e) => e.attributes['id']));
    return want.filter((id) => !got.has(id));
  };
  while (Date.now() < deadline && missing().length > 0)
    await new Promise((r) => setTimeout(r, 100));
  const left = missing();
  if (left.length > 0)
    throw new Error(
      `${left.length}/${want.length} accepted events never arrived, e.g. ${left.slice(0, 3).join(', ')}`,
    );
}

/**
 * Starts `tributary run`, waits for /readyz 200, sends `count` events (all must get 202) while the
 * sink holds every delivery unanswered, kills the process with SIGKILL, opens the sink and starts
 * again on the same manifests: every accepted event must arrive again after the restart.
 */
async function killBeforeFirstDelivery(
  dir: string,
  brokerPath: string,
  gated: { sink: HttpSink; gate: { open: boolean } },
  count: number,
  whileRunning?: (p: TributaryProcess) => Promise<void>,
): Promise<void> {
  const first = await run(dir);
  await waitReady(first.baseUrl);
  await whileRunning?.(first);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `early-${i}`;
    expect(await post(`${first.baseUrl}${brokerPath}`, id)).toBe(202);
    ids.push(id);
  }
  await first.stop('SIGKILL');
  // Deliveries the killed process had started were never answered: nothing was acknowledged.
  gated.gate.open = true;
  const from = gated.sink.events.length;
  const second = await run(dir);
  await waitForIds(gated.sink, ids, from, 60_000);
  await second.stop();
}

const trigger = (ns: string, broker: string, sinkUrl: string) => `
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: all, namespace: ${ns} }
spec:
  broker: ${broker}
  subscriber: { uri: "${sinkUrl}" }
  delivery: { retry: 3, backoffPolicy: linear, backoffDelay: PT0.2S }
`;

describe('kill -9 right after Ready, before the first delivery', () => {
  it('Kafka: the restarted trigger reads from the committed start position (all 400 arrive)', async () => {
    const gated = await gatedSink();
    const broker = `b-${randomUUID().slice(0, 8)}`;
    const dir = writeManifests({
      'k.yaml': `
apiVersion: v1
kind: ConfigMap
metadata: { name: kafka-config, namespace: kst }
data:
  bootstrap.servers: "${cluster.bootstrapServers}"
  default.topic.partitions: "4"
  default.topic.replication.factor: "1"
  session.timeout.ms: "6000"
  rebalance.timeout.ms: "6000"
  heartbeat.interval.ms: "300"
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: ${broker}
  namespace: kst
  annotations: { eventing.knative.dev/broker.class: Kafka }
spec:
  config: { apiVersion: v1, kind: ConfigMap, name: kafka-config }
---
${trigger('kst', broker, gated.sink.url)}`,
    });
    await killBeforeFirstDelivery(dir, `/kst/${broker}`, gated, 400);
  }, 180_000);

  it('RabbitMQ: the trigger queue was bound before Ready and holds every event', async () => {
    const gated = await gatedSink();
    const broker = `b-${randomUUID().slice(0, 8)}`;
    const exchange = `knative-broker-rst-${broker}`;
    rabbit.exchanges.push(exchange);
    rabbit.queues.push(`${exchange}.knative-trigger-rst-all`);
    const dir = writeManifests({
      'r.yaml': `
apiVersion: v1
kind: Secret
metadata: { name: rabbit-creds, namespace: rst }
stringData: { uri: "http://127.0.0.1:15672", port: "5672", username: guest, password: guest }
---
apiVersion: eventing.knative.dev/v1alpha1
kind: RabbitmqBrokerConfig
metadata: { name: rabbit-config, namespace: rst }
spec:
  rabbitmqClusterReference: { connectionSecret: { name: rabbit-creds } }
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: ${broker}
  namespace: rst
  annotations: { eventing.knative.dev/broker.class: RabbitMQBroker }
spec:
  config: { apiVersion: eventing.knative.dev/v1alpha1, kind: RabbitmqBrokerConfig, name: rabbit-config }
---
${trigger('rst', broker, gated.sink.url)}`,
    });
    await killBeforeFirstDelivery(dir, `/rst/${broker}`, gated, 400, async (p) => {
      // Connection names say which process and part they belong to (docs/operations.md).
      const props = await rabbitmqctl('list_connections', 'client_properties');
      const names = [...props.matchAll(/\{"connection_name","([^"]*)"\}/g)].map((m) => m[1]);
      const base = `tributary-${p.child.pid}-broker-rst-${broker}`;
      expect(names, props.slice(0, 500)).toContain(`${base}-publisher`);
      expect(names).toContain(`${base}-consumer`);
    });
  }, 180_000);

  it('Redis: the consumer group was created before Ready and the restarted process claims every entry', async () => {
    const gated = await gatedSink();
    const broker = `b-${randomUUID().slice(0, 8)}`;
    redisKeys.push(`knative-broker-dst-${broker}`);
    const dir = writeManifests({
      'd.yaml': `
apiVersion: v1
kind: ConfigMap
metadata: { name: redis-config, namespace: dst }
data:
  address: redis://127.0.0.1:6379
  claim.min.idle.ms: "1000"
  claim.interval.ms: "300"
  bullmq.prefix: "tributary-${broker}"
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: ${broker}
  namespace: dst
  annotations: { eventing.knative.dev/broker.class: Redis }
spec:
  config: { apiVersion: v1, kind: ConfigMap, name: redis-config }
---
${trigger('dst', broker, gated.sink.url)}`,
    });
    await killBeforeFirstDelivery(dir, `/dst/${broker}`, gated, 400, async (p) => {
      const names = (await redisCli('CLIENT', 'LIST'))
        .split('\n')
        .map((l) => /\bname=(\S*)/.exec(l)?.[1]);
      const base = `tributary-${p.child.pid}-broker-dst-${broker}`;
      expect(names).toContain(base);
      expect(names).toContain(`${base}-consumer`);
      expect(names).toContain(`${base}-retries`);
      // BullMQ's own name for its worker's blocking connection is replaced too, once BullMQ has
      // opened that connection (it does so in the background, so poll briefly).
      await expect
        .poll(
          async () =>
            (await redisCli('CLIENT', 'LIST'))
              .split('\n')
              .map((l) => /\bname=(\S*)/.exec(l)?.[1])
              .filter((n) => n?.startsWith(`tributary-${broker}:`)),
          { timeout: 10_000, interval: 100 },
        )
        .toEqual([]);
    });
    const jobs = (await redisCli('--scan', '--pattern', `tributary-${broker}:*`))
      .split('\n')
      .filter(Boolean);
    redisKeys.push(...jobs);
  }, 180_000);
});
