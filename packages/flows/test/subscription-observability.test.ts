import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createRuntime, type Runtime, type TapRecord } from '@tributary/broker';
import { coreKinds, createKindSet, loadManifestsFromText } from '@tributary/core';
import { startHttpSink, type HttpSink } from '@tributary/testkit';
import { createFlowsPlugin, flowsKinds } from '@tributary/flows';

// Channel and Subscription deliveries go the one subscribe path: they show in /metrics and in the
// event tap under their own names (docs/metrics.md, "Channels and Subscriptions").
let runtime: Runtime | undefined;
const sinks: HttpSink[] = [];

afterEach(async () => {
  await runtime?.stop({ drainMs: 200 });
  runtime = undefined;
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});

async function runSequence(): Promise<{ base: string; step: HttpSink; records: TapRecord[] }> {
  const step = await startHttpSink();
  sinks.push(step);
  const { topology, problems } = loadManifestsFromText(
    [
      {
        file: 'seq.yaml',
        text: `apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: { name: seq }
spec:
  steps: [{ uri: ${step.url}/step }]
`,
      },
    ],
    { kinds: createKindSet(coreKinds, flowsKinds) },
  );
  expect(problems).toEqual([]);
  runtime = createRuntime({ topology, port: 0, plugins: [createFlowsPlugin()] });
  const records: TapRecord[] = [];
  runtime.eventTap.listen((r) => records.push(r));
  const base = await runtime.start();
  return { base, step, records };
}

async function post(url: string): Promise<number> {
  const res = await request(url, {
    method: 'POST',
    headers: {
      'ce-specversion': '1.0',
      'ce-id': 'obs-1',
      'ce-source': '/t',
      'ce-type': 't.observed',
      'content-type': 'text/plain',
    },
    body: 'hello',
  });
  await res.body.text();
  return res.statusCode;
}

async function metricsText(base: string): Promise<string> {
  const res = await request(`${base}/metrics`);
  return res.body.text();
}

describe('channel subscriptions in /metrics and the event tap', () => {
  it('names the channel and the subscription after a Sequence delivers', async () => {
    const { base, step } = await runSequence();
    expect(await post(`${base}/default/sequences/seq`)).toBe(202);
    await step.waitFor(1);
    let text = '';
    for (let i = 0; i < 100; i++) {
      text = await metricsText(base);
      if (/tributary_subscription_events_total\{[^}]*outcome="delivered"/.test(text)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(text).toMatch(
      /tributary_channel_events_accepted_total\{kn_channel_namespace="default",kn_channel_name="seq-kn-sequence-0",cloudevents_type="t.observed"\} 1/,
    );
    expect(text).toMatch(
      /tributary_subscription_events_total\{kn_channel_namespace="default",kn_channel_name="seq-kn-sequence-0",kn_subscription_name="seq-kn-sequence-0",cloudevents_type="t.observed",outcome="delivered"\} 1/,
    );
    expect(text).toMatch(
      /tributary_subscription_dispatch_duration_seconds_count\{[^}]*kn_subscription_name="seq-kn-sequence-0"[^}]*http_response_status_code="202"[^}]*messaging_destination_name="subscription:seq-kn-sequence-0.default"\} 1/,
    );
    // Channel deliveries are not counted as a broker's trigger's.
    expect(text).not.toMatch(/kn_trigger_name="seq-kn-sequence-0"/);
  });

  it('shows the channel accepting and the subscription delivering in the event tap', async () => {
    const { base, step, records } = await runSequence();
    expect(await post(`${base}/default/sequences/seq`)).toBe(202);
    await step.waitFor(1);
    for (let i = 0; i < 100 && !records.some((r) => r.kind === 'outcome'); i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(records.find((r) => r.kind === 'accepted')).toMatchObject({
      channel: { namespace: 'default', name: 'seq-kn-sequence-0' },
    });
    expect(records.find((r) => r.kind === 'attempt')).toMatchObject({
      leg: 'subscriber',
      ok: true,
      trigger: { kind: 'Subscription', channel: 'seq-kn-sequence-0', name: 'seq-kn-sequence-0' },
    });
    expect(records.find((r) => r.kind === 'outcome')).toMatchObject({
      outcome: 'delivered',
      trigger: { kind: 'Subscription', name: 'seq-kn-sequence-0' },
    });
  });
});
