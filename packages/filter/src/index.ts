export * from './errors.js';
export type { CesqlNode, BinaryOperator } from './cesql/ast.js';
export { parseCesql } from './cesql/parser.js';
export { compileCesql, evaluateCesql } from './cesql/cesql.js';
export type { CesqlOptions, CesqlResult, CesqlInput, CompiledCesql } from './cesql/cesql.js';
export type { CesqlValue, CesqlType, AttributeGetter } from './cesql/values.js';
export { BUILTIN_FUNCTION_NAMES } from './cesql/functions.js';
