/**
 * Archive and replay on the network backends (docs/failed-deliveries.md, "Archive and replay"):
 * a Broker with `tributary.dev/archive-retention` keeps its events where the backend keeps events
 * (Redis: the broker stream, trimmed by age), so `tributary replay` after kill -9 and a restart
 * re-delivers what was published before the restart.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { deleteRabbitmqTopology } from '@tributary/rabbitmq';
import { type HttpSink, startHttpSink, startKafkaMock } from '@tributary/testkit';
import {
  runCli,
  startTributary,
  writeManifests,
  type TributaryProcess,
} from './support/tributary-process.js';
import { postEvent, sleep, until } from './support/flow-helpers.js';

const procs: TributaryProcess[] = [];
const sinks: HttpSink[] = [];
const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const p of procs.splice(0)) await p.stop('SIGKILL');
  for (const s of sinks.splice(0)) await s.close();
});
afterAll(async () => {
  for (const c of cleanups.splice(0)) await c().catch(() => undefined);
});

function run(cmd: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args);
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('exit', (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`${cmd} exited ${code}`)),
    );
  });
}

/** How a broker is configured: the documents before it and its `spec.config`. */
interface BrokerConfig {
  readonly docs: string;
  readonly ref: string;
}

/** A ConfigMap `<broker>-config` holding `data` (indented YAML lines). */
const configMap = (broker: string, data: string): BrokerConfig => ({
  docs: `apiVersion: v1
kind: ConfigMap
metadata: { name: ${broker}-config }
data:
${data}`,
  ref: `{ apiVersion: v1, kind: ConfigMap, name: ${broker}-config }`,
});

/** A broker of `cls` configured by `config`, archived for 72h, trigger a → sink. */
function manifests(broker: string, cls: string, config: BrokerConfig, sinkUrl: string): string {
  return writeManifests({
    'm.yaml': `
${config.docs}
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: ${broker}
  annotations:
    eventing.knative.dev/broker.class: ${cls}
    tributary.dev/archive-retention: "72h"
spec:
  config: ${config.ref}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: a }
spec:
  broker: ${broker}
  filter: { attributes: { type: a } }
  subscriber: { uri: ${sinkUrl} }
`,
  });
}

/**
 * Publishes 5 events, waits for their delivery, kill -9, restarts, waits `settleMs` (trimming
 * runs), then replays the window with the CLI and expects the 5 again, in order, with
 * `tributaryreplay`.
 */
async function replayAcrossRestart(
  broker: string,
  cls: string,
  config: BrokerConfig,
  settleMs: number,
): Promise<void> {
  const a = await startHttpSink();
  sinks.push(a);
  const dir = manifests(broker, cls, config, a.url);
  let trib = await startTributary(dir);
  procs.push(trib);
  const from = new Date(Date.now() - 1000).toISOString();
  const ids = [0, 1, 2, 3, 4].map((i) => `${broker}-${i}`);
  // The first event waits for the broker to connect (503 until it is ready).
  await until(
    async () => (await postEvent(`${trib.baseUrl}/default/${broker}`, ids[0]!, 'a')) === 202,
    60_000,
    () =>
      `broker ${broker} never accepted an event: ${JSON.stringify(trib.logs.filter((l) => Number(l['level']) >= 40).slice(-5))}`,
  );
  for (const id of ids.slice(1))
    expect(await postEvent(`${trib.baseUrl}/default/${broker}`, id, 'a')).toBe(202);
  await a.waitFor(5, 60_000);
  await trib.stop('SIGKILL');
  procs.splice(procs.indexOf(trib), 1);
  trib = await startTributary(dir);
  procs.push(trib);
  await until(
    async () =>
      (await request(`${trib.baseUrl}/readyz`).then((r) => (r.body.dump(), r.statusCode))) === 200,
    90_000,
    () => 'the restarted process never got ready',
  );
  await sleep(settleMs);
  // The trigger's consumer may still be joining its group after the restart: 404 until then.
  let r = { code: null as number | null, stdout: '', stderr: '' };
  await until(
    async () => {
      r = await runCli([
        'replay',
        '--broker',
        `default/${broker}`,
        '--from',
        from,
        '--to',
        new Date(Date.now() + 1000).toISOString(),
        '--trigger',
        'a',
        '--server',
        trib.baseUrl,
      ]);
      return !/is not running/.test(r.stderr + r.stdout);
    },
    120_000,
    () => `replay never started: ${r.stderr}`,
  );
  expect(r.stderr + r.stdout).toMatch(/5 delivered, 0 failed/);
  expect(r.code).toBe(0);
  await a.waitFor(10, 60_000);
  const again = a.events.filter((e) => e.attributes['tributaryreplay'] !== undefined);
  expect(again.map((e) => e.attributes['id'])).toEqual(ids);
}

describe('replay on a Redis broker', () => {
  it('keeps acknowledged entries for the retention and replays them after kill -9 and a restart', async () => {
    const broker = `rarch${randomUUID().slice(0, 8)}`;
    const stream = `knative-broker-default-${broker}`;
    cleanups.push(async () => {
      await run('redis-cli', 'DEL', stream, `tributary:deadletters:default/${broker}`);
      const keys = (await run('redis-cli', '--scan', '--pattern', `tributary:${stream}*`))
        .split('\n')
        .filter(Boolean);
      if (keys.length > 0) await run('redis-cli', 'DEL', ...keys);
    });
    // Trimming every 100 ms: without the archive the acknowledged entries would be gone.
    await replayAcrossRestart(
      broker,
      'Redis',
      configMap(broker, '  address: redis://127.0.0.1:6379\n  stream.trim.interval.ms: "100"'),
      1500,
    );
    expect(Number(await run('redis-cli', 'XLEN', stream))).toBeGreaterThanOrEqual(5);
  }, 240_000);
});

describe('replay on a Kafka broker (librdkafka mock cluster)', () => {
  it('reads the window back from the broker topic after kill -9 and a restart', async () => {
    const cluster = await startKafkaMock();
    cleanups.push(() => cluster.stop());
    const broker = `karch${randomUUID().slice(0, 8)}`;
    await replayAcrossRestart(
      broker,
      'Kafka',
      configMap(
        broker,
        `  bootstrap.servers: "${cluster.bootstrapServers}"\n  default.topic.partitions: "4"\n  default.topic.replication.factor: "1"`,
      ),
      0,
    );
  }, 240_000);
});

describe('replay on a RabbitMQBroker', () => {
  it('reads the window from the archive stream queue after kill -9 and a restart', async () => {
    const broker = `qarch${randomUUID().slice(0, 8)}`;
    const exchange = `knative-broker-default-${broker}`;
    cleanups.push(() =>
      deleteRabbitmqTopology('amqp://guest:guest@127.0.0.1:5672', {
        exchanges: [exchange],
        queues: [`${exchange}.knative-trigger-default-a`, `tributary.archive.default.${broker}`],
      }),
    );
    await replayAcrossRestart(
      broker,
      'RabbitMQBroker',
      {
        docs: `apiVersion: v1
kind: Secret
metadata: { name: ${broker}-creds }
stringData: { uri: "http://127.0.0.1:15672", port: "5672", username: guest, password: guest }
---
apiVersion: eventing.knative.dev/v1alpha1
kind: RabbitmqBrokerConfig
metadata: { name: ${broker}-config }
spec:
  rabbitmqClusterReference: { connectionSecret: { name: ${broker}-creds } }`,
        ref: `{ apiVersion: eventing.knative.dev/v1alpha1, kind: RabbitmqBrokerConfig, name: ${broker}-config }`,
      },
      0,
    );
  }, 240_000);
});
