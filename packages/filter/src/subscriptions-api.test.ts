import type { SubscriptionsApiFilter } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import { compileTriggerFilter } from './trigger-filter.js';
import { event } from '../test/events.js';

const run = (filters: SubscriptionsApiFilter[], attrs: Record<string, string> = {}) =>
  compileTriggerFilter({ filters }).match(event(attrs));
const delivered = (filters: SubscriptionsApiFilter[], attrs: Record<string, string>) =>
  run(filters, attrs) !== 'fail';

describe('filters dialects', () => {
  it('exact, prefix and suffix compare case-sensitively; several keys are AND-ed', () => {
    expect(run([{ exact: { type: 'com.example.someevent' } }])).toBe('pass');
    expect(run([{ exact: { type: 'com.example.SomeEvent' } }])).toBe('fail');
    expect(run([{ prefix: { type: 'com.example.' } }])).toBe('pass');
    expect(run([{ suffix: { type: '.someevent' } }])).toBe('pass');
    expect(run([{ suffix: { type: '.other' } }])).toBe('fail');
    expect(run([{ exact: { type: 'com.example.someevent', source: '/nope' } }])).toBe('fail');
  });

  it('skips entries with an empty key or value, and empty maps/lists/expressions', () => {
    expect(run([{ exact: { type: '' } }])).toBe('none');
    expect(run([{ exact: { '': 'x' } }])).toBe('none');
    expect(run([{ exact: { type: 'nope', source: '' } }])).toBe('none');
    expect(run([{ prefix: { type: '' } }])).toBe('none');
    expect(run([{ exact: {} }])).toBe('none');
    expect(run([{ cesql: '' }])).toBe('none');
    expect(run([{}])).toBe('none');
  });

  it('empty all/any give none; not(none) is none', () => {
    expect(run([{ all: [] }])).toBe('none');
    expect(run([{ any: [] }])).toBe('none');
    expect(run([{ all: [{ exact: { type: '' } }] }])).toBe('none');
    expect(run([{ not: { exact: { type: '' } } }])).toBe('none');
    expect(run([{ not: { all: [{ exact: { a: '' } }] } }])).toBe('none');
  });

  it('any returns the last child result when none passed', () => {
    const noFilter: SubscriptionsApiFilter = { all: [{ exact: { type: '' } }] };
    const failing: SubscriptionsApiFilter = { exact: { type: 'other' } };
    expect(run([{ any: [noFilter, failing] }])).toBe('fail');
    expect(run([{ any: [failing, noFilter] }])).toBe('none');
  });

  it('missing extensions fail exact/prefix/suffix, so not() of them passes', () => {
    expect(run([{ exact: { myext: 'x' } }])).toBe('fail');
    expect(run([{ prefix: { myext: 'x' } }])).toBe('fail');
    expect(run([{ suffix: { myext: 'x' } }])).toBe('fail');
    expect(run([{ not: { exact: { myext: 'x' } } }])).toBe('pass');
  });

  it('the top-level list is AND-ed', () => {
    expect(
      run([{ exact: { type: 'com.example.someevent' } }, { exact: { source: '/mycontext' } }]),
    ).toBe('pass');
    expect(run([{ exact: { type: 'com.example.someevent' } }, { exact: { source: '/x' } }])).toBe(
      'fail',
    );
    expect(run([{ exact: { type: '' } }, { exact: { source: '/mycontext' } }])).toBe('pass');
  });

  it('CESQL: evaluation errors fail, short-circuit left to right like Knative', () => {
    expect(run([{ cesql: "type = 'com.example.someevent' OR missingext = 'y'" }])).toBe('pass');
    expect(run([{ cesql: "missingext = 'y' OR type = 'com.example.someevent'" }])).toBe('fail');
    expect(run([{ cesql: 'EXISTS missingext' }])).toBe('fail');
    expect(run([{ cesql: "'text'" }])).toBe('fail'); // not a Boolean
    expect(run([{ cesql: '1 / 0 = 0' }])).toBe('fail');
  });

  it('docs/knative-behaviour.md §13 check 5: non-empty filters override filter; an empty list does not', () => {
    const spec = {
      filters: [{ exact: { type: 'subscriptionapi.filters.override.event.type' } }],
      filter: { attributes: { type: 'filter.check.event.type' } },
    };
    const f = compileTriggerFilter(spec);
    expect(f.match(event({ type: 'subscriptionapi.filters.override.event.type' }))).not.toBe(
      'fail',
    );
    expect(f.match(event({ type: 'filter.check.event.type' }))).toBe('fail');

    const g = compileTriggerFilter({
      filters: [],
      filter: { attributes: { type: 'filter.attribute.event.type' } },
    });
    expect(g.match(event({ type: 'filter.attribute.event.type' }))).not.toBe('fail');
    expect(g.match(event({ type: 'some.other.type' }))).toBe('fail');
  });

  it('docs/knative-behaviour.md §13 check 6: missing attributes', () => {
    const filters: SubscriptionsApiFilter[] = [
      {
        all: [
          { exact: { extensionattribute: 'extensionvalue' } },
          { prefix: { extensionattribute: 'extension' } },
          { suffix: { extensionattribute: 'value' } },
          { cesql: "extensionattribute LIKE '%value'" },
        ],
      },
    ];
    expect(delivered(filters, {})).toBe(false);
    expect(delivered(filters, { extensionattribute: 'extensionvalue' })).toBe(true);
  });

  it('docs/knative-behaviour.md §13 check 7: any + not + CESQL, and several top-level filters', () => {
    const anyFilters: SubscriptionsApiFilter[] = [
      {
        any: [
          { exact: { type: 'exact.event.type' } },
          { prefix: { type: 'prefix' } },
          { suffix: { type: 'suffix' } },
          { not: { cesql: "type LIKE '%event.type%'" } },
          { cesql: "type = 'cesql.event.type'" },
        ],
      },
    ];
    for (const type of [
      'exact.event.type',
      'prefix.event.type',
      'event.type.suffix',
      'not.type.event',
      'cesql.event.type',
    ]) {
      expect(delivered(anyFilters, { type }), type).toBe(true);
    }
    expect(delivered(anyFilters, { type: 'not.event.type' })).toBe(false);

    const multiple: SubscriptionsApiFilter[] = [
      { exact: { type: 'exact.prefix.suffix.event.type' } },
      { prefix: { type: 'exact.prefix' } },
      { suffix: { type: 'suffix.event.type' } },
      { cesql: "type LIKE 'exact.prefix.suffix%'" },
    ];
    expect(delivered(multiple, { type: 'exact.prefix.suffix.event.type' })).toBe(true);
    for (const type of [
      'exact.event.type',
      'prefix.event.type',
      'suffix.event.type',
      'cesql.event.type',
    ]) {
      expect(delivered(multiple, { type }), type).toBe(false);
    }
  });
});
