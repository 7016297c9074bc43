/**
 * @tributary/filter — Trigger filters: legacy `filter.attributes`, the Subscriptions API
 * dialects of `filters`, CloudEvents SQL v1 (with Tributary's opt-in payload access), the
 * per-broker routing index and the explanation behind `tributary match`. Pure and synchronous.
 */
export * from './errors.js';
export {
  compileAttributesFilter,
  filterAttribute,
  ALWAYS_PRESENT_ATTRIBUTES,
} from './attributes.js';
export { compileDialect, compileDialectList, allOf, anyOf } from './subscriptions-api.js';
export type { DialectNode, DialectOptions } from './subscriptions-api.js';
export {
  compileTriggerFilter,
  compileRoutableFilter,
  planTriggerFilter,
  filterFromPlan,
} from './trigger-filter.js';
export type { FilterPlan, RoutableFilter } from './trigger-filter.js';
export { validateTriggerFilters } from './validate.js';
export type { TriggerFilterSpec, TriggerFilterOptions } from './validate.js';
export { explainFilter } from './explain.js';
export type { FilterExplanation } from './explain.js';
export { RoutingIndex } from './routing-index.js';
export type { RoutingEntry, RoutingIndexStats } from './routing-index.js';
export type { Constraint } from './routing-constraints.js';
export { walk } from './cesql/ast.js';
export type { CesqlNode, BinaryOperator } from './cesql/ast.js';
export { parseCesql } from './cesql/parser.js';
export { compileCesql, evaluateCesql } from './cesql/cesql.js';
export type { CesqlOptions, CesqlResult, CesqlInput, CompiledCesql } from './cesql/cesql.js';
export type { CesqlValue, CesqlType, AttributeGetter } from './cesql/values.js';
export { BUILTIN_FUNCTION_NAMES } from './cesql/functions.js';
export {
  sealCorrelationId,
  verifyCorrelationId,
  parseCorrelationId,
  knVerifyCorrelationId,
  isAesKeyLength,
  MAX_CORRELATION_ID_LENGTH,
  type CorrelationKeyLookup,
} from './cesql/correlation-id.js';
