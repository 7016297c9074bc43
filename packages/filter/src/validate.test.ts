import { describe, expect, it } from 'vitest';
import { event } from '../test/events.js';
import { FILTER_DATA_ANNOTATION, FilterValidationError } from './errors.js';
import { compileTriggerFilter } from './trigger-filter.js';
import { validateTriggerFilters } from './validate.js';

describe('validateTriggerFilters', () => {
  const spec = {
    filters: [
      { exact: { type: 'a' } },
      {
        any: [
          { cesql: "type = 'x'" },
          { cesql: "type = 'x' AND (" },
          { not: { cesql: 'data.total > 3' } },
          { cesql: 'NOPE(type)' },
        ],
      },
      { exact: { type: 'a' }, prefix: { type: 'b' } },
    ],
  };

  it('returns every problem with its path and the offset in the expression', () => {
    const problems = validateTriggerFilters(spec);
    expect(problems.map((p) => [p.path, p.offset])).toEqual([
      [['filters', 1, 'any', 1, 'cesql'], 16],
      [['filters', 1, 'any', 2, 'not', 'cesql'], 0],
      [['filters', 1, 'any', 3, 'cesql'], 0],
      [['filters', 2], undefined],
    ]);
    expect(problems[0]!.message).toMatch(/expected an expression but found end of expression/);
    expect(problems[1]!.message).toContain(`annotation ${FILTER_DATA_ANNOTATION}: "true"`);
    expect(problems[2]!.message).toMatch(/no function NOPE/);
    expect(problems[3]!.message).toMatch(/multiple dialects/);
  });

  it('accepts payload access with filterData', () => {
    expect(
      validateTriggerFilters({ filters: [{ cesql: 'data.total > 3' }] }, { filterData: true }),
    ).toEqual([]);
    expect(validateTriggerFilters({ filters: [{ cesql: 'data.total > 3' }] })).toHaveLength(1);
  });

  it('compileTriggerFilter throws FilterValidationError listing every problem', () => {
    let caught: unknown;
    try {
      compileTriggerFilter(spec);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(FilterValidationError);
    expect((caught as FilterValidationError).problems).toHaveLength(4);
    expect((caught as FilterValidationError).message).toContain('filters[1].any[1].cesql');
  });

  it('compiles payload filters with filterData', () => {
    const f = compileTriggerFilter(
      { filters: [{ cesql: 'data.total > 3' }] },
      { filterData: true },
    );
    expect(f.match(event({}, '{"total":4}'))).toBe('pass');
    expect(f.match(event({}, '{"total":2}'))).toBe('fail');
    expect(f.match(event({}, 'garbage'))).toBe('fail');
  });
});
