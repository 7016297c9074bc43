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

// Issue 20 on librdkafka's mock cluster: a standalone KafkaChannel read by a Subscription, and
// KafkaSinks (binary and structured mode, auth Secret) as Trigger subscribers.
const NS = 'kn-kafka';
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

const groupConfig = `
  session.timeout.ms: "6000"
  rebalance.timeout.ms: "6000"
  heartbeat.interval.ms: "300"
  redelivery.delay.ms: "50"`;

async function post(url: string, id: string, type = 'test.kafka'): Promise<number> {
  const res = await request(url, {
    method: 'POST',
    headers: {
      'ce-specversion': '1.0',
      'ce-id': id,
      'ce-type': type,
      'ce-source': '/e2e',
      'ce-partitionkey': `key-${id}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ id }),
  });
  await res.body.dump();
  return res.statusCode;
}

interface KcatRecord {
  headers?: string[] | null;
  key: string | null;
  payload: string | null;
}

/** Reads a topic from the beginning with kcat until `count` records arrived. */
async function readTopic(topic: string, count: number, ms = 30_000): Promise<KcatRecord[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const records = await new Promise<KcatRecord[]>((resolve, reject) => {
      const child = spawn(
        'kcat',
        ['-C', '-b', cluster.bootstrapServers, '-t', topic, '-o', 'beginning', '-e', '-J', '-q'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.on('error', reject);
      child.on('exit', () =>
        resolve(
          out
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .map((l) => JSON.parse(l) as KcatRecord),
        ),
      );
    });
    if (records.length >= count) return records;
    if (Date.now() > deadline)
      throw new Error(`topic ${topic} has ${records.length} record(s), expected ${count}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

const headerMap = (r: KcatRecord): Record<string, string> => {
  const h = r.headers ?? [];
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < h.length; i += 2) out[h[i]!] = h[i + 1]!;
  return out;
};

describe('standalone KafkaChannel', () => {
  it('takes events at its address and delivers them to a Subscription, on its own topic', async () => {
    const s = await startHttpSink();
    sinks.push(s);
    const channel = `kc-${randomUUID().slice(0, 8)}`;
    const dir = writeManifests({
      'channel.yaml': `
apiVersion: v1
kind: ConfigMap
metadata: { name: kafka-channel-config, namespace: knative-eventing }
data:
  bootstrap.servers: "${cluster.bootstrapServers}"
  default.topic.replication.factor: "1"${groupConfig}
---
apiVersion: messaging.knative.dev/v1beta1
kind: KafkaChannel
metadata: { name: ${channel}, namespace: ${NS} }
spec:
  numPartitions: 2
  replicationFactor: 1
---
apiVersion: messaging.knative.dev/v1
kind: Subscription
metadata: { name: ${channel}-sub, namespace: ${NS} }
spec:
  channel: { apiVersion: messaging.knative.dev/v1beta1, kind: KafkaChannel, name: ${channel} }
  subscriber: { uri: "${s.url}" }
`,
    });
    const p = await startTributary(dir);
    procs.push(p);
    const ready = await request(`${p.baseUrl}/readyz`);
    expect(ready.statusCode, await ready.body.text()).toBe(200);
    for (let i = 0; i < 5; i++)
      expect(await post(`${p.baseUrl}/${NS}/channels/${channel}`, `ch-${i}`)).toBe(202);
    await s.waitFor(5, 40_000);
    expect(new Set(s.events.map((e) => e.attributes['id']))).toEqual(
      new Set(['ch-0', 'ch-1', 'ch-2', 'ch-3', 'ch-4']),
    );
    // The channel's records are on a topic of Knative's name for it.
    const topic = `knative-messaging-${NS}-${channel}`;
    expect(p.logs.some((l) => l['topic'] === topic)).toBe(true);
    const records = await readTopic(topic, 5);
    expect(records).toHaveLength(5);
  }, 90_000);
});

describe('KafkaSink', () => {
  it('writes events from Triggers to Kafka topics in binary and structured mode', async () => {
    const id = randomUUID().slice(0, 8);
    const binaryTopic = `sink-bin-${id}`;
    const structuredTopic = `sink-str-${id}`;
    const dir = writeManifests({
      'sink.yaml': `
apiVersion: v1
kind: Secret
metadata: { name: kafka-auth, namespace: ${NS} }
stringData:
  protocol: PLAINTEXT
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: default, namespace: ${NS} }
spec:
  # defaults only
---
apiVersion: eventing.knative.dev/v1alpha1
kind: KafkaSink
metadata: { name: binary-sink, namespace: ${NS} }
spec:
  topic: ${binaryTopic}
  bootstrapServers: ["${cluster.bootstrapServers}"]
  auth: { secret: { ref: { name: kafka-auth } } }
---
apiVersion: eventing.knative.dev/v1alpha1
kind: KafkaSink
metadata: { name: structured-sink, namespace: ${NS} }
spec:
  topic: ${structuredTopic}
  bootstrapServers: ["${cluster.bootstrapServers}"]
  contentMode: structured
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: to-binary, namespace: ${NS} }
spec:
  broker: default
  filter: { attributes: { type: order.binary } }
  subscriber:
    ref: { apiVersion: eventing.knative.dev/v1alpha1, kind: KafkaSink, name: binary-sink }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: to-structured, namespace: ${NS} }
spec:
  broker: default
  filter: { attributes: { type: order.structured } }
  subscriber:
    ref: { apiVersion: eventing.knative.dev/v1alpha1, kind: KafkaSink, name: structured-sink }
`,
    });
    const p = await startTributary(dir);
    procs.push(p);
    await p.waitForLog(
      (l) => l['msg'] === 'KafkaSink ready' && String(l['sink']).includes('structured'),
      30_000,
    );
    expect(await post(`${p.baseUrl}/${NS}/default`, 'b-1', 'order.binary')).toBe(202);
    expect(await post(`${p.baseUrl}/${NS}/default`, 's-1', 'order.structured')).toBe(202);
    // The sink is addressable over HTTP too.
    expect(await post(`${p.baseUrl}/${NS}/kafkasinks/binary-sink`, 'b-2', 'order.direct')).toBe(
      202,
    );

    const binary = await readTopic(binaryTopic, 2);
    const byId = new Map(binary.map((r) => [headerMap(r)['ce_id'], r]));
    const b1 = byId.get('b-1')!;
    expect(headerMap(b1)).toMatchObject({
      ce_specversion: '1.0',
      ce_type: 'order.binary',
      ce_source: '/e2e',
      'content-type': 'application/json',
    });
    expect(b1.key).toBe('key-b-1');
    expect(JSON.parse(b1.payload!)).toEqual({ id: 'b-1' });
    expect(byId.get('b-2')).toBeDefined();

    const [s1] = await readTopic(structuredTopic, 1);
    expect(headerMap(s1!)['content-type']).toBe('application/cloudevents+json');
    expect(s1!.key).toBe('key-s-1');
    const ce = JSON.parse(s1!.payload!) as Record<string, unknown>;
    expect(ce).toMatchObject({
      specversion: '1.0',
      id: 's-1',
      type: 'order.structured',
      source: '/e2e',
      data: { id: 's-1' },
    });
  }, 90_000);
});

describe('broker class KafkaNamespaced', () => {
  it('runs a Broker of class KafkaNamespaced on Kafka, with config-br-defaults giving its config', async () => {
    const s = await startHttpSink();
    sinks.push(s);
    const broker = `ns-${randomUUID().slice(0, 8)}`;
    const dir = writeManifests({
      'broker.yaml': `
apiVersion: v1
kind: ConfigMap
metadata: { name: config-br-defaults, namespace: knative-eventing }
data:
  default-br-config: |
    clusterDefault:
      brokerClass: KafkaNamespaced
      apiVersion: v1
      kind: ConfigMap
      name: kafka-broker-config
      namespace: knative-eventing
---
apiVersion: v1
kind: ConfigMap
metadata: { name: kafka-broker-config, namespace: knative-eventing }
data:
  bootstrap.servers: "${cluster.bootstrapServers}"
  default.topic.partitions: "4"
  default.topic.replication.factor: "1"${groupConfig}
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: ${broker}, namespace: ${NS} }
spec:
  # class and config from config-br-defaults
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: ${broker}-t, namespace: ${NS} }
spec:
  broker: ${broker}
  subscriber: { uri: "${s.url}" }
`,
    });
    const p = await startTributary(dir);
    procs.push(p);
    const ready = await p.waitForLog((l) => l['msg'] === 'broker ready' && l['broker'] === broker);
    expect(ready['class']).toBe('KafkaNamespaced');
    // The Kafka backend carries it: its topic is Knative's broker topic name.
    await p.waitForLog((l) => l['topic'] === `knative-broker-${NS}-${broker}`, 30_000);
    // A new Kafka trigger starts at the latest offset: send until one arrives.
    const deadline = Date.now() + 40_000;
    for (let i = 0; s.events.length === 0 && Date.now() < deadline; i++) {
      expect(await post(`${p.baseUrl}/${NS}/${broker}`, `kn-${i}`)).toBe(202);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(s.events.length).toBeGreaterThan(0);
    expect(String(s.events[0]!.attributes['id'])).toMatch(/^kn-\d+$/);
  }, 90_000);
});
