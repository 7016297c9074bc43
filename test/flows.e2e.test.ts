import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { CloudEvent } from '@tributary/core';
import { startHttpSink, type HttpSink, type SinkResponse } from '@tributary/testkit';
import {
  runCli,
  startTributary,
  writeManifests,
  type TributaryProcess,
} from './support/tributary-process.js';

// Flows end to end (docs/knative-behaviour.md §13 checks 10(b), 10(c), §5, §6) against a real `tributary run`
// with real HTTP step servers that reply with CloudEvents.
let trib: TributaryProcess;
const s: Record<string, HttpSink> = {};
const text = (e: CloudEvent | undefined) =>
  Buffer.from(e?.data ?? new Uint8Array()).toString('utf8');

/** Replies with the input event (same type) whose text data has `suffix` appended. */
const appender =
  (suffix: string) =>
  (req: { events: CloudEvent[] }): SinkResponse => {
    const e = req.events[0]!;
    return {
      status: 200,
      event: {
        attributes: { ...e.attributes, id: `${e.attributes['id']}${suffix}` },
        data: Buffer.from(text(e) + suffix),
      },
    };
  };
const replyWith =
  (data: string, type = 'e2e.appended'): (() => SinkResponse) =>
  () => ({
    status: 200,
    event: {
      attributes: {
        specversion: '1.0',
        id: `r-${Math.random()}`,
        source: '/e2e',
        type,
        datacontenttype: 'text/plain',
      },
      data: Buffer.from(data),
    },
  });

beforeAll(async () => {
  s.step1 = await startHttpSink({ script: appender('-step1') });
  s.step2 = await startHttpSink({ script: appender('-step2') });
  s.step3 = await startHttpSink({ script: appender('-step3') });
  s.seqSink = await startHttpSink();
  s.filter1 = await startHttpSink({ script: (req) => ({ status: 200, event: req.events[0]! }) });
  s.filter2 = await startHttpSink({ script: () => ({ status: 202 }) });
  s.sub1 = await startHttpSink({ script: replyWith('appended data') });
  s.sub2 = await startHttpSink({ script: replyWith('appended data') });
  s.parSink = await startHttpSink();
  s.failing = await startHttpSink({ defaultResponse: { status: 500, body: 'step broke' } });
  s.dls = await startHttpSink();
  s.fanA = await startHttpSink();
  s.fanB = await startHttpSink();
  s.replier = await startHttpSink({ script: replyWith('from subscriber', 'e2e.sub.reply') });
  s.subReply = await startHttpSink();
  const yaml = `apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: { name: seq, namespace: e2e }
spec:
  steps:
    - uri: ${s.step1.url}
    - uri: ${s.step2.url}
    - uri: ${s.step3.url}
  reply: { uri: ${s.seqSink.url} }
---
apiVersion: flows.knative.dev/v1
kind: Parallel
metadata: { name: par, namespace: e2e }
spec:
  channelTemplate: { apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel }
  branches:
    - filter: { uri: ${s.filter1.url} }
      subscriber: { uri: ${s.sub1.url} }
    - filter: { uri: ${s.filter2.url} }
      subscriber: { uri: ${s.sub2.url} }
  reply: { uri: ${s.parSink.url} }
---
apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: { name: fails, namespace: e2e }
spec:
  steps:
    - uri: ${s.step1.url}
    - uri: ${s.failing.url}
      delivery:
        retry: 1
        backoffDelay: PT0.01S
        deadLetterSink: { uri: ${s.dls.url} }
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: hub, namespace: e2e }
---
apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: { name: into-broker, namespace: e2e }
spec:
  steps: [{ uri: ${s.step1.url} }]
  reply: { ref: { apiVersion: eventing.knative.dev/v1, kind: Broker, name: hub } }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: to-fanout, namespace: e2e }
spec:
  broker: hub
  filters: [{ exact: { type: e2e.fan } }]
  subscriber: { ref: { apiVersion: flows.knative.dev/v1, kind: Parallel, name: fanout } }
---
apiVersion: flows.knative.dev/v1
kind: Parallel
metadata: { name: fanout, namespace: e2e }
spec:
  branches:
    - subscriber: { uri: ${s.fanA.url} }
    - filters: [{ exact: { type: e2e.never } }]
      subscriber: { uri: ${s.fanB.url} }
---
apiVersion: messaging.knative.dev/v1
kind: Channel
metadata: { name: orders, namespace: e2e }
---
apiVersion: messaging.knative.dev/v1
kind: Subscription
metadata: { name: orders-sub, namespace: e2e }
spec:
  channel: { apiVersion: messaging.knative.dev/v1, kind: Channel, name: orders }
  subscriber: { uri: ${s.replier.url} }
  reply: { uri: ${s.subReply.url} }
`;
  trib = await startTributary(writeManifests({ 'flows.yaml': yaml }));
});

afterAll(async () => {
  await trib?.stop();
  await Promise.all(Object.values(s).map((x) => x.close()));
});

