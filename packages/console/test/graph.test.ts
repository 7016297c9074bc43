import { describe, expect, it } from 'vitest';
import { coreKinds, createKindSet, loadManifestsFromText as loadWith } from '@tributary/core';
import { flowsKinds } from '@tributary/flows';
import { sourcesKinds } from '@tributary/sources';

const kinds = createKindSet(coreKinds, flowsKinds, sourcesKinds);
const loadManifestsFromText = (sources: readonly { file: string; text: string }[]) =>
  loadWith(sources, { kinds });
import { buildGraph } from '@tributary/console';

// The console's topology graph, from the specs of every kind it draws (docs/console.md).
const yaml = `
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: default }
spec:
  delivery: { deadLetterSink: { uri: http://127.0.0.1:9/broker-dls } }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: t1 }
spec:
  broker: default
  subscriber: { ref: { apiVersion: flows.knative.dev/v1, kind: Sequence, name: seq } }
  delivery: { deadLetterSink: { uri: http://127.0.0.1:9/dls } }
---
apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: { name: seq }
spec:
  channelTemplate: { apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel }
  steps:
    - uri: http://127.0.0.1:9/step1
    - uri: http://127.0.0.1:9/step2
  reply: { ref: { apiVersion: eventing.knative.dev/v1, kind: Broker, name: default } }
---
apiVersion: flows.knative.dev/v1
kind: Parallel
metadata: { name: par }
spec:
  channelTemplate: { apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel }
  branches:
    - filter: { uri: http://127.0.0.1:9/filter }
      subscriber: { uri: http://127.0.0.1:9/branch }
---
apiVersion: messaging.knative.dev/v1
kind: InMemoryChannel
metadata: { name: ch }
---
apiVersion: messaging.knative.dev/v1
kind: Subscription
metadata: { name: sub }
spec:
  channel: { apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel, name: ch }
  subscriber: { uri: http://127.0.0.1:9/sub }
  reply: { ref: { apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel, name: ch } }
---
apiVersion: sources.knative.dev/v1
kind: PingSource
metadata: { name: ping }
spec:
  schedule: '* * * * *'
  sink: { ref: { apiVersion: eventing.knative.dev/v1, kind: Broker, name: default } }
`;

describe('buildGraph', () => {
  const { topology, problems } = loadManifestsFromText([{ file: 'g.yaml', text: yaml }]);
  const g = buildGraph(topology);
  const has = (from: string, to: string, kind: string, label?: string) =>
    g.edges.some(
      (e) =>
        e.from === from &&
        e.to === to &&
        e.kind === kind &&
        (label === undefined || e.label === label),
    );

  it('has a node per resource and per URI target', () => {
    expect(problems).toEqual([]);
    for (const r of topology.resources)
      expect(g.nodes.map((n) => n.id)).toContain(
        `${r.kind}/${r.metadata.namespace}/${r.metadata.name}`,
      );
    expect(g.nodes.find((n) => n.id === 'URI//http://127.0.0.1:9/step1')?.loaded).toBe(false);
  });

  it('draws delivery, reply, dead-letter and filter edges', () => {
    expect(has('Broker/default/default', 'Trigger/default/t1', 'delivery')).toBe(true);
    expect(has('Trigger/default/t1', 'Sequence/default/seq', 'delivery')).toBe(true);
    expect(has('Sequence/default/seq', 'Broker/default/default', 'reply')).toBe(true);
    expect(has('Trigger/default/t1', 'URI//http://127.0.0.1:9/dls', 'dead-letter')).toBe(true);
    expect(has('Broker/default/default', 'URI//http://127.0.0.1:9/broker-dls', 'dead-letter')).toBe(
      true,
    );
    expect(has('Sequence/default/seq', 'URI//http://127.0.0.1:9/step2', 'delivery', 'step 2')).toBe(
      true,
    );
    expect(has('Parallel/default/par', 'URI//http://127.0.0.1:9/filter', 'filter')).toBe(true);
    expect(has('Parallel/default/par', 'URI//http://127.0.0.1:9/branch', 'delivery')).toBe(true);
    expect(has('InMemoryChannel/default/ch', 'Subscription/default/sub', 'delivery')).toBe(true);
    expect(has('Subscription/default/sub', 'InMemoryChannel/default/ch', 'reply')).toBe(true);
    expect(has('PingSource/default/ping', 'Broker/default/default', 'delivery')).toBe(true);
    // The trigger's subscriber replies into the broker.
    expect(has('Sequence/default/seq', 'Broker/default/default', 'reply')).toBe(true);
  });

  it('marks refs to resources that are not loaded', () => {
    const t = loadManifestsFromText([
      {
        file: 'x.yaml',
        text: `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: b }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: t }
spec:
  broker: b
  subscriber: { ref: { apiVersion: serving.knative.dev/v1, kind: Service, name: gone } }
`,
      },
    ]).topology;
    const n = buildGraph(t).nodes.find((x) => x.id === 'Service/default/gone');
    expect(n?.loaded).toBe(false);
  });
});
