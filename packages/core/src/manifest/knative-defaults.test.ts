import { describe, expect, it } from 'vitest';
import { brokerClassOf } from '../resources/annotations.js';
import { loadManifestsFromText } from './load.js';

const load = (text: string) => loadManifestsFromText([{ file: 'm.yaml', text }]);

const BR_DEFAULTS = `apiVersion: v1
kind: ConfigMap
metadata: { name: config-br-defaults, namespace: knative-eventing }
data:
  default-br-config: |
    clusterDefault:
      brokerClass: MTChannelBasedBroker
      apiVersion: v1
      kind: ConfigMap
      name: config-br-default-channel
      namespace: knative-eventing
      delivery:
        retry: 3
        backoffPolicy: linear
        backoffDelay: PT0.3S
    namespaceDefaults:
      team-a:
        brokerClass: Kafka
        apiVersion: v1
        kind: ConfigMap
        name: kafka-broker-config
        namespace: knative-eventing
        delivery:
          retry: 7
      team-b:
        brokerClass: Redis
        brokerClasses:
          Redis:
            delivery: { retry: 1 }
          Kafka:
            apiVersion: v1
            kind: ConfigMap
            name: kafka-b
            delivery: { retry: 2 }
`;

const broker = (name: string, ns: string, extra = '') => `---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: ${name}
  namespace: ${ns}
${extra}`;

describe('null spec', () => {
  it('a Broker whose spec holds only a comment is a Broker with an empty spec', () => {
    const r = load(`apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: default
spec:
  # nothing here yet
`);
    expect(r.problems).toEqual([]);
    expect(r.topology.brokers[0]!.spec).toEqual({});
  });

  it('a Trigger with a null spec is still told that its spec is required', () => {
    const r = load(`apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: t }
spec:
`);
    expect(r.problems.map((p) => p.path)).toContain('spec');
  });
});

describe('config-br-defaults', () => {
  it('gives a Broker with a null spec the cluster default class and delivery', () => {
    const r = load(`${BR_DEFAULTS}${broker('default', 'default', 'spec:\n  # defaults\n')}`);
    expect(r.problems).toEqual([]);
    const b = r.topology.get('Broker', 'default', 'default')!;
    expect(brokerClassOf(b)).toBe('MTChannelBasedBroker');
    expect(b.spec.delivery).toEqual({ retry: 3, backoffPolicy: 'linear', backoffDelay: 'PT0.3S' });
    // The MT class's config (config-br-default-channel) is not copied: the memory backend has none.
    expect(b.spec.config).toBeUndefined();
  });

  it('namespace defaults beat cluster defaults; values on the Broker beat both', () => {
    const r = load(
      `${BR_DEFAULTS}${broker('a', 'team-a')}${broker(
        'own',
        'team-a',
        'spec:\n  delivery: { retry: 0 }\n',
      )}${broker(
        'mt',
        'team-a',
        '  annotations: { eventing.knative.dev/broker.class: MTChannelBasedBroker }\n',
      )}`,
    );
    expect(r.problems).toEqual([]);
    const a = r.topology.get('Broker', 'team-a', 'a')!;
    expect(brokerClassOf(a)).toBe('Kafka');
    expect(a.spec.config).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name: 'kafka-broker-config',
      namespace: 'knative-eventing',
    });
    expect(a.spec.delivery).toEqual({ retry: 7 });
    const own = r.topology.get('Broker', 'team-a', 'own')!;
    expect(own.spec.delivery).toEqual({ retry: 0 });
    expect(brokerClassOf(own)).toBe('Kafka');
    // An explicit class takes that class's defaults: team-a has none for MT, the cluster has.
    const mt = r.topology.get('Broker', 'team-a', 'mt')!;
    expect(brokerClassOf(mt)).toBe('MTChannelBasedBroker');
    expect(mt.spec.delivery).toEqual({ retry: 3, backoffPolicy: 'linear', backoffDelay: 'PT0.3S' });
  });

  it('uses brokerClasses entries per class', () => {
    const r = load(
      `${BR_DEFAULTS}${broker('r', 'team-b')}${broker(
        'k',
        'team-b',
        '  annotations: { eventing.knative.dev/broker.class: Kafka }\n',
      )}`,
    );
    const redis = r.topology.get('Broker', 'team-b', 'r')!;
    expect(brokerClassOf(redis)).toBe('Redis');
    expect(redis.spec.delivery).toEqual({ retry: 1 });
    const kafka = r.topology.get('Broker', 'team-b', 'k')!;
    expect(kafka.spec.delivery).toEqual({ retry: 2 });
    expect(kafka.spec.config).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', name: 'kafka-b' });
    // kafka-b is not in the manifests: an unresolved reference, with its location.
    expect(r.unresolved?.map((p) => p.message)).toEqual([
      "config ref ConfigMap 'team-b/kafka-b' (v1) does not exist (no ConfigMap in namespace 'team-b')",
    ]);
  });

  it('only applies in namespace knative-eventing, and reports bad YAML at its key', () => {
    const elsewhere = load(
      `${BR_DEFAULTS.replace('namespace: knative-eventing }', 'namespace: default }')}${broker('x', 'default')}`,
    );
    expect(elsewhere.topology.get('Broker', 'default', 'x')!.spec.delivery).toBeUndefined();
    expect(elsewhere.warnings?.map((w) => w.message)).toEqual([
      expect.stringContaining(
        "Knative ConfigMap 'default/config-br-defaults' is not acted on by Tributary: Knative reads it only in namespace knative-eventing",
      ),
    ]);
    const bad = load(`apiVersion: v1
kind: ConfigMap
metadata: { name: config-br-defaults, namespace: knative-eventing }
data:
  default-br-config: |
    clusterDefault:
      delivery: { retry: many }
`);
    expect(bad.problems).toMatchObject([
      { path: 'data.default-br-config', line: 5, message: expect.stringContaining('retry') },
    ]);
  });
});