async function post(path: string, id: string, data: string, type = 'e2e.text') {
  const res = await request(`${trib.baseUrl}${path}`, {
    method: 'POST',
    headers: {
      'ce-specversion': '1.0',
      'ce-id': id,
      'ce-source': '/e2e',
      'ce-type': type,
      'content-type': 'text/plain',
    },
    body: data,
  });
  await res.body.dump();
  expect(res.statusCode).toBe(202);
}

/** Waits for the debug log line of a subscription's outcome for one event. */
async function outcome(
  subscription: string,
  msg: string,
  pred: (l: Record<string, unknown>) => boolean = () => true,
  timeoutMs = 10_000,
) {
  const started = Date.now();
  for (;;) {
    const hit = trib.logs.find(
      (l) => l['subscription'] === subscription && l['msg'] === msg && pred(l),
    );
    if (hit) return hit;
    if (Date.now() - started > timeoutMs)
      throw new Error(`no '${msg}' log for subscription ${subscription}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('flows end to end', () => {
  it('check 10(b): a 3-step Sequence delivers ONE event with every step appended, type unchanged', async () => {
    await post('/e2e/sequences/seq', 'seq-1', 'body');
    const [got] = await s.seqSink!.waitFor(1);
    await outcome('seq-kn-sequence-2', 'event delivered', (l) => l['replied'] === true);
    expect(s.seqSink!.requests).toHaveLength(1);
    expect(text(got!.events[0])).toBe('body-step1-step2-step3');
    expect(got!.events[0]!.attributes['type']).toBe('e2e.text');
  });

  it('check 10(c): a Parallel whose filter #2 replies empty delivers exactly ONE event', async () => {
    await post('/e2e/parallels/par', 'par-1', 'input');
    const [got] = await s.parSink!.waitFor(1);
    await outcome('par-kn-parallel-filter-1', 'event delivered', (l) => l['replied'] === false);
    await outcome('par-kn-parallel-0', 'event delivered', (l) => l['replied'] === true);
    expect(text(got!.events[0])).toBe('appended data');
    expect(s.sub2!.requests).toHaveLength(0);
    expect(s.parSink!.requests).toHaveLength(1);
  });

  it('dead-letters the failing step’s input (step 1’s reply), not the Sequence’s input', async () => {
    await post('/e2e/sequences/fails', 'fail-1', 'order');
    const [dead] = await s.dls!.waitFor(1);
    const e = dead!.events[0]!;
    expect(text(e)).toBe('order-step1');
    expect(e.attributes['knativeerrorcode']).toBe('500');
    expect(e.attributes['knativeerrordest']).toBe(s.failing!.url);
    expect(Buffer.from(e.attributes['knativeerrordata']!, 'base64').toString()).toBe('step broke');
    expect(s.failing!.requests).toHaveLength(2);
  });

  it('feeds a Broker from a Sequence reply, whose Trigger feeds a Parallel', async () => {
    await post('/e2e/sequences/into-broker', 'fan-1', 'hi', 'e2e.fan');
    const got = await s.fanA!.waitForEvent((e) => e.attributes['id'] === 'fan-1-step1');
    expect(text(got)).toBe('hi-step1');
    expect(got.attributes['knativebrokerttl']).toBeUndefined();
    await outcome(
      'fanout-kn-parallel-filter-1',
      'event filtered out',
      (l) => l['eventId'] === 'fan-1-step1',
    );
    expect(s.fanB!.requests).toHaveLength(0);
  });

  it('runs a Channel with a Subscription whose subscriber replies to the reply destination', async () => {
    await post('/e2e/channels/orders', 'ch-1', 'order');
    const [sub] = await s.replier!.waitFor(1);
    expect(sub!.headers['kn-namespace']).toBe('e2e');
    const [reply] = await s.subReply!.waitFor(1);
    expect(text(reply!.events[0])).toBe('from subscriber');
  });

  it('reports every flow resource Ready on /readyz', async () => {
    const res = await request(`${trib.baseUrl}/readyz`);
    expect(JSON.parse(await res.body.text())).toMatchObject({ ready: true });
  });
});

describe('docs/flows.md examples', () => {
  const md = readFileSync(fileURLToPath(new URL('../docs/flows.md', import.meta.url)), 'utf8');
  const blocks = [...md.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

  it('has examples', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(4);
  });

  it.each(blocks.map((b, i) => [i, b] as const))(
    'example %i validates and runs with every resource Ready',
    async (_i, yaml) => {
      const dir = writeManifests({ 'example.yaml': yaml });
      const v = await runCli(['validate', '-f', dir]);
      expect(v.stderr + v.stdout).not.toMatch(/error/i);
      expect(v.code).toBe(0);
      const t = await startTributary(dir);
      try {
        const res = await request(`${t.baseUrl}/readyz`);
        const body = JSON.parse(await res.body.text());
        expect(body).toEqual({ ready: true, notReady: [] });
      } finally {
        await t.stop();
      }
    },
  );
});
