import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startHttpSink } from '@tributary/testkit';
import { startTributary, writeManifests } from './support/tributary-process.js';

describe('graceful shutdown', () => {
  it('finishes a delivery in flight on SIGTERM, then stops accepting and exits 0', async () => {
    // The subscriber holds the request for a while, so SIGTERM arrives mid-delivery.
    let arrived!: () => void;
    const inFlight = new Promise<void>((r) => (arrived = r));
    const sink = await startHttpSink({
      script: () => {
        arrived();
        return { status: 202, delayMs: 500 };
      },
    });
    const trib = await startTributary(
      writeManifests({
        'b.yaml': `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: default }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: slow }
spec:
  broker: default
  subscriber: { uri: "${sink.url}" }
`,
      }),
    );
    try {
      const res = await request(`${trib.baseUrl}/default/default`, {
        method: 'POST',
        headers: { 'ce-specversion': '1.0', 'ce-id': 'late-1', 'ce-source': '/t', 'ce-type': 't' },
        body: '',
      });
      await res.body.dump();
      expect(res.statusCode).toBe(202);
      await inFlight;
      const exited = trib.stop('SIGTERM');
      expect(await exited).toBe(0);
      // The delivery completed (the sink answered 202) and the process logged it as delivered.
      expect(sink.requests).toHaveLength(1);
      await trib.waitForLog((l) => l['msg'] === 'event delivered' && l['eventId'] === 'late-1');
      await trib.waitForLog((l) => l['msg'] === 'stopped');
      await expect(
        request(`${trib.baseUrl}/default/default`, { method: 'POST', body: '' }),
      ).rejects.toThrow();
    } finally {
      await sink.close();
    }
  });
});
