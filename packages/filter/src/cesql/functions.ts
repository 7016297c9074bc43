/**
 * The built-in CESQL functions (spec §3.5: string manipulation, ABS; the casting functions
 * INT, BOOL, STRING of the TCK; IS_BOOL and IS_INT as in sdk-go). Names are case-insensitive and
 * overloaded by arity; a call is resolved once, at compile time.
 */
import {
  canCast,
  charLength,
  charSlice,
  INT_MAX,
  INT_MIN,
  raise,
  toBoolean,
  toInteger,
  toText,
  type CesqlType,
  type CesqlValue,
  type EvalContext,
} from './values.js';
import { type CorrelationKeyLookup, knVerifyCorrelationId } from './correlation-id.js';

/** What functions may read from the compile options (bound once per call site). */
export interface FunctionEnv {
  /** Keys for KN_VERIFY_CORRELATION_ID; without them it is always false. */
  readonly correlationKeys?: CorrelationKeyLookup | undefined;
}

/**
 * One overload. Arguments arrive already cast to `params` (and `variadic` for the rest). An
 * implementation that meets an error calls `raise` and still returns a value of its type.
 */
export interface CesqlFunction {
  readonly params: readonly CesqlType[];
  /** Type of any further arguments; absent for a fixed arity. */
  readonly variadic?: CesqlType;
  readonly returns: Exclude<CesqlType, 'Any'>;
  readonly impl: (c: EvalContext, args: readonly CesqlValue[], position: number) => CesqlValue;
  /** When set, the implementation used at a call site is `bind(env)` (functions that need options). */
  readonly bind?: (env: FunctionEnv) => CesqlFunction['impl'];
}

const str = (v: CesqlValue | undefined): string => v as string;
const int = (v: CesqlValue | undefined): number => v as number;

const BUILTINS: Record<string, readonly CesqlFunction[]> = {
  ABS: [
    {
      params: ['Integer'],
      returns: 'Integer',
      impl: (c, [x], pos) => {
        if (int(x) === INT_MIN) {
          raise(c, 'math', () => 'ABS(-2147483648) overflows a 32-bit integer', pos);
          return INT_MAX;
        }
        return Math.abs(int(x));
      },
    },
  ],
  LENGTH: [{ params: ['String'], returns: 'Integer', impl: (_c, [x]) => charLength(str(x)) }],
  CONCAT: [
    { params: [], variadic: 'String', returns: 'String', impl: (_c, args) => args.join('') },
  ],
  CONCAT_WS: [
    {
      params: ['String'],
      variadic: 'String',
      returns: 'String',
      impl: (_c, args) => args.slice(1).join(str(args[0])),
    },
  ],
  LOWER: [{ params: ['String'], returns: 'String', impl: (_c, [x]) => str(x).toLowerCase() }],
  UPPER: [{ params: ['String'], returns: 'String', impl: (_c, [x]) => str(x).toUpperCase() }],
  TRIM: [{ params: ['String'], returns: 'String', impl: (_c, [x]) => str(x).trim() }],
  LEFT: [
    {
      params: ['String', 'Integer'],
      returns: 'String',
      impl: (c, [x, y], pos) => side(c, str(x), int(y), true, pos),
    },
  ],
  RIGHT: [
    {
      params: ['String', 'Integer'],
      returns: 'String',
      impl: (c, [x, y], pos) => side(c, str(x), int(y), false, pos),
    },
  ],
  SUBSTRING: [
    {
      params: ['String', 'Integer'],
      returns: 'String',
      impl: (c, [x, p], pos) => substring(c, str(x), int(p), undefined, pos),
    },
    {
      params: ['String', 'Integer', 'Integer'],
      returns: 'String',
      impl: (c, [x, p, l], pos) => substring(c, str(x), int(p), int(l), pos),
    },
  ],
  INT: [{ params: ['Any'], returns: 'Integer', impl: (c, [x], pos) => toInteger(c, x!, pos) }],
  BOOL: [{ params: ['Any'], returns: 'Boolean', impl: (c, [x], pos) => toBoolean(c, x!, pos) }],
  STRING: [{ params: ['Any'], returns: 'String', impl: (_c, [x]) => toText(x!) }],
  IS_BOOL: [{ params: ['Any'], returns: 'Boolean', impl: (_c, [x]) => canCast(x!, 'Boolean') }],
  IS_INT: [{ params: ['Any'], returns: 'Boolean', impl: (_c, [x]) => canCast(x!, 'Integer') }],
  // Knative's RequestReply check (docs/request-reply.md):
  // KN_VERIFY_CORRELATION_ID(correlation_id, name, namespace, secret_name, pod_idx, replica_count)
  KN_VERIFY_CORRELATION_ID: [
    {
      params: ['String', 'String', 'String', 'String', 'Integer', 'Integer'],
      returns: 'Boolean',
      impl: () => false,
      bind:
        (env) =>
        (_c, [id, name, ns, secret, podIdx, replicas]) =>
          knVerifyCorrelationId(
            env.correlationKeys,
            str(id),
            str(name),
            str(ns),
            str(secret),
            int(podIdx),
            int(replicas),
          ),
    },
  ],
};

/** Names of every built-in function. */
export const BUILTIN_FUNCTION_NAMES: readonly string[] = Object.keys(BUILTINS);

/** The overload of `name` (upper-cased) for `arity` arguments, or undefined. */
export function resolveFunction(name: string, arity: number): CesqlFunction | undefined {
  const overloads = Object.hasOwn(BUILTINS, name) ? BUILTINS[name]! : [];
  for (const f of overloads) {
    if (f.params.length === arity || (f.variadic !== undefined && arity >= f.params.length))
      return f;
  }
  return undefined;
}

/** LEFT / RIGHT: `x` and a FunctionEvaluationError when `y < 0`. */
function side(c: EvalContext, x: string, y: number, left: boolean, pos: number): string {
  if (y < 0) {
    raise(c, 'functionEvaluation', () => `${left ? 'LEFT' : 'RIGHT'} length ${y} is negative`, pos);
    return x;
  }
  const len = charLength(x);
  if (len <= y) return x;
  return left ? charSlice(x, 0, y) : charSlice(x, len - y, len);
}

/** SUBSTRING(x, pos[, len]) with 1-based positions, negative positions counting from the end. */
function substring(
  c: EvalContext,
  x: string,
  p: number,
  l: number | undefined,
  pos: number,
): string {
  const len = charLength(x);
  if (p > len || p < -len) {
    raise(
      c,
      'functionEvaluation',
      () => `SUBSTRING position ${p} is outside the string of length ${len}`,
      pos,
    );
    return '';
  }
  if (l !== undefined && l < 0) {
    raise(c, 'functionEvaluation', () => `SUBSTRING length ${l} is negative`, pos);
    return '';
  }
  if (p === 0) return '';
  const start = p > 0 ? p - 1 : len + p;
  const end = l === undefined ? len : Math.min(len, start + l);
  return charSlice(x, start, end);
}
