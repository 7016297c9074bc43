/**
 * The backends the fault suite runs every scenario against (docs/reliability.md). Adding a backend
 * is one entry in {@link FAULT_BACKENDS}: how to write its Broker, whether it is durable, and how
 * to cut the connections of one `tributary run` process.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deleteRabbitmqTopology } from '@tributary/rabbitmq';
import { startKafkaMock, type KafkaMockCluster } from '@tributary/testkit';

/** The namespace every scenario's resources live in. */
export const NS = 'faults';

/** One backend, set up once for the whole suite run. */
export interface FaultBackend {
  readonly name: string;
  /** Durable backends must lose nothing even when the process is killed. */
  readonly durable: boolean;
  /** Talks to a server over connections (the connection-loss and unreachable scenarios apply). */
  readonly remote: boolean;
  /** Starts what the backend needs (e.g. a Kafka mock cluster) and returns its handle. */
  setup(): Promise<BackendHandle>;
}

export interface BrokerOptions {
  /** `spec.delivery` of the Broker as a YAML flow mapping, e.g. `{ retry: 2 }`. */
  readonly delivery?: string;
  /** Point the broker at a port where nothing listens (the unreachable-backend scenario). */
  readonly deadPort?: number;
}

export interface BackendHandle {
  /** The Broker (and the ConfigMap/Secret it needs) as YAML documents. */
  brokerYaml(broker: string, options?: BrokerOptions): string;
  /** Extra `tributary run` arguments of one scenario (the same on every restart). */
  runArgs(): string[];
  /**
   * Cuts every backend connection of process `pid`, and only those; resolves with how many were
   * cut. Undefined where the backend has no connections (memory).
   */
  cutConnections?(pid: number): Promise<number>;
  /** Removes what a scenario created on a shared server (streams, exchanges, queues). */
  forget(broker: string): Promise<void>;
  close(): Promise<void>;
}

/** Runs a command and resolves with its stdout; rejects with its stderr. */
export function sh(cmd: string, args: string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      err
        ? reject(new Error(`${cmd} ${args.join(' ')}: ${err.message} ${stderr}`))
        : resolve(stdout),
    );
  });
}

const topic = (broker: string): string => `knative-broker-${NS}-${broker}`;
/** Connection names the backends give: `tributary-<pid>-<part>`. */
const ownedBy = (pid: number) => (name: string) => name.startsWith(`tributary-${pid}-`);

const memory: FaultBackend = {
  name: 'memory',
  durable: false,
  remote: false,
  setup: async () => ({
    brokerYaml: (broker, o = {}) => brokerDoc(broker, undefined, undefined, o),
    runArgs: () => [],
    forget: async () => {},
    close: async () => {},
  }),
};

const redis: FaultBackend = {
  name: 'redis',
  durable: true,
  remote: true,
  setup: async () => ({
    brokerYaml: (broker, o = {}) =>
      `apiVersion: v1
kind: ConfigMap
metadata: { name: ${broker}-redis, namespace: ${NS} }
data:
  address: redis://127.0.0.1:${o.deadPort ?? 6379}
  claim.min.idle.ms: "1500"
  claim.interval.ms: "300"
  retry.durable.min.delay.ms: "1000"
---
${brokerDoc(broker, 'Redis', `{ apiVersion: v1, kind: ConfigMap, name: ${broker}-redis }`, o)}`,
    runArgs: () => [],
    async cutConnections(pid) {
      const list = await sh('redis-cli', ['CLIENT', 'LIST']);
      const ids = list
        .split('\n')
        .map((l) => ({ id: /\bid=(\d+)/.exec(l)?.[1], name: /\bname=(\S*)/.exec(l)?.[1] ?? '' }))
        .filter((c) => c.id && ownedBy(pid)(c.name))
        .map((c) => c.id!);
      for (const id of ids) await sh('redis-cli', ['CLIENT', 'KILL', 'ID', id]);
      return ids.length;
    },
    async forget(broker) {
      const keys = (await sh('redis-cli', ['--scan', '--pattern', `*${topic(broker)}*`]))
        .split('\n')
        .filter(Boolean);
      for (let i = 0; i < keys.length; i += 200)
        await sh('redis-cli', ['DEL', ...keys.slice(i, i + 200)]);
    },
    close: async () => {},
  }),
};

