/**
 * Compiles a CESQL syntax tree into closures: evaluating an event walks no tree and parses
 * nothing. Evaluation is "fail fast" (spec §4.1): the first error marks the context failed and
 * every operator above it returns the zero value of its type, which is what the TCK expects
 * (`true AND (1 != 1 / 0)` is `false` with a MathError).
 */
import { CesqlError, FILTER_DATA_ANNOTATION } from '../errors.js';
import type { CesqlNode } from './ast.js';
import { resolveFunction } from './functions.js';
import type { CorrelationKeyLookup } from './correlation-id.js';
import { compileLike } from './like.js';
import { dataExists, dataPathText, readData } from './payload.js';
import {
  getAttribute,
  INT_MAX,
  INT_MIN,
  looseEquals,
  raise,
  toBoolean,
  toInteger,
  toText,
  typeOf,
  zeroOf,
  type CesqlType,
  type CesqlValue,
  type EvalContext,
} from './values.js';

/** A compiled node: evaluates to a value of `type` (or of any type when `Any`). */
export type Evaluator = (c: EvalContext) => CesqlValue;
interface Compiled {
  readonly ev: Evaluator;
  readonly type: CesqlType;
}

/** Compile-time settings. */
export interface CompileEnv {
  /** Allow `data` / `data.x` (payload filters). */
  readonly filterData: boolean;
  /** Problems found while compiling (unknown functions, payload access not allowed). */
  readonly problems: CesqlError[];
  /** Keys for KN_VERIFY_CORRELATION_ID. */
  readonly correlationKeys?: CorrelationKeyLookup | undefined;
}

/** Compiles a node (and its subtree). */
export function compileNode(n: CesqlNode, env: CompileEnv): Compiled {
  switch (n.type) {
    case 'literal': {
      const v = n.value;
      return { ev: () => v, type: typeOf(v) };
    }
    case 'attribute': {
      const { name, pos } = n;
      const msg = (): string => `missing attribute '${name}'`;
      return {
        ev: (c) => {
          const v = getAttribute(c, name);
          if (v !== undefined) return v;
          raise(c, 'missingAttribute', msg, pos);
          return false;
        },
        type: 'Any',
      };
    }
    case 'data': {
      const { path, pos } = n;
      if (!env.filterData) env.problems.push(payloadNotAllowed(path, pos));
      return { ev: (c) => readData(c, path, pos), type: 'Any' };
    }
    case 'exists': {
      const t = n.target;
      if (t.type === 'data') {
        if (!env.filterData) env.problems.push(payloadNotAllowed(t.path, t.pos));
        const path = t.path;
        return { ev: (c) => dataExists(c, path), type: 'Boolean' };
      }
      const name = t.type === 'attribute' ? t.name : '';
      return { ev: (c) => getAttribute(c, name) !== undefined, type: 'Boolean' };
    }
    case 'not': {
      const b = asBoolean(compileNode(n.operand, env), n.operand.pos);
      return { ev: (c) => !b(c) && !c.failed, type: 'Boolean' };
    }
    case 'negate': {
      const i = asInteger(compileNode(n.operand, env), n.operand.pos);
      const pos = n.pos;
      return {
        ev: (c) => {
          const v = i(c) as number;
          if (c.failed) return 0;
          if (v === INT_MIN) {
            raise(c, 'math', () => '-(-2147483648) overflows a 32-bit integer', pos);
            return 0;
          }
          return 0 - v;
        },
        type: 'Integer',
      };
    }
    case 'like': {
      const s = asString(compileNode(n.value, env));
      const match = compileLike(n.pattern);
      const negated = n.negated;
      return {
        ev: (c) => {
          const v = s(c) as string;
          return c.failed ? false : match(v) !== negated;
        },
        type: 'Boolean',
      };
    }
    case 'in':
      return compileIn(n, env);
    case 'call':
      return compileCall(n, env);
    case 'binary':
      return compileBinary(n, env);
  }
}

function payloadNotAllowed(path: readonly string[], pos: number): CesqlError {
  return new CesqlError(
    'generic',
    `'${dataPathText(path)}' reads the event data, which CESQL filters may only do when the Trigger has the ` +
      `annotation ${FILTER_DATA_ANNOTATION}: "true"`,
    pos,
  );
}

/** Wraps an evaluator so that it yields a Boolean (implicit cast). */
export function asBoolean(x: Compiled, pos: number): Evaluator {
  if (x.type === 'Boolean') return x.ev;
  const ev = x.ev;
  return (c) => {
    const v = ev(c);
    return c.failed ? false : toBoolean(c, v, pos);
  };
}

function asInteger(x: Compiled, pos: number): Evaluator {
  if (x.type === 'Integer') return x.ev;
  const ev = x.ev;
  return (c) => {
    const v = ev(c);
    return c.failed ? 0 : toInteger(c, v, pos);
  };
}

function asString(x: Compiled): Evaluator {
  if (x.type === 'String') return x.ev;
  const ev = x.ev;
  return (c) => {
    const v = ev(c);
    return c.failed ? '' : toText(v);
  };
}

function castTo(x: Compiled, t: CesqlType, pos: number): Evaluator {
  return t === 'Boolean'
    ? asBoolean(x, pos)
    : t === 'Integer'
      ? asInteger(x, pos)
      : t === 'String'
        ? asString(x)
        : x.ev;
}

