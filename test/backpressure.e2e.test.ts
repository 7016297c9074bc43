import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startHttpSink } from '@tributary/testkit';
import { startTributary, writeManifests } from './support/tributary-process.js';

describe('bounded memory', () => {
  it('answers 503 with Retry-After when a trigger holds as many events as its broker allows', async () => {
    const sink = await startHttpSink({ script: () => ({ status: 202, delayMs: 0 }) });
    // A subscriber that holds every request until released.
    const slow = await startHttpSink({ script: () => ({ status: 202, delayMs: 60_000 }) });
    const trib = await startTributary(
      writeManifests({
        'b.yaml': `apiVersion: v1
kind: ConfigMap
metadata: { name: small-broker }
data:
  maxQueuedPerSubscription: "2"
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: default }
spec:
  config: { apiVersion: v1, kind: ConfigMap, name: small-broker }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: stuck
  annotations: { tributary.dev/concurrency: "1" }
spec:
  broker: default
  filters: [{ exact: { type: stuck } }]
  subscriber: { uri: "${slow.url}" }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: fine }
spec:
  broker: default
  filters: [{ exact: { type: fine } }]
  subscriber: { uri: "${sink.url}" }
`,
      }),
    );
    const send = async (type: string, id: string) => {
      const res = await request(`${trib.baseUrl}/default/default`, {
        method: 'POST',
        headers: { 'ce-specversion': '1.0', 'ce-id': id, 'ce-source': '/t', 'ce-type': type },
        body: '',
      });
      const text = await res.body.text();
      return { status: res.statusCode, retryAfter: res.headers['retry-after'], text };
    };
    try {
      expect((await send('stuck', 's1')).status).toBe(202);
      await slow.waitFor(1);
      expect((await send('stuck', 's2')).status).toBe(202);
      const full = await send('stuck', 's3');
      expect(full.status).toBe(503);
      expect(full.retryAfter).toBeDefined();
      expect(full.text).toMatch(/full/);
      // Events no full trigger wants are still accepted: the routing index skips 'stuck'.
      expect((await send('fine', 'f1')).status).toBe(202);
      await sink.waitForEvent((e) => e.attributes['id'] === 'f1');
    } finally {
      await trib.stop('SIGKILL');
      await sink.close();
      await slow.close();
    }
  });
});
