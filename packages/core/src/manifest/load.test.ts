import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, formatProblem } from '../errors.js';
import { assertValid, loadManifests, loadManifestsFromText, loadResources } from './load.js';

const BROKER = `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: default
`;
const TRIGGER = `apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: t1
spec:
  broker: default
  subscriber:
    uri: http://localhost:8081/
`;
const load = (text: string, file = 'm.yaml') => loadManifestsFromText([{ file, text }]);

describe('loadManifestsFromText', () => {
  it('loads a valid multi-document file, skipping empty documents', () => {
    const r = load(`${BROKER}---\n---\n# only a comment\n---\n${TRIGGER}`);
    expect(r.problems).toEqual([]);
    expect(r.topology.brokers.map((b) => b.metadata.name)).toEqual(['default']);
    expect(r.topology.triggers).toHaveLength(1);
    const t = r.topology.triggers[0]!;
    expect(t.metadata.namespace).toBe('default');
    expect(t.source).toEqual({ file: 'm.yaml', line: 9, col: 1 });
    expect(r.topology.get('Trigger', 'default', 't1')).toBe(t);
    expect(r.topology.byKind('Broker')).toHaveLength(1);
    expect(r.topology.triggersOf(r.topology.brokers[0]!)).toEqual([t]);
    expect(r.topology.brokerOf(t)).toBe(r.topology.brokers[0]);
    expect(r.topology.statusOf('Trigger', 'default', 't1')).toMatchObject({
      ready: true,
      reasons: [],
    });
  });

  it('locates an invalid value at its value node', () => {
    const r = load(`${TRIGGER}  delivery:\n    backoffPolicy: expo\n`);
    expect(r.problems).toHaveLength(1);
    expect(formatProblem(r.problems[0]!)).toBe(
      "m.yaml:10:20: Trigger/t1: spec.delivery.backoffPolicy: backoffPolicy 'expo' must be one of: linear, exponential",
    );
  });

  it('reports an unknown field at its key with a suggestion', () => {
    const r = load(TRIGGER.replace('  subscriber:', '  subscribr: {}\n  subscriber:'));
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ line: 7, col: 3, path: 'spec.subscribr' });
    expect(r.problems[0]!.message).toMatch(
      /^unknown field 'subscribr'; did you mean 'subscriber'\?/,
    );
  });

  it('reports one problem per unknown key', () => {
    const r = load(`${BROKER}  labelz: {}\nspek: {}\n`);
    expect(r.problems.map((p) => [p.path, p.line, p.col])).toEqual([
      ['metadata.labelz', 5, 3],
      ['spek', 6, 1],
    ]);
    expect(r.problems[0]!.message).toContain("did you mean 'labels'?");
    expect(r.problems[1]!.message).toContain("did you mean 'spec'?");
  });

  it('falls back to the nearest existing ancestor for a missing field', () => {
    const r = load(TRIGGER.replace(/ {2}subscriber:\n {4}uri: .*\n/, ''));
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({
      path: 'spec.subscriber',
      line: 5,
      col: 1,
      message: 'subscriber is required',
    });
  });

  it('suggests the nearest kind for an unknown kind', () => {
    const r = load(TRIGGER.replace('kind: Trigger', 'kind: Triger'));
    expect(r.problems[0]).toMatchObject({ line: 2, col: 7, path: 'kind', resource: 'Triger/t1' });
    expect(r.problems[0]!.message).toMatch(
      /^unknown kind 'Triger' for apiVersion eventing.knative.dev\/v1; did you mean 'Trigger'\?/,
    );
  });

  it('names the right apiVersion for a known kind', () => {
    const r = load(BROKER.replace('eventing.knative.dev/v1', 'eventing.knative.dev/v1beta1'));
    expect(r.problems[0]).toMatchObject({ line: 1, col: 13, path: 'apiVersion' });
    expect(r.problems[0]!.message).toBe(
      "kind Broker has apiVersion eventing.knative.dev/v1, not 'eventing.knative.dev/v1beta1'",
    );
  });

  it('requires apiVersion and kind and a mapping document', () => {
    expect(load('metadata: {name: x}\n').problems.map((p) => p.message)).toEqual([
      'apiVersion is required, e.g. eventing.knative.dev/v1',
      'kind is required, e.g. Broker or Trigger',
    ]);
    expect(load('- a\n- b\n').problems[0]!.message).toMatch(/must be a mapping.*got a list/);
  });

  it('reports YAML syntax errors with position and keeps checking other documents', () => {
    const r = load(
      `${BROKER}---\nkind: [oops\n---\n${TRIGGER.replace('kind: Trigger', 'kind: Trigge')}`,
    );
    expect(r.problems).toHaveLength(2);
    expect(r.problems[0]!.message).toMatch(/^YAML syntax error/);
    expect(r.problems[0]!.line).toBeGreaterThanOrEqual(6);
    expect(r.problems[1]!.message).toContain("did you mean 'Trigger'");
    expect(r.topology.brokers).toHaveLength(1);
  });

  it('collects every problem across files', () => {
    const r = loadManifestsFromText([
      { file: 'a.yaml', text: BROKER.replace('default', 'Bad_Name') },
      { file: 'b.yaml', text: `${TRIGGER}  delivery: {retry: -1, backoffDelay: 5s}\n` },
    ]);
    expect(r.problems.map((p) => `${p.file}:${p.line}:${p.col}:${p.path}`)).toEqual([
      'a.yaml:4:9:metadata.name',
      'b.yaml:9:21:spec.delivery.retry',
      'b.yaml:9:39:spec.delivery.backoffDelay',
    ]);
  });

  it('reports duplicates at the second definition', () => {
    const r = load(`${BROKER}---\n${BROKER}---\n${BROKER}  namespace: other\n`);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ line: 9, col: 9, path: 'metadata.name' });
    expect(r.problems[0]!.message).toBe(
      'duplicate Broker/default/default: already defined at m.yaml:1:1; rename one or remove it',
    );
    expect(r.topology.brokers).toHaveLength(2);
  });

  it('checks annotations', () => {
    const r = load(
      `${BROKER}  annotations:\n    eventing.knative.dev/broker.class: Kafak\n---\n` +
        TRIGGER.replace(
          '  name: t1\n',
          '  name: t1\n  annotations:\n    tributary.dev/concurrency: "0"\n    tributary.dev/filter-data: "yes"\n',
        ),
    );
    expect(r.problems.map((p) => [p.line, p.col, p.message])).toEqual([
      [
        6,
        40,
        "broker class 'Kafak' is unknown; use one of: MTChannelBasedBroker, Kafka, KafkaNamespaced, RabbitMQBroker, Redis",
      ],
      [13, 32, 'tributary.dev/concurrency \'0\' must be a positive integer, e.g. "4"'],
      [14, 32, 'tributary.dev/filter-data \'yes\' must be "true" or "false"'],
    ]);
    expect(r.problems[1]!.path).toBe('metadata.annotations["tributary.dev/concurrency"]');
  });

  it('reports annotation problems together with schema problems', () => {
    const r = load(
      TRIGGER.replace(
        '  name: t1\n',
        '  name: t1\n  annotations:\n    tributary.dev/concurrency: "-2"\n',
      ).replace('broker: default', 'brokr: default'),
    );
    expect(r.problems.map((p) => p.path)).toEqual([
      'metadata.annotations["tributary.dev/concurrency"]',
      'spec.broker',
      'spec.brokr',
    ]);
  });

  it('a Trigger whose Broker does not exist is valid but not Ready', () => {
    const r = load(TRIGGER.replace('broker: default', 'broker: missing'));
    expect(r.problems).toEqual([]);
    expect(r.topology.statusOf('Trigger', 'default', 't1')).toEqual({
      kind: 'Trigger',
      namespace: 'default',
      name: 't1',
      ready: false,
      reasons: [
        { reason: 'BrokerDoesNotExist', message: "Broker 'default/missing' does not exist" },
      ],
    });
    expect(r.topology.notReady()).toHaveLength(1);
  });

  it('a subscriber ref to a missing Function makes the Trigger not Ready; Service refs resolve to Functions', () => {
    const sub = (kind: string, av: string) =>
      `${BROKER}---\n${TRIGGER.replace('    uri: http://localhost:8081/', `    ref: {apiVersion: ${av}, kind: ${kind}, name: fn}`)}`;
    const missing = load(sub('Function', 'tributary.dev/v1alpha1'));
    expect(missing.topology.notReady()[0]!.reasons[0]!.reason).toBe('SubscriberResolveFailed');
    const fn = `---\napiVersion: tributary.dev/v1alpha1\nkind: Function\nmetadata: {name: fn}\nspec: {url: http://localhost:9000/}\n`;
    const ok = load(sub('Service', 'serving.knative.dev/v1') + fn);
    expect(ok.problems).toEqual([]);
    expect(ok.topology.notReady()).toEqual([]);
    expect(ok.topology.functions).toHaveLength(1);
  });

  it('runs extra validators and locates their problems', () => {
    const text = TRIGGER + '  filters:\n    - cesql: "type = "\n';
    const r = loadManifestsFromText([{ file: 'm.yaml', text }], {
      validators: [
        (res) =>
          res.kind === 'Trigger'
            ? (res.spec.filters ?? []).map((f, i) => ({
                path: ['spec', 'filters', i, 'cesql'],
                message: `bad CESQL ${f.cesql}`,
              }))
            : [],
        () => {
          throw new Error('boom');
        },
      ],
    });
    expect(r.problems.map((p) => [p.line, p.col, p.path, p.message])).toEqual([
      [1, 1, '', 'validator #2 failed: boom'],
      [10, 14, 'spec.filters[0].cesql', 'bad CESQL type = '],
    ]);
    expect(r.topology.triggers).toHaveLength(0);
  });

  it('freezes the topology', () => {
    const t = load(BROKER).topology;
    expect(Object.isFrozen(t)).toBe(true);
    expect(Object.isFrozen(t.brokers[0]!.metadata)).toBe(true);
    expect(() => (t.resources as unknown[]).push(1)).toThrow();
  });
});

