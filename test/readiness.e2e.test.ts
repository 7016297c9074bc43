import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startTributary, writeManifests } from './support/tributary-process.js';

describe('health and readiness', () => {
  it('answers /healthz, and /readyz 503 naming each resource that is not Ready and why', async () => {
    const trib = await startTributary(
      writeManifests({
        'r.yaml': `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: default }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: orphan }
spec:
  broker: missing
  subscriber: { uri: "http://127.0.0.1:1/" }
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
    try {
      const health = await request(`${trib.baseUrl}/healthz`);
      expect(health.statusCode).toBe(200);
      await health.body.dump();
      const ready = await request(`${trib.baseUrl}/readyz`);
      expect(ready.statusCode).toBe(503);
      const body = (await ready.body.json()) as {
        ready: boolean;
        notReady: Array<{ resource: string; reason: string; message: string }>;
      };
      expect(body.ready).toBe(false);
      expect(body.notReady).toContainEqual(
        expect.objectContaining({
          resource: 'Trigger/default/orphan',
          reason: 'BrokerDoesNotExist',
        }),
      );
      const dangling = body.notReady.find((r) => r.resource === 'Trigger/default/dangling');
      expect(dangling?.reason).toBe('SubscriberResolveFailed');
      expect(dangling?.message).toContain('nowhere');
    } finally {
      await trib.stop();
    }
  });

  it('answers /readyz 200 when everything is Ready', async () => {
    const trib = await startTributary(
      writeManifests({
        'ok.yaml':
          'apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: { name: default }\n',
      }),
    );
    try {
      const ready = await request(`${trib.baseUrl}/readyz`);
      expect(ready.statusCode).toBe(200);
      expect(await ready.body.json()).toMatchObject({ ready: true });
    } finally {
      await trib.stop();
    }
  });
});
