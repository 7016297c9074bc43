import { describe, expect, it } from 'vitest';
import { event } from '../../test/events.js';
import { FILTER_DATA_ANNOTATION } from '../errors.js';
import { compileCesql } from './cesql.js';

const order = JSON.stringify({
  order: { total: 120, currency: 'EUR', paid: true, price: 1.5, items: [{ sku: 'a' }], note: null },
});

describe('payload filters (filterData)', () => {
  const run = (
    expr: string,
    data: string | undefined = order,
    attrs: Record<string, string> = {},
  ) => compileCesql(expr, { filterData: true }).evaluate(event(attrs, data));

  it('maps JSON integers, strings and booleans to CESQL values', () => {
    expect(run('data.order.total > 100').value).toBe(true);
    expect(run("data.order.currency = 'EUR'").value).toBe(true);
    expect(run('data.order.paid').value).toBe(true);
    expect(run("data.order.items.0.sku = 'a'").value).toBe(true);
    expect(run('EXISTS data.order.note').value).toBe(true);
    expect(run('EXISTS data.order.missing').value).toBe(false);
  });

  it('errors (so filters fail) on missing paths, non-integers, objects, non-JSON or absent data', () => {
    expect(run('data.order.missing = 1').errors.map((e) => e.kind)).toEqual(['missingAttribute']);
    expect(run('data.order.price = 1').errors.map((e) => e.kind)).toEqual(['cast']);
    expect(run('data.order = 1').errors.map((e) => e.kind)).toEqual(['cast']);
    expect(run('data.order.note = 1').errors.map((e) => e.kind)).toEqual(['cast']);
    expect(run('data.order.items.5.sku = 1').errors[0]?.kind).toBe('missingAttribute');
    expect(run('data.x = 1', 'not json').errors[0]?.message).toMatch(/not valid JSON/);
    expect(
      run('data.x = 1', '{"x":1}', { datacontenttype: 'text/plain' }).errors[0]?.message,
    ).toMatch(/not JSON/);
    expect(
      compileCesql('data.x = 1', { filterData: true }).evaluate(event()).errors[0]?.message,
    ).toMatch(/no data/);
    expect(
      compileCesql('data.order.total > 100', { filterData: true }).test(event({}, 'not json')),
    ).toBe(false);
  });

  it('parses the data only when an evaluated branch reads it', () => {
    expect(run("type = 'nope' AND data.x = 1", 'not json').errors).toEqual([]);
    const c = compileCesql('data.a = 1 AND data.b = 2', { filterData: true });
    expect(c.readsData).toBe(true);
    expect(c.test(event({}, '{"a":1,"b":2}'))).toBe(true);
    expect(c.test(event({}, '{"a":1,"b":3}'))).toBe(false);
  });

  it('without filterData, reading data is a compile problem naming the annotation', () => {
    const c = compileCesql("type = 'x' AND data.order.total > 1");
    expect(c.problems).toHaveLength(1);
    expect(c.problems[0]!.message).toContain(`${FILTER_DATA_ANNOTATION}: "true"`);
    expect(c.problems[0]!.position).toBe(15);
    expect(c.test(event({ type: 'x' }, order))).toBe(false);
  });
});