describe('loadResources', () => {
  it('validates objects with line/col 0', () => {
    const r = loadResources([
      { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name: 'b' } },
      {
        apiVersion: 'eventing.knative.dev/v1',
        kind: 'Broker',
        metadata: { name: 'c' },
        spec: { delivery: { retry: 'x' } },
      },
    ]);
    expect(r.topology.brokers.map((b) => b.metadata.name)).toEqual(['b']);
    expect(r.problems).toEqual([
      {
        file: '<resources>[1]',
        line: 0,
        col: 0,
        resource: 'Broker/c',
        path: 'spec.delivery.retry',
        message: "retry must be a number, got 'x'",
      },
    ]);
  });
});

describe('assertValid', () => {
  it('returns the topology or throws ConfigError with every problem', () => {
    expect(assertValid(load(BROKER)).brokers).toHaveLength(1);
    const bad = load('kind: Broker\n');
    expect(() => assertValid(bad)).toThrow(ConfigError);
    try {
      assertValid(bad);
    } catch (err) {
      expect((err as ConfigError).problems).toHaveLength(1);
      expect((err as ConfigError).message).toContain(
        'm.yaml:1:1: Broker/-: apiVersion: apiVersion is required',
      );
    }
  });
});

describe('loadManifests', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tributary-manifests-'));
    await mkdir(join(dir, 'b', 'deep'), { recursive: true });
    await mkdir(join(dir, 'empty'));
    await writeFile(join(dir, 'b', 'deep', 'trigger.yml'), TRIGGER);
    await writeFile(join(dir, 'a-broker.yaml'), BROKER);
    await writeFile(join(dir, 'notes.txt'), 'not yaml: [');
    await writeFile(
      join(dir, 'b', 'fn.YAML'),
      'apiVersion: tributary.dev/v1alpha1\nkind: Function\nmetadata: {name: f}\nspec: {module: ./f.js}\n',
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads directories recursively in sorted order, only *.yaml / *.yml', async () => {
    const r = await loadManifests([dir]);
    expect(r.problems).toEqual([]);
    expect(r.topology.resources.map((x) => x.kind)).toEqual(['Broker', 'Trigger', 'Function']);
    expect(r.topology.triggers[0]!.source.file).toBe(join(dir, 'b', 'deep', 'trigger.yml'));
  });

  it('reads single files and reports unreadable paths and empty directories', async () => {
    const r = await loadManifests([
      join(dir, 'a-broker.yaml'),
      join(dir, 'nope.yaml'),
      join(dir, 'empty'),
    ]);
    expect(r.topology.brokers).toHaveLength(1);
    expect(r.problems.map((p) => p.message)).toEqual([
      'cannot read: ENOENT; check the path',
      'directory has no *.yaml or *.yml files',
    ]);
  });
});
