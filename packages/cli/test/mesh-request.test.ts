import { afterEach, describe, expect, it } from 'vitest';
import { EventRejectedError, ReplyTimeoutError } from '@tributary/sdk';
import { type Mesh, createMesh } from '@tributary/cli';

// RequestReply in-process (docs/request-reply.md, docs/embedding.md): mesh.request with an
// in-process responder that copies `correlationid` into `replyid`.
const resources = [
  { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name: 'hub' } },
  {
    apiVersion: 'eventing.knative.dev/v1alpha1',
    kind: 'RequestReply',
    metadata: { name: 'rr' },
    spec: {
      brokerRef: { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', name: 'hub' },
      timeout: 'PT1S',
    },
  },
];

const meshes: Mesh[] = [];
afterEach(async () => {
  await Promise.all(meshes.splice(0).map((m) => m.stop({ drainMs: 1000 })));
});

describe('Mesh.request', () => {
  it('returns the reply that came back through the broker, and ReplyTimeoutError / EventRejectedError otherwise', async () => {
    const m = await createMesh({ resources }, { logger: 'silent' });
    meshes.push(m);
    m.subscribe('default', 'hub', { attributes: { type: 'q' } }, (e) => ({
      type: 'a',
      extensions: { replyid: e.extensions['correlationid'] ?? '' },
      data: {
        sum: (e.data as { a: number; b: number }).a + (e.data as { a: number; b: number }).b,
      },
    }));
    await m.start();
    const reply = await m.request('default', 'rr', { type: 'q', data: { a: 2, b: 3 } });
    expect(reply.attributes['type']).toBe('a');
    expect(JSON.parse(Buffer.from(reply.data!).toString())).toEqual({ sum: 5 });
    await expect(m.request('default', 'rr', { type: 'nobody-answers' })).rejects.toBeInstanceOf(
      ReplyTimeoutError,
    );
    await expect(m.request('default', 'missing', { type: 'q' })).rejects.toMatchObject({
      status: 404,
    });
    await expect(m.request('default', 'missing', { type: 'q' })).rejects.toBeInstanceOf(
      EventRejectedError,
    );
  });
});
