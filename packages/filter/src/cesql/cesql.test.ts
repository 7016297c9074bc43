import { describe, expect, it } from 'vitest';
import { event } from '../../test/events.js';
import { compileCesql, evaluateCesql } from './cesql.js';

const value = (expr: string, attrs: Record<string, string> = {}) =>
  evaluateCesql(expr, event(attrs));
const kinds = (expr: string, attrs: Record<string, string> = {}) =>
  value(expr, attrs).errors.map((e) => e.kind);

describe('CESQL evaluation', () => {
  it('reads Tributary events (string attributes) with implicit casts', () => {
    expect(value("type = 'com.example.someevent'", {}).value).toBe(true);
    expect(value('sequence = 5', { sequence: '5' }).value).toBe(true);
    expect(value('hop < ttl', { hop: '5', ttl: '10' }).value).toBe(true);
    expect(value('flag AND TRUE', { flag: 'TRUE' }).value).toBe(true);
    expect(value('constructor', {})).toMatchObject({
      value: false,
      errors: [{ kind: 'missingAttribute' }],
    });
  });

  it('raises MathError on 32-bit overflow and division by zero', () => {
    expect(value('2147483647 + 1')).toMatchObject({ value: 0, errors: [{ kind: 'math' }] });
    expect(value('-2147483648 - 1').errors[0]?.kind).toBe('math');
    expect(value('65536 * 65536').errors[0]?.kind).toBe('math');
    expect(value('-2147483648 / -1').errors[0]?.kind).toBe('math');
    expect(value('-(-2147483648)').errors[0]?.kind).toBe('math');
    expect(value('-7 / 2').value).toBe(-3);
    expect(value('-7 % 2').value).toBe(-1);
    expect(Object.is(value('-4 % 2').value, 0)).toBe(true);
  });

  it('casts: failures are CastErrors with the zero value', () => {
    expect(value("INT('12a')")).toMatchObject({ value: 0, errors: [{ kind: 'cast' }] });
    expect(value("INT('2147483648')").errors[0]?.kind).toBe('cast');
    expect(value("INT('+7')").value).toBe(7);
    expect(value('myext = 5', { myext: 'five' })).toMatchObject({
      value: false,
      errors: [{ kind: 'cast' }],
    });
    expect(value("BOOL('TrUe')").value).toBe(true);
  });

  it('has IS_BOOL and IS_INT', () => {
    expect(value("IS_INT('12')").value).toBe(true);
    expect(value("IS_INT('x')").value).toBe(false);
    expect(value("IS_BOOL('false')").value).toBe(true);
    expect(value('IS_BOOL(3)').value).toBe(true);
    expect(value('is_int(TRUE)').value).toBe(true);
  });

  it('counts characters, not UTF-16 units', () => {
    expect(value("LENGTH('a😀b')").value).toBe(3);
    expect(value("LEFT('😀bc', 1)").value).toBe('😀');
    expect(value("SUBSTRING('a😀b', 2, 1)").value).toBe('😀');
    expect(value("'😀' LIKE '_'").value).toBe(true);
  });

  it('LIKE treats regular-expression characters literally', () => {
    expect(value("'a.c' LIKE 'a.c'").value).toBe(true);
    expect(value("'abc' LIKE 'a.c'").value).toBe(false);
    expect(value("'a-(b)' LIKE '_-(%)'").value).toBe(true);
    expect(value("'x\ny' LIKE 'x_y'").value).toBe(true);
    expect(value("'abcab' LIKE 'ab%ab'").value).toBe(true);
    expect(value("'ab' LIKE 'ab%ab'").value).toBe(false);
    expect(value("'a' LIKE '%'").value).toBe(true);
  });

  it('IN uses the left type as the cast target and short-circuits on a match', () => {
    expect(value("type IN ('x', 'com.example.someevent')").value).toBe(true);
    expect(value('n IN (1, 2, 3)', { n: '2' }).value).toBe(true);
    expect(value("1 IN (1, 'x')").value).toBe(true);
    expect(kinds("2 IN (1, 'x')")).toEqual(['cast']);
  });

  it('unknown functions are compile problems and evaluate to false with MissingFunctionError', () => {
    const c = compileCesql('NOPE(1) OR TRUE');
    expect(c.problems.map((p) => [p.kind, p.position])).toEqual([['missingFunction', 0]]);
    expect(c.evaluate(event())).toMatchObject({
      value: false,
      errors: [{ kind: 'missingFunction' }],
    });
    expect(c.test(event())).toBe(false);
    expect(compileCesql('LEFT(1)').problems[0]?.message).toContain('LEFT taking 1');
  });

  it('test() is the filter predicate: Boolean true without error', () => {
    const c = compileCesql("LEFT(type, -1) = 'x' OR TRUE");
    expect(c.test(event())).toBe(false);
    expect(compileCesql('TRUE').test(event())).toBe(true);
    expect(compileCesql('1').test(event())).toBe(false);
    const same = compileCesql("subject = 's'");
    expect(same.test(event({ subject: 's' }))).toBe(true);
    expect(same.test(event())).toBe(false);
    expect(same.test(event({ subject: 's' }))).toBe(true); // the context is reset between events
  });

  it('reports the error position', () => {
    expect(value('1 + missing').errors[0]?.position).toBe(4);
    expect(value('10 / 0').errors[0]?.position).toBe(3);
  });
});
