/**
 * The dead-letter store (docs/failed-deliveries.md) as a user runs it: `tributary run` in a
 * subprocess, a failing subscriber, `tributary dlq …` and the admin API; on durable backends the
 * entries survive SIGKILL, and a redrive killed mid-delivery loses nothing.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetterEntryJson } from '@tributary/core';
import { deleteRabbitmqTopology } from '@tributary/rabbitmq';
import {
  type HttpSink,
  type KafkaMockCluster,
  startHttpSink,
  startKafkaMock,
} from '@tributary/testkit';
import {
  runCli,
  startTributary,
  writeManifests,
  type TributaryProcess,
} from './support/tributary-process.js';

const procs: TributaryProcess[] = [];
const sinks: HttpSink[] = [];
const cleanups: Array<() => void | Promise<void>> = [];

afterEach(async () => {
  for (const p of procs.splice(0)) await p.stop('SIGKILL');
  for (const s of sinks.splice(0)) await s.close();
});
let kafka: KafkaMockCluster | undefined;
beforeAll(async () => {
  kafka = await startKafkaMock();
}, 30_000);
afterAll(async () => {
  for (const c of cleanups) await c();
  await kafka?.stop();
});

/** A subscriber whose answer the test switches: fail (503 with a body), ok (200) or hang. */
async function switchableSink(): Promise<{ sink: HttpSink; set(m: 'fail' | 'ok' | 'hang'): void }> {
  let mode: 'fail' | 'ok' | 'hang' = 'fail';
  const sink = await startHttpSink({
    script: () =>
      mode === 'fail'
        ? { status: 503, body: 'subscriber down for maintenance' }
        : mode === 'hang'
          ? { status: 200, delayMs: 120_000 }
          : { status: 200 },
  });
  sinks.push(sink);
  return { sink, set: (m) => (mode = m) };
}

async function start(dir: string, extra: string[] = []): Promise<TributaryProcess> {
  const p = await startTributary(dir, extra);
  procs.push(p);
  return p;
}

async function send(base: string, broker: string, id: string): Promise<number> {
  const res = await request(`${base}/default/${broker}`, {
    method: 'POST',
    headers: {
      'ce-specversion': '1.0',
      'ce-id': id,
      'ce-source': '/e2e',
      'ce-type': 'order.created',
      'content-type': 'application/json',
    },
    body: JSON.stringify({ order: id }),
  });
  await res.body.dump();
  return res.statusCode;
}

