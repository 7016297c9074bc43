import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startHttpSink, type HttpSink } from '@tributary/testkit';
import {
  runCli,
  startTributary,
  writeManifests,
  type TributaryProcess,
} from './support/tributary-process.js';

// Issue 20: config-br-defaults as Knative applies it (a Broker whose spec is only a comment gets
// the cluster's delivery), warnings for Knative ConfigMaps Tributary does not act on, and
// `validate` resolving every reference with a suggestion.
const procs: TributaryProcess[] = [];
const sinks: HttpSink[] = [];
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop('SIGKILL')));
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});

async function sink(status: number): Promise<HttpSink> {
  const s = await startHttpSink({ script: () => ({ status }) });
  sinks.push(s);
  return s;
}

describe('config-br-defaults', () => {
  it('applies the cluster delivery (retry, dead-letter sink) to a Broker with a null spec', async () => {
    const failing = await sink(500);
    const dls = await sink(202);
    const dir = writeManifests({
      'knative-eventing.yaml': `
apiVersion: v1
kind: ConfigMap
metadata: { name: config-br-defaults, namespace: knative-eventing }
data:
  default-br-config: |
    clusterDefault:
      brokerClass: MTChannelBasedBroker
      apiVersion: v1
      kind: ConfigMap
      name: config-br-default-channel
      namespace: knative-eventing
      delivery:
        retry: 2
        backoffPolicy: linear
        backoffDelay: PT0.1S
        deadLetterSink:
          uri: "${dls.url}"
---
apiVersion: v1
kind: ConfigMap
metadata: { name: config-features, namespace: knative-eventing }
data:
  new-trigger-filters: enabled
`,
      'app.yaml': `
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: default
spec:
  # Knative fills this in from config-br-defaults
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: to-failing }
spec:
  broker: default
  subscriber: { uri: "${failing.url}" }
`,
    });
    const p = await startTributary(dir);
    procs.push(p);
    // The Knative ConfigMap Tributary does not act on is named in a warning.
    const warning = await p.waitForLog(
      (l) => l['level'] === 40 && String(l['msg']).includes('config-features'),
    );
    expect(String(warning['msg'])).toContain(
      "Knative ConfigMap 'knative-eventing/config-features' is not acted on by Tributary",
    );
    const res = await request(`${p.baseUrl}/default/default`, {
      method: 'POST',
      headers: {
        'ce-specversion': '1.0',
        'ce-id': 'defaults-1',
        'ce-type': 'test.defaults',
        'ce-source': '/e2e',
      },
      body: '',
    });
    await res.body.dump();
    expect(res.statusCode).toBe(202);
    await dls.waitFor(1, 30_000);
    // One attempt plus retry: 2 from the cluster default, then the default dead-letter sink.
    expect(failing.events.map((e) => e.attributes['id'])).toEqual([
      'defaults-1',
      'defaults-1',
      'defaults-1',
    ]);
    expect(dls.events[0]!.attributes['id']).toBe('defaults-1');
    expect(dls.events[0]!.attributes['knativeerrorcode']).toBe('500');
    const ready = await request(`${p.baseUrl}/readyz`);
    expect(ready.statusCode, await ready.body.text()).toBe(200);
  }, 60_000);
});

describe('tributary validate', () => {
  it('reports a Trigger whose broker does not exist, with the nearest name, and fails', async () => {
    const dir = writeManifests({
      'm.yaml': `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: default }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: t }
spec:
  broker: defualt
  subscriber:
    ref: { apiVersion: flows.knative.dev/v1, kind: Sequence, name: pipline }
---
apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: { name: pipeline }
spec:
  steps:
    - uri: http://localhost:9/
  reply:
    ref: { apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel, name: replies }
`,
    });
    const r = await runCli(['validate', '-f', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "m.yaml:9:11: Trigger/t: spec.broker: Broker 'default/defualt' does not exist; did you mean 'default'?",
    );
    expect(r.stderr).toContain(
      "Trigger/t: spec.subscriber.ref.name: subscriber ref Sequence 'default/pipline' (flows.knative.dev/v1) does not exist; did you mean 'pipeline'?",
    );
    expect(r.stderr).toContain(
      "Sequence/pipeline: spec.reply.ref.name: reply ref InMemoryChannel 'default/replies' (messaging.knative.dev/v1) does not exist (no InMemoryChannel in namespace 'default')",
    );
    expect(r.stderr).toContain('3 problem(s) found');
  });

  it('passes and only warns for a Knative ConfigMap it does not act on', async () => {
    const dir = writeManifests({
      'm.yaml': `apiVersion: v1
kind: ConfigMap
metadata: { name: config-tracing, namespace: knative-eventing }
data: { backend: zipkin }
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: default }
spec:
  # empty
`,
    });
    const r = await runCli(['validate', '-f', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('valid: 2 resource(s)');
    expect(r.stderr).toMatch(
      /^warning: .*m\.yaml:3:\d+: ConfigMap\/config-tracing: metadata\.name: Knative ConfigMap 'knative-eventing\/config-tracing' is not acted on by Tributary/m,
    );
  });
});
