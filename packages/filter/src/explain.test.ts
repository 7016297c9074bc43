import { describe, expect, it } from 'vitest';
import { event } from '../test/events.js';
import { explainFilter } from './explain.js';

describe('explainFilter', () => {
  it('names the deciding entry', () => {
    expect(explainFilter({}, event())).toEqual({ result: 'pass', decidedBy: 'no filter' });
    expect(
      explainFilter(
        { filter: { attributes: { type: 'com.example.someevent', source: '/x' } } },
        event(),
      ),
    ).toEqual({
      result: 'fail',
      decidedBy: 'filter.attributes.source',
    });
    expect(
      explainFilter({ filter: { attributes: { type: 'com.example.someevent' } } }, event()),
    ).toEqual({
      result: 'pass',
      decidedBy: 'filter.attributes',
    });
    expect(
      explainFilter({ filters: [{ exact: { type: 'com.example.someevent' } }] }, event()),
    ).toEqual({
      result: 'pass',
      decidedBy: 'filters[0].exact type',
    });
    expect(
      explainFilter(
        { filters: [{ exact: { type: 'com.example.someevent' } }, { prefix: { myext: 'a' } }] },
        event(),
      ),
    ).toEqual({
      result: 'fail',
      decidedBy: 'filters[1].prefix myext (attribute missing)',
    });
  });

  it('looks into all, any, not and cesql', () => {
    const any = {
      filters: [{ any: [{ exact: { type: 'x' } }, { all: [{ suffix: { type: '.someevent' } }] }] }],
    };
    expect(explainFilter(any, event())).toEqual({
      result: 'pass',
      decidedBy: 'filters[0].any[1].all[0].suffix type',
    });
    expect(explainFilter(any, event({ type: 'y' })).decidedBy).toBe(
      'filters[0].any (no entry passed; last: filters[0].any[1].all[0].suffix type)',
    );
    expect(
      explainFilter({ filters: [{ not: { exact: { type: 'com.example.someevent' } } }] }, event()),
    ).toEqual({
      result: 'fail',
      decidedBy: 'filters[0].not (negates filters[0].not.exact type)',
    });
    expect(explainFilter({ filters: [{ cesql: "missing = 'x'" }] }, event())).toEqual({
      result: 'fail',
      decidedBy: "filters[0].cesql (error: missing attribute 'missing')",
    });
    expect(explainFilter({ filters: [{ cesql: "type = 'x'" }] }, event()).decidedBy).toBe(
      'filters[0].cesql (value false)',
    );
    expect(explainFilter({ filters: [{ exact: { type: '' } }] }, event())).toEqual({
      result: 'pass',
      decidedBy: 'filters (no filter)',
    });
  });
});
