import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Runtime } from '@tributary/broker';
import { startHttpSink, type HttpSink } from '@tributary/testkit';
import { problemsOf, startRuntime } from './harness.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const running: Array<{ stop(): Promise<unknown> }> = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
});

async function start(yaml: string): Promise<Runtime> {
  const { runtime } = await startRuntime(yaml, {
    file: `${FIXTURES}manifest.yaml`,
    env: { APIKEYS_MAIN: 'from-env' },
  });
  running.push({ stop: () => runtime.stop({ drainMs: 500 }) });
  return runtime;
}
const sinkFor = async (): Promise<HttpSink> => {
  const s = await startHttpSink();
  running.push({ stop: () => s.close() });
  return s;
};

describe('ContainerSource', () => {
  it('runs command + args as a child process with K_SINK, K_CE_OVERRIDES and env, and restarts it when it exits', async () => {
    const sink = await sinkFor();
    const runtime = await start(`
apiVersion: sources.knative.dev/v1
kind: ContainerSource
metadata: { name: emitter }
spec:
  template:
    spec:
      containers:
        - name: main
          image: ghcr.io/example/emitter:latest
          command: ["${process.execPath}", "scripts/emitter.mjs"]
          args: ["--flag"]
          env:
            - { name: EMITTER_NAME, value: one }
            - { name: API_KEY, valueFrom: { secretKeyRef: { name: apikeys, key: main } } }
  ceOverrides: { extensions: { Origin: tributary } }
  sink: { uri: "${sink.url}/in" }
`);
    await sink.waitFor(2, 15_000); // the script exits after each post: the second came from a restart
    const [a, b] = sink.requests;
    expect(a!.url).toBe('/in');
    expect(a!.events[0]!.attributes).toMatchObject({
      type: 'com.example.container',
      source: '/container/one',
      origin: 'tributary',
    });
    const data = JSON.parse(Buffer.from(a!.events[0]!.data!).toString());
    expect(data).toMatchObject({ secret: 'from-env', args: ['--flag'] });
    expect(JSON.parse(Buffer.from(b!.events[0]!.data!).toString()).pid).not.toBe(data.pid);
    expect(runtime.statuses.notReady()).toEqual([]);
  });

  it('gives a process an HTTP relay URL when the sink is an in-process broker; the event reaches the trigger', async () => {
    const sink = await sinkFor();
    const runtime = await start(`
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: b }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: t }
spec: { broker: b, subscriber: { uri: "${sink.url}/t" } }
---
apiVersion: sources.knative.dev/v1
kind: ContainerSource
metadata: { name: to-broker, labels: { team: blue } }
spec:
  template: { spec: { containers: [ { command: ["${process.execPath}", "scripts/emitter.mjs"], env: [ { name: EMITTER_NAME, value: two } ] } ] } }
  sink: { uri: http://127.0.0.1:1/unused }
---
apiVersion: sources.knative.dev/v1
kind: SinkBinding
metadata: { name: bind }
spec:
  subject: { apiVersion: sources.knative.dev/v1, kind: ContainerSource, selector: { matchLabels: { team: blue } } }
  ceOverrides: { extensions: { bound: "yes" } }
  sink: { ref: { apiVersion: eventing.knative.dev/v1, kind: Broker, name: b } }
`);
    const r = await sink.waitForRequest((q) => q.url === '/t', 15_000);
    expect(r.events[0]!.attributes).toMatchObject({ source: '/container/two', bound: 'yes' });
    const bound = runtime.statuses.notReady();
    expect(bound).toEqual([]);
  });

  it('validation: command is required, subjects must be ContainerSources', () => {
    const p = problemsOf(`
apiVersion: sources.knative.dev/v1
kind: ContainerSource
metadata: { name: c }
spec:
  template: { spec: { containers: [ { image: busybox } ] } }
  sink: { uri: http://localhost:1/ }
---
apiVersion: sources.knative.dev/v1
kind: SinkBinding
metadata: { name: s }
spec:
  subject: { apiVersion: apps/v1, kind: Deployment, name: web }
  sink: { uri: http://localhost:1/ }
`).join('\n');
    expect(p).toMatch(/command is required: Tributary runs no images/);
    expect(p).toMatch(/subject\.kind: subject apps\/v1 Deployment cannot be bound here/);
  });
});
