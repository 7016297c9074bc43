import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { makeEvent, startHttpSink, type HttpSink } from '@tributary/testkit';
import { encodeHttp } from '@tributary/core';
import {
  runCli,
  startTributary,
  writeManifests,
  type TributaryProcess,
} from './support/tributary-process.js';

const running: Array<TributaryProcess | HttpSink> = [];
afterEach(async () => {
  for (const r of running.splice(0)) await ('stop' in r ? r.stop() : r.close());
});

async function post(
  baseUrl: string,
  path: string,
  type: string,
  headers: Record<string, string> = {},
) {
  const { headers: h, body } = encodeHttp(makeEvent({ type }, { n: 1 }), 'binary');
  const res = await request(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { ...h, ...headers },
    body: Buffer.from(body ?? new Uint8Array()),
  });
  await res.body.dump();
  return res.statusCode;
}

async function scrape(baseUrl: string): Promise<string> {
  const res = await request(`${baseUrl}/metrics`);
  expect(res.statusCode).toBe(200);
  expect(String(res.headers['content-type'])).toContain('text/plain');
  return res.body.text();
}

/** The value of the first sample whose name and labels contain every given fragment. */
function sample(text: string, name: string, ...labels: string[]): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (labels.every((l) => line.includes(l))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

async function eventually<T>(
  fn: () => Promise<T | undefined>,
  what: string,
  ms = 10_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('GET /metrics', () => {
  it('counts accepted, delivered, retried, dead-lettered and rejected events, times dispatch, and gauges backlog', async () => {
    const ok = await startHttpSink();
    const failing = await startHttpSink({ defaultResponse: { status: 500 } });
    const dls = await startHttpSink();
    const slow = await startHttpSink({ defaultResponse: { status: 200, delayMs: 2_000 } });
    running.push(ok, failing, dls, slow);
    const trib = await startTributary(
      writeManifests({
        'm.yaml': `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: default }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: good }
spec:
  broker: default
  filter: { attributes: { type: com.example.order } }
  subscriber: { uri: "${ok.url}" }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: bad }
spec:
  broker: default
  filter: { attributes: { type: com.example.order } }
  subscriber: { uri: "${failing.url}" }
  delivery:
    retry: 2
    backoffDelay: PT0.01S
    deadLetterSink: { uri: "${dls.url}" }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: slow
  annotations: { tributary.dev/concurrency: "1" }
spec:
  broker: default
  filter: { attributes: { type: com.example.slow } }
  subscriber: { uri: "${slow.url}" }
`,
      }),
    );
    running.push(trib);
    for (let i = 0; i < 3; i++)
      expect(await post(trib.baseUrl, '/default/default', 'com.example.order')).toBe(202);
    expect(await post(trib.baseUrl, '/default/nope', 'com.example.order')).toBe(404);
    await ok.waitFor(3, 10_000);
    await dls.waitFor(3, 10_000);
    for (let i = 0; i < 4; i++)
      expect(await post(trib.baseUrl, '/default/default', 'com.example.slow')).toBe(202);

    const waiting = await eventually(async () => {
      const v = sample(
        await scrape(trib.baseUrl),
        'tributary_trigger_events_waiting',
        'kn_trigger_name="slow"',
      );
      return v !== undefined && v >= 2 ? v : undefined;
    }, 'a backlog on the slow trigger');
    expect(waiting).toBeGreaterThanOrEqual(2);

    const text = await eventually(async () => {
      const t = await scrape(trib.baseUrl);
      return sample(t, 'tributary_events_dead_lettered_total', 'kn_trigger_name="bad"') === 3
        ? t
        : undefined;
    }, 'three dead-lettered events');
    const order = 'cloudevents_type="com.example.order"';
    expect(sample(text, 'tributary_events_accepted_total', 'kn_broker_name="default"', order)).toBe(
      3,
    );
    expect(
      sample(text, 'tributary_events_accepted_total', 'cloudevents_type="com.example.slow"'),
    ).toBe(4);
    expect(
      sample(
        text,
        'tributary_events_rejected_total',
        // Unknown brokers share one label value, so clients cannot grow the series (issue 17).
        'kn_broker_name="_unknown"',
        'http_response_status_code="404"',
      ),
    ).toBe(1);
    expect(sample(text, 'tributary_events_delivered_total', 'kn_trigger_name="good"', order)).toBe(
      3,
    );
    // retry: 2 → 3 attempts per event, the first two of which are retried.
    expect(
      sample(
        text,
        'tributary_events_retried_total',
        'kn_trigger_name="bad"',
        'http_response_status_code="500"',
      ),
    ).toBe(6);
    expect(
      sample(
        text,
        'kn_eventing_dispatch_duration_seconds_count',
        'kn_trigger_name="good"',
        'http_response_status_code="202"',
        'messaging_destination_name="trigger:good.default"',
      ),
    ).toBe(3);
    expect(
      sample(
        text,
        'kn_eventing_dispatch_duration_seconds_count',
        'kn_trigger_name="bad"',
        'http_response_status_code="500"',
      ),
    ).toBe(9);
    expect(
      sample(
        text,
        'kn_eventing_dispatch_duration_seconds_count',
        'kn_trigger_name="bad"',
        `messaging_destination_name="${dls.url}"`,
      ),
    ).toBe(3);
    expect(
      sample(
        text,
        'kn_eventing_dispatch_duration_seconds_count',
        'messaging_destination_name="broker:default.default"',
        order,
      ),
    ).toBe(3);
    expect(
      sample(text, 'kn_eventing_process_duration_seconds_count', 'kn_trigger_name="good"'),
    ).toBe(3);
    expect(text).toContain('le="0.005"');
  });
});

describe('tracing', () => {
  it("carries the producer's trace id through ingress, the subscriber and a reply", async () => {
    const replyEvent = makeEvent({ type: 'com.example.reply', source: '/replier' });
    const first = await startHttpSink({ defaultResponse: { status: 200, event: replyEvent } });
    const second = await startHttpSink();
    running.push(first, second);
    const trib = await startTributary(
      writeManifests({
        't.yaml': `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: default }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: first }
spec:
  broker: default
  filter: { attributes: { type: com.example.request } }
  subscriber: { uri: "${first.url}" }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: second }
spec:
  broker: default
  filter: { attributes: { type: com.example.reply } }
  subscriber: { uri: "${second.url}" }
`,
      }),
    );
    running.push(trib);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const status = await post(trib.baseUrl, '/default/default', 'com.example.request', {
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
    });
    expect(status).toBe(202);
    await first.waitFor(1, 10_000);
    await second.waitFor(1, 10_000);
    expect(first.requests[0]!.headers['traceparent']).toMatch(
      new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`),
    );
    expect(first.requests[0]!.headers['ce-traceparent']).toContain(traceId);
    expect(second.requests[0]!.headers['traceparent']).toMatch(new RegExp(`^00-${traceId}-`));
    expect(second.events[0]!.attributes['type']).toBe('com.example.reply');
  });
});

describe('tributary get', () => {
  it('prints a not-Ready trigger with its reason, as a table and as JSON', async () => {
    const trib = await startTributary(
      writeManifests({
        'g.yaml': `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: default }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: fine }
spec:
  broker: default
  subscriber: { uri: "http://127.0.0.1:9/" }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: dangling }
spec:
  broker: default
  subscriber:
    ref: { apiVersion: serving.knative.dev/v1, kind: Service, name: nowhere }
`,
      }),
    );
    running.push(trib);
    const table = await runCli(['get', 'triggers', '--server', trib.baseUrl]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+NAMESPACE\s+READY\s+REASON\s+MESSAGE$/);
    const dangling = lines.find((l) => l.startsWith('dangling'));
    expect(dangling).toMatch(/^dangling\s+default\s+False\s+SubscriberResolveFailed\s+.*nowhere/);
    expect(lines.find((l) => l.startsWith('fine'))).toMatch(/^fine\s+default\s+True\s+Ready/);

    const one = await runCli([
      'get',
      'trigger',
      'dangling',
      '--server',
      trib.baseUrl,
      '-o',
      'json',
    ]);
    expect(one.code).toBe(0);
    const { items } = JSON.parse(one.stdout) as { items: Array<Record<string, unknown>> };
    expect(items).toEqual([
      expect.objectContaining({
        kind: 'Trigger',
        name: 'dangling',
        ready: false,
        reason: 'SubscriberResolveFailed',
      }),
    ]);

    const missing = await runCli(['get', 'trigger', 'ghost', '--server', trib.baseUrl]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("'ghost' not found");

    const api = await request(`${trib.baseUrl}/admin/v1/resources?kind=Broker`);
    expect(await api.body.json()).toEqual({
      items: [
        expect.objectContaining({ kind: 'Broker', name: 'default', ready: true, reason: 'Ready' }),
      ],
    });
  });

  it('explains an unreachable server', async () => {
    const r = await runCli(['get', 'triggers', '--server', 'http://127.0.0.1:9']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot reach http://127.0.0.1:9');
  });
});
