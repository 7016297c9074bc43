import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
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

// Issue 6 end to end: real `tributary run` processes with a Kafka broker on librdkafka's mock
// cluster (one per file), killed with SIGKILL, scaled out to two processes, a KafkaSource fed by
// an independent producer (kcat), and a Sequence on KafkaChannels.
const NS = 'kfk';
let cluster: KafkaMockCluster;
const procs: TributaryProcess[] = [];
const sinks: HttpSink[] = [];

beforeAll(async () => {
  cluster = await startKafkaMock();
});
afterAll(async () => {
  await cluster?.stop();
});
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop('SIGKILL')));
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});

async function sink(): Promise<HttpSink> {
  const s = await startHttpSink();
  sinks.push(s);
  return s;
}
async function run(dir: string): Promise<TributaryProcess> {
  const p = await startTributary(dir);
  procs.push(p);
  return p;
}

/** Short group timeouts: the mock cluster rebalances in about two seconds with them. */
const groupConfig = `
  session.timeout.ms: "6000"
  rebalance.timeout.ms: "6000"
  heartbeat.interval.ms: "300"
  redelivery.delay.ms: "50"`;

function brokerManifests(sinkUrl: string): string {
  const broker = `b-${randomUUID().slice(0, 8)}`;
  const trigger = `t-${randomUUID().slice(0, 8)}`;
  return writeManifests({
    'broker.yaml': `
apiVersion: v1
kind: ConfigMap
metadata: { name: kafka-config, namespace: ${NS} }
data:
  bootstrap.servers: "${cluster.bootstrapServers}"
  default.topic.partitions: "4"
  default.topic.replication.factor: "1"${groupConfig}
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: ${broker}
  namespace: ${NS}
  annotations: { eventing.knative.dev/broker.class: Kafka }
spec:
  config: { apiVersion: v1, kind: ConfigMap, name: kafka-config }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: ${trigger}, namespace: ${NS} }
spec:
  broker: ${broker}
  subscriber: { uri: "${sinkUrl}" }
`,
  });
}

function brokerUrl(p: TributaryProcess, dir: string): string {
  void dir;
  const broker = p.logs.find((l) => l['msg'] === 'broker ready')?.['broker'];
  return `${p.baseUrl}/${NS}/${String(broker)}`;
}

async function post(url: string, id: string, key?: string): Promise<number> {
  const headers: Record<string, string> = {
    'ce-specversion': '1.0',
    'ce-id': id,
    'ce-type': 'test.kafka',
    'ce-source': '/e2e',
    'content-type': 'application/json',
  };
  if (key) headers['ce-partitionkey'] = key;
  const res = await request(url, { method: 'POST', headers, body: JSON.stringify({ id }) });
  await res.body.dump();
  return res.statusCode;
}