const RABBITMQ_URL = 'amqp://guest:guest@127.0.0.1:5672';
const rabbitmq: FaultBackend = {
  name: 'rabbitmq',
  durable: true,
  remote: true,
  setup: async () => ({
    brokerYaml: (broker, o = {}) =>
      `apiVersion: v1
kind: Secret
metadata: { name: ${broker}-creds, namespace: ${NS} }
stringData: { uri: "http://127.0.0.1:15672", port: "${o.deadPort ?? 5672}", username: guest, password: guest }
---
apiVersion: eventing.knative.dev/v1alpha1
kind: RabbitmqBrokerConfig
metadata: { name: ${broker}-rabbit, namespace: ${NS} }
spec:
  rabbitmqClusterReference: { connectionSecret: { name: ${broker}-creds } }
  queueType: quorum
---
${brokerDoc(broker, 'RabbitMQBroker', `{ apiVersion: eventing.knative.dev/v1alpha1, kind: RabbitmqBrokerConfig, name: ${broker}-rabbit }`, o)}`,
    runArgs: () => [],
    async cutConnections(pid) {
      // `name` is RabbitMQ's own (peer address); the process and part are in the
      // `connection_name` client property.
      const out = await sh('rabbitmqctl', [
        'list_connections',
        '--no-table-headers',
        '-q',
        'pid',
        'client_properties',
      ]);
      const conns = out
        .split('\n')
        .map((l) => ({
          pid: /^(<[^>]+>)/.exec(l)?.[1],
          name: /"connection_name",(?:"?longstr"?,)?"([^"]+)"/.exec(l)?.[1] ?? '',
        }))
        .filter((c) => c.pid && ownedBy(pid)(c.name));
      for (const c of conns)
        await sh('rabbitmqctl', ['close_connection', c.pid!, 'fault suite: connection loss']);
      return conns.length;
    },
    async forget(broker) {
      const names = async (what: string): Promise<string[]> =>
        (await sh('rabbitmqctl', [what, '--no-table-headers', '-q', 'name']))
          .split('\n')
          .map((l) => l.trim())
          .filter((n) => n.includes(topic(broker)));
      await deleteRabbitmqTopology(RABBITMQ_URL, {
        queues: await names('list_queues'),
        exchanges: await names('list_exchanges'),
      });
    },
    close: async () => {},
  }),
};

/** Short group timeouts: the mock cluster rebalances within seconds with them. */
const kafka: FaultBackend = {
  name: 'kafka',
  durable: true,
  remote: true,
  async setup() {
    const cluster: KafkaMockCluster = await startKafkaMock();
    const port = cluster.bootstrapServers.split(':')[1]!;
    return {
      brokerYaml: (broker, o = {}) =>
        `apiVersion: v1
kind: ConfigMap
metadata: { name: ${broker}-kafka, namespace: ${NS} }
data:
  bootstrap.servers: "${o.deadPort ? `127.0.0.1:${o.deadPort}` : cluster.bootstrapServers}"
  default.topic.partitions: "4"
  default.topic.replication.factor: "1"
  session.timeout.ms: "6000"
  rebalance.timeout.ms: "6000"
  heartbeat.interval.ms: "300"
  redelivery.delay.ms: "50"
---
${brokerDoc(broker, 'Kafka', `{ apiVersion: v1, kind: ConfigMap, name: ${broker}-kafka }`, o)}`,
      runArgs: () => [],
      // The librdkafka mock run by kcat has no way to take its broker down from outside (its
      // test API is in-process only), so the process's own TCP connections to it are reset with
      // `ss -K`, selected by the owning pid.
      async cutConnections(pid) {
        const out = await sh('ss', ['-tnpH', 'dst', `127.0.0.1:${port}`]);
        const local = out
          .split('\n')
          .filter((l) => l.includes(`pid=${pid},`))
          .map((l) => l.trim().split(/\s+/)[3]!)
          .filter(Boolean);
        for (const src of local)
          await sh('ss', ['-K', '-tn', 'dst', `127.0.0.1:${port}`, 'src', src]);
        return local.length;
      },
      forget: async () => {},
      close: () => cluster.stop(),
    };
  },
};

/**
 * The embedded durable backend: the memory broker class under `tributary run --data-dir <dir>`
 * (one directory per scenario, kept across restarts).
 */
export const sqlite: FaultBackend = {
  name: 'sqlite',
  durable: true,
  remote: false,
  setup: async () => ({
    brokerYaml: (broker, o = {}) => brokerDoc(broker, undefined, undefined, o),
    runArgs: () => ['--data-dir', mkdtempSync(path.join(os.tmpdir(), 'tributary-faults-data-'))],
    forget: async () => {},
    close: async () => {},
  }),
};

function brokerDoc(
  broker: string,
  klass: string | undefined,
  config: string | undefined,
  o: BrokerOptions,
): string {
  const spec = [config && `config: ${config}`, o.delivery && `delivery: ${o.delivery}`].filter(
    Boolean,
  );
  return `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: ${broker}
  namespace: ${NS}
${klass ? `  annotations: { eventing.knative.dev/broker.class: ${klass} }\n` : ''}spec: { ${spec.join(', ')} }
`;
}

/** Every backend the suite runs; `FAULTS_BACKENDS=redis,kafka` picks some. */
export const FAULT_BACKENDS: readonly FaultBackend[] = [memory, sqlite, kafka, rabbitmq, redis];

export function selectedBackends(): readonly FaultBackend[] {
  const want = process.env['FAULTS_BACKENDS']?.split(',').filter(Boolean);
  return want ? FAULT_BACKENDS.filter((b) => want.includes(b.name)) : FAULT_BACKENDS;
}
