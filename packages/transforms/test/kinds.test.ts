import { describe, expect, it } from 'vitest';
import {
  type Topology,
  coreKinds,
  createKindSet,
  loadResources as loadWith,
} from '@tributary/core';
import { transformsKinds } from '../src/index.js';

const kinds = createKindSet(coreKinds, transformsKinds);
const loadResources = (objects: readonly unknown[]) => loadWith(objects, { kinds });

const broker = { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name: 'b' } };
const et = (spec: unknown) => ({
  apiVersion: 'eventing.knative.dev/v1alpha1',
  kind: 'EventTransform',
  metadata: { name: 't' },
  spec,
});
const rr = (spec: Record<string, unknown>, annotations?: Record<string, string>) => ({
  apiVersion: 'eventing.knative.dev/v1alpha1',
  kind: 'RequestReply',
  metadata: { name: 'r', ...(annotations ? { annotations } : {}) },
  spec: {
    brokerRef: { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', name: 'b' },
    ...spec,
  },
});
const statusOf = (t: Topology, kind: string, name: string) =>
  t.status.find((s) => s.kind === kind && s.name === name);
const problems = (...docs: unknown[]) =>
  loadResources([broker, ...docs]).problems.map((p) => `${p.path}: ${p.message}`);

describe('EventTransform validation (Knative rules)', () => {
  it('accepts a transformation with and without sink and reply', () => {
    expect(problems(et({ jsonata: { expression: '$' } }))).toEqual([]);
    expect(
      problems(
        et({
          sink: { uri: 'http://localhost:9/' },
          jsonata: { expression: '$' },
          reply: { discard: true },
        }),
      ),
    ).toEqual([]);
  });

  it('names every problem: no transformation, reply without sink, jsonata and discard together', () => {
    expect(problems(et({}))).toEqual([
      'spec.jsonata: a transformation is required: set jsonata.expression (the only type there is)',
    ]);
    expect(
      problems(et({ jsonata: { expression: '$' }, reply: { jsonata: { expression: '$' } } })),
    ).toEqual([
      'spec.reply: reply is set without spec.sink: without a sink the transformed event is the reply; set a sink or remove reply',
    ]);
    expect(
      problems(
        et({
          sink: { uri: 'http://localhost:9/' },
          jsonata: { expression: '$' },
          reply: { jsonata: { expression: '$' }, discard: true },
        }),
      )[0],
    ).toContain('set reply.jsonata or reply.discard: true, not both');
    expect(problems(et({ jsonata: { expression: ' ' } }))[0]).toContain(
      'spec.jsonata.expression: expression is required',
    );
    expect(problems(et({ jsonata: { expression: '$', extra: 1 } }))[0]).toContain('extra');
    expect(problems(et({ jsonata: { expression: '{ "a": ' } }))[0]).toMatch(
      /^spec\.jsonata\.expression: invalid JSONata expression: .* at position \d+$/,
    );
    expect(
      problems(
        et({
          sink: { uri: 'http://localhost:9/' },
          jsonata: { expression: '$' },
          reply: { jsonata: { expression: '$$$(' } },
        }),
      )[0],
    ).toMatch(/^spec\.reply\.jsonata\.expression: invalid JSONata expression/);
  });

  it('is addressable: a Trigger may ref it, and a missing one makes the Trigger not Ready', () => {
    const trigger = {
      apiVersion: 'eventing.knative.dev/v1',
      kind: 'Trigger',
      metadata: { name: 'tr' },
      spec: {
        broker: 'b',
        subscriber: {
          ref: { apiVersion: 'eventing.knative.dev/v1alpha1', kind: 'EventTransform', name: 't' },
        },
      },
    };
    const ok = loadResources([broker, trigger, et({ jsonata: { expression: '$' } })]);
    expect(ok.problems).toEqual([]);
    expect(statusOf(ok.topology, 'Trigger', 'tr')?.ready).toBe(true);
    const missing = loadResources([broker, trigger]);
    expect(statusOf(missing.topology, 'Trigger', 'tr')?.reasons[0]?.message).toContain(
      "EventTransform 'default/t'",
    );
  });
});

describe('RequestReply validation (Knative rules)', () => {
  it('accepts the defaults', () => {
    expect(problems(rr({}))).toEqual([]);
    expect(
      problems(rr({ timeout: 'PT5S', correlationAttribute: 'corr', replyAttribute: 'rep' })),
    ).toEqual([]);
  });

  it('names every problem', () => {
    expect(
      problems(
        rr({
          brokerRef: { apiVersion: 'v1', kind: 'Service', name: 'b', namespace: 'x' },
          correlationAttribute: 'id',
          replyAttribute: 'Reply-Id',
          timeout: 'PT0S',
        }),
      ),
    ).toEqual([
      "spec.brokerRef.kind: brokerRef kind must be Broker, got 'Service'",
      "spec.brokerRef.namespace: brokerRef.namespace is not allowed: the Broker must be in the RequestReply's namespace",
      "spec.timeout: timeout 'PT0S' must be positive",
      "spec.correlationAttribute: 'id' is a core CloudEvent attribute (id, type, specversion, source); use an extension name such as the default",
      "spec.replyAttribute: 'Reply-Id' is not a CloudEvents extension name: lower-case ASCII letters and digits only",
    ]);
    expect(problems(rr({ replyAttribute: 'correlationid' }))[0]).toContain(
      'replyAttribute must differ',
    );
    expect(problems(rr({}, { 'tributary.dev/max-held-requests': '0' }))[0]).toContain(
      'must be a positive integer',
    );
    expect(problems(rr({ timeout: '30s' }))[0]).toContain('is not an ISO-8601 duration');
  });

  it('depends on its Broker', () => {
    const r = loadResources([rr({})]);
    expect(statusOf(r.topology, 'RequestReply', 'r')?.reasons[0]?.reason).toBe(
      'BrokerDoesNotExist',
    );
  });
});