describe('default-ch-webhook', () => {
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
`;
  it('is read (no warning) and offered to kinds that take a channel template', () => {
    const r = load(CH);
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual([]);
  });
});

describe('Knative ConfigMaps Tributary does not act on', () => {
  it('warns for each one, naming it; referenced and read ones are silent', () => {
    const r = load(`apiVersion: v1
kind: ConfigMap
metadata: { name: config-features, namespace: knative-eventing }
data: { kreference-group: disabled }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: config-br-default-channel, namespace: knative-eventing }
data: { channel-template-spec: "" }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: kafka-broker-config, namespace: knative-eventing }
data: { bootstrap.servers: "k:9092" }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: my-settings, namespace: default }
data: { a: b }
${broker('k', 'default', '  annotations: { eventing.knative.dev/broker.class: Kafka }\nspec:\n  config: { apiVersion: v1, kind: ConfigMap, name: kafka-broker-config, namespace: knative-eventing }\n')}`);
    expect(r.problems).toEqual([]);
    expect(r.warnings?.map((w) => [w.resource, w.line])).toEqual([
      ['ConfigMap/config-features', 3],
      ['ConfigMap/config-br-default-channel', 8],
    ]);
    expect(r.warnings?.[0]?.message).toMatch(
      /^Knative ConfigMap 'knative-eventing\/config-features' is not acted on by Tributary/,
    );
  });
});

describe('unresolved references', () => {
  it('names the nearest existing Broker and points at spec.broker', () => {
    const r = load(`apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: default }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: t }
spec:
  broker: defualt
  subscriber:
    ref: { apiVersion: tributary.dev/v1alpha1, kind: Function, name: handler }
  delivery:
    deadLetterSink:
      ref: { apiVersion: eventing.knative.dev/v1, kind: Broker, name: dlq }
---
apiVersion: tributary.dev/v1alpha1
kind: Function
metadata: { name: handlr }
spec: { url: "http://localhost:9/" }
`);
    expect(r.problems).toEqual([]);
    expect(r.unresolved?.map((p) => [p.path, p.line, p.col, p.message])).toEqual([
      ['spec.broker', 9, 11, "Broker 'default/defualt' does not exist; did you mean 'default'?"],
      [
        'spec.subscriber.ref.name',
        11,
        70,
        "subscriber ref Function 'default/handler' (tributary.dev/v1alpha1) does not exist; did you mean 'handlr'?",
      ],
      [
        'spec.delivery.deadLetterSink.ref.name',
        14,
        71,
        "deadLetterSink ref Broker 'default/dlq' (eventing.knative.dev/v1) does not exist (Brokers in namespace 'default': 'default')",
      ],
    ]);
    // The Ready condition gets the suggestion too.
    expect(r.topology.statusOf('Trigger', 'default', 't')?.reasons[0]?.message).toBe(
      "Broker 'default/defualt' does not exist; did you mean 'default'?",
    );
  });
});

describe('a Kubernetes List', () => {
  it('stands for its items, each located inside the list', () => {
    const r = load(`apiVersion: v1
kind: List
items:
  - apiVersion: eventing.knative.dev/v1
    kind: Broker
    metadata: { name: default }
  - apiVersion: eventing.knative.dev/v1
    kind: Trigger
    metadata: { name: t }
    spec:
      broker: default
      subscribr: { uri: "http://localhost:1/" }
`);
    expect(r.topology.brokers.map((b) => b.metadata.name)).toEqual(['default']);
    expect(r.problems.map((p) => [p.line, p.path])).toContainEqual([12, 'spec.subscribr']);
  });
});
