import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { CloudEvent } from '@tributary/core';
import { startHttpSink, type HttpSink } from '@tributary/testkit';
import {
  startTributary,
  writeManifests,
  type TributaryProcess,
} from './support/tributary-process.js';

// Knative Serving Services as subscribers (docs/serving.md), against a real `tributary run`:
// Knative's sequence-with-broker sample shape with three `appender` Services, a Parallel with
// filter and transformer Services, and the addresses of Services Tributary cannot run.
let trib: TributaryProcess;
let sink: HttpSink;
let v1Sink: HttpSink;
const json = (e: CloudEvent) => JSON.parse(Buffer.from(e.data!).toString('utf8')) as unknown;

const appender = (name: string, message: string, type?: string) => `---
apiVersion: serving.knative.dev/v1
kind: Service
metadata: { name: ${name}, namespace: e2e }
spec:
  template:
    spec:
      containers:
        - image: gcr.io/knative-releases/knative.dev/eventing/cmd/appender
          env:
            - name: MESSAGE
              value: "${message}"
${type ? `            - name: TYPE\n              value: "${type}"\n` : ''}`;

const nodeService = (name: string, image: string, variable: string, value: string) => `---
apiVersion: serving.knative.dev/v1
kind: Service
metadata: { name: ${name}, namespace: e2e }
spec:
  template:
    spec:
      containers:
        - image: ${image}
          env:
            - name: ${variable}
              value: |
                ${value}
`;

const trigger = (name: string, type: string, subscriber: string) => `---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: ${name}, namespace: e2e }
spec:
  broker: default
  filter: { attributes: { type: ${type} } }
  subscriber:
${subscriber}
`;

const send = (path: string, id: string, type: string, data: unknown) =>
  request(`${trib.baseUrl}${path}`, {
    method: 'POST',
    headers: {
      'ce-specversion': '1.0',
      'ce-id': id,
      'ce-source': '/e2e/serving',
      'ce-type': type,
      'content-type': 'application/json',
    },
    body: JSON.stringify(data),
  });

beforeAll(async () => {
  sink = await startHttpSink();
  v1Sink = await startHttpSink();
  const yaml = `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: default, namespace: e2e }
${appender('first', ' - Handled by 0')}${appender('second', ' - Handled by 1')}${appender('third', ' - Handled by 2', 'samples.http.mod3')}---
apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: { name: sequence, namespace: e2e }
spec:
  channelTemplate: { apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel }
  steps:
    - ref: { apiVersion: serving.knative.dev/v1, kind: Service, name: first }
    - ref: { apiVersion: serving.knative.dev/v1, kind: Service, name: second }
    - ref: { apiVersion: serving.knative.dev/v1, kind: Service, name: third }
  reply:
    ref: { kind: Broker, apiVersion: eventing.knative.dev/v1, name: default }
${trigger('sequence-trigger', 'dev.knative.sources.ping', '    ref: { apiVersion: flows.knative.dev/v1, kind: Sequence, name: sequence }')}${trigger('display', 'samples.http.mod3', '    ref: { apiVersion: serving.knative.dev/v1, kind: Service, name: event-display }')}${trigger('record', 'samples.http.mod3', `    uri: ${sink.url}/sequence`)}---
apiVersion: serving.knative.dev/v1
kind: Service
metadata: { name: event-display, namespace: e2e }
spec:
  template:
    spec:
      containers:
        - image: gcr.io/knative-releases/knative.dev/eventing/cmd/event_display
${nodeService('even-filter', 'villardl/filter-nodejs:0.1', 'FILTER', 'event.data.n % 2 === 0')}${nodeService('odd-filter', 'villardl/filter-nodejs:0.1', 'FILTER', 'event.data.n % 2 !== 0')}${nodeService('even-transformer', 'villardl/transformer-nodejs', 'TRANSFORMER', '({"message": "we are even!", "n": event.data.n})')}${nodeService('odd-transformer', 'villardl/transformer-nodejs:0.1', 'TRANSFORMER', '({"message": "this is odd!", "n": event.data.n})')}---
apiVersion: flows.knative.dev/v1
kind: Parallel
metadata: { name: odd-even-parallel, namespace: e2e }
spec:
  channelTemplate: { apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel }
  branches:
    - filter: { ref: { apiVersion: serving.knative.dev/v1, kind: Service, name: even-filter } }
      subscriber: { ref: { apiVersion: serving.knative.dev/v1, kind: Service, name: even-transformer } }
    - filter: { ref: { apiVersion: serving.knative.dev/v1, kind: Service, name: odd-filter } }
      subscriber: { ref: { apiVersion: serving.knative.dev/v1, kind: Service, name: odd-transformer } }
  reply: { uri: ${sink.url}/parallel }
---
apiVersion: serving.knative.dev/v1
kind: Service
metadata: { name: helloworld, namespace: e2e }
spec:
  template:
    spec:
      containers:
        - image: gcr.io/knative-samples/helloworld-go
${trigger('to-helloworld', 'e2e.hello', '    ref: { apiVersion: serving.knative.dev/v1, kind: Service, name: helloworld }')}---
apiVersion: v1
kind: Service
metadata:
  name: backend
  namespace: e2e
  annotations: { tributary.dev/url: "${v1Sink.url}/from-v1" }
spec:
  selector: { app: backend }
  ports: [{ port: 80, targetPort: 8080 }]
${trigger('to-backend', 'e2e.backend', '    ref: { apiVersion: v1, kind: Service, name: backend }')}${trigger('to-nowhere', 'e2e.nowhere', '    ref: { apiVersion: v1, kind: Service, name: nowhere }')}---
apiVersion: serving.knative.dev/v1
kind: Service
metadata: { name: legacy, namespace: e2e }
spec:
  template:
    spec:
      containers:
        - image: registry.example/legacy:1
---
apiVersion: tributary.dev/v1alpha1
kind: Function
metadata: { name: legacy, namespace: e2e }
spec: { url: "${v1Sink.url}/legacy" }
---
apiVersion: tributary.dev/v1alpha1
kind: Function
metadata: { name: fnonly, namespace: e2e }
spec: { url: "${v1Sink.url}/fnonly" }
${trigger('to-legacy', 'e2e.legacy', '    ref: { apiVersion: serving.knative.dev/v1, kind: Service, name: legacy }')}${trigger('to-fnonly', 'e2e.fnonly', '    ref: { apiVersion: v1, kind: Service, name: fnonly }')}`;
  trib = await startTributary(writeManifests({ 'serving.yaml': yaml }));
});

