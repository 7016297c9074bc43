import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createRuntime, type DispatchOutcome, type Runtime } from '@tributary/broker';
import { type CloudEvent, coreKinds, createKindSet, loadManifestsFromText } from '@tributary/core';
import { startHttpSink, type HttpSink, type SinkResponse } from '@tributary/testkit';
import { createFlowsPlugin, flowsKinds } from '@tributary/flows';

// The flows plugin inside a real runtime (real HTTP server, real HTTP step servers).
const open: Array<{ close(): Promise<void> }> = [];
let runtime: Runtime | undefined;

afterEach(async () => {
  await runtime?.stop({ drainMs: 200 });
  runtime = undefined;
  await Promise.all(open.splice(0).map((s) => s.close()));
});

const text = (e: CloudEvent | undefined) =>
  Buffer.from(e?.data ?? new Uint8Array()).toString('utf8');

/** A sink whose reply appends `suffix` to the text data, keeping the type. */
function appender(suffix: string) {
  return (req: { events: CloudEvent[] }): SinkResponse => {
    const e = req.events[0]!;
    return {
      status: 200,
      event: {
        attributes: { ...e.attributes, id: `${e.attributes['id']}${suffix}` },
        data: Buffer.from(text(e) + suffix),
      },
    };
  };
}

async function sink(script?: Parameters<typeof startHttpSink>[0]): Promise<HttpSink> {
  const s = await startHttpSink(script);
  open.push(s);
  return s;
}

const outcomes: DispatchOutcome[] = [];

async function run(yaml: string): Promise<string> {
  const { topology, problems } = loadManifestsFromText([{ file: 'flows.yaml', text: yaml }], {
    kinds: createKindSet(coreKinds, flowsKinds),
  });
  expect(problems).toEqual([]);
  outcomes.length = 0;
  runtime = createRuntime({
    topology,
    port: 0,
    plugins: [createFlowsPlugin({ onOutcome: (o) => outcomes.push(o) })],
  });
  return runtime.start();
}

async function post(url: string, data = 'hello', headers: Record<string, string> = {}) {
  const res = await request(url, {
    method: 'POST',
    headers: {
      'ce-specversion': '1.0',
      'ce-id': 'e1',
      'ce-source': '/t',
      'ce-type': 't.text',
      'content-type': 'text/plain',
      ...headers,
    },
    body: data,
  });
  const body = await res.body.text();
  return { status: res.statusCode, body };
}