async function api<T>(
  base: string,
  pathname: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await request(`${base}${pathname}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.statusCode, body: (await res.body.json()) as T };
}

async function entries(base: string): Promise<DeadLetterEntryJson[]> {
  return (await api<{ items: DeadLetterEntryJson[] }>(base, '/admin/v1/deadletters')).body.items;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function manifests(
  broker: string,
  subscriber: string,
  brokerPrelude = '',
  annotations = '',
): string {
  return writeManifests({
    'm.yaml': `${brokerPrelude}
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: ${broker}
${annotations}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: orders }
spec:
  broker: ${broker}
  subscriber: { uri: ${subscriber} }
  delivery: { retry: 1, backoffPolicy: linear, backoffDelay: PT0.1S }
`,
  });
}

describe('dead-letter store on the memory backend', () => {
  it('stores an exhausted delivery, shows it, redrives it (again and delivered) and purges', async () => {
    const { sink, set } = await switchableSink();
    const dir = manifests('mem', sink.url);
    const p = await start(dir);
    const id = `ev-${randomUUID()}`;
    expect(await send(p.baseUrl, 'mem', id)).toBe(202);

    const [entry] = await until('a dead-letter entry', async () => {
      const items = await entries(p.baseUrl);
      return items.length > 0 ? items : undefined;
    });
    expect(entry!.broker).toEqual({ namespace: 'default', name: 'mem' });
    expect(entry!.owner).toEqual({ kind: 'Trigger', namespace: 'default', name: 'orders' });
    expect(entry!.event.attributes['id']).toBe(id);
    expect(entry!.event.dataEncoding).toBe('utf8');
    expect(JSON.parse(entry!.event.data!)).toEqual({ order: id });
    expect(entry!.attempts.map((a) => a.status)).toEqual([503, 503]);
    expect(entry!.lastResponseBody).toBe('subscriber down for maintenance');
    expect(entry!.errorExtensions.knativeerrorcode).toBe('503');
    expect(entry!.errorExtensions.knativeerrordest).toBe(sink.url);
    expect(Buffer.from(entry!.errorExtensions.knativeerrordata, 'base64').toString()).toBe(
      'subscriber down for maintenance',
    );

    // CLI: list (table and json) and show.
    const table = await runCli(['dlq', 'list', '--server', p.baseUrl]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(entry!.id);
    expect(table.stdout).toContain('trigger/orders');
    const json = await runCli([
      'dlq',
      'list',
      '--server',
      p.baseUrl,
      '--trigger',
      'orders',
      '-o',
      'json',
    ]);
    expect(
      (JSON.parse(json.stdout) as { items: DeadLetterEntryJson[] }).items.map((e) => e.id),
    ).toEqual([entry!.id]);
    const none = await runCli([
      'dlq',
      'list',
      '--server',
      p.baseUrl,
      '--trigger',
      'other',
      '-o',
      'json',
    ]);
    expect(JSON.parse(none.stdout)).toEqual({ items: [] });
    const shown = await runCli(['dlq', 'show', entry!.id, '--server', p.baseUrl, '-o', 'yaml']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`id: ${entry!.id}`);
    const missing = await runCli(['dlq', 'show', 'no-such-id', '--server', p.baseUrl]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('404');

    // Redrive while the subscriber still fails: the entry stays, with the new attempts appended.
    const again = await runCli(['dlq', 'redrive', entry!.id, '--server', p.baseUrl, '-o', 'json']);
    expect(JSON.parse(again.stdout)).toEqual({
      results: [{ id: entry!.id, outcome: 'dead-lettered-again' }],
    });
    const stored = (await api<DeadLetterEntryJson>(p.baseUrl, `/admin/v1/deadletters/${entry!.id}`))
      .body;
    expect(stored.attempts).toHaveLength(4);

    // Subscriber back: redrive --all delivers the original event and empties the store.
    set('ok');
    const before = sink.events.length;
    const done = await runCli(['dlq', 'redrive', '--all', '--server', p.baseUrl]);
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('delivered');
    expect(sink.events.slice(before).map((e) => e.attributes['id'])).toEqual([id]);
    expect(await entries(p.baseUrl)).toEqual([]);

    // Purge: a second failure, purged without delivery.
    set('fail');
    expect(await send(p.baseUrl, 'mem', `ev-${randomUUID()}`)).toBe(202);
    await until('a second entry', async () =>
      (await entries(p.baseUrl)).length === 1 ? true : undefined,
    );
    const purged = await runCli(['dlq', 'purge', '--all', '--server', p.baseUrl, '-o', 'json']);
    expect(JSON.parse(purged.stdout)).toEqual({ purged: 1 });
    expect(await entries(p.baseUrl)).toEqual([]);

    // Metrics.
    const metrics = await (await request(`${p.baseUrl}/metrics`)).body.text();
    expect(metrics).toMatch(
      /tributary_deadletter_entries_added_total\{[^}]*kn_broker_name="mem"[^}]*\} 2/,
    );
    expect(metrics).toMatch(
      /tributary_deadletter_redrives_total\{[^}]*outcome="delivered"[^}]*\} 1/,
    );
    expect(metrics).toMatch(
      /tributary_deadletter_redrives_total\{[^}]*outcome="dead-lettered-again"[^}]*\} 1/,
    );
    expect(metrics).toMatch(
      /tributary_deadletter_store_entries\{[^}]*kn_broker_name="mem"[^}]*\} 0/,
    );
  }, 120_000);

  it('answers bad requests with 400/404 naming the problem', async () => {
    const { sink } = await switchableSink();
    const p = await start(manifests('mem', sink.url));
    const bad = await api<{ error: string }>(p.baseUrl, '/admin/v1/deadletters/redrive', {
      ids: [],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('"ids"');
    const neither = await api<{ error: string }>(p.baseUrl, '/admin/v1/deadletters/purge', {});
    expect(neither.status).toBe(400);
    const broker = await api<{ error: string }>(p.baseUrl, '/admin/v1/deadletters?broker=nope');
    expect(broker.status).toBe(400);
    expect(broker.body.error).toContain('<namespace>/<name>');
    const unknown = await api<{ error: string }>(
      p.baseUrl,
      '/admin/v1/deadletters?broker=default/nope',
    );
    expect(unknown.status).toBe(404);
    const limit = await api<{ error: string }>(p.baseUrl, '/admin/v1/deadletters?limit=0');
    expect(limit.status).toBe(400);
    const notFound = await api<{ results: unknown[] }>(p.baseUrl, '/admin/v1/deadletters/redrive', {
      ids: ['no-such-id'],
    });
    expect(notFound.body.results).toEqual([{ id: 'no-such-id', outcome: 'not-found' }]);
    const cli = await runCli(['dlq', 'redrive', '--server', p.baseUrl]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('--all');
  }, 60_000);
});

describe('dead-letter admin API behind --admin-token-file', () => {
  it('refuses list, redrive and purge without the token; the CLI sends $TRIBUTARY_ADMIN_TOKEN', async () => {
    const { sink } = await switchableSink();
    const tokenDir = mkdtempSync(path.join(os.tmpdir(), 'tributary-dlq-token-'));
    cleanups.push(() => rmSync(tokenDir, { recursive: true, force: true }));
    const token = `t-${randomUUID()}`;
    writeFileSync(path.join(tokenDir, 'token'), token);
    const p = await start(manifests('mem', sink.url), [
      '--admin-token-file',
      path.join(tokenDir, 'token'),
    ]);
    expect((await api(p.baseUrl, '/admin/v1/deadletters')).status).toBe(401);
    expect((await api(p.baseUrl, '/admin/v1/deadletters/redrive', { all: true })).status).toBe(401);
    expect((await api(p.baseUrl, '/admin/v1/deadletters/purge', { all: true })).status).toBe(401);
    const refused = await runCli(['dlq', 'purge', '--all', '--server', p.baseUrl]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('401');
    process.env['TRIBUTARY_ADMIN_TOKEN'] = token;
    try {
      const ok = await runCli(['dlq', 'purge', '--all', '--server', p.baseUrl, '-o', 'json']);
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout)).toEqual({ purged: 0 });
    } finally {
      delete process.env['TRIBUTARY_ADMIN_TOKEN'];
    }
  }, 60_000);
});

interface DurableCase {
  readonly name: string;
  readonly setup: (broker: string) => { prelude: string; annotations: string; args: string[] };
}

const durable: DurableCase[] = [
  {
    name: 'redis',
    setup: (broker) => {
      cleanups.push(() => {
        spawnSync('redis-cli', ['DEL', `tributary:deadletters:default/${broker}`]);
        spawnSync('redis-cli', ['DEL', `tributary:deadletters:default/${broker}:index`]);
        spawnSync('redis-cli', ['DEL', `knative-broker-default-${broker}`]);
      });
      return {
        prelude: `apiVersion: v1
kind: ConfigMap
metadata: { name: ${broker}-config }
data:
  address: redis://127.0.0.1:6379
---`,
        annotations: `  annotations: { eventing.knative.dev/broker.class: Redis }
spec:
  config: { apiVersion: v1, kind: ConfigMap, name: ${broker}-config }`,
        args: [],
      };
    },
  },
  {
    name: 'rabbitmq',
    setup: (broker) => {
      const exchange = `knative-broker-default-${broker}`;
      cleanups.push(() =>
        deleteRabbitmqTopology('amqp://guest:guest@127.0.0.1:5672', {
          exchanges: [exchange],
          queues: [
            `${exchange}.knative-trigger-default-orders`,
            `tributary.deadletters.default.${broker}`,
          ],
        }),
      );
      return {
        prelude: `apiVersion: v1
kind: Secret
metadata: { name: ${broker}-creds }
stringData: { uri: "http://127.0.0.1:15672", port: "5672", username: guest, password: guest }
---
apiVersion: eventing.knative.dev/v1alpha1
kind: RabbitmqBrokerConfig
metadata: { name: ${broker}-config }
spec:
  rabbitmqClusterReference: { connectionSecret: { name: ${broker}-creds } }
---`,
        annotations: `  annotations: { eventing.knative.dev/broker.class: RabbitMQBroker }
spec:
  config: { apiVersion: eventing.knative.dev/v1alpha1, kind: RabbitmqBrokerConfig, name: ${broker}-config }`,
        args: [],
      };
    },
  },
  {
    name: 'kafka (librdkafka mock cluster)',
    setup: (broker) => ({
      prelude: `apiVersion: v1
kind: ConfigMap
metadata: { name: ${broker}-config }
data:
  bootstrap.servers: "${kafka!.bootstrapServers}"
  default.topic.partitions: "1"
  default.topic.replication.factor: "1"
  session.timeout.ms: "6000"
  rebalance.timeout.ms: "6000"
  heartbeat.interval.ms: "300"
---`,
      annotations: `  annotations: { eventing.knative.dev/broker.class: Kafka }
spec:
  config: { apiVersion: v1, kind: ConfigMap, name: ${broker}-config }`,
      args: [],
    }),
  },
  {
    name: 'embedded durable (--data-dir)',
    setup: () => {
      const d = mkdtempSync(path.join(os.tmpdir(), 'tributary-dlq-'));
      cleanups.push(() => rmSync(d, { recursive: true, force: true }));
      return { prelude: '', annotations: '', args: ['--data-dir', path.join(d, 'data')] };
    },
  },
];

describe.each(durable)('dead-letter store on $name', ({ setup }) => {
  it('keeps entries across SIGKILL; a redrive killed mid-delivery loses nothing', async () => {
    const broker = `dlq-${randomUUID().slice(0, 8)}`;
    const { prelude, annotations, args } = setup(broker);
    const { sink, set } = await switchableSink();
    const dir = manifests(broker, sink.url, prelude, annotations);
    let p = await start(dir, args);
    const id = `ev-${randomUUID()}`;
    expect(await send(p.baseUrl, broker, id)).toBe(202);
    const [entry] = await until('a dead-letter entry', async () => {
      const items = await entries(p.baseUrl);
      return items.length > 0 ? items : undefined;
    });
    expect(entry!.event.attributes['id']).toBe(id);

    // Restart after SIGKILL: the entry is still there.
    await p.stop('SIGKILL');
    p = await start(dir, args);
    expect((await entries(p.baseUrl)).map((e) => e.id)).toEqual([entry!.id]);

    // Redrive to a subscriber that never answers, kill -9 while the delivery is in flight.
    set('hang');
    const seen = sink.requests.length;
    const redrive = api(p.baseUrl, '/admin/v1/deadletters/redrive', { ids: [entry!.id] }).catch(
      () => undefined,
    );
    await until('the redriven delivery to arrive', async () =>
      sink.requests.length > seen ? true : undefined,
    );
    await p.stop('SIGKILL');
    await redrive;

    // After the restart the entry is still stored; with the subscriber back, redrive delivers it.
    p = await start(dir, args);
    expect((await entries(p.baseUrl)).map((e) => e.id)).toEqual([entry!.id]);
    set('ok');
    const before = sink.events.length;
    const done = await runCli(['dlq', 'redrive', entry!.id, '--server', p.baseUrl, '-o', 'json']);
    expect(JSON.parse(done.stdout)).toEqual({ results: [{ id: entry!.id, outcome: 'delivered' }] });
    expect(sink.events.slice(before).map((e) => e.attributes['id'])).toEqual([id]);
    expect(await entries(p.baseUrl)).toEqual([]);
    await p.stop('SIGKILL');
    p = await start(dir, args);
    expect(await entries(p.baseUrl)).toEqual([]);
  }, 180_000);
});
