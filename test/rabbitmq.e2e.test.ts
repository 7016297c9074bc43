import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { deleteRabbitmqTopology } from '@tributary/rabbitmq';
import { startHttpSink, type HttpSink } from '@tributary/testkit';
import {
  startTributary,
  writeManifests,
  type TributaryProcess,
} from './support/tributary-process.js';

// Issue 7 end to end: a real `tributary run` with a RabbitMQBroker and a RabbitmqSource on the
// local RabbitMQ (127.0.0.1:5672, guest/guest), killed with SIGKILL, and with every connection
// closed from the server side while events flow.
const RABBITMQ_URL = 'amqp://guest:guest@127.0.0.1:5672';
const NS = 'rmq';
const procs: TributaryProcess[] = [];
const sinks: HttpSink[] = [];
const toDelete = { exchanges: [] as string[], queues: [] as string[] };

afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop('SIGKILL')));
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await deleteRabbitmqTopology(RABBITMQ_URL, toDelete);
});

const secret = `
apiVersion: v1
kind: Secret
metadata: { name: rabbit-creds, namespace: ${NS} }
stringData: { uri: "http://127.0.0.1:15672", port: "5672", username: guest, password: guest }
`;

/** Manifests of a RabbitMQBroker with one trigger to `sinkUrl`; registers its names for cleanup. */
function brokerManifests(sinkUrl: string, queueType = 'quorum', parallelism?: number) {
  const broker = `b-${randomUUID().slice(0, 8)}`;
  const exchange = `knative-broker-${NS}-${broker}`;
  toDelete.exchanges.push(exchange);
  toDelete.queues.push(`${exchange}.knative-trigger-${NS}-all`);
  const dir = writeManifests({
    'broker.yaml': `${secret}
---
apiVersion: eventing.knative.dev/v1alpha1
kind: RabbitmqBrokerConfig
metadata: { name: rabbit-config, namespace: ${NS} }
spec:
  rabbitmqClusterReference: { connectionSecret: { name: rabbit-creds } }
  queueType: ${queueType}
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: ${broker}
  namespace: ${NS}
  annotations: { eventing.knative.dev/broker.class: RabbitMQBroker }
spec:
  config: { apiVersion: eventing.knative.dev/v1alpha1, kind: RabbitmqBrokerConfig, name: rabbit-config }
  delivery: { retry: 3, backoffDelay: PT0.05S }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: all
  namespace: ${NS}
  annotations: { ${parallelism ? `rabbitmq.eventing.knative.dev/parallelism: "${parallelism}"` : ''} }
spec:
  broker: ${broker}
  subscriber: { uri: "${sinkUrl}" }
`,
  });
  return { dir, broker };
}

/** Posts one event; resolves with the status, or 0 when the connection failed. */
async function post(url: string, id: string): Promise<number> {
  try {
    const res = await request(url, {
      method: 'POST',
      headers: {
        'ce-specversion': '1.0',
        'ce-id': id,
        'ce-source': '/e2e',
        'ce-type': 'e2e.rabbitmq',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ id }),
    });
    await res.body.dump();
    return res.statusCode;
  } catch {
    return 0;
  }
}

