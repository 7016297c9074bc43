import { describe, expect, it } from 'vitest';
import { loadManifestsFromText } from './load.js';
import { internStrings } from './string-table.js';

describe('internStrings', () => {
  it('keeps every value and the table holds one entry per distinct string', () => {
    const table = new Map<string, string>();
    const value = { a: 'x', b: ['x', 'y', { c: 'y', n: 1, t: true, z: null }] };
    expect(internStrings(structuredClone(value), table)).toEqual(value);
    expect([...table.keys()].sort()).toEqual(['x', 'y']);
  });

  it('visits a shared or self-containing object once when given `seen`', () => {
    const inner: Record<string, unknown> = { s: 'v' };
    inner['self'] = inner;
    const out = internStrings({ a: inner, b: inner }, new Map(), new WeakSet()) as {
      a: typeof inner;
      b: typeof inner;
    };
    expect(out.a).toBe(out.b);
    expect(out.a['self']).toBe(out.a);
    expect(out.a['s']).toBe('v');
  });

  it('lets the loader read a text whose aliases make a document contain itself', () => {
    const text = [
      'apiVersion: eventing.knative.dev/v1',
      'kind: Broker',
      'metadata: { name: b }',
      '---',
      'foo: &y',
      '  bar: *y',
      '',
    ].join('\n');
    const r = loadManifestsFromText([{ file: 'x.yaml', text }]);
    expect(r.topology.brokers.map((b) => b.metadata.name)).toEqual(['b']);
    expect(r.problems.length).toBeGreaterThan(0);
  });
});
