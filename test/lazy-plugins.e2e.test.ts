/**
 * Plugin code loads only when the topology uses the plugin's kinds (docs/embedding.md, "Wiring"):
 * `tributary run` runs under the resolve hook of lazy-loading.e2e.test.ts, and the test reads
 * which plugin modules were resolved, at start and after a `--watch` reload that adds a kind. It
 * runs the compiled modules (TRIBUTARY_BUNDLE=0): the CLI's bundle is one file, in which a plugin's
 * modules run when imported, as esbuild wraps them (packages/cli/scripts/bundle.mjs).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { brokerWithTrigger } from './support/manifests.js';
import {
  type TributaryProcess,
  startTributary,
  writeManifests,
} from './support/tributary-process.js';

const HOOK = fileURLToPath(new URL('./support/record-imports.mjs', import.meta.url));
/** Each plugin's module, as a path inside packages/. */
const PLUGINS = {
  flows: 'flows/dist/flows-plugin.js',
  sources: 'sources/dist/plugin.js',
  serving: 'serving/dist/plugin.js',
  eventtransform: 'transforms/dist/event-transform/plugin.js',
  requestreply: 'transforms/dist/request-reply/plugin.js',
  kafka: 'kafka/dist/plugin.js',
  'rabbitmq-sources': 'rabbitmq/dist/source-plugin.js',
  redis: 'redis/dist/source/plugin.js',
} as const;

const BROKER = brokerWithTrigger();
const PING = `apiVersion: sources.knative.dev/v1
kind: PingSource
metadata: { name: ping }
spec:
  schedule: '0 0 1 1 *'
  sink: { ref: { apiVersion: eventing.knative.dev/v1, kind: Broker, name: default } }
`;

let trib: TributaryProcess | undefined;
afterEach(async () => {
  await trib?.stop();
  trib = undefined;
});

async function start(dir: string, args: string[] = []): Promise<{ loaded: () => string[] }> {
  const log = path.join(mkdtempSync(path.join(os.tmpdir(), 'tributary-plugins-')), 'imports');
  trib = await startTributary([dir], args, {
    nodeArgs: ['--import', HOOK],
    env: { TRIBUTARY_IMPORT_LOG: log, TRIBUTARY_BUNDLE: '0' },
  });
  expect((await fetch(`${trib.baseUrl}/readyz`)).status).toBe(200);
  return {
    loaded: () => {
      const text = readFileSync(log, 'utf8');
      return Object.entries(PLUGINS)
        .filter(([, file]) => text.includes(`/packages/${file}`))
        .map(([name]) => name);
    },
  };
}

describe('lazy plugins', () => {
  it('a memory broker with a Trigger loads no plugin code; a reload adding a PingSource loads the sources plugin', async () => {
    const dir = writeManifests({ 'broker.yaml': BROKER });
    const run = await start(dir, ['--watch']);
    expect(run.loaded()).toEqual([]);
    const mark = trib!.logs.length;
    writeFileSync(path.join(dir, 'ping.yaml'), PING);
    await trib!.waitForLog((l) => l['msg'] === 'manifests reloaded', 30_000);
    expect(trib!.logs.length).toBeGreaterThan(mark);
    // The sources plugin imports @tributary/serving (ContainerSource runs its processes).
    expect(run.loaded().filter((name) => name !== 'serving')).toEqual(['sources']);
  }, 60_000);

  it('a Sequence loads the flows plugin (and Kafka, whose channels a template may name), nothing else', async () => {
    const dir = writeManifests({
      'seq.yaml': `${BROKER}---
apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: { name: seq }
spec:
  steps: [{ uri: http://127.0.0.1:9/ }]
`,
    });
    const run = await start(dir);
    expect(run.loaded()).toEqual(['flows', 'kafka']);
  }, 60_000);
});
