import { request } from 'undici';
import { freePort, startHttpSink, type HttpSink } from '@tributary/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startTributary,
  writeManifests,
  type TributaryProcess,
} from './support/tributary-process.js';

// Issue 13 item 5: a Trigger whose subscriber is its own Broker. The TTL is carried through the
// hops so it runs down (the 255th pass is refused and the event dead-lettered with 400), and no
// loop starves the event loop: /healthz answers and SIGTERM drains and exits in any state.

let trib: TributaryProcess;
let dls: HttpSink;
let port = 0;

beforeAll(async () => {
  dls = await startHttpSink();
  port = await freePort();
  const yaml = `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: b, namespace: loops }
spec:
  delivery: { retry: 0, deadLetterSink: { uri: "${dls.url}/dls" } }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: self-ref, namespace: loops }
spec:
  broker: b
  filters: [{ exact: { type: loop.ref } }]
  subscriber: { ref: { apiVersion: eventing.knative.dev/v1, kind: Broker, name: b } }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: self-uri, namespace: loops }
spec:
  broker: b
  filters: [{ exact: { type: loop.uri } }]
  subscriber: { uri: "http://127.0.0.1:${port}/loops/b" }
---
apiVersion: messaging.knative.dev/v1
kind: InMemoryChannel
metadata: { name: loop-ch, namespace: loops }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: into-channel, namespace: loops }
spec:
  broker: b
  filters: [{ exact: { type: loop.channel } }]
  subscriber: { ref: { apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel, name: loop-ch } }
---
apiVersion: messaging.knative.dev/v1
kind: Subscription
metadata: { name: back-to-broker, namespace: loops }
spec:
  channel: { apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel, name: loop-ch }
  subscriber: { ref: { apiVersion: eventing.knative.dev/v1, kind: Broker, name: b } }
  delivery: { retry: 0, deadLetterSink: { uri: "${dls.url}/dls" } }
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: fan, namespace: loops }
spec:
  delivery: { retry: 0 }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: fan-1, namespace: loops }
spec:
  broker: fan
  subscriber: { ref: { apiVersion: eventing.knative.dev/v1, kind: Broker, name: fan } }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: fan-2, namespace: loops }
spec:
  broker: fan
  subscriber: { ref: { apiVersion: eventing.knative.dev/v1, kind: Broker, name: fan } }
`;
  trib = await startTributary(writeManifests({ 'loops.yaml': yaml }), [
    '--port',
    String(port),
    '--log-level',
    'info',
  ]);
}, 60_000);

afterAll(async () => {
  await trib?.stop('SIGKILL');
  await dls?.close();
});

async function send(broker: string, type: string, id: string): Promise<number> {
  const res = await request(`${trib.baseUrl}/loops/${broker}`, {
    method: 'POST',
    headers: { 'ce-specversion': '1.0', 'ce-id': id, 'ce-source': '/loops', 'ce-type': type },
    body: '',
  });
  await res.body.dump();
  return res.statusCode;
}

async function healthz(): Promise<number> {
  const res = await request(`${trib.baseUrl}/healthz`, { headersTimeout: 10_000 });
  await res.body.dump();
  return res.statusCode;
}

describe('a Trigger whose subscriber is its own Broker', () => {
  it.each([
    ['a ref to the Broker', 'loop.ref', 'ref-1'],
    ['the Broker ingress URL', 'loop.uri', 'uri-1'],
    ['a Channel whose Subscription feeds the Broker', 'loop.channel', 'ch-1'],
  ])(
    'via %s: the TTL runs down and the event is dead-lettered with 400',
    async (_how, type, id) => {
      expect(await send('b', type, id)).toBe(202);
      const dead = await dls.waitForEvent((e) => e.attributes['id'] === id, 60_000);
      expect(dead.attributes['knativeerrorcode']).toBe('400');
      expect(dead.attributes['knativeerrordest']).toContain('/loops/b');
      const why = Buffer.from(dead.attributes['knativeerrordata']!, 'base64').toString();
      expect(why).toMatch(/knativebrokerttl/);
      expect(await healthz()).toBe(200);
      // One lineage, one dead letter: the loop ended.
      await new Promise((r) => setTimeout(r, 300));
      expect(dls.events.filter((e) => e.attributes['id'] === id)).toHaveLength(1);
    },
    90_000,
  );

  it('two triggers looping into their Broker (fan-out): /healthz answers throughout and SIGTERM exits', async () => {
    expect(await send('fan', 'loop.fan', 'fan-1')).toBe(202);
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 200));
      expect(await healthz()).toBe(200);
    }
    const code = await trib.stop('SIGTERM');
    expect(code).toBe(0);
  }, 120_000);
});
