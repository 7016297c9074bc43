import { describe, expect, it } from 'vitest';
import { coreKinds, createKindSet, loadManifestsFromText } from '@tributary/core';
import { z } from 'zod';
import { BackendRegistry, createMemoryBackend, memoryBackendProvider } from '@tributary/broker';
import { DEFAULT_CHANNEL_TEMPLATE, flowsKinds, sequenceChannelName } from '@tributary/flows';

const kinds = createKindSet(coreKinds, flowsKinds);
const load = (text: string) => loadManifestsFromText([{ file: 'f.yaml', text }], { kinds });
const messages = (text: string) => load(text).problems.map((p) => `${p.path}: ${p.message}`);

describe('flow kinds', () => {
  it('loads every kind with Knative field names', () => {
    const { topology, problems } = load(`apiVersion: messaging.knative.dev/v1
kind: InMemoryChannel
metadata: { name: imc }
spec: { delivery: { retry: 1 } }
---
apiVersion: messaging.knative.dev/v1
kind: Channel
metadata: { name: ch }
spec: { channelTemplate: { apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel, spec: { delivery: { retry: 2 } } } }
---
apiVersion: messaging.knative.dev/v1
kind: Subscription
metadata: { name: sub }
spec:
  channel: { apiVersion: messaging.knative.dev/v1, kind: Channel, name: ch }
  subscriber: { uri: http://localhost:1/ }
  reply: { ref: { apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel, name: imc } }
  delivery: { deadLetterSink: { uri: http://localhost:2/ } }
---
apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: { name: seq }
spec:
  steps:
    - uri: http://localhost:1/
      delivery: { retry: 3 }
    - ref: { apiVersion: flows.knative.dev/v1, kind: Parallel, name: par }
  reply: { ref: { apiVersion: messaging.knative.dev/v1, kind: Channel, name: ch } }
---
apiVersion: flows.knative.dev/v1
kind: Parallel
metadata: { name: par }
spec:
  channelTemplate: { apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel }
  branches:
    - filter: { uri: http://localhost:3/ }
      subscriber: { uri: http://localhost:4/ }
      reply: { uri: http://localhost:5/ }
      delivery: { retry: 1 }
    - filters: [{ exact: { type: a } }]
      subscriber: { ref: { apiVersion: flows.knative.dev/v1, kind: Sequence, name: seq } }
`);
    expect(problems).toEqual([]);
    expect(topology.byKind('Sequence')).toHaveLength(1);
    expect(topology.notReady()).toEqual([]);
  });

  it('rejects unknown fields, naming them', () => {
    const m = messages(`apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: { name: seq }
spec:
  steps: [{ uri: http://localhost:1/, retries: 3 }]
  replyTo: { uri: http://localhost:1/ }
`);
    expect(m.join('\n')).toMatch(/retries/);
    expect(m.join('\n')).toMatch(/replyTo/);
  });

  it('requires steps and branches', () => {
    expect(
      messages(`apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: { name: s }
spec: { steps: [] }
`).join(),
    ).toMatch(/at least one step/);
    expect(
      messages(`apiVersion: flows.knative.dev/v1
kind: Parallel
metadata: { name: p }
spec: { branches: [] }
`).join(),
    ).toMatch(/at least one branch/);
  });

  it('rejects filter together with filters, and invalid CESQL in filters', () => {
    const m = messages(`apiVersion: flows.knative.dev/v1
kind: Parallel
metadata: { name: p }
spec:
  branches:
    - filter: { uri: http://localhost:1/ }
      filters: [{ exact: { type: a } }]
      subscriber: { uri: http://localhost:1/ }
`).join('\n');
    expect(m).toMatch(/spec\.branches\[0\]\.filters: .*not both/);
    const cesql = messages(`apiVersion: flows.knative.dev/v1
kind: Parallel
metadata: { name: p }
spec:
  branches:
    - subscriber: { uri: http://localhost:1/ }
    - filters: [{ cesql: "type = " }]
      subscriber: { uri: http://localhost:1/ }
`).join('\n');
    expect(cesql).toMatch(/spec\.branches\[1\]\.filters\[0\]\.cesql/);
  });

  it('rejects an unknown channel kind in channelTemplate, listing the known ones', () => {
    const m = messages(`apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: { name: s }
spec:
  channelTemplate: { apiVersion: messaging.knative.dev/v1, kind: NatsChannel }
  steps: [{ uri: http://localhost:1/ }]
`).join('\n');
    expect(m).toMatch(/NatsChannel/);
    expect(m).toMatch(/InMemoryChannel/);
  });

  it('rejects a Subscription whose channel ref is not a channel', () => {
    const m = messages(`apiVersion: messaging.knative.dev/v1
kind: Subscription
metadata: { name: s }
spec:
  channel: { apiVersion: eventing.knative.dev/v1, kind: Broker, name: b }
  subscriber: { uri: http://localhost:1/ }
`).join('\n');
    expect(m).toMatch(/spec\.channel\.kind.*not a channel/);
  });

  it('marks a flow whose ref does not exist as not Ready, naming the ref', () => {
    const { topology } = load(`apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: { name: s }
spec:
  steps: [{ ref: { apiVersion: tributary.dev/v1alpha1, kind: Function, name: ghost } }]
`);
    const st = topology.statusOf('Sequence', 'default', 's');
    expect(st?.ready).toBe(false);
    expect(st?.reasons[0]?.message).toMatch(/steps\[0\].*ghost/);
  });

  it('maps channel kinds to broker classes; a package may add its own', () => {
    const backends = new BackendRegistry().register(memoryBackendProvider);
    const channelKind = (kind: string) => backends.channelKind(kind);
    expect(channelKind(DEFAULT_CHANNEL_TEMPLATE.kind)?.brokerClass).toBe('MTChannelBasedBroker');
    backends.register({
      kind: 'redis',
      brokerClasses: ['Redis'],
      configSchema: z.object({}),
      channelKinds: [{ kind: 'RedisChannel' }],
      create: () => createMemoryBackend(),
    });
    expect(channelKind('RedisChannel')?.brokerClass).toBe('Redis');
    expect(sequenceChannelName('s', 2)).toBe('s-kn-sequence-2');
  });
});