describe('flows plugin in a runtime', () => {
  it('runs a Sequence: each step gets the previous reply, the reply target gets the last one', async () => {
    const steps = [await sink({ script: appender('-a') }), await sink({ script: appender('-b') })];
    const out = await sink();
    const base = await run(`apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: { name: seq }
spec:
  steps:
    - uri: ${steps[0]!.url}
    - uri: ${steps[1]!.url}
  reply: { uri: ${out.url} }
`);
    expect((await post(`${base}/default/sequences/seq`)).status).toBe(202);
    const [got] = await out.waitFor(1);
    expect(text(got!.events[0])).toBe('hello-a-b');
    expect(got!.events[0]!.attributes['type']).toBe('t.text');
    expect(text(steps[1]!.events[0])).toBe('hello-a');
    expect(runtime!.statuses.list().find((s) => s.kind === 'Sequence')).toMatchObject({
      ready: true,
    });
  });

  it('answers the ingress status table on channel paths', async () => {
    const base = await run(`apiVersion: messaging.knative.dev/v1
kind: InMemoryChannel
metadata: { name: ch, namespace: ns1 }
`);
    expect((await post(`${base}/ns1/channels/ch`)).status).toBe(202);
    expect((await post(`${base}/ns1/channels/ch/`)).status).toBe(202);
    const missing = await post(`${base}/ns1/channels/nope`);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body).error).toMatch(/channel 'ns1\/nope' not found/);
    expect((await post(`${base}/ns1/sequences/ch`)).status).toBe(404);
    const bad = await request(`${base}/ns1/channels/ch`, { method: 'POST', body: 'not an event' });
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(await bad.body.text()).error).toBeTruthy();
    const get = await request(`${base}/ns1/channels/ch`);
    await get.body.dump();
    expect(get.statusCode).toBe(405);
    const opt = await request(`${base}/ns1/channels/ch`, { method: 'OPTIONS' });
    await opt.body.dump();
    expect(opt.statusCode).toBe(200);
    expect(opt.headers['allow']).toBe('POST, OPTIONS');
    const big = await post(`${base}/ns1/channels/ch`, 'x'.repeat(1024 * 1024 + 10));
    expect(big.status).toBe(413);
  });

  it('reports a Sequence whose step ref does not exist as not Ready, naming it, and answers 503', async () => {
    const base = await run(`apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: { name: broken }
spec:
  steps:
    - ref: { apiVersion: tributary.dev/v1alpha1, kind: Function, name: ghost }
`);
    const st = runtime!.statuses.list().find((s) => s.kind === 'Sequence');
    expect(st).toMatchObject({ ready: false, name: 'broken' });
    expect(st!.message).toMatch(/steps\[0\].*ghost/);
    const r = await post(`${base}/default/sequences/broken`);
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body).error).toMatch(/ghost/);
  });

  it('runs a Parallel whose branches use the in-process filters extension', async () => {
    const a = await sink();
    const b = await sink();
    const base = await run(`apiVersion: flows.knative.dev/v1
kind: Parallel
metadata: { name: par }
spec:
  branches:
    - filters: [{ prefix: { type: order. } }]
      subscriber: { uri: ${a.url} }
    - filters: [{ cesql: "type = 'refund.created'" }]
      subscriber: { uri: ${b.url} }
`);
    expect(
      (
        await post(`${base}/default/parallels/par`, 'x', {
          'ce-type': 'order.created',
          'ce-id': 'o1',
        })
      ).status,
    ).toBe(202);
    expect(
      (
        await post(`${base}/default/parallels/par`, 'y', {
          'ce-type': 'refund.created',
          'ce-id': 'r1',
        })
      ).status,
    ).toBe(202);
    await a.waitFor(1);
    await b.waitFor(1);
    // Give a stray delivery a moment to show up, then check each branch got only its event.
    await post(`${base}/default/parallels/par`, 'z', { 'ce-type': 'order.updated', 'ce-id': 'o2' });
    await a.waitFor(2);
    expect(a.events.map((e) => e.attributes['id'])).toEqual(['o1', 'o2']);
    expect(b.events.map((e) => e.attributes['id'])).toEqual(['r1']);
  });

  it('wires a Subscription with the channel delivery as default (retry, dead-letter sink)', async () => {
    const failing = await sink({ defaultResponse: { status: 500 } });
    const dls = await sink();
    const base = await run(`apiVersion: messaging.knative.dev/v1
kind: Channel
metadata: { name: ch }
spec:
  channelTemplate: { apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel }
  delivery:
    retry: 2
    backoffDelay: PT0.01S
    deadLetterSink: { uri: ${dls.url} }
---
apiVersion: messaging.knative.dev/v1
kind: Subscription
metadata: { name: sub }
spec:
  channel: { apiVersion: messaging.knative.dev/v1, kind: Channel, name: ch }
  subscriber: { uri: ${failing.url} }
`);
    expect((await post(`${base}/default/channels/ch`)).status).toBe(202);
    const [dead] = await dls.waitFor(1);
    expect(dead!.events[0]!.attributes['knativeerrorcode']).toBe('500');
    expect(failing.requests).toHaveLength(3);
  });
  it('gives Parallel branches their own reply and dead-letter sink', async () => {
    const replier = await sink({
      script: () => ({
        status: 200,
        event: {
          attributes: { specversion: '1.0', id: 'r', source: '/s', type: 'reply' },
          data: Buffer.from('r'),
        },
      }),
    });
    const failing = await sink({ defaultResponse: { status: 422, body: 'no' } });
    const own = await sink();
    const shared = await sink();
    const dls = await sink();
    const base = await run(`apiVersion: flows.knative.dev/v1
kind: Parallel
metadata: { name: par }
spec:
  branches:
    - subscriber: { uri: ${replier.url} }
      reply: { uri: ${own.url} }
    - subscriber: { uri: ${failing.url} }
      delivery: { deadLetterSink: { uri: ${dls.url} } }
  reply: { uri: ${shared.url} }
`);
    expect((await post(`${base}/default/parallels/par`, 'in', { 'ce-id': 'p1' })).status).toBe(202);
    const [r] = await own.waitFor(1);
    expect(r!.events[0]!.attributes['type']).toBe('reply');
    const [d] = await dls.waitFor(1);
    expect(d!.events[0]!.attributes).toMatchObject({ id: 'p1', knativeerrorcode: '422' });
    expect(shared.requests).toHaveLength(0);
  });

  it('takes a flow’s default dead-letter sink from channelTemplate.spec.delivery', async () => {
    const failing = await sink({ defaultResponse: { status: 500 } });
    const dls = await sink();
    const base = await run(`apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: { name: seq }
spec:
  channelTemplate:
    apiVersion: messaging.knative.dev/v1
    kind: InMemoryChannel
    spec: { delivery: { deadLetterSink: { uri: ${dls.url} } } }
  steps: [{ uri: ${failing.url} }]
`);
    expect((await post(`${base}/default/sequences/seq`)).status).toBe(202);
    const [d] = await dls.waitFor(1);
    expect(text(d!.events[0])).toBe('hello');
    expect(failing.requests).toHaveLength(1); // retry 0: Knative's default for channels
  });

  it("wires an InMemoryChannel's inline spec.subscribers", async () => {
    const sub = await sink();
    const base = await run(`apiVersion: messaging.knative.dev/v1
kind: InMemoryChannel
metadata: { name: imc }
spec:
  subscribers:
    - uid: a1
      subscriberUri: ${sub.url}/in
`);
    expect((await post(`${base}/default/channels/imc`)).status).toBe(202);
    const [got] = await sub.waitFor(1);
    expect(got!.url).toBe('/in');
  });

  it('reports a flow on a channel kind whose backend is not loaded as not Ready, naming the broker class', async () => {
    const base = await run(`apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: { name: durable }
spec:
  channelTemplate: { apiVersion: messaging.knative.dev/v1beta1, kind: KafkaChannel }
  steps: [{ uri: http://127.0.0.1:9/ }]
`);
    const st = runtime!.statuses.list().find((x) => x.kind === 'Sequence');
    expect(st).toMatchObject({ ready: false, reason: 'ChannelsNotReady' });
    expect(st!.message).toMatch(/KafkaChannel.*'Kafka'/);
    const r = await post(`${base}/default/sequences/durable`);
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body).error).toMatch(/Sequence 'default\/durable' is not Ready: .*Kafka/);
  });
  it('stops a Sequence silently when a step replies nothing', async () => {
    const quiet = await sink({ defaultResponse: { status: 202 } });
    const next = await sink();
    const out = await sink();
    const base = await run(`apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: { name: seq }
spec:
  steps: [{ uri: ${quiet.url} }, { uri: ${next.url} }]
  reply: { uri: ${out.url} }
`);
    expect((await post(`${base}/default/sequences/seq`)).status).toBe(202);
    await quiet.waitFor(1);
    for (let i = 0; i < 200 && !outcomes.some((o) => o.name === 'seq-kn-sequence-0'); i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(outcomes.find((o) => o.name === 'seq-kn-sequence-0')).toMatchObject({
      kind: 'delivered',
      replied: false,
    });
    expect(next.requests).toHaveLength(0);
    expect(out.requests).toHaveLength(0);
  });

  it('answers 404 for a malformed escape in the path instead of failing', async () => {
    const base = await run(`apiVersion: messaging.knative.dev/v1
kind: InMemoryChannel
metadata: { name: ch }
`);
    expect((await post(`${base}/default/channels/%E0%A4%A`)).status).toBe(404);
  });
});
