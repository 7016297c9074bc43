import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { startHttpSink, type HttpSink } from '@tributary/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import {
  startTributary,
  writeManifests,
  type TributaryProcess,
} from './support/tributary-process.js';

// Issue 13 item 4: a `--watch` reload restarts the flows plugin; events queued inside memory
// channels (in backoff, in flight or waiting) are handed to the new generation, never dropped.

let trib: TributaryProcess | undefined;
let sink: HttpSink;
let blocked = true;
afterAll(async () => {
  await trib?.stop();
  await sink?.close();
});

const manifests = (extra: string) => `apiVersion: messaging.knative.dev/v1
kind: InMemoryChannel
metadata: { name: ch }
---
apiVersion: messaging.knative.dev/v1
kind: Subscription
metadata: { name: to-sink }
spec:
  channel: { apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel, name: ch }
  subscriber: { uri: "${sink.url}/channel" }
  delivery: { retry: 100, backoffPolicy: linear, backoffDelay: PT0.2S }
---
apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: { name: seq }
spec:
  channelTemplate:
    apiVersion: messaging.knative.dev/v1
    kind: InMemoryChannel
    spec: { delivery: { retry: 100, backoffPolicy: linear, backoffDelay: PT0.2S } }
  steps:
    - uri: "${sink.url}/step"
${extra}`;

async function post(pathname: string, id: string): Promise<number> {
  const res = await request(`${trib!.baseUrl}${pathname}`, {
    method: 'POST',
    headers: {
      'ce-specversion': '1.0',
      'ce-id': id,
      'ce-source': '/reload',
      'ce-type': 'reload.t',
    },
    body: '',
  });
  await res.body.dump();
  return res.statusCode;
}

describe('--watch reload with events held in memory channels', () => {
  it('delivers every accepted channel and Sequence event after the flows restart', async () => {
    sink = await startHttpSink({
      script: () => (blocked ? { status: 503 } : { status: 202 }),
    });
    const dir = writeManifests({ 'flows.yaml': manifests('') });
    trib = await startTributary(dir, ['--watch']);
    const accepted: string[] = [];
    // More than a subscription has in flight (100), so some wait in the queue, the rest in backoff.
    for (let i = 0; i < 150; i++)
      if ((await post('/default/channels/ch', `ch-${i}`)) === 202) accepted.push(`ch-${i}`);
    for (let i = 0; i < 20; i++)
      if ((await post('/default/sequences/seq', `seq-${i}`)) === 202) accepted.push(`seq-${i}`);
    expect(accepted).toHaveLength(170);
    await sink.waitFor(120, 30_000);

    const mark = trib.logs.length;
    writeFileSync(
      path.join(dir, 'flows.yaml'),
      manifests(`---
apiVersion: v1
kind: ConfigMap
metadata: { name: unrelated }
data: { k: v }
`),
    );
    for (let i = 0; i < 1200; i++) {
      if (trib.logs.slice(mark).some((l) => l['msg'] === 'manifests reloaded')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const report = trib.logs.slice(mark).find((l) => l['msg'] === 'manifests reloaded');
    expect(report?.['pluginsRestarted']).toBe(true);

    blocked = false;
    const want = new Set(accepted);
    const got = new Set<string>();
    for (let i = 0; i < 1200 && got.size < want.size; i++) {
      for (const r of sink.requests)
        if (r.status === 202 && r.events[0]) got.add(String(r.events[0].attributes['id']));
      await new Promise((r) => setTimeout(r, 50));
    }
    expect([...want].filter((id) => !got.has(id))).toEqual([]);
  }, 120_000);
});
