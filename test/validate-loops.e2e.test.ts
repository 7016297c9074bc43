import { describe, expect, it } from 'vitest';
import { runCli, writeManifests } from './support/tributary-process.js';

// Issue 13 item 5: `tributary validate` warns (exit 0) about Triggers/Subscriptions that lead
// back into the same Broker or Channel.

const broker = (name: string) => `---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: ${name}, namespace: v }
`;
const trigger = (name: string, on: string, subscriber: string) => `---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: ${name}, namespace: v }
spec:
  broker: ${on}
  subscriber: ${subscriber}
`;
const brokerRef = (name: string) =>
  `{ ref: { apiVersion: eventing.knative.dev/v1, kind: Broker, name: ${name} } }`;
const channelRef = (name: string) =>
  `{ ref: { apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel, name: ${name} } }`;

async function validate(yaml: string) {
  const dir = writeManifests({ 'm.yaml': yaml });
  return runCli(['validate', '-f', dir]);
}

describe('tributary validate: loops', () => {
  it('warns about a Trigger whose subscriber is its own Broker, and still exits 0', async () => {
    const r = await validate(broker('b') + trigger('self', 'b', brokerRef('b')));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^valid: 2 resource\(s\)/);
    expect(r.stderr).toMatch(/m\.yaml:\d+:\d+: Trigger\/self: spec\.subscriber: warning: /);
    expect(r.stderr).toContain('Broker v/b → Trigger v/self → Broker v/b');
    expect(r.stderr).toMatch(/knativebrokerttl/);
  });

  it('warns about a cycle through two Brokers, and through a URI of a Broker ingress', async () => {
    const r = await validate(
      broker('a') +
        broker('b') +
        trigger('a-to-b', 'a', brokerRef('b')) +
        trigger('b-to-a', 'b', '{ uri: "http://127.0.0.1:8080/v/a" }'),
    );
    expect(r.code).toBe(0);
    const warnings = r.stderr.split('\n').filter((l) => l.includes('warning:'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /Broker v\/a → Trigger v\/a-to-b → Broker v\/b → Trigger v\/b-to-a → Broker v\/a/,
    );
  });

  it('warns about a Channel whose Subscription feeds the Channel again (no Broker: no TTL)', async () => {
    const yaml = `---
apiVersion: messaging.knative.dev/v1
kind: InMemoryChannel
metadata: { name: ch, namespace: v }
---
apiVersion: messaging.knative.dev/v1
kind: Subscription
metadata: { name: again, namespace: v }
spec:
  channel: { apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel, name: ch }
  subscriber: { uri: "http://example.com/fn" }
  reply: ${channelRef('ch')}
`;
    const r = await validate(yaml);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/Subscription\/again: spec\.reply: warning: /);
    expect(r.stderr).toContain(
      'InMemoryChannel v/ch → Subscription v/again → InMemoryChannel v/ch',
    );
    expect(r.stderr).toMatch(/no Broker/);
  });

  it('prints no warning for a chain without a cycle (replies re-entering a Broker are normal)', async () => {
    const r = await validate(
      broker('a') +
        broker('b') +
        trigger('a-to-b', 'a', brokerRef('b')) +
        trigger('fn', 'b', '{ uri: "http://example.com/fn" }'),
    );
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/warning/);
  });

  it('warns about a Sequence whose reply Broker has a Trigger feeding the Sequence again', async () => {
    const yaml =
      broker('b') +
      trigger(
        'into-seq',
        'b',
        '{ ref: { apiVersion: flows.knative.dev/v1, kind: Sequence, name: seq } }',
      ) +
      `---
apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: { name: seq, namespace: v }
spec:
  steps: [{ uri: "http://example.com/step" }]
  reply: ${brokerRef('b')}
`;
    const r = await validate(yaml);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Broker v/b → Trigger v/into-seq → Sequence v/seq → Broker v/b');
  });
});