function countIds(s: HttpSink): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of s.events) {
    const id = e.attributes['id']!;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

async function waitForIds(s: HttpSink, ids: Iterable<string>, ms: number): Promise<void> {
  const want = [...ids];
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const got = countIds(s);
    if (want.every((id) => got.has(id))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  const got = countIds(s);
  const missing = want.filter((id) => !got.has(id));
  throw new Error(
    `${missing.length}/${want.length} events never reached the sink, e.g. ${missing.slice(0, 5).join(', ')}`,
  );
}

describe('Kafka broker', () => {
  it('delivers every event that got 202 after tributary run is killed with SIGKILL and started again', async () => {
    const s = await sink();
    const dir = brokerManifests(s.url);
    const first = await run(dir);
    const url = brokerUrl(first, dir);
    const accepted: string[] = [];
    let sending = true;
    const producer = (async () => {
      for (let i = 0; sending; i++) {
        const id = `crash-${i}`;
        try {
          if ((await post(url, id)) === 202) accepted.push(id);
        } catch {
          // the process died mid-request: not accepted
        }
      }
    })();
    while (accepted.length < 150) await new Promise((r) => setTimeout(r, 10));
    await first.stop('SIGKILL');
    sending = false;
    await producer;
    const second = await run(dir);
    expect(second.baseUrl).toBeTruthy();
    await waitForIds(s, accepted, 45_000);
    const counts = countIds(s);
    const duplicates = [...counts.values()].reduce((n, c) => n + c - 1, 0);
    console.log(
      `crash test: ${accepted.length} accepted, ${counts.size} delivered, ${duplicates} duplicates`,
    );
    expect(counts.size).toBeGreaterThanOrEqual(accepted.length);
  }, 90_000);

  it('shares a trigger’s partitions between two processes with the same manifests', async () => {
    const s = await sink();
    const dir = brokerManifests(s.url);
    const [a, b] = [await run(dir), await run(dir)];
    // Wait until the group settled with both members holding partitions.
    const assigned = (p: TributaryProcess) => {
      const joins = p.logs.filter((l) => l['msg'] === 'joined consumer group');
      const last = joins[joins.length - 1]?.['assignment'] as Record<string, number[]> | undefined;
      return Object.values(last ?? {}).flat().length;
    };
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (assigned(a) === 0 || assigned(b) === 0))
      await new Promise((r) => setTimeout(r, 100));
    expect(assigned(a) + assigned(b)).toBe(4);
    expect(assigned(a)).toBeGreaterThan(0);
    expect(assigned(b)).toBeGreaterThan(0);
    const ids: string[] = [];
    for (let i = 0; i < 80; i++) {
      const id = `scale-${i}`;
      const target = i % 2 === 0 ? brokerUrl(a, dir) : brokerUrl(b, dir);
      expect(await post(target, id, `k-${i}`)).toBe(202);
      ids.push(id);
    }
    await waitForIds(s, ids, 30_000);
    const delivered = (p: TributaryProcess) =>
      p.logs.filter((l) => l['msg'] === 'event delivered').length;
    expect(delivered(a)).toBeGreaterThan(0);
    expect(delivered(b)).toBeGreaterThan(0);
    expect(delivered(a) + delivered(b)).toBeGreaterThanOrEqual(80);
  }, 90_000);
});

describe('KafkaSource', () => {
  it('maps a plain record produced by kcat per Knative (§7.4) and delivers it to the sink', async () => {
    const s = await sink();
    const topic = `src-${randomUUID().slice(0, 8)}`;
    const dir = writeManifests({
      'source.yaml': `
apiVersion: sources.knative.dev/v1
kind: KafkaSource
metadata: { name: orders, namespace: ${NS} }
spec:
  bootstrapServers: ["${cluster.bootstrapServers}"]
  topics: [${topic}]
  initialOffset: earliest
  sink: { uri: "${s.url}" }
  ceOverrides: { extensions: { team: payments } }
`,
    });
    const p = await run(dir);
    await p.waitForLog((l) => l['msg'] === 'KafkaSource ready');
    await kcatProduce(topic, 'order-7', '{"total":42}', {
      'content-type': 'Application/JSON',
      'X-Trace-Id': 'abc-1',
    });
    await s.waitFor(1, 30_000);
    const event = s.events[0];
    const a = event!.attributes;
    expect(a['type']).toBe('dev.knative.kafka.event');
    expect(a['source']).toBe(`/apis/v1/namespaces/${NS}/kafkasources/orders#${topic}`);
    expect(a['id']).toMatch(/^partition:\d+\/offset:0$/);
    expect(a['subject']).toMatch(/^partition:\d+#0$/);
    expect(a['key']).toBe('order-7');
    expect(a['partitionkey']).toBe('order-7');
    expect(a['datacontenttype']).toBe('application/json');
    expect(a['kafkaheaderxtraceid']).toBe('abc-1');
    expect(a['team']).toBe('payments');
    expect(Date.parse(a['time']!)).toBeGreaterThan(Date.now() - 120_000);
    expect(Buffer.from(event!.data ?? new Uint8Array()).toString()).toBe('{"total":42}');
  }, 60_000);
});

describe('KafkaChannel', () => {
  it('carries a Sequence whose channelTemplate is KafkaChannel, step reply included', async () => {
    const step = await startHttpSink({
      script: (req) => ({
        status: 200,
        event: {
          attributes: {
            specversion: '1.0',
            id: `done-${req.events[0]?.attributes['id']}`,
            type: 'step.done',
            source: '/step',
          },
        },
      }),
    });
    sinks.push(step);
    const final = await sink();
    const seqName = `seq-${randomUUID().slice(0, 8)}`;
    const dir = writeManifests({
      'flow.yaml': `
apiVersion: v1
kind: ConfigMap
metadata: { name: kafka-channel-config, namespace: knative-eventing }
data:
  bootstrap.servers: "${cluster.bootstrapServers}"
  default.topic.partitions: "4"
  default.topic.replication.factor: "1"${groupConfig}
---
apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: { name: ${seqName}, namespace: ${NS} }
spec:
  channelTemplate: { apiVersion: messaging.knative.dev/v1beta1, kind: KafkaChannel }
  steps:
    - uri: "${step.url}"
  reply: { uri: "${final.url}" }
`,
    });
    const p = await run(dir);
    const topics = p.logs.map((l) => String(l['topic'] ?? ''));
    expect(topics.some((t) => t.startsWith(`knative-messaging-${NS}-${seqName}`))).toBe(true);
    expect(await post(`${p.baseUrl}/${NS}/sequences/${seqName}`, 'flow-1')).toBe(202);
    await final.waitFor(1, 30_000);
    expect(final.events[0]!.attributes['id']).toBe('done-flow-1');
    expect(final.events[0]!.attributes['type']).toBe('step.done');
    expect(step.events[0]!.attributes['id']).toBe('flow-1');
  }, 60_000);
});

function kcatProduce(
  topic: string,
  key: string,
  value: string,
  headers: Record<string, string>,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = ['-P', '-b', cluster.bootstrapServers, '-t', topic, '-K', '\t'];
    for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}=${v}`);
    const child = spawn('kcat', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`kcat exited ${code}: ${err}`)),
    );
    // kcat may exit before it has read its stdin (`-L` never reads it; a failure exits at once):
    // the exit code reports what happened, the broken pipe is not a second error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(`${key}\t${value}\n`);
  });
}
