import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { freePort, startHttpSink, type HttpSink } from '@tributary/testkit';
import {
  startTributary,
  writeManifests,
  type TributaryProcess,
} from './support/tributary-process.js';

// Issue 13: start and stop never wait on a backend. A Redis broker whose Redis does not answer:
// the server listens before any backend is contacted, /healthz answers, the broker's ingress
// answers 503 with Retry-After, /readyz names the reason, and SIGTERM ends the process within
// the drain time (10 s).
const procs: TributaryProcess[] = [];
const servers: Server[] = [];
const sinks: HttpSink[] = [];
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop('SIGKILL')));
  await Promise.all(sinks.splice(0).map((s) => s.close()));
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** A TCP server that accepts connections and never answers (a hung Redis). */
async function silentServer(): Promise<number> {
  const sockets = new Set<Socket>();
  const srv = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  const close = srv.close.bind(srv);
  srv.close = (cb) => {
    for (const s of sockets) s.destroy();
    return close(cb);
  };
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return (srv.address() as { port: number }).port;
}

function manifests(port: number, broker: string, subscriber = 'http://127.0.0.1:1/'): string {
  return writeManifests({
    'r.yaml': `
apiVersion: v1
kind: ConfigMap
metadata: { name: redis-down }
data: { address: "redis://127.0.0.1:${port}" }
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: ${broker}
  annotations: { eventing.knative.dev/broker.class: Redis }
spec:
  config: { apiVersion: v1, kind: ConfigMap, name: redis-down }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: t1 }
spec:
  broker: ${broker}
  subscriber: { uri: "${subscriber}" }
`,
  });
}

type Readiness = {
  ready: boolean;
  notReady: Array<{ resource: string; reason: string; message: string }>;
};

