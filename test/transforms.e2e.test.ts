import { spawn } from 'node:child_process';
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

// EventTransform end to end (docs/transforms.md) against a real `tributary run` and real HTTP sinks.
let trib: TributaryProcess;
const s: Record<string, HttpSink> = {};
const json = (e: CloudEvent | undefined): unknown =>
  JSON.parse(Buffer.from(e?.data ?? new Uint8Array()).toString('utf8'));

/** A sink that answers every event with a reply event of type `sink.reply`. */
const replier = (req: { events: CloudEvent[] }): SinkResponse => ({
  status: 200,
  event: {
    attributes: {
      specversion: '1.0',
      id: `reply-of-${req.events[0]?.attributes['id']}`,
      source: '/sink',
      type: 'sink.reply',
      datacontenttype: 'application/json',
    },
    data: Buffer.from(JSON.stringify({ answer: 42 })),
  },
});

async function post(path: string, attrs: Record<string, string>, data: unknown) {
  const res = await request(`${trib.baseUrl}${path}`, {
    method: 'POST',
    headers: {
      'ce-specversion': '1.0',
      'ce-source': '/e2e',
      'content-type': 'application/json',
      ...Object.fromEntries(Object.entries(attrs).map(([k, v]) => [`ce-${k}`, v])),
    },
    body: JSON.stringify(data),
  });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

beforeAll(async () => {
  s.display = await startHttpSink();
  s.sink = await startHttpSink({ script: replier });
  s.replies = await startHttpSink();
  s.discardSink = await startHttpSink({ script: replier });
  s.discarded = await startHttpSink();
  s.dls = await startHttpSink();
  s.seqEnd = await startHttpSink();
  const yaml = `
# a Sequence step that is an EventTransform: its result is the step's reply
apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: { name: seq }
spec:
  steps:
    - ref: { apiVersion: eventing.knative.dev/v1alpha1, kind: EventTransform, name: extract-user }
  reply: { uri: ${s.seqEnd.url} }
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: hub }
spec:
  delivery: { retry: 2, backoffDelay: PT0.05S, deadLetterSink: { uri: ${s.dls.url} } }
---
# no sink: the transformed event is the Trigger's reply and re-enters the broker
apiVersion: eventing.knative.dev/v1alpha1
kind: EventTransform
metadata: { name: extract-user }
spec:
  jsonata:
    expression: |
      {
        "specversion": "1.0",
        "id": id & "-t",
        "type": "user.extracted",
        "source": "transform.user-extractor",
        "userid": data.user.id,
        "data": { "name": data.user.name, "total": $sum(data.items.price) }
      }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: to-transform }
spec:
  broker: hub
  filters: [{ exact: { type: user.created } }]
  subscriber: { ref: { apiVersion: eventing.knative.dev/v1alpha1, kind: EventTransform, name: extract-user } }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: extracted }
spec:
  broker: hub
  filters: [{ exact: { type: user.extracted } }]
  subscriber: { uri: ${s.display.url} }
---
# with a sink and a reply transformation: the sink's reply, transformed, re-enters the broker
apiVersion: eventing.knative.dev/v1alpha1
kind: EventTransform
metadata: { name: to-sink }
spec:
  sink: { uri: ${s.sink.url} }
  jsonata:
    expression: |
      $merge([$, { "type": "order.for-sink", "data": { "order": data.order } }])
  reply:
    jsonata:
      expression: |
        { "specversion": "1.0", "id": id, "source": "transform.reply", "type": "order.answered",
          "data": { "answer": data.answer, "doubled": data.answer * 2 } }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: orders }
spec:
  broker: hub
  filters: [{ exact: { type: order.placed } }]
  subscriber: { ref: { apiVersion: eventing.knative.dev/v1alpha1, kind: EventTransform, name: to-sink } }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: answered }
spec:
  broker: hub
  filters: [{ exact: { type: order.answered } }]
  subscriber: { uri: ${s.replies.url} }
---
# reply.discard: the sink's reply is dropped
apiVersion: eventing.knative.dev/v1alpha1
kind: EventTransform
metadata: { name: discarding }
spec:
  sink: { uri: ${s.discardSink.url} }
  jsonata: { expression: '$merge([$, { "type": "audit.copy" }])' }
  reply: { discard: true }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: audit }
spec:
  broker: hub
  filters: [{ exact: { type: audit.event } }]
  subscriber: { ref: { apiVersion: eventing.knative.dev/v1alpha1, kind: EventTransform, name: discarding } }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: sink-replies }
spec:
  broker: hub
  filters: [{ exact: { type: sink.reply } }]
  subscriber: { uri: ${s.discarded.url} }
---
# a result without source and type: the delivery fails and the event is dead-lettered
apiVersion: eventing.knative.dev/v1alpha1
kind: EventTransform
metadata: { name: broken }
spec:
  jsonata: { expression: '{ "specversion": "1.0", "id": id, "data": data }' }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: to-broken }
spec:
  broker: hub
  filters: [{ exact: { type: bad.input } }]
  subscriber: { ref: { apiVersion: eventing.knative.dev/v1alpha1, kind: EventTransform, name: broken } }
`;
  trib = await startTributary(writeManifests({ 'transforms.yaml': yaml }));
});

afterAll(async () => {
  await trib?.stop();
  for (const sink of Object.values(s)) await sink.close();
});

describe('EventTransform with tributary run', () => {
  it('loads jsonata only when a manifest has an EventTransform', async () => {
    const cli = new URL('../packages/cli/dist/index.js', import.meta.url).href;
    const script = (withTransform: boolean) => `
      import { createRequire } from 'node:module';
      const { createMesh } = await import(${JSON.stringify(cli)});
      const resources = [{ apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name: 'b' } }];
      if (${withTransform}) resources.push({ apiVersion: 'eventing.knative.dev/v1alpha1', kind: 'EventTransform',
        metadata: { name: 't' }, spec: { jsonata: { expression: '$' } } });
      const mesh = await createMesh({ resources }, { logger: 'silent' });
      await mesh.start();
      await mesh.stop({ drainMs: 0 });
      const loaded = Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('jsonata'));
      console.log(JSON.stringify({ loaded }));`;
    const run = (withTransform: boolean) =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script(withTransform)]);
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (out += d));
        child.on('error', reject);
        child.on('exit', () => resolve(out.trim()));
      });
    expect(await run(false)).toBe('{"loaded":false}');
    expect(await run(true)).toBe('{"loaded":true}');
  });

  it('without a sink: the transformed event is the reply and re-enters the broker', async () => {
    const r = await post(
      '/default/hub',
      { id: 'u-1', type: 'user.created' },
      { user: { id: 'alice', name: 'Alice' }, items: [{ price: 2 }, { price: 3.5 }] },
    );
    expect(r.status).toBe(202);
    const e = await s.display!.waitForEvent((x) => x.attributes['id'] === 'u-1-t', 30_000);
    expect(e.attributes).toMatchObject({
      type: 'user.extracted',
      source: 'transform.user-extractor',
      userid: 'alice',
      datacontenttype: 'application/json',
    });
    expect(json(e)).toEqual({ name: 'Alice', total: 5.5 });
  });

  it('with a sink: the sink gets the transformed event and its reply, transformed, re-enters the broker', async () => {
    expect(
      (await post('/default/hub', { id: 'o-1', type: 'order.placed' }, { order: 7 })).status,
    ).toBe(202);
    const got = await s.sink!.waitForEvent((x) => x.attributes['id'] === 'o-1', 30_000);
    expect(got.attributes['type']).toBe('order.for-sink');
    expect(json(got)).toEqual({ order: 7 });
    const answered = await s.replies!.waitForEvent(
      (x) => x.attributes['id'] === 'reply-of-o-1',
      30_000,
    );
    expect(answered.attributes['source']).toBe('transform.reply');
    expect(json(answered)).toEqual({ answer: 42, doubled: 84 });
  });

  it('reply.discard: the sink receives the event and its reply is dropped', async () => {
    expect((await post('/default/hub', { id: 'a-1', type: 'audit.event' }, { x: 1 })).status).toBe(
      202,
    );
    const got = await s.discardSink!.waitForEvent((x) => x.attributes['id'] === 'a-1', 30_000);
    expect(got.attributes['type']).toBe('audit.copy');
    // the Trigger's delivery ended without a reply, so nothing re-entered the broker
    const delivered = await trib.waitForLog(
      (l) => l['msg'] === 'event delivered' && l['trigger'] === 'audit' && l['eventId'] === 'a-1',
      30_000,
    );
    expect(delivered['replied']).toBe(false);
    expect(s.discarded!.events.filter((e) => e.attributes['id'] === 'reply-of-a-1')).toHaveLength(
      0,
    );
  });

  it('is addressable from a Sequence step: the transformed event goes to the next hop', async () => {
    const r = await post(
      '/default/sequences/seq',
      { id: 's-1', type: 'user.created' },
      { user: { id: 'carol', name: 'Carol' }, items: [{ price: 4 }] },
    );
    expect(r.status).toBe(202);
    const e = await s.seqEnd!.waitForEvent((x) => x.attributes['id'] === 's-1-t', 30_000);
    expect(e.attributes['userid']).toBe('carol');
    expect(json(e)).toEqual({ name: 'Carol', total: 4 });
  });

  it('an invalid result fails the delivery with the reason and dead-letters the event, without retries', async () => {
    expect((await post('/default/hub', { id: 'b-1', type: 'bad.input' }, { v: 1 })).status).toBe(
      202,
    );
    const dead = await s.dls!.waitForEvent((x) => x.attributes['id'] === 'b-1', 30_000);
    expect(dead.attributes['knativeerrorcode']).toBe('422');
    expect(dead.attributes['knativeerrordest']).toMatch(/\/default\/eventtransforms\/broken$/);
    const reason = Buffer.from(dead.attributes['knativeerrordata'] ?? '', 'base64').toString(
      'utf8',
    );
    expect(reason).toContain("attribute 'source' is required");
    expect(reason).toContain("attribute 'type' is required");
    // the dispatcher logs the dead-lettering after the only attempt: one transformation failure
    const logged = await trib.waitForLog(
      (l) =>
        l['msg'] === 'delivery failed: event sent to the dead-letter sink' &&
        l['trigger'] === 'to-broken',
      30_000,
    );
    expect(logged['attempts']).toBe(1);
    expect(
      trib.logs.filter((l) => l['msg'] === 'event transformation failed' && l['eventId'] === 'b-1'),
    ).toHaveLength(1);
  });

  it('is addressable over HTTP: without a sink it answers 200 with the transformed event in binary mode', async () => {
    const r = await post(
      '/default/eventtransforms/extract-user',
      { id: 'h-1', type: 'user.created' },
      { user: { id: 'bob', name: 'Bob' }, items: [{ price: 1 }] },
    );
    expect(r.status).toBe(200);
    expect(r.headers['ce-id']).toBe('h-1-t');
    expect(r.headers['ce-userid']).toBe('bob');
    expect(JSON.parse(r.text)).toEqual({ name: 'Bob', total: 1 });
    const viaSink = await post(
      '/default/eventtransforms/to-sink',
      { id: 'h-2', type: 'x' },
      { order: 1 },
    );
    expect(viaSink.status).toBe(200);
    expect(viaSink.headers['ce-type']).toBe('order.answered');
    const bad = await post('/default/eventtransforms/broken', { id: 'h-3', type: 'x' }, {});
    expect(bad.status).toBe(422);
    expect(JSON.parse(bad.text).error).toContain('is not a valid CloudEvent');
    expect((await post('/default/eventtransforms/nope', { id: 'h-4', type: 'x' }, {})).status).toBe(
      404,
    );
  });

  it('an expression that does not compile is a validation error with file:line:col and the position in it', async () => {
    const dir = writeManifests({
      'bad.yaml': `apiVersion: eventing.knative.dev/v1alpha1
kind: EventTransform
metadata: { name: does-not-compile }
spec:
  jsonata: { expression: '{ "a": ' }
`,
    });
    const r = await runCli(['validate', '-f', dir]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(
      /bad\.yaml:5:\d+: EventTransform\/does-not-compile: spec\.jsonata\.expression: invalid JSONata expression: .*position \d+/,
    );
  });
});
