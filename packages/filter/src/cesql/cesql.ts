/**
 * Public entry points of the CESQL engine: compile an expression once, evaluate it many times.
 */
import type { CloudEvent } from '@tributary/core';
import type { CesqlError } from '../errors.js';
import { walk, type CesqlNode } from './ast.js';
import { compileNode, type Evaluator } from './compiler.js';
import { parseCesql } from './parser.js';
import type { CorrelationKeyLookup } from './correlation-id.js';
import {
  newContext,
  type AttributeGetter,
  type CesqlType,
  type CesqlValue,
  type EvalContext,
} from './values.js';

/** Options of {@link compileCesql}. */
export interface CesqlOptions {
  /**
   * Allow `data` and `data.a.b` to read the event's JSON data (Tributary extension; a Trigger
   * opts in with the annotation `tributary.dev/filter-data: "true"`). Default false: such
   * references are compile problems.
   */
  readonly filterData?: boolean;
  /** Keys for `KN_VERIFY_CORRELATION_ID` (the runtime reads them from Secrets); without them it is false. */
  readonly correlationKeys?: CorrelationKeyLookup | undefined;
}

/** The outcome of an evaluation: a value, always, and the errors met (empty when none). */
export interface CesqlResult {
  readonly value: CesqlValue;
  readonly errors: readonly CesqlError[];
}

/** Input for {@link CompiledCesql.evaluateWith}: typed attributes, as the CESQL TCK's events have. */
export interface CesqlInput {
  readonly attribute: AttributeGetter;
  /** Event data bytes and content type, for payload filters. */
  readonly data?: Uint8Array | undefined;
  readonly contentType?: string | undefined;
}

/** A compiled CESQL expression. Evaluation is synchronous and does not parse or walk a tree. */
export interface CompiledCesql {
  readonly expression: string;
  readonly ast: CesqlNode;
  /** Static type of the result (`Any` for a bare attribute). */
  readonly type: CesqlType;
  /**
   * Problems found at compile time: unknown functions (`missingFunction`), payload access without
   * `filterData`. When non-empty, every evaluation yields `false` and these errors.
   */
  readonly problems: readonly CesqlError[];
  /** True when the expression reads the event data (`data…`). */
  readonly readsData: boolean;
  /** Evaluates against a Tributary event (attributes are Strings). */
  evaluate(event: CloudEvent): CesqlResult;
  /** Evaluates against typed attributes (String, Integer, Boolean values). */
  evaluateWith(input: CesqlInput): CesqlResult;
  /**
   * The filter predicate: true iff the value is Boolean `true` and no error occurred
   * (spec §1.2). Allocation-free; stops at the first error.
   */
  test(event: CloudEvent): boolean;
}

function reset(c: EvalContext, collect: boolean): void {
  c.failed = false;
  c.collect = collect;
  c.dataState = 0;
  c.dataValue = undefined;
  if (collect) c.errors = [];
}

function release(c: EvalContext): void {
  c.attrs = null;
  c.getter = null;
  c.data = undefined;
  c.dataValue = undefined;
}

/** Compiles a CESQL expression. Throws `CesqlParseError` when it is not valid syntax. */
export function compileCesql(expression: string, options: CesqlOptions = {}): CompiledCesql {
  const ast = parseCesql(expression);
  const problems: CesqlError[] = [];
  const { ev, type } = compileNode(ast, {
    filterData: options.filterData === true,
    problems,
    correlationKeys: options.correlationKeys,
  });
  let readsData = false;
  walk(ast, (n) => {
    if (n.type === 'data') readsData = true;
  });
  const root: Evaluator = problems.length > 0 ? () => false : ev;
  const c = newContext();

  const run = (collect: boolean): CesqlResult | boolean => {
    reset(c, collect);
    const value = root(c);
    release(c);
    if (!collect) return !c.failed && value === true;
    return { value, errors: problems.length > 0 ? problems : c.errors };
  };

  return {
    expression,
    ast,
    type: problems.length > 0 ? 'Boolean' : type,
    problems,
    readsData,
    evaluate(event) {
      c.attrs = event.attributes;
      c.data = event.data;
      c.contentType = event.attributes['datacontenttype'];
      return run(true) as CesqlResult;
    },
    evaluateWith(input) {
      c.getter = input.attribute;
      c.data = input.data;
      c.contentType = input.contentType;
      return run(true) as CesqlResult;
    },
    test(event) {
      if (problems.length > 0) return false;
      c.attrs = event.attributes;
      c.data = event.data;
      c.contentType = event.attributes['datacontenttype'];
      return run(false) as boolean;
    },
  };
}

/** Evaluates an expression once (parses and compiles it first; prefer {@link compileCesql}). */
export function evaluateCesql(
  expression: string,
  event: CloudEvent,
  options?: CesqlOptions,
): CesqlResult {
  return compileCesql(expression, options).evaluate(event);
}