async function checkUnreachable(port: number): Promise<void> {
  const broker = `down-${randomUUID().slice(0, 8)}`;
  const p = await startTributary(manifests(port, broker), [], { until: 'http server listening' });
  procs.push(p);

  // The server listened before the broker's backend was contacted.
  const listening = p.logs.findIndex((l) => l['msg'] === 'http server listening');
  const firstBrokerLine = p.logs.findIndex((l) => l['broker'] !== undefined);
  expect(listening).toBeGreaterThanOrEqual(0);
  if (firstBrokerLine >= 0) expect(listening).toBeLessThan(firstBrokerLine);

  const health = await request(`${p.baseUrl}/healthz`);
  await health.body.dump();
  expect(health.statusCode).toBe(200);

  const ingress = await request(`${p.baseUrl}/default/${broker}`, {
    method: 'POST',
    headers: {
      'ce-specversion': '1.0',
      'ce-id': '1',
      'ce-type': 't',
      'ce-source': '/e2e',
    },
    body: '{}',
  });
  const text = await ingress.body.text();
  expect(ingress.statusCode, text).toBe(503);
  expect(Number(ingress.headers['retry-after'])).toBeGreaterThan(0);

  // /readyz names the broker and why; wait for the first connection attempt to be judged.
  let body: Readiness | undefined;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await request(`${p.baseUrl}/readyz`);
    expect(ready.statusCode).toBe(503);
    body = (await ready.body.json()) as Readiness;
    const b = body.notReady.find((r) => r.resource === `Broker/default/${broker}`);
    if (b?.reason === 'BackendUnavailable' || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const b = body.notReady.find((r) => r.resource === `Broker/default/${broker}`);
  expect(b?.reason).toBe('BackendUnavailable');
  expect(b?.message).toContain(String(port));
  expect(body.notReady.find((r) => r.resource === 'Trigger/default/t1')?.reason).toBe(
    'BrokerNotReady',
  );
  // Still answering while the backend stays unreachable.
  const again = await request(`${p.baseUrl}/healthz`);
  await again.body.dump();
  expect(again.statusCode).toBe(200);

  // SIGTERM: the process exits (0) within the drain time, clients stopped.
  const sent = Date.now();
  const code = await Promise.race([
    p.stop('SIGTERM'),
    new Promise<'still running'>((r) => setTimeout(() => r('still running'), 20_000)),
  ]);
  expect(code).toBe(0);
  expect(Date.now() - sent).toBeLessThan(20_000);
  expect(p.logs.some((l) => l['msg'] === 'stopped')).toBe(true);
}

describe('a Redis broker whose Redis is unreachable', () => {
  it('refused connections: healthz answers, ingress 503 + Retry-After, readyz names it, SIGTERM exits', async () => {
    await checkUnreachable(await freePort());
  }, 90_000);

  it('a Redis that accepts and never answers: the same, and SIGTERM still exits', async () => {
    await checkUnreachable(await silentServer());
  }, 90_000);
});

/** Listens on `port` and forwards every connection to the shared Redis (Redis "comes back"). */
async function redisProxy(port: number): Promise<void> {
  const srv = createServer((client) => {
    const upstream = connect(6379, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
}

async function readiness(base: string): Promise<{ status: number; body: Readiness }> {
  const res = await request(`${base}/readyz`);
  return { status: res.statusCode, body: (await res.body.json()) as Readiness };
}

describe('a backend that becomes reachable later', () => {
  it('the Broker and its Trigger become Ready without a restart and deliver', async () => {
    const sink = await startHttpSink();
    sinks.push(sink);
    const port = await freePort();
    const broker = `late-${randomUUID().slice(0, 8)}`;
    const p = await startTributary(manifests(port, broker, sink.url));
    procs.push(p);
    expect((await readiness(p.baseUrl)).status).toBe(503);
    await redisProxy(port);
    const deadline = Date.now() + 60_000;
    let r = await readiness(p.baseUrl);
    while (r.status !== 200 && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 250));
      r = await readiness(p.baseUrl);
    }
    expect(r.body.notReady).toEqual([]);
    const res = await request(`${p.baseUrl}/default/${broker}`, {
      method: 'POST',
      headers: { 'ce-specversion': '1.0', 'ce-id': 'back-1', 'ce-type': 't', 'ce-source': '/e2e' },
      body: '{}',
    });
    await res.body.dump();
    expect(res.statusCode).toBe(202);
    await sink.waitForEvent((e) => e.attributes['id'] === 'back-1', 30_000);
    expect(await p.stop('SIGTERM')).toBe(0);
  }, 120_000);
});

describe('Kafka and RabbitMQ brokers whose servers are unreachable', () => {
  it('answer 503 + Retry-After, are not Ready with the reason, and SIGTERM exits within the drain time', async () => {
    const [kafkaPort, amqpPort] = [await freePort(), await freePort()];
    const id = randomUUID().slice(0, 8);
    const dir = writeManifests({
      'b.yaml': `
apiVersion: v1
kind: ConfigMap
metadata: { name: kafka-down }
data: { bootstrap.servers: "127.0.0.1:${kafkaPort}" }
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: k-${id}
  annotations: { eventing.knative.dev/broker.class: Kafka }
spec:
  config: { apiVersion: v1, kind: ConfigMap, name: kafka-down }
---
apiVersion: v1
kind: Secret
metadata: { name: rabbit-down }
stringData: { uri: "amqp://127.0.0.1:${amqpPort}", username: guest, password: guest }
---
apiVersion: eventing.knative.dev/v1alpha1
kind: RabbitmqBrokerConfig
metadata: { name: rabbit-down }
spec:
  rabbitmqClusterReference: { connectionSecret: { name: rabbit-down } }
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: r-${id}
  annotations: { eventing.knative.dev/broker.class: RabbitMQBroker }
spec:
  config: { apiVersion: eventing.knative.dev/v1alpha1, kind: RabbitmqBrokerConfig, name: rabbit-down }
`,
    });
    const p = await startTributary(dir, [], { until: 'http server listening' });
    procs.push(p);
    const health = await request(`${p.baseUrl}/healthz`);
    await health.body.dump();
    expect(health.statusCode).toBe(200);
    for (const b of [`k-${id}`, `r-${id}`]) {
      const res = await request(`${p.baseUrl}/default/${b}`, {
        method: 'POST',
        headers: { 'ce-specversion': '1.0', 'ce-id': '1', 'ce-type': 't', 'ce-source': '/e2e' },
        body: '{}',
      });
      await res.body.dump();
      expect(res.statusCode).toBe(503);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    }
    const deadline = Date.now() + 45_000;
    const reasons = async () => {
      const r = await readiness(p.baseUrl);
      return Object.fromEntries(r.body.notReady.map((n) => [n.resource, n.reason]));
    };
    let now = await reasons();
    while (
      Date.now() < deadline &&
      (now[`Broker/default/k-${id}`] !== 'BackendUnavailable' ||
        now[`Broker/default/r-${id}`] !== 'BackendUnavailable')
    ) {
      await new Promise((r) => setTimeout(r, 250));
      now = await reasons();
    }
    expect(now[`Broker/default/k-${id}`]).toBe('BackendUnavailable');
    expect(now[`Broker/default/r-${id}`]).toBe('BackendUnavailable');
    const code = await Promise.race([
      p.stop('SIGTERM'),
      new Promise<'still running'>((r) => setTimeout(() => r('still running'), 20_000)),
    ]);
    expect(code).toBe(0);
  }, 120_000);
});