afterAll(async () => {
  await trib?.stop();
  await sink?.close();
  await v1Sink?.close();
});

describe('serving.knative.dev Services with sample images', () => {
  it('runs a Sequence of three appender Services replying to the Broker, as in Knative’s sample', async () => {
    const r = await send('/e2e/default', 'seq-1', 'dev.knative.sources.ping', {
      message: 'Hello world!',
    });
    expect(r.statusCode).toBe(202);
    const req = await sink.waitForRequest((q) => q.url === '/sequence', 30_000);
    const e = req.events[0]!;
    expect(e.attributes['type']).toBe('samples.http.mod3');
    expect(e.attributes['source']).toBe('/e2e/serving');
    expect(json(e)).toEqual({
      id: 0,
      message: 'Hello world! - Handled by 0 - Handled by 1 - Handled by 2',
    });
    // The event_display Service printed the same event.
    const shown = await trib.waitForLog(
      (l) =>
        String(l['msg']).startsWith('☁️  cloudevents.Event') &&
        String(l['msg']).includes('samples.http.mod3'),
      30_000,
    );
    expect(String(shown['msg'])).toContain('Handled by 2');
  });

  it('runs a Parallel whose filter and subscriber are Services', async () => {
    expect(
      (await send('/e2e/parallels/odd-even-parallel', 'p-2', 'e2e.number', { n: 2 })).statusCode,
    ).toBe(202);
    expect(
      (await send('/e2e/parallels/odd-even-parallel', 'p-3', 'e2e.number', { n: 3 })).statusCode,
    ).toBe(202);
    await sink.waitForRequest(
      (q) => q.url === '/parallel' && q.events[0]!.attributes['id'] === 'p-2',
      30_000,
    );
    await sink.waitForRequest(
      (q) => q.url === '/parallel' && q.events[0]!.attributes['id'] === 'p-3',
      30_000,
    );
    const replies = sink.requests
      .filter((q) => q.url === '/parallel')
      .map((q) => json(q.events[0]!));
    await new Promise((r) => setTimeout(r, 500));
    expect(sink.requests.filter((q) => q.url === '/parallel')).toHaveLength(2);
    expect(replies).toEqual(
      expect.arrayContaining([
        { message: 'we are even!', n: 2 },
        { message: 'this is odd!', n: 3 },
      ]),
    );
  });
});

describe('Services without something to run', () => {
  it('reports a Service with any other image not Ready, saying how to give it an address', async () => {
    const res = await request(`${trib.baseUrl}/readyz`);
    expect(res.statusCode).toBe(503);
    const body = (await res.body.json()) as {
      notReady: Array<{ resource: string; reason: string; message: string }>;
    };
    const svc = body.notReady.find((n) => n.resource === 'Service/e2e/helloworld')!;
    expect(svc.reason).toBe('NoAddress');
    expect(svc.message).toContain('tributary.dev/url');
    expect(svc.message).toContain('command');
    expect(svc.message).toContain("Function named 'helloworld'");
    const trig = body.notReady.find((n) => n.resource === 'Trigger/e2e/to-helloworld')!;
    expect(trig.message).toContain('tributary.dev/url');
    const nowhere = body.notReady.find((n) => n.resource === 'Trigger/e2e/to-nowhere')!;
    expect(nowhere.message).toContain('v1 Service');
    expect(nowhere.message).toContain('tributary.dev/url');
    expect(nowhere.message).toContain("Function named 'nowhere'");
    expect(nowhere.message).not.toContain('(Function, Service,');
  });

  it('delivers to a Function of the same name, for either kind of Service', async () => {
    const ready = (await (
      await request(`${trib.baseUrl}/admin/v1/resources?kind=services&name=legacy`)
    ).body.json()) as {
      items: Array<{ ready: boolean; reason: string }>;
    };
    expect(ready.items[0]).toMatchObject({ ready: true, reason: 'FunctionAddress' });
    expect((await send('/e2e/default', 'l-1', 'e2e.legacy', {})).statusCode).toBe(202);
    expect((await send('/e2e/default', 'f-1', 'e2e.fnonly', {})).statusCode).toBe(202);
    expect(
      (await v1Sink.waitForRequest((q) => q.url === '/legacy', 30_000)).events[0]!.attributes['id'],
    ).toBe('l-1');
    expect(
      (await v1Sink.waitForRequest((q) => q.url === '/fnonly', 30_000)).events[0]!.attributes['id'],
    ).toBe('f-1');
  });

  it('delivers to a Kubernetes v1 Service through its tributary.dev/url annotation', async () => {
    expect((await send('/e2e/default', 'k-1', 'e2e.backend', { hi: 1 })).statusCode).toBe(202);
    const req = await v1Sink.waitForRequest((q) => q.url === '/from-v1', 30_000);
    expect(req.events[0]!.attributes['id']).toBe('k-1');
  });
});
