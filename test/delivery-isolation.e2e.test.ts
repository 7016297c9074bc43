import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startTributary,
  writeManifests,
  type TributaryProcess,
} from './support/tributary-process.js';

// Issue 13 item 7: one subscriber's hung connections cannot take another trigger's capacity.
// Two triggers deliver to the SAME host:port: `hung` to a path that never answers (more hung
// deliveries than a shared pool has connections), `healthy` (timeout PT3S) to a path that answers.

const HUNG = 200;
let trib: TributaryProcess;
let host: Server;
let hostUrl = '';
const hanging: ServerResponse[] = [];
const healthyIds: string[] = [];
const hangingChannel: ServerResponse[] = [];
const healthyChannelIds: string[] = [];

beforeAll(async () => {
  host = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/hang') return void hanging.push(res); // never answered
      if (req.url === '/hang-ch') return void hangingChannel.push(res);
      if (req.url === '/ok-ch') healthyChannelIds.push(String(req.headers['ce-id']));
      else healthyIds.push(String(req.headers['ce-id']));
      res.writeHead(202).end();
    });
  });
  host.maxConnections = 10_000;
  await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
  hostUrl = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
  const yaml = `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: b, namespace: iso }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: hung
  namespace: iso
  annotations: { tributary.dev/concurrency: "${HUNG}" }
spec:
  broker: b
  filters: [{ exact: { type: iso.hang } }]
  subscriber: { uri: "${hostUrl}/hang" }
  delivery: { retry: 0 }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: healthy, namespace: iso }
spec:
  broker: b
  filters: [{ exact: { type: iso.ok } }]
  subscriber: { uri: "${hostUrl}/ok" }
  delivery: { retry: 2, backoffDelay: PT0.1S, timeout: PT3S }
---
apiVersion: messaging.knative.dev/v1
kind: InMemoryChannel
metadata: { name: ch, namespace: iso }
---
apiVersion: messaging.knative.dev/v1
kind: Subscription
metadata: { name: hang-a, namespace: iso }
spec:
  channel: { apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel, name: ch }
  subscriber: { uri: "${hostUrl}/hang-ch" }
  delivery: { retry: 0, timeout: PT5M }
---
apiVersion: messaging.knative.dev/v1
kind: Subscription
metadata: { name: hang-b, namespace: iso }
spec:
  channel: { apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel, name: ch }
  subscriber: { uri: "${hostUrl}/hang-ch" }
  delivery: { retry: 0, timeout: PT5M }
---
apiVersion: messaging.knative.dev/v1
kind: Subscription
metadata: { name: healthy-ch, namespace: iso }
spec:
  channel: { apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel, name: ch }
  subscriber: { uri: "${hostUrl}/ok-ch" }
  delivery: { retry: 2, backoffDelay: PT0.1S, timeout: PT3S }
`;
  trib = await startTributary(writeManifests({ 'iso.yaml': yaml }));
}, 60_000);

afterAll(async () => {
  await trib?.stop();
  for (const r of [...hanging, ...hangingChannel]) r.destroy();
  host?.closeAllConnections();
  await new Promise((r) => host?.close(r));
});

async function send(type: string, id: string): Promise<number> {
  const res = await request(`${trib.baseUrl}/iso/b`, {
    method: 'POST',
    headers: { 'ce-specversion': '1.0', 'ce-id': id, 'ce-source': '/iso', 'ce-type': type },
    body: '',
  });
  await res.body.dump();
  return res.statusCode;
}

describe('isolation between triggers on one subscriber host', () => {
  it(`${HUNG} hung deliveries of one trigger do not stop a healthy trigger on the same host:port`, async () => {
    for (let i = 0; i < HUNG; i++) expect(await send('iso.hang', `hang-${i}`)).toBe(202);
    // Wait until the hung subscriber holds more connections than a shared pool of 128 has.
    for (let i = 0; i < 600 && hanging.length < HUNG; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(hanging.length).toBe(HUNG);
    for (let i = 0; i < 5; i++) expect(await send('iso.ok', `ok-${i}`)).toBe(202);
    for (let i = 0; i < 600 && healthyIds.length < 5; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(healthyIds.sort()).toEqual(['ok-0', 'ok-1', 'ok-2', 'ok-3', 'ok-4']);
  }, 90_000);

  it('two Subscriptions hung on one URL do not stop a healthy Subscription on the same host:port', async () => {
    const post = async (id: string) => {
      const res = await request(`${trib.baseUrl}/iso/channels/ch`, {
        method: 'POST',
        headers: { 'ce-specversion': '1.0', 'ce-id': id, 'ce-source': '/iso', 'ce-type': 'c' },
        body: '',
      });
      await res.body.dump();
      return res.statusCode;
    };
    // Each of the two hung subscriptions keeps 100 deliveries in flight: 200 > 128 per pool.
    for (let i = 0; i < 100; i++) expect(await post(`ch-${i}`)).toBe(202);
    for (let i = 0; i < 600 && hangingChannel.length < 128; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(hangingChannel.length).toBeGreaterThanOrEqual(128);
    for (let i = 0; i < 600 && healthyChannelIds.length < 100; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(new Set(healthyChannelIds).size).toBe(100);
  }, 90_000);
});
