/**
 * CESQL values, the evaluation context and the casts of spec §3.7.
 *
 * Values are plain JS primitives: `boolean` is Boolean, `number` (always a 32-bit integer) is
 * Integer, `string` is String. Timestamps, URIs and URI references are Strings (spec §3.1).
 */
import { CesqlError, type CesqlErrorKind } from '../errors.js';

/** A CESQL value. */
export type CesqlValue = string | number | boolean;

/** A CESQL type; `Any` is a value whose type is only known at evaluation (an attribute). */
export type CesqlType = 'Boolean' | 'Integer' | 'String' | 'Any';

/** Looks an attribute up by its lower-case name; undefined when the event does not have it. */
export type AttributeGetter = (name: string) => CesqlValue | undefined;

export const INT_MIN = -2147483648;
export const INT_MAX = 2147483647;

/**
 * Per-evaluation state. One instance belongs to one compiled expression and is reset for every
 * evaluation, so evaluating allocates nothing unless errors are collected.
 */
export interface EvalContext {
  /** Attributes of a Tributary event (all strings), or null when `getter` is used. */
  attrs: Readonly<Record<string, string>> | null;
  getter: AttributeGetter | null;
  data: Uint8Array | undefined;
  contentType: string | undefined;
  /** 0 = data not parsed yet, 1 = parsed into `dataValue`, 2 = not parseable. */
  dataState: 0 | 1 | 2;
  dataValue: unknown;
  dataError: string;
  /** Set by the first error; every operator above it then returns its zero value (fail fast). */
  failed: boolean;
  /** Collect error objects (evaluate) or only flag them (the filter's hot path). */
  collect: boolean;
  errors: CesqlError[];
}

/** A fresh context. */
export function newContext(): EvalContext {
  return {
    attrs: null,
    getter: null,
    data: undefined,
    contentType: undefined,
    dataState: 0,
    dataValue: undefined,
    dataError: '',
    failed: false,
    collect: false,
    errors: [],
  };
}

/** Records an error; `message` is only called when errors are collected. */
export function raise(
  c: EvalContext,
  kind: CesqlErrorKind,
  message: () => string,
  position?: number,
): void {
  c.failed = true;
  if (c.collect) c.errors.push(new CesqlError(kind, message(), position));
}

/** Reads an attribute: a CESQL value, or undefined when absent. Never returns prototype members. */
export function getAttribute(c: EvalContext, name: string): CesqlValue | undefined {
  if (c.attrs !== null) {
    const v = c.attrs[name];
    return typeof v === 'string' ? v : undefined;
  }
  const v = c.getter!(name);
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : undefined;
}

/** The zero value of a type (spec §3.1); `Any` counts as Boolean (spec §3.2). */
export function zeroOf(t: CesqlType): CesqlValue {
  return t === 'Integer' ? 0 : t === 'String' ? '' : false;
}

/** The CESQL type of a value. */
export function typeOf(v: CesqlValue): Exclude<CesqlType, 'Any'> {
  return typeof v === 'boolean' ? 'Boolean' : typeof v === 'number' ? 'Integer' : 'String';
}

const INT_TEXT = /^[+-]?[0-9]+$/;

/** String → Integer per §3.7, or undefined when the string is not a 32-bit base-10 integer. */
export function parseInteger(s: string): number | undefined {
  if (!INT_TEXT.test(s)) return undefined;
  const n = Number(s);
  return n >= INT_MIN && n <= INT_MAX ? n : undefined;
}

/** Casts to Boolean; raises a CastError and returns false when it cannot. */
export function toBoolean(c: EvalContext, v: CesqlValue, position?: number): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (v === 'true' || v === 'false') return v === 'true';
  const lower = v.toLowerCase();
  if (lower === 'true') return true;
  if (lower !== 'false')
    raise(c, 'cast', () => `cannot cast the String '${v}' to Boolean`, position);
  return false;
}

/** Casts to Integer; raises a CastError and returns 0 when it cannot. */
export function toInteger(c: EvalContext, v: CesqlValue, position?: number): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const n = parseInteger(v);
  if (n === undefined) {
    raise(c, 'cast', () => `cannot cast the String '${v}' to Integer`, position);
    return 0;
  }
  return n;
}

/** Casts to String (never fails). */
export function toText(v: CesqlValue): string {
  return typeof v === 'string' ? v : String(v);
}

/** Casts to the type named (Any is the identity). */
export function castTo(c: EvalContext, v: CesqlValue, t: CesqlType, position?: number): CesqlValue {
  switch (t) {
    case 'Boolean':
      return toBoolean(c, v, position);
    case 'Integer':
      return toInteger(c, v, position);
    case 'String':
      return toText(v);
    default:
      return v;
  }
}

/** True when `v` can be cast to `t` without error (IS_BOOL, IS_INT). */
export function canCast(v: CesqlValue, t: CesqlType): boolean {
  if (t === 'Integer') return typeof v !== 'string' || parseInteger(v) !== undefined;
  if (t === 'Boolean') {
    if (typeof v !== 'string') return true;
    const lower = v.toLowerCase();
    return lower === 'true' || lower === 'false';
  }
  return true;
}

/** Equality of the `=` operator: `x` is cast to the type of `y` (spec §3.7, ambiguous binary rule). */
export function looseEquals(
  c: EvalContext,
  x: CesqlValue,
  y: CesqlValue,
  position?: number,
): boolean {
  if (typeof x === typeof y) return x === y;
  if (typeof y === 'string') return toText(x) === y;
  if (typeof y === 'number') {
    const n = toInteger(c, x, position);
    return c.failed ? false : n === y;
  }
  const b = toBoolean(c, x, position);
  return c.failed ? false : b === y;
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** The string as code points, or null when every UTF-16 unit is a whole character. */
export function codePoints(s: string): string[] | null {
  return SURROGATE.test(s) ? Array.from(s) : null;
}

/** Character length (code points). */
export function charLength(s: string): number {
  const cps = codePoints(s);
  return cps === null ? s.length : cps.length;
}

/** Characters `[start, end)` counted in code points. */
export function charSlice(s: string, start: number, end: number): string {
  const cps = codePoints(s);
  return cps === null ? s.slice(start, end) : cps.slice(start, end).join('');
}
