/**
 * CESQL v1 parser: recursive descent over the precedence of `CESQLParser.g4` (cloudevents/spec).
 *
 * Precedence, highest first: function calls, literals, attributes, `EXISTS`, `( … )`; unary `NOT`
 * and `-` (their operand is a unary expression, so `NOT a LIKE 'x'` is `(NOT a) LIKE 'x'`);
 * postfix `[NOT] LIKE 'pattern'` and `[NOT] IN (…)`; `* / %`; `+ -`; comparisons (left
 * associative); `AND OR XOR` — one level, right associative as in the grammar, so
 * `a AND b OR c` is `a AND (b OR c)` (the same tree as sdk-go, which Knative runs).
 */
import { CesqlParseError } from '../errors.js';
import type { BinaryOperator, CesqlNode } from './ast.js';
import { describeToken, tokenize, type Token } from './lexer.js';
import { INT_MAX, INT_MIN } from './values.js';

const COMPARISON = new Set(['=', '!=', '<>', '<', '<=', '>', '>=']);
const FUNCTION_NAME = /^[A-Za-z][A-Za-z_]*$/;
const IDENTIFIER = /^[A-Za-z0-9]+$/;
const PATH_SEGMENT = /^[A-Za-z0-9_]+$/;

/** Parses a CESQL expression into its syntax tree. Throws {@link CesqlParseError}. */
export function parseCesql(expression: string): CesqlNode {
  const tokens = tokenize(expression);
  let i = 0;
  const peek = (): Token => tokens[i]!;
  const next = (): Token => tokens[i++]!;
  const fail = (expected: string, t: Token = peek()): never => {
    throw new CesqlParseError(expression, t.start, expected, describeToken(t));
  };
  const isKeyword = (t: Token, k: string): boolean => t.kind === 'word' && t.keyword === k;
  const expect = (kind: Token['kind'], expected: string): Token =>
    peek().kind === kind ? next() : fail(expected);

  const root = parseLogic();
  if (peek().kind !== 'eof') fail('an operator or the end of the expression');
  return root;

  function parseLogic(): CesqlNode {
    const left = parseComparison();
    const t = peek();
    if (isKeyword(t, 'AND') || isKeyword(t, 'OR') || isKeyword(t, 'XOR')) {
      next();
      const right = parseLogic();
      return {
        type: 'binary',
        op: t.keyword as BinaryOperator,
        left,
        right,
        pos: left.pos,
        opPos: t.start,
      };
    }
    return left;
  }

  function parseComparison(): CesqlNode {
    let left = parseAdditive();
    while (COMPARISON.has(peek().kind)) {
      const t = next();
      const right = parseAdditive();
      left = {
        type: 'binary',
        op: t.kind as BinaryOperator,
        left,
        right,
        pos: left.pos,
        opPos: t.start,
      };
    }
    return left;
  }

  function parseAdditive(): CesqlNode {
    let left = parseMultiplicative();
    while (peek().kind === '+' || peek().kind === '-') {
      const t = next();
      const right = parseMultiplicative();
      left = {
        type: 'binary',
        op: t.kind as BinaryOperator,
        left,
        right,
        pos: left.pos,
        opPos: t.start,
      };
    }
    return left;
  }

  function parseMultiplicative(): CesqlNode {
    let left = parsePostfix();
    while (peek().kind === '*' || peek().kind === '/' || peek().kind === '%') {
      const t = next();
      const right = parsePostfix();
      left = {
        type: 'binary',
        op: t.kind as BinaryOperator,
        left,
        right,
        pos: left.pos,
        opPos: t.start,
      };
    }
    return left;
  }

  function parsePostfix(): CesqlNode {
    let value = parseUnary();
    for (;;) {
      const t = peek();
      const negated = isKeyword(t, 'NOT');
      const op = negated ? tokens[i + 1]! : t;
      if (isKeyword(op, 'LIKE')) {
        i += negated ? 2 : 1;
        const pattern = peek();
        if (pattern.kind !== 'string')
          fail('a string literal (the LIKE pattern must be a literal string)');
        next();
        value = { type: 'like', value, pattern: pattern.text, negated, pos: value.pos };
      } else if (isKeyword(op, 'IN')) {
        i += negated ? 2 : 1;
        expect('(', "'(' to open the IN set");
        const set: CesqlNode[] = [parseLogic()];
        while (peek().kind === ',') {
          next();
          set.push(parseLogic());
        }
        expect(')', "',' or ')' to close the IN set");
        value = { type: 'in', value, set, negated, pos: value.pos };
      } else if (negated) {
        fail("'LIKE' or 'IN' after 'NOT'", op);
      } else {
        return value;
      }
    }
  }

  function parseUnary(): CesqlNode {
    const t = peek();
    if (isKeyword(t, 'NOT')) {
      next();
      return { type: 'not', operand: parseUnary(), pos: t.start };
    }
    if (t.kind === '-' || t.kind === '+') {
      next();
      if (peek().kind === 'int') return integerLiteral(next(), t.kind === '-' ? -1 : 1, t.start);
      if (t.kind === '+') fail('an integer after the sign');
      return { type: 'negate', operand: parseUnary(), pos: t.start };
    }
    return parsePrimary();
  }

  function integerLiteral(t: Token, sign: number, pos: number): CesqlNode {
    const value = sign * Number(t.text);
    if (!(value >= INT_MIN && value <= INT_MAX))
      fail('a 32-bit integer (-2147483648 to 2147483647)', t);
    return { type: 'literal', value: value === 0 ? 0 : value, pos };
  }

  function parsePrimary(): CesqlNode {
    const t = peek();
    switch (t.kind) {
      case '(': {
        next();
        const inner = parseLogic();
        expect(')', "')'");
        return inner;
      }
      case 'int':
        return integerLiteral(next(), 1, t.start);
      case 'string':
        next();
        return { type: 'literal', value: t.text, pos: t.start };
      case 'word':
        break;
      default:
        return fail('an expression');
    }
    if (t.keyword === 'TRUE' || t.keyword === 'FALSE') {
      next();
      return { type: 'literal', value: t.keyword === 'TRUE', pos: t.start };
    }
    if (t.keyword === 'EXISTS') {
      next();
      const target = peek();
      if (target.kind !== 'word' || target.keyword !== '' || tokens[i + 1]!.kind === '(')
        fail('an attribute name after EXISTS');
      return { type: 'exists', target: attribute(), pos: t.start };
    }
    if (t.keyword !== '') fail('an expression');
    if (tokens[i + 1]!.kind === '(') return call();
    return attribute();
  }

  function call(): CesqlNode {
    const name = next();
    if (!FUNCTION_NAME.test(name.text)) fail("a function name (letters and '_')", name);
    next(); // '('
    const args: CesqlNode[] = [];
    if (peek().kind === 'eof') fail("an expression or ')'");
    if (peek().kind !== ')') {
      args.push(parseLogic());
      while (peek().kind === ',') {
        next();
        args.push(parseLogic());
      }
    }
    expect(')', args.length === 0 ? "an expression or ')'" : "',' or ')'");
    return { type: 'call', name: name.text.toUpperCase(), args, pos: name.start };
  }

  function attribute(): CesqlNode {
    const t = next();
    if (!IDENTIFIER.test(t.text)) fail('an attribute name (letters and digits)', t);
    const name = t.text.toLowerCase();
    if (peek().kind !== '.' || peek().start !== t.end) {
      return name === 'data'
        ? { type: 'data', path: [], pos: t.start }
        : { type: 'attribute', name, pos: t.start };
    }
    if (name !== 'data') fail("an operator ('.' paths are only allowed after 'data')");
    const path: string[] = [];
    let end = t.end;
    while (peek().kind === '.' && peek().start === end) {
      const dot = next();
      const seg = peek();
      if (
        seg.start !== dot.end ||
        (seg.kind !== 'word' && seg.kind !== 'int') ||
        !PATH_SEGMENT.test(seg.text)
      )
        fail('a field name after the dot');
      next();
      path.push(seg.text);
      end = seg.end;
    }
    return { type: 'data', path, pos: t.start };
  }
}
