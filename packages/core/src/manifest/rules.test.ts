import { describe, expect, it } from 'vitest';
import { loadResources } from './load.js';

const meta = { name: 't' };
const trigger = (spec: Record<string, unknown>, metadata: Record<string, unknown> = meta) =>
  loadResources([
    {
      apiVersion: 'eventing.knative.dev/v1',
      kind: 'Trigger',
      metadata,
      spec: { broker: 'b', subscriber: { uri: 'http://x/' }, ...spec },
    },
  ]).problems.map((p) => `${p.path}: ${p.message}`);
const broker = (spec: Record<string, unknown>) =>
  loadResources([
    { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: meta, spec },
  ]).problems.map((p) => `${p.path}: ${p.message}`);
const fn = (spec: Record<string, unknown>) =>
  loadResources([
    { apiVersion: 'tributary.dev/v1alpha1', kind: 'Function', metadata: { name: 'f' }, spec },
  ]).problems.map((p) => `${p.path}: ${p.message}`);

describe('Knative Trigger validation rules', () => {
  it('attribute names match ^[a-z][a-z0-9]*$ in filter.attributes, exact, prefix, suffix (also nested)', () => {
    expect(trigger({ filter: { attributes: { type: 'a', myext1: '' } } })).toEqual([]);
    for (const bad of ['Type', '1a', 'my-ext', 'my_ext', '']) {
      expect(trigger({ filter: { attributes: { [bad]: 'x' } } })[0]).toMatch(
        /attribute name .* is invalid/,
      );
    }
    expect(trigger({ filters: [{ exact: { Type: 'a' } }] })[0]).toMatch(
      /^spec.filters\[0\].exact.Type: attribute name 'Type' is invalid/,
    );
    expect(trigger({ filters: [{ prefix: { 'a-b': 'a' } }] })[0]).toMatch(
      /^spec.filters\[0\].prefix.a-b: attribute name 'a-b'/,
    );
    expect(trigger({ filters: [{ suffix: { A: 'a' } }] })).toHaveLength(1);
    expect(
      trigger({ filters: [{ not: { any: [{ all: [{ exact: { BAD: 'x' } }] }] } }] })[0],
    ).toMatch(/^spec.filters\[0\].not.any\[0\].all\[0\].exact.BAD: /);
  });

  it('each filters entry has exactly one dialect', () => {
    expect(
      trigger({
        filters: [{ exact: { type: 'a' } }, { suffix: { type: 'b' } }, { cesql: "type = 'x'" }],
      }),
    ).toEqual([]);
    expect(trigger({ filters: [{ exact: { type: 'a' }, suffix: { type: 'b' } }] })).toEqual([
      'spec.filters[0]: multiple dialects found (exact, suffix): put each in its own filters entry',
    ]);
    expect(trigger({ filters: [{ not: { exact: { type: 'a' }, cesql: 'true' } }] })[0]).toMatch(
      /^spec.filters\[0\].not: multiple dialects/,
    );
    expect(trigger({ filters: [{ exakt: { type: 'a' } }] })[0]).toMatch(
      /unknown field 'exakt'; did you mean 'exact'\?/,
    );
  });

  it('broker or brokerRef, not both; no cross-namespace brokerRef; broker is a name', () => {
    expect(trigger({ broker: undefined })).toEqual([
      'spec.broker: broker is required: the name of a Broker in the same namespace',
    ]);
    const ref = { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', name: 'b' };
    expect(trigger({ broker: undefined, brokerRef: ref })).toEqual([]);
    expect(trigger({ brokerRef: ref })).toEqual([
      'spec.brokerRef: set broker or brokerRef, not both',
    ]);
    expect(trigger({ broker: undefined, brokerRef: { ...ref, namespace: 'x' } })[0]).toMatch(
      /^spec.brokerRef.namespace: .*not allowed/,
    );
    expect(trigger({ broker: 'Not A Name' })[0]).toMatch(
      /^spec.broker: name 'Not A Name' is invalid/,
    );
  });

  it('Destination: ref and/or uri; uri with ref is relative, uri alone is absolute with a host', () => {
    const ref = { apiVersion: 'tributary.dev/v1alpha1', kind: 'Function', name: 'f' };
    expect(trigger({ subscriber: { ref } })).toEqual([]);
    expect(trigger({ subscriber: { ref, uri: '/path?x=1' } })).toEqual([]);
    expect(trigger({ subscriber: { uri: 'https://example.com/hook' } })).toEqual([]);
    expect(trigger({ subscriber: {} })).toEqual([
      'spec.subscriber: a destination needs ref or uri (or both)',
    ]);
    expect(trigger({ subscriber: { ref, uri: 'http://other/' } })).toEqual([
      "spec.subscriber.uri: with ref set, uri 'http://other/' must be relative (e.g. /path)",
    ]);
    expect(trigger({ subscriber: { uri: '/relative' } })[0]).toMatch(
      /^spec.subscriber.uri: uri '\/relative' must be absolute with a host/,
    );
    expect(trigger({ subscriber: { ref: { kind: 'Function', name: 'f' } } })).toEqual([
      'spec.subscriber.ref.apiVersion: apiVersion is required',
    ]);
    expect(trigger({ subscriber: { ref, CACerts: 'pem', audience: 'aud' } })).toEqual([]);
    expect(trigger({ delivery: { deadLetterSink: { uri: 'nohost' } } })[0]).toMatch(
      /^spec.delivery.deadLetterSink.uri: /,
    );
  });

  it('DeliverySpec: retry >= 0 integer, backoffPolicy enum, ISO-8601 durations, timeout > 0, format enum', () => {
    const ok = {
      retry: 3,
      backoffPolicy: 'linear',
      backoffDelay: 'PT0.5S',
      timeout: 'PT30S',
      retryAfterMax: 'PT0S',
      format: 'json',
    };
    expect(trigger({ delivery: ok })).toEqual([]);
    expect(trigger({ delivery: { retry: -1 } })).toEqual([
      'spec.delivery.retry: retry -1 must be 0 or more',
    ]);
    expect(trigger({ delivery: { retry: 1.5 } })).toEqual([
      'spec.delivery.retry: retry 1.5 must be a whole number',
    ]);
    expect(trigger({ delivery: { backoffPolicy: 'expo' } })).toEqual([
      "spec.delivery.backoffPolicy: backoffPolicy 'expo' must be one of: linear, exponential",
    ]);
    for (const bad of ['5s', 'PT', 'P1Y', '-PT1S', '']) {
      expect(trigger({ delivery: { backoffDelay: bad } })[0]).toMatch(
        /^spec.delivery.backoffDelay: '.*' is not an ISO-8601 duration/,
      );
    }
    expect(trigger({ delivery: { retryAfterMax: '-PT1S' } })[0]).toMatch(
      /not an ISO-8601 duration/,
    );
    expect(trigger({ delivery: { timeout: 'PT0S' } })).toEqual([
      "spec.delivery.timeout: timeout 'PT0S' must be greater than zero, e.g. PT30S",
    ]);
    expect(trigger({ delivery: { format: 'xml' } })).toEqual([
      "spec.delivery.format: format 'xml' must be one of: json, binary",
    ]);
    expect(broker({ delivery: { retrys: 1 } })[0]).toMatch(
      /unknown field 'retrys'; did you mean 'retry'\?/,
    );
  });

  it('metadata: Kubernetes names, namespace defaulted', () => {
    const r = loadResources([
      { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name: 'b' } },
    ]);
    expect(r.topology.brokers[0]!.metadata.namespace).toBe('default');
    expect(broker({}).length).toBe(0);
    const long = loadResources([
      { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name: 'a'.repeat(64) } },
    ]);
    expect(long.problems[0]!.message).toMatch(/longer than 63 characters/);
    const noName = loadResources([
      { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: {} },
    ]);
    expect(noName.problems.map((p) => `${p.resource} ${p.path}: ${p.message}`)).toEqual([
      'Broker/- metadata.name: a name is required',
    ]);
  });
});

describe('Function and Secret rules', () => {
  it('Function: exactly one of url or module; export only with module; url is http(s)', () => {
    expect(fn({ url: 'http://localhost:9000/' })).toEqual([]);
    expect(fn({ module: './f.js', export: 'handler' })).toEqual([]);
    expect(fn({})[0]).toMatch(/set exactly one of url/);
    expect(fn({ url: 'http://a/', module: './f.js' })[0]).toMatch(/set exactly one of url/);
    expect(fn({ url: 'http://a/', export: 'x' })).toEqual([
      'spec.export: export only applies with module',
    ]);
    expect(fn({ url: 'ftp://a/' })[0]).toMatch(
      /^spec.url: url 'ftp:\/\/a\/' must be an absolute http\(s\) URL/,
    );
  });

  it('Secret data must be base64', () => {
    const r = loadResources([
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { k: 'not base64!' } },
    ]);
    expect(r.problems[0]!.message).toMatch(/must be base64/);
  });
});
