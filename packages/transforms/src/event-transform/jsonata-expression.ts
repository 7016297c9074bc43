/**
 * JSONata, loaded at first use (a manifest without an EventTransform never loads it), compiled
 * once per expression, evaluated with guard rails: a time limit and a stack depth limit per
 * evaluation, and a cap on sequence length, so a runaway expression fails the delivery instead
 * of stalling the process (docs/transforms.md).
 */
import { createRequire } from 'node:module';
import type jsonataType from 'jsonata';
import { TransformEvaluationError, TransformExpressionError } from '../errors.js';

/** Limits of one evaluation. */
export interface EvaluationLimits {
  /** Wall time of one evaluation, in milliseconds. @default 1000 */
  readonly timeoutMs?: number;
  /** Deepest evaluation stack. @default 500 */
  readonly maxDepth?: number;
  /** Longest sequence an evaluation may build. @default 100000 */
  readonly maxSequence?: number;
}

/** A compiled expression. */
export interface CompiledExpression {
  readonly source: string;
  /** Evaluates against `input`; rejects with {@link TransformEvaluationError}. */
  evaluate(input: unknown): Promise<unknown>;
}

type JsonataFn = typeof jsonataType;
let loading: Promise<JsonataFn> | undefined;

/** The jsonata module, imported once. */
export function loadJsonata(): Promise<JsonataFn> {
  loading ??= import('jsonata').then((m) => (m as unknown as { default: JsonataFn }).default);
  return loading;
}

interface JsonataFailure {
  readonly message?: string;
  readonly code?: string;
  readonly position?: number;
  readonly token?: string;
}

function describe(err: unknown): { message: string; position?: number } {
  const e = (err ?? {}) as JsonataFailure;
  const base = e.message ?? String(err);
  const code = e.code ? ` (JSONata ${e.code})` : '';
  const at = typeof e.position === 'number' ? ` at position ${e.position}` : '';
  return typeof e.position === 'number'
    ? { message: `${base}${code}${at}`, position: e.position }
    : { message: `${base}${code}` };
}

/** Compiles `source`; rejects with {@link TransformExpressionError} naming the position. */
export async function compileExpression(
  source: string,
  limits: EvaluationLimits = {},
): Promise<CompiledExpression> {
  const jsonata = await loadJsonata();
  let expr: jsonataType.Expression;
  try {
    expr = jsonata(source, {
      timeout: limits.timeoutMs ?? 1000,
      stack: limits.maxDepth ?? 500,
      sequence: limits.maxSequence ?? 100_000,
    });
  } catch (err) {
    const d = describe(err);
    throw new TransformExpressionError(`invalid JSONata expression: ${d.message}`, d.position);
  }
  return {
    source,
    async evaluate(input) {
      try {
        return await expr.evaluate(input);
      } catch (err) {
        throw new TransformEvaluationError(`JSONata evaluation failed: ${describe(err).message}`);
      }
    },
  };
}

/**
 * Checks the syntax of `source` synchronously, for the manifest loader: JSONata is required on
 * the first call (so only when a manifest has an EventTransform). Returns the problem, or
 * undefined when the expression parses.
 */
export function expressionSyntaxProblem(source: string): string | undefined {
  syncJsonata ??= createRequire(import.meta.url)('jsonata') as JsonataFn;
  try {
    syncJsonata(source);
    return undefined;
  } catch (err) {
    return `invalid JSONata expression: ${describe(err).message}`;
  }
}
let syncJsonata: JsonataFn | undefined;
