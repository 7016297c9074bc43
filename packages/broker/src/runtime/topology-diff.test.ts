import { type Topology, loadManifestsFromText } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { triggerFingerprint } from './topology-diff.js';

const topology = (brokerSpec: string, triggerExtra = ''): Topology => {
  const r = loadManifestsFromText([
    {
      file: 'm.yaml',
      text: `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: b }
${brokerSpec}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: t${triggerExtra} }
spec:
  broker: b
  filters: [{ exact: { type: a } }]
  subscriber: { uri: "http://127.0.0.1:9/" }
`,
    },
  ]);
  expect(r.problems).toEqual([]);
  return r.topology;
};

const fp = (t: Topology) => triggerFingerprint(t, t.triggers[0]!);

describe('triggerFingerprint', () => {
  it('is the same for the same Trigger and Broker loaded twice, and short', () => {
    const a = topology('spec: {}');
    expect(fp(a)).toBe(fp(topology('spec: {}')));
    expect(fp(a)).toBe(fp(a));
    expect(fp(a).length).toBeLessThan(64);
  });

  it("changes with the Trigger's annotations and with its Broker's delivery", () => {
    const base = fp(topology('spec: {}'));
    expect(fp(topology('spec: {}', ', annotations: { x: "1" }'))).not.toBe(base);
    expect(fp(topology('spec: { delivery: { retry: 2 } }'))).not.toBe(base);
    expect(fp(topology('spec: { delivery: { retry: 2 } }'))).toBe(
      fp(topology('spec: { delivery: { retry: 2 } }')),
    );
  });
});
