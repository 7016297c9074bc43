import { describe, expect, it } from 'vitest';
import { coreKinds, createKindSet, loadManifestsFromText } from '@tributary/core';
import { flowsKinds } from '@tributary/flows';

const kinds = createKindSet(coreKinds, flowsKinds);
const load = (text: string) => loadManifestsFromText([{ file: 'f.yaml', text }], { kinds });

const CH = `apiVersion: v1
kind: ConfigMap
metadata: { name: default-ch-webhook, namespace: knative-eventing }
data:
  default-ch-config: |
    clusterDefault:
      apiVersion: messaging.knative.dev/v1
      kind: InMemoryChannel
      spec:
        delivery: { retry: 5 }
    namespaceDefaults:
      kafka-ns:
        apiVersion: messaging.knative.dev/v1beta1
        kind: KafkaChannel
        spec: { numPartitions: 3 }
`;

describe('default-ch-webhook', () => {
  it('gives Channels, Sequences and Parallels without channelTemplate the cluster or namespace default', () => {
    const r = load(`${CH}---
apiVersion: messaging.knative.dev/v1
kind: Channel
metadata: { name: plain }
---
apiVersion: messaging.knative.dev/v1
kind: Channel
metadata: { name: own }
spec: { channelTemplate: { apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel } }
---
apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: { name: seq, namespace: kafka-ns }
spec:
  steps: [{ uri: "http://localhost:1/" }]
---
apiVersion: flows.knative.dev/v1
kind: Parallel
metadata: { name: par }
spec:
  branches: [{ subscriber: { uri: "http://localhost:1/" } }]
`);
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.topology.get('Channel', 'default', 'plain')?.spec.channelTemplate).toEqual({
      apiVersion: 'messaging.knative.dev/v1',
      kind: 'InMemoryChannel',
      spec: { delivery: { retry: 5 } },
    });
    expect(r.topology.get('Channel', 'default', 'own')?.spec.channelTemplate).toEqual({
      apiVersion: 'messaging.knative.dev/v1',
      kind: 'InMemoryChannel',
    });
    expect(r.topology.get('Sequence', 'kafka-ns', 'seq')?.spec.channelTemplate).toEqual({
      apiVersion: 'messaging.knative.dev/v1beta1',
      kind: 'KafkaChannel',
      spec: { numPartitions: 3 },
    });
    expect(r.topology.get('Parallel', 'default', 'par')?.spec.channelTemplate?.kind).toBe(
      'InMemoryChannel',
    );
  });
});
