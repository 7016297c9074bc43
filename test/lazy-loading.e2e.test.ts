/**
 * Technology packages load only when a manifest uses them (docs/architecture.md, "Lazy technology
 * packages"): `tributary run` runs under a module resolve hook that records every module it
 * resolves, and the test reads which drivers were among them.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { brokerWithTrigger } from './support/manifests.js';
import { startTributary, writeManifests } from './support/tributary-process.js';

const HOOK = fileURLToPath(new URL('./support/record-imports.mjs', import.meta.url));
const ORDER_PIPELINE = fileURLToPath(
  new URL('../examples/order-pipeline/tributary.yaml', import.meta.url),
);
const HEAVY = [
  'kafkajs',
  'amqplib',
  'ioredis',
  'bullmq',
  '@opentelemetry/sdk-trace-base',
  'better-sqlite3',
  'jsonata',
  'jose',
] as const;

/** Runs `tributary run` under the hook until `until` is logged; returns the packages it loaded. */
async function packagesLoaded(manifests: string[], until?: string): Promise<Set<string>> {
  const log = path.join(mkdtempSync(path.join(os.tmpdir(), 'tributary-imports-')), 'imports');
  const trib = await startTributary(manifests, [], {
    nodeArgs: ['--import', HOOK],
    env: { TRIBUTARY_IMPORT_LOG: log },
  });
  try {
    if (until) await trib.waitForLog((l) => l['msg'] === until, 30_000);
    const ready = await fetch(`${trib.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
  } finally {
    await trib.stop();
  }
  const loaded = new Set<string>();
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    const url = line.split(' ')[1] ?? '';
    for (const name of HEAVY) if (url.includes(`/node_modules/${name}/`)) loaded.add(name);
  }
  return loaded;
}

function redisCli(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const cli = spawn('redis-cli', args);
    cli.stdout.on('data', (d) => (out += d));
    cli.on('error', (err) => reject(new Error(`redis-cli: ${err.message}`)));
    cli.on('exit', (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`redis-cli exited ${code}`)),
    );
  });
}

const redisBroker = `rb-lazy-${randomBytes(4).toString('hex')}`;

afterAll(async () => {
  // Only what this test's broker created.
  const keys = (await redisCli('--scan', '--pattern', `*knative-broker-default-${redisBroker}*`))
    .split('\n')
    .filter(Boolean);
  if (keys.length > 0) await redisCli('DEL', ...keys);
});

describe('lazy technology packages', () => {
  it('an embedded run (memory brokers, flows, Functions) loads no driver', async () => {
    const dir = writeManifests({
      'broker.yaml': brokerWithTrigger(),
    });
    const loaded = await packagesLoaded([dir, ORDER_PIPELINE]);
    expect([...loaded]).toEqual([]);
  });

  it('a Redis broker loads ioredis, and still no other driver', async () => {
    const dir = writeManifests({
      'redis.yaml': `
apiVersion: v1
kind: ConfigMap
metadata: { name: ${redisBroker}-config }
data: { address: redis://127.0.0.1:6379 }
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: ${redisBroker}
  annotations: { eventing.knative.dev/broker.class: Redis }
spec:
  config: { apiVersion: v1, kind: ConfigMap, name: ${redisBroker}-config }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: all }
spec:
  broker: ${redisBroker}
  subscriber: { uri: http://127.0.0.1:9/ }
`,
    });
    const loaded = await packagesLoaded([dir], 'broker ready');
    expect(loaded.has('ioredis')).toBe(true);
    for (const name of ['kafkajs', 'amqplib', '@opentelemetry/sdk-trace-base', 'jsonata'])
      expect(loaded.has(name)).toBe(false);
  });
});
