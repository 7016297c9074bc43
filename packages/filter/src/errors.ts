/**
 * Errors of @tributary/filter.
 *
 * Parse errors are thrown (they make a Trigger invalid). Evaluation errors are values: CESQL is a
 * total language, so an evaluation returns a result together with the errors it met (spec §3.3).
 */

import { TributaryError } from '@tributary/core';

/** Codes of this package's errors (docs/errors.md). */
export const filterErrorCodes = {
  TRIB_ERR_CESQL_PARSE: 'a CESQL expression is not syntactically valid',
  TRIB_ERR_CESQL_EVALUATION: 'evaluating a CESQL expression met an error (returned, never thrown)',
  TRIB_ERR_FILTER_INVALID: "a Trigger's filters could not be compiled",
} as const;

export type FilterErrorCode = keyof typeof filterErrorCodes;

/** The CESQL error kinds of spec §3.3, named as the CESQL TCK names them. */
export type CesqlErrorKind =
  | 'parse'
  | 'math'
  | 'cast'
  | 'missingFunction'
  | 'functionEvaluation'
  | 'missingAttribute'
  | 'generic';

/** One error met while compiling or evaluating a CESQL expression (never thrown by evaluation). */
export class CesqlError extends TributaryError<FilterErrorCode> {
  constructor(
    readonly kind: CesqlErrorKind,
    message: string,
    /** 0-based offset in the expression of the part that raised it, when known. */
    readonly position?: number,
  ) {
    super(kind === 'parse' ? 'TRIB_ERR_CESQL_PARSE' : 'TRIB_ERR_CESQL_EVALUATION', message);
  }
}

/** A CESQL expression is not syntactically valid. */
export class CesqlParseError extends CesqlError {
  /** 1-based line of `position`. */
  readonly line: number;
  /** 1-based column of `position`. */
  readonly col: number;

  constructor(
    readonly expression: string,
    /** 0-based offset in the expression where the problem is. */
    override readonly position: number,
    /** What the parser expected there, e.g. `')'` or `an expression`. */
    readonly expected: string,
    /** What it found instead, e.g. `end of expression` or `'AND'`. */
    readonly found: string,
  ) {
    const { line, col } = lineCol(expression, position);
    super(
      'parse',
      `CESQL parse error at ${line}:${col}: expected ${expected} but found ${found}`,
      position,
    );
    this.line = line;
    this.col = col;
  }
}

/** 1-based line and column of a 0-based offset in a text. */
export function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, col: offset - start + 1 };
}

/** One problem in a Trigger's filter spec; `path` is relative to the Trigger `spec`. */
export interface FilterProblem {
  /** e.g. `['filters', 0, 'any', 1, 'cesql']`. */
  readonly path: readonly (string | number)[];
  readonly message: string;
  /** 0-based offset inside the string value at `path` (CESQL expressions), when known. */
  readonly offset?: number;
}

/** A Trigger's filters could not be compiled; `problems` lists every one of them. */
export class FilterValidationError extends TributaryError<FilterErrorCode> {
  constructor(readonly problems: readonly FilterProblem[]) {
    super(
      'TRIB_ERR_FILTER_INVALID',
      `${problems.length} problem(s) in the trigger filter:\n` +
        problems.map((p) => `${formatFilterPath(p.path)}: ${p.message}`).join('\n'),
    );
  }
}

/** Formats a filter path the way explanations and messages show it: `filters[0].any[1].cesql`. */
export function formatFilterPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** The annotation that allows CESQL expressions to read the event's JSON data. */
export const FILTER_DATA_ANNOTATION = 'tributary.dev/filter-data';
