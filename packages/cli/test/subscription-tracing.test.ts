import { afterAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { createRuntime } from '@tributary/broker';
import { coreKinds, createKindSet, loadManifestsFromText } from '@tributary/core';
import { createFlowsPlugin, flowsKinds } from '@tributary/flows';
import { startHttpSink } from '@tributary/testkit';

// A Sequence's channel ingress and its step's deliveries show in traces under their own names
// (docs/architecture.md, "Data path"), with a real tracer provider and a real HTTP step.
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
trace.setGlobalTracerProvider(provider);
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
});

describe('channel subscriptions in traces', () => {
  it('has a channel ingress span and a send span naming the subscription', async () => {
    const step = await startHttpSink();
    const { topology } = loadManifestsFromText(
      [
        {
          file: 'seq.yaml',
          text: `apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: { name: traced }
spec:
  steps: [{ uri: ${step.url}/step }]
`,
        },
      ],
      { kinds: createKindSet(coreKinds, flowsKinds) },
    );
    const runtime = createRuntime({ topology, port: 0, plugins: [createFlowsPlugin()] });
    try {
      const base = await runtime.start();
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const res = await request(`${base}/default/sequences/traced`, {
        method: 'POST',
        headers: {
          'ce-specversion': '1.0',
          'ce-id': 'tr-1',
          'ce-source': '/t',
          'ce-type': 't.traced',
          traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
        },
        body: 'x',
      });
      await res.body.text();
      expect(res.statusCode).toBe(202);
      const [got] = await step.waitFor(1);
      expect(got!.headers['traceparent']).toMatch(new RegExp(`^00-${traceId}-`));
      for (
        let i = 0;
        i < 100 && !exporter.getFinishedSpans().some((s) => s.name.startsWith('send'));
        i++
      )
        await new Promise((r) => setTimeout(r, 20));
      const spans = exporter.getFinishedSpans();
      const ingress = spans.find((s) => s.name === 'channel:traced-kn-sequence-0.default');
      expect(ingress?.attributes).toMatchObject({
        'kn.channel.name': 'traced-kn-sequence-0',
        'kn.channel.namespace': 'default',
      });
      expect(ingress?.spanContext().traceId).toBe(traceId);
      const send = spans.find((s) => s.name.startsWith('send '));
      expect(send?.attributes).toMatchObject({
        'kn.subscription.name': 'traced-kn-sequence-0',
        'kn.subscription.namespace': 'default',
      });
      expect(send?.spanContext().traceId).toBe(traceId);
    } finally {
      await runtime.stop({ drainMs: 200 });
      await step.close();
    }
  });
});
