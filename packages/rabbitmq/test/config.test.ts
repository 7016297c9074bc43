import { coreKinds, createKindSet, loadResources as loadWith } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import {
  RabbitmqConfigError,
  messageToEvent,
  parallelismOverrides,
  resolveAmqpUrl,
  resolveBrokerConnection,
  rabbitmqBackendConfigSchema,
  rabbitmqKinds,
} from '../src/index.js';

const kinds = createKindSet(coreKinds, rabbitmqKinds);
const loadResources = (objects: readonly unknown[]) => loadWith(objects, { kinds });

const topology = loadResources([
  {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'mgmt', namespace: 'ns' },
    stringData: {
      uri: 'http://rabbit.example:15672',
      port: '5673',
      username: 'u@x',
      password: 'p/w',
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'amqp', namespace: 'ns' },
    stringData: { uri: 'amqps://rabbit.example', vhost: 'prod' },
  },
  {
    apiVersion: 'eventing.knative.dev/v1alpha1',
    kind: 'RabbitmqBrokerConfig',
    metadata: { name: 'cfg', namespace: 'ns' },
    spec: {
      rabbitmqClusterReference: { connectionSecret: { name: 'mgmt' } },
      queueType: 'classic',
    },
  },
  {
    apiVersion: 'eventing.knative.dev/v1',
    kind: 'Trigger',
    metadata: {
      name: 'fifo',
      namespace: 'ns',
      annotations: { 'rabbitmq.eventing.knative.dev/parallelism': '1' },
    },
    spec: { broker: 'b', subscriber: { uri: 'http://x' } },
  },
]).topology;

describe('connection Secret', () => {
  it("maps Knative's management uri + port to an AMQP URL with escaped credentials", () => {
    const ref = { connectionSecret: { name: 'mgmt' } };
    expect(resolveAmqpUrl(topology, 'ns', ref, undefined, {})).toBe(
      'amqp://u%40x:p%2Fw@rabbit.example:5673',
    );
  });
  it('keeps amqps URLs and applies the vhost', () => {
    expect(
      resolveAmqpUrl(topology, 'ns', { connectionSecret: { name: 'amqp' } }, undefined, {}),
    ).toBe('amqps://rabbit.example/prod');
  });
  it('names the missing Secret and the fix', () => {
    expect(() =>
      resolveAmqpUrl(topology, 'ns', { connectionSecret: { name: 'nope' } }, undefined, {}),
    ).toThrow(/no Secret 'ns\/nope'.*RABBIT|no Secret 'ns\/nope'/);
  });
});

describe('RabbitMQBroker provider config', () => {
  const config = rabbitmqBackendConfigSchema.parse({});
  it('resolves a RabbitmqBrokerConfig and its queueType', () => {
    const r = resolveBrokerConnection(config, {
      logger: undefined as never,
      topology,
      namespace: 'ns',
      configRef: {
        apiVersion: 'eventing.knative.dev/v1alpha1',
        kind: 'RabbitmqBrokerConfig',
        name: 'cfg',
      },
    });
    expect(r).toEqual({ url: 'amqp://u%40x:p%2Fw@rabbit.example:5673', queueType: 'classic' });
  });
  it('rejects a broker without spec.config, and a missing config resource, with the fix', () => {
    const ctx = { logger: undefined as never, topology, namespace: 'ns' };
    expect(() => resolveBrokerConnection(config, ctx)).toThrow(RabbitmqConfigError);
    expect(() =>
      resolveBrokerConnection(config, {
        ...ctx,
        configRef: {
          apiVersion: 'eventing.knative.dev/v1alpha1',
          kind: 'RabbitmqBrokerConfig',
          name: 'gone',
        },
      }),
    ).toThrow(/RabbitmqBrokerConfig 'ns\/gone', which is not in the manifests/);
  });
  it('reads rabbitmq.eventing.knative.dev/parallelism of the trigger behind a subscription', () => {
    const o = parallelismOverrides({ logger: undefined as never, topology, namespace: 'ns' });
    expect(o('knative-trigger-ns-fifo')).toEqual({ ordered: true, concurrency: 1 });
    expect(o('knative-trigger-ns-other')).toBeUndefined();
  });
  it('rejects an invalid queueType in the manifest with the accepted values', () => {
    const { problems } = loadResources([
      {
        apiVersion: 'eventing.knative.dev/v1alpha1',
        kind: 'RabbitmqBrokerConfig',
        metadata: { name: 'bad' },
        spec: {
          rabbitmqClusterReference: { connectionSecret: { name: 's' } },
          queueType: 'stream',
        },
      },
    ]);
    expect(JSON.stringify(problems)).toMatch(/quorum.*classic/);
  });
});

describe('RabbitmqSource message mapping (§7.5)', () => {
  const id = { namespace: 'ns', name: 'src', queue: 'q' };
  it('wraps a plain message', () => {
    const e = messageToEvent(
      Buffer.from('{"a":1}'),
      {
        contentType: 'application/json',
        messageId: 'm1',
        timestamp: 1700000000,
        headers: {},
      } as never,
      id,
    );
    expect(e.attributes).toEqual({
      specversion: '1.0',
      id: 'm1',
      subject: 'm1',
      type: 'dev.knative.rabbitmq.event',
      source: '/apis/v1/namespaces/ns/rabbitmqsources/src#q',
      time: '2023-11-14T22:13:20.000Z',
      datacontenttype: 'application/json',
    });
  });
  it('passes a structured CloudEvent through, defaulting a missing source', () => {
    const body = JSON.stringify({
      specversion: '1.0',
      id: 'x',
      type: 't',
      source: '/s',
      data: { k: 1 },
    });
    const e = messageToEvent(
      Buffer.from(body),
      { contentType: 'application/cloudevents+json', headers: {} } as never,
      id,
    );
    expect(e.attributes).toMatchObject({ id: 'x', type: 't', source: '/s' });
    const binary = messageToEvent(
      Buffer.from('d'),
      {
        headers: {
          'cloudEvents:specversion': '1.0',
          'cloudEvents:id': 'b',
          'cloudEvents:type': 't',
        },
      } as never,
      id,
    );
    expect(binary.attributes).toEqual({
      specversion: '1.0',
      id: 'b',
      type: 't',
      source: '/apis/v1/namespaces/ns/rabbitmqsources/src#q',
    });
  });
});
