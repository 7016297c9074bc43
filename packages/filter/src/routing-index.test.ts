import type { CloudEvent, SubscriptionsApiFilter } from '@tributary/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { event } from '../test/events.js';
import { RoutingIndex, type RoutingEntry } from './routing-index.js';
import { compileRoutableFilter, compileTriggerFilter } from './trigger-filter.js';
import type { TriggerFilterSpec } from './validate.js';

const names = ['type', 'source', 'subject', 'ext', 'schemaurl', 'datamediatype'] as const;
const values = ['a', 'ab', 'abc', 'b', 'ba', 'a.b', ''] as const;
const name = fc.constantFrom(...names);
const value = fc.constantFrom(...values);
const nonEmpty = fc.constantFrom(...values.filter((v) => v !== ''));
const attrMap = fc.dictionary(name, value, { maxKeys: 2 });

const cesqlAtom = fc.oneof(
  fc.tuple(name, nonEmpty).map(([n, v]) => `${n} = '${v}'`),
  fc.tuple(name, nonEmpty).map(([n, v]) => `'${v}' = ${n}`),
  fc.tuple(name, nonEmpty).map(([n, v]) => `${n} LIKE '${v}%'`),
  fc.tuple(name, nonEmpty).map(([n, v]) => `${n} LIKE '%${v}'`),
  fc.tuple(name, nonEmpty).map(([n, v]) => `${n} LIKE '${v}'`),
  fc.tuple(name, nonEmpty).map(([n, v]) => `${n} LIKE '_${v}'`),
  name.map((n) => `EXISTS ${n}`),
  fc.tuple(name, nonEmpty, nonEmpty).map(([n, v, w]) => `${n} IN ('${v}', '${w}')`),
);
const cesql = fc.oneof(
  cesqlAtom,
  fc
    .tuple(cesqlAtom, fc.constantFrom('AND', 'OR', 'XOR'), cesqlAtom)
    .map(([a, op, b]) => `${a} ${op} ${b}`),
  fc.tuple(cesqlAtom, cesqlAtom, cesqlAtom).map(([a, b, c]) => `${a} AND ${b} AND NOT (${c})`),
  cesqlAtom.map((a) => `NOT (${a})`),
);

const { filter } = fc.letrec<{ filter: SubscriptionsApiFilter }>((tie) => ({
  filter: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    attrMap.map((exact) => ({ exact })),
    attrMap.map((prefix) => ({ prefix })),
    attrMap.map((suffix) => ({ suffix })),
    cesql.map((c) => ({ cesql: c })),
    fc.array(tie('filter'), { maxLength: 3 }).map((all) => ({ all })),
    fc.array(tie('filter'), { maxLength: 3 }).map((any) => ({ any })),
    tie('filter').map((not) => ({ not })),
  ),
}));

const spec: fc.Arbitrary<TriggerFilterSpec> = fc.record(
  {
    filter: fc.record({ attributes: attrMap }, { requiredKeys: [] }),
    filters: fc.array(filter, { maxLength: 3 }),
  },
  { requiredKeys: [] },
);

const cloudEvent: fc.Arbitrary<CloudEvent> = fc
  .record(
    {
      type: nonEmpty,
      source: nonEmpty,
      subject: nonEmpty,
      ext: value,
      dataschema: nonEmpty,
      datacontenttype: fc.constantFrom('application/json', 'text/plain; charset=utf-8'),
    },
    { requiredKeys: ['type', 'source'] },
  )
  .map((attrs) => event(attrs));

function plain(entries: readonly RoutingEntry[], e: CloudEvent): string[] {
  return entries.filter((t) => compileTriggerFilter(t.spec).match(e) !== 'fail').map((t) => t.key);
}

describe('RoutingIndex', () => {
  it('matches exactly the triggers that plain evaluation passes (property)', () => {
    fc.assert(
      fc.property(
        fc.array(spec, { maxLength: 25 }),
        fc.array(cloudEvent, { minLength: 1, maxLength: 8 }),
        (specs, events) => {
          const entries = specs.map((s, i) => ({ key: `t${i}`, spec: s }));
          const index = new RoutingIndex(entries);
          for (const e of events) expect(index.match(e)).toEqual(plain(entries, e));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('files exact, prefix and simple CESQL filters under attributes; the rest is residual', () => {
    const entries: RoutingEntry[] = [
      { key: 'exact', spec: { filters: [{ exact: { type: 'com.a' } }] } },
      { key: 'legacy', spec: { filter: { attributes: { type: 'com.b', source: '/s' } } } },
      {
        key: 'all',
        spec: { filters: [{ all: [{ prefix: { source: '/s' } }, { exact: { type: 'com.c' } }] }] },
      },
      { key: 'prefix', spec: { filters: [{ prefix: { type: 'com.' } }] } },
      { key: 'cesql', spec: { filters: [{ cesql: "type = 'com.a' AND LENGTH(source) > 1" }] } },
      { key: 'cesql-like', spec: { filters: [{ cesql: "subject LIKE 'orders/%'" }] } },
      { key: 'any', spec: { filters: [{ any: [{ exact: { type: 'com.a' } }] }] } },
      { key: 'none', spec: {} },
      { key: 'legacy-empty', spec: { filter: { attributes: { type: '' } } } },
    ];
    const index = new RoutingIndex(entries);
    expect(index.stats()).toEqual({ triggers: 9, indexed: 6, residual: 3 });
    expect(index.match(event({ type: 'com.a', source: '/s' }))).toEqual([
      'exact',
      'prefix',
      'cesql',
      'any',
      'none',
      'legacy-empty',
    ]);
    expect(index.match(event({ type: 'com.b', source: '/s' }))).toEqual([
      'legacy',
      'prefix',
      'none',
      'legacy-empty',
    ]);
    expect(index.match(event({ type: 'org.x', subject: 'orders/1' }))).toEqual([
      'cesql-like',
      'none',
      'legacy-empty',
    ]);
  });

  it('scales to many exact-type triggers with one candidate per event', () => {
    const entries = Array.from({ length: 5000 }, (_, i) => ({
      key: `t${i}`,
      spec: { filters: [{ exact: { type: `type.${i}` } }] },
    }));
    const index = new RoutingIndex(entries);
    expect(index.stats().residual).toBe(0);
    expect(index.match(event({ type: 'type.4242' }))).toEqual(['t4242']);
    expect(index.match(event({ type: 'type.x' }))).toEqual([]);
  });

  it("uses an entry's compiled filter instead of compiling it again, with the same results", () => {
    fc.assert(
      fc.property(
        fc.array(spec, { maxLength: 25 }),
        fc.array(cloudEvent, { minLength: 1, maxLength: 8 }),
        (specs, events) => {
          const entries = specs.map((s, i) => ({ key: `t${i}`, spec: s }));
          const compiled = new RoutingIndex(
            entries.map((e) => ({ ...e, compiled: compileRoutableFilter(e.spec) })),
          );
          for (const e of events) expect(compiled.match(e)).toEqual(plain(entries, e));
        },
      ),
      { numRuns: 200 },
    );
    const filter = compileRoutableFilter({ filters: [{ cesql: 'LENGTH(source) > 1' }] });
    let calls = 0;
    const index = new RoutingIndex([
      {
        key: 'shared',
        spec: { filters: [{ cesql: 'syntax error (' }] },
        compiled: { ...filter, match: (e) => (calls++, filter.match(e)) },
      },
    ]);
    expect(index.match(event({ type: 'x', source: '/s' }))).toEqual(['shared']);
    expect(calls).toBe(1);
  });
});