function compileBinary(n: Extract<CesqlNode, { type: 'binary' }>, env: CompileEnv): Compiled {
  const left = compileNode(n.left, env);
  const right = compileNode(n.right, env);
  const { op, opPos } = n;
  switch (op) {
    case 'AND':
    case 'OR':
    case 'XOR': {
      const l = asBoolean(left, n.left.pos);
      const r = asBoolean(right, n.right.pos);
      if (op === 'AND')
        return {
          ev: (c) => {
            if (!l(c) || c.failed) return false;
            const b = r(c);
            return c.failed ? false : b;
          },
          type: 'Boolean',
        };
      if (op === 'OR')
        return {
          ev: (c) => {
            const a = l(c);
            if (c.failed) return false;
            if (a) return true;
            const b = r(c);
            return c.failed ? false : b;
          },
          type: 'Boolean',
        };
      return {
        ev: (c) => {
          const a = l(c);
          if (c.failed) return false;
          const b = r(c);
          return c.failed ? false : a !== b;
        },
        type: 'Boolean',
      };
    }
    case '=':
    case '!=':
    case '<>': {
      const negated = op !== '=';
      const l = left.ev;
      const r = right.ev;
      if (left.type === right.type && left.type !== 'Any')
        return {
          ev: (c) => {
            const a = l(c);
            if (c.failed) return false;
            const b = r(c);
            return c.failed ? false : (a === b) !== negated;
          },
          type: 'Boolean',
        };
      return {
        ev: (c) => {
          const a = l(c);
          if (c.failed) return false;
          const b = r(c);
          if (c.failed) return false;
          const eq = looseEquals(c, a, b, opPos);
          return c.failed ? false : eq !== negated;
        },
        type: 'Boolean',
      };
    }
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const l = asInteger(left, n.left.pos);
      const r = asInteger(right, n.right.pos);
      const cmp = COMPARE[op];
      return {
        ev: (c) => {
          const a = l(c) as number;
          if (c.failed) return false;
          const b = r(c) as number;
          return c.failed ? false : cmp(a, b);
        },
        type: 'Boolean',
      };
    }
    default: {
      const l = asInteger(left, n.left.pos);
      const r = asInteger(right, n.right.pos);
      const f = ARITHMETIC[op]!;
      return {
        ev: (c) => {
          const a = l(c) as number;
          if (c.failed) return 0;
          const b = r(c) as number;
          if (c.failed) return 0;
          const v = f(a, b);
          if (typeof v === 'string') {
            raise(c, 'math', () => `${a} ${op} ${b}: ${v}`, opPos);
            return 0;
          }
          return v;
        },
        type: 'Integer',
      };
    }
  }
}

const COMPARE: Record<'<' | '<=' | '>' | '>=', (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

/** Integer arithmetic; a string is the MathError's reason. */
const ARITHMETIC: Record<string, (a: number, b: number) => number | string> = {
  '+': (a, b) => checked(a + b),
  '-': (a, b) => checked(a - b),
  '*': (a, b) => checked(a * b),
  '/': (a, b) => (b === 0 ? 'division by zero' : checked(Math.trunc(a / b))),
  '%': (a, b) => (b === 0 ? 'division by zero' : (a % b) + 0),
};

function checked(v: number): number | string {
  return v >= INT_MIN && v <= INT_MAX ? v + 0 : 'the result overflows a 32-bit integer';
}

function compileIn(n: Extract<CesqlNode, { type: 'in' }>, env: CompileEnv): Compiled {
  const x = compileNode(n.value, env).ev;
  const set = n.set.map((e) => compileNode(e, env).ev);
  const negated = n.negated;
  const pos = n.pos;
  // All literals of one type: a Set lookup when the value has that type.
  const literals = n.set.every((e) => e.type === 'literal')
    ? n.set.map((e) => (e as { value: CesqlValue }).value)
    : null;
  const litType =
    literals !== null && literals.every((v) => typeof v === typeof literals[0])
      ? typeof literals[0]
      : '';
  const lookup = litType !== '' ? new Set<CesqlValue>(literals) : null;
  return {
    ev: (c) => {
      const v = x(c);
      if (c.failed) return false;
      if (lookup !== null && typeof v === litType) return lookup.has(v) !== negated;
      for (const e of set) {
        const y = e(c);
        if (c.failed) return false;
        // The value's type is the target type of the cast (spec §3.7, IN rule).
        const eq = looseEquals(c, y, v, pos);
        if (c.failed) return false;
        if (eq) return !negated;
      }
      return negated;
    },
    type: 'Boolean',
  };
}

function compileCall(n: Extract<CesqlNode, { type: 'call' }>, env: CompileEnv): Compiled {
  const f = resolveFunction(n.name, n.args.length);
  const pos = n.pos;
  if (f === undefined) {
    const message = `no function ${n.name} taking ${n.args.length} argument(s)`;
    env.problems.push(new CesqlError('missingFunction', message, pos));
    for (const a of n.args) compileNode(a, env); // still report problems inside the arguments
    return { ev: (c) => (raise(c, 'missingFunction', () => message, pos), false), type: 'Boolean' };
  }
  const args = n.args.map((a, i) =>
    castTo(compileNode(a, env), f.params[i] ?? f.variadic ?? 'Any', a.pos),
  );
  const values: CesqlValue[] = new Array<CesqlValue>(args.length).fill(false);
  const zero = zeroOf(f.returns);
  const impl = f.bind ? f.bind(env) : f.impl;
  return {
    ev: (c) => {
      for (let i = 0; i < args.length; i++) {
        values[i] = args[i]!(c);
        if (c.failed) return zero;
      }
      return impl(c, values, pos);
    },
    type: f.returns,
  };
}
