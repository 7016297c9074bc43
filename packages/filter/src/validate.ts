/**
 * Validation of a Trigger's filters for the manifest loader: every problem, each with its path
 * relative to the Trigger `spec` and, for CESQL, the offset inside the expression, so that the
 * loader can report `file:line:col`.
 */
import { DIALECTS, type SubscriptionsApiFilter, type TriggerFilter } from '@tributary/core';
import { compileCesql } from './cesql/cesql.js';
import type { CorrelationKeyLookup } from './cesql/correlation-id.js';
import { CesqlParseError, type FilterProblem } from './errors.js';

/** The filtering part of a Trigger spec. */
export interface TriggerFilterSpec {
  readonly filter?: TriggerFilter | undefined;
  readonly filters?: readonly SubscriptionsApiFilter[] | undefined;
}

/** Options shared by the compile, validate, explain and routing functions. */
export interface TriggerFilterOptions {
  /**
   * Let CESQL expressions read the event's JSON data (`data.x`). Set from the Trigger annotation
   * `tributary.dev/filter-data: "true"`. Default false.
   */
  readonly filterData?: boolean;
  /** Keys for the CESQL function `KN_VERIFY_CORRELATION_ID`. */
  readonly correlationKeys?: CorrelationKeyLookup | undefined;
}

/**
 * Returns every problem of the spec's `filters` (empty when valid): CESQL parse errors (with the
 * offset in the expression), unknown CESQL functions, payload access without the annotation,
 * entries that set several dialects. `filters` is checked even when empty lists make it unused.
 */
export function validateTriggerFilters(
  spec: TriggerFilterSpec,
  options: TriggerFilterOptions = {},
): FilterProblem[] {
  const problems: FilterProblem[] = [];
  (spec.filters ?? []).forEach((f, i) => checkEntry(f, ['filters', i], options, problems));
  return problems;
}

function checkEntry(
  f: SubscriptionsApiFilter,
  path: (string | number)[],
  options: TriggerFilterOptions,
  problems: FilterProblem[],
): void {
  const set = DIALECTS.filter((d) => f[d] !== undefined);
  if (set.length > 1) {
    problems.push({
      path,
      message: `multiple dialects found (${set.join(', ')}): put each in its own filters entry`,
    });
  }
  f.all?.forEach((c, i) => checkEntry(c, [...path, 'all', i], options, problems));
  f.any?.forEach((c, i) => checkEntry(c, [...path, 'any', i], options, problems));
  if (f.not !== undefined) checkEntry(f.not, [...path, 'not'], options, problems);
  if (f.cesql === undefined || f.cesql === '') return;
  const at = [...path, 'cesql'];
  try {
    const compiled = compileCesql(f.cesql, {
      filterData: options.filterData === true,
      correlationKeys: options.correlationKeys,
    });
    for (const p of compiled.problems) {
      problems.push(
        p.position === undefined
          ? { path: at, message: p.message }
          : { path: at, message: p.message, offset: p.position },
      );
    }
  } catch (e) {
    if (!(e instanceof CesqlParseError)) throw e;
    problems.push({ path: at, message: e.message, offset: e.position });
  }
}
