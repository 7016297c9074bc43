import { describe, expect, it } from 'vitest';
import { CesqlParseError } from '../errors.js';
import { parseCesql } from './parser.js';

function parseError(expr: string): CesqlParseError {
  try {
    parseCesql(expr);
  } catch (e) {
    if (e instanceof CesqlParseError) return e;
    throw e;
  }
  throw new Error(`expected a parse error for ${expr}`);
}

describe('CESQL parser', () => {
  it('reports the position, line, column and what was expected', () => {
    const e = parseError('ABC(');
    expect(e.position).toBe(4);
    expect(e.expected).toBe("an expression or ')'");
    expect(e.found).toBe('end of expression');
    expect(e.kind).toBe('parse');

    const like = parseError('x LIKE 123');
    expect(like.position).toBe(7);
    expect(like.expected).toMatch(/string literal/);

    const multi = parseError("type = 'a'\n  AND AND");
    expect(multi.position).toBe(17);
    expect([multi.line, multi.col]).toEqual([2, 7]);
    expect(multi.message).toContain('2:7');
  });

  it('rejects unterminated strings, stray characters, trailing tokens, out-of-range integers', () => {
    expect(parseError("type = 'abc").position).toBe(7);
    expect(parseError('type = #').position).toBe(7);
    expect(parseError('a b').expected).toBe('an operator or the end of the expression');
    expect(parseError('2147483648').expected).toMatch(/32-bit/);
    expect(parseCesql('-2147483648')).toMatchObject({ type: 'literal', value: -2147483648 });
    expect(parseError('a NOT b').expected).toBe("'LIKE' or 'IN' after 'NOT'");
    expect(parseError('x IN ()').position).toBe(6);
    expect(parseError('my_ext = 1').expected).toMatch(/attribute name/);
    expect(parseError('foo.bar = 1').expected).toMatch(/only allowed after 'data'/);
  });

  it('keywords and identifiers are case-insensitive; string case is preserved', () => {
    expect(parseCesql("SOURCE = 'AbC'")).toMatchObject({
      left: { type: 'attribute', name: 'source' },
      right: { value: 'AbC' },
    });
    expect(parseCesql('tRuE')).toMatchObject({ type: 'literal', value: true });
    expect(parseCesql('concat_ws(",", a)')).toMatchObject({ type: 'call', name: 'CONCAT_WS' });
  });

  it('follows the grammar precedence', () => {
    // * before +, + before comparison, comparison before logic.
    expect(parseCesql('1 + 2 * 3 = 7 AND x')).toMatchObject({
      op: 'AND',
      left: { op: '=', left: { op: '+', right: { op: '*' } } },
    });
    // Logic operators share one level and associate to the right (as CESQLParser.g4).
    expect(parseCesql('a AND b OR c')).toMatchObject({ op: 'AND', right: { op: 'OR' } });
    // Unary NOT binds tighter than LIKE.
    expect(parseCesql("NOT a LIKE 'x'")).toMatchObject({ type: 'like', value: { type: 'not' } });
    expect(parseCesql("a NOT LIKE 'x'")).toMatchObject({ type: 'like', negated: true });
    expect(parseCesql('a NOT IN (1, 2)')).toMatchObject({ type: 'in', negated: true });
    // Binary minus vs a negative literal.
    expect(parseCesql('4 -1')).toMatchObject({ op: '-', right: { value: 1 } });
    expect(parseCesql('--10')).toMatchObject({ type: 'negate', operand: { value: -10 } });
  });

  it('parses payload paths after data', () => {
    expect(parseCesql('data.order.total > 3')).toMatchObject({
      left: { type: 'data', path: ['order', 'total'] },
    });
    expect(parseCesql('data')).toMatchObject({ type: 'data', path: [] });
    expect(parseCesql('EXISTS data.items.0')).toMatchObject({
      type: 'exists',
      target: { path: ['items', '0'] },
    });
  });
});