/** Sends ids one after another (retrying 503 and connection failures) and records the 202'd ones. */
async function produce(
  target: () => string,
  ids: string[],
  accepted: Set<string>,
  statuses: Map<number, number>,
): Promise<void> {
  for (const id of ids) {
    for (let attempt = 0; attempt < 200; attempt++) {
      const status = await post(target(), id);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status === 202) {
        accepted.add(id);
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const receivedIds = (sink: HttpSink): string[] => sink.events.map((e) => e.attributes['id']!);

async function waitForAll(sink: HttpSink, ids: Set<string>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const got = new Set(receivedIds(sink));
    if ([...ids].every((id) => got.has(id))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  const got = new Set(receivedIds(sink));
  const missing = [...ids].filter((id) => !got.has(id));
  throw new Error(
    `${missing.length} accepted events never arrived, e.g. ${missing.slice(0, 5).join(', ')}`,
  );
}

function run(cmd: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', (err) =>
      reject(
        new Error(
          `${cmd} failed to start (${err.message}); install it: apt-get install -y ${cmd === 'amqp-publish' ? 'amqp-tools' : 'rabbitmq-server'}`,
        ),
      ),
    );
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('RabbitMQBroker under tributary run', () => {
  it('delivers events through the broker to a trigger, classic queue, in order with parallelism 1', async () => {
    const sink = await startHttpSink();
    sinks.push(sink);
    const { dir, broker } = brokerManifests(sink.url, 'classic', 1);
    const trib = await startTributary(dir);
    procs.push(trib);
    const ids = Array.from({ length: 20 }, (_, i) => `ordered-${i}`);
    for (const id of ids) expect(await post(`${trib.baseUrl}/${NS}/${broker}`, id)).toBe(202);
    await sink.waitFor(20, 15_000);
    expect(receivedIds(sink)).toEqual(ids);
    expect(sink.events[0]!.attributes['knativearrivaltime']).toBeDefined();
  });

  it('loses no 202-accepted event when tributary is killed with SIGKILL mid-stream and restarted', async () => {
    const sink = await startHttpSink({ script: () => ({ status: 202, delayMs: 2 }) });
    sinks.push(sink);
    const { dir, broker } = brokerManifests(sink.url);
    let trib = await startTributary(dir);
    procs.push(trib);
    const accepted = new Set<string>();
    const statuses = new Map<number, number>();
    const ids = Array.from({ length: 600 }, () => randomUUID());
    let url = `${trib.baseUrl}/${NS}/${broker}`;
    const producing = Promise.all(
      [0, 1, 2, 3].map((k) =>
        produce(
          () => url,
          ids.filter((_, i) => i % 4 === k),
          accepted,
          statuses,
        ),
      ),
    );
    while (accepted.size < 200) await new Promise((r) => setTimeout(r, 5));
    await trib.stop('SIGKILL');
    trib = await startTributary(dir);
    procs.push(trib);
    url = `${trib.baseUrl}/${NS}/${broker}`;
    await producing;
    await waitForAll(sink, accepted, 45_000);
    const received = receivedIds(sink);
    const duplicates = received.length - new Set(received).size;
    console.log(
      `crash: ${accepted.size} accepted, ${received.length} delivered, ${duplicates} duplicates, statuses ${JSON.stringify([...statuses])}`,
    );
    expect(accepted.size).toBe(ids.length);
  });

  it('loses nothing when RabbitMQ closes every connection while events flow (503 + Retry-After while down)', async () => {
    const sink = await startHttpSink();
    sinks.push(sink);
    const { dir, broker } = brokerManifests(sink.url);
    const trib = await startTributary(dir);
    procs.push(trib);
    const url = `${trib.baseUrl}/${NS}/${broker}`;
    const accepted = new Set<string>();
    const statuses = new Map<number, number>();
    const ids = Array.from({ length: 800 }, () => randomUUID());
    const producing = Promise.all(
      [0, 1, 2, 3].map((k) =>
        produce(
          () => url,
          ids.filter((_, i) => i % 4 === k),
          accepted,
          statuses,
        ),
      ),
    );
    for (const after of [100, 300, 500]) {
      while (accepted.size < after) await new Promise((r) => setTimeout(r, 5));
      const r = await run('rabbitmqctl', [
        'close_all_connections',
        'tributary e2e: connection loss',
      ]);
      expect(r.code, r.out).toBe(0);
    }
    await producing;
    await waitForAll(sink, accepted, 45_000);
    const received = receivedIds(sink);
    console.log(
      `connection loss: ${accepted.size} accepted, ${received.length} delivered, ${received.length - new Set(received).size} duplicates, statuses ${JSON.stringify([...statuses])}`,
    );
    expect(accepted.size).toBe(ids.length);
    await trib.waitForLog((l) => l['msg'] === 'RabbitMQ connection lost; reconnecting');
  });

  it('answers 503 with Retry-After while RabbitMQ is unreachable', async () => {
    const sink = await startHttpSink();
    sinks.push(sink);
    const { dir, broker } = brokerManifests(sink.url);
    const trib = await startTributary(dir);
    procs.push(trib);
    const url = `${trib.baseUrl}/${NS}/${broker}`;
    // Close the connections repeatedly: some request lands while the publisher is down.
    let seen: { status: number; retryAfter?: string } | undefined;
    for (let round = 0; round < 20 && !seen; round++) {
      const closing = run('rabbitmqctl', ['close_all_connections', 'tributary e2e: 503']);
      for (let i = 0; i < 200 && !seen; i++) {
        const res = await request(url, {
          method: 'POST',
          headers: {
            'ce-specversion': '1.0',
            'ce-id': `u-${round}-${i}`,
            'ce-source': '/e2e',
            'ce-type': 't',
          },
          body: '',
        });
        await res.body.dump();
        if (res.statusCode === 503)
          seen = { status: 503, retryAfter: String(res.headers['retry-after']) };
      }
      await closing;
    }
    expect(seen?.status).toBe(503);
    expect(Number(seen?.retryAfter)).toBeGreaterThan(0);
  });
});

describe('RabbitmqSource under tributary run', () => {
  it('delivers a message published by amqp-publish, and passes a CloudEvent in headers through', async () => {
    const sink = await startHttpSink();
    sinks.push(sink);
    const suffix = randomUUID().slice(0, 8);
    const exchange = `e2e-src-ex-${suffix}`;
    const queue = `e2e-src-q-${suffix}`;
    toDelete.exchanges.push(exchange);
    toDelete.queues.push(queue);
    const dir = writeManifests({
      'source.yaml': `${secret}
---
apiVersion: sources.knative.dev/v1alpha1
kind: RabbitmqSource
metadata: { name: orders, namespace: ${NS} }
spec:
  rabbitmqClusterReference: { connectionSecret: { name: rabbit-creds } }
  rabbitmqResourcesConfig: { exchangeName: ${exchange}, queueName: ${queue}, parallelism: 1 }
  sink: { uri: "${sink.url}" }
`,
    });
    const trib = await startTributary(dir);
    procs.push(trib);
    const plain = await run('amqp-publish', [
      '-u',
      RABBITMQ_URL,
      '-e',
      exchange,
      '-r',
      'any',
      '-C',
      'application/json',
      '-b',
      '{"order":42}',
    ]);
    expect(plain.code, plain.out).toBe(0);
    const ce = await run('amqp-publish', [
      '-u',
      RABBITMQ_URL,
      '-e',
      exchange,
      '-r',
      'any',
      '-C',
      'text/plain',
      '-H',
      'ce-specversion: 1.0',
      '-H',
      'ce-id: ce-42',
      '-H',
      'ce-type: com.example.order',
      '-H',
      'ce-source: /shop',
      '-b',
      'hello',
    ]);
    expect(ce.code, ce.out).toBe(0);
    await sink.waitFor(2, 15_000);
    const [first, second] = sink.events;
    expect(first!.attributes).toMatchObject({
      type: 'dev.knative.rabbitmq.event',
      source: `/apis/v1/namespaces/${NS}/rabbitmqsources/orders#${queue}`,
      datacontenttype: 'application/json',
    });
    expect(first!.attributes['subject']).toBe(first!.attributes['id']);
    expect(JSON.parse(Buffer.from(first!.data!).toString('utf8'))).toEqual({ order: 42 });
    expect(second!.attributes).toMatchObject({
      id: 'ce-42',
      type: 'com.example.order',
      source: '/shop',
      datacontenttype: 'text/plain',
    });
    expect(Buffer.from(second!.data!).toString('utf8')).toBe('hello');
  });
});
