/**
 * CESQL syntax tree. Every node keeps the 0-based offset where it starts, so that compile-time
 * problems (unknown functions, payload access) can point into the expression.
 */

export type BinaryOperator =
  'AND' | 'OR' | 'XOR' | '=' | '!=' | '<>' | '<' | '<=' | '>' | '>=' | '*' | '/' | '%' | '+' | '-';

export type CesqlNode =
  | { readonly type: 'literal'; readonly value: string | number | boolean; readonly pos: number }
  /** An attribute by its lower-case name. */
  | { readonly type: 'attribute'; readonly name: string; readonly pos: number }
  /** Tributary payload access: `data` (path []) or `data.a.b` (path ['a', 'b']). */
  | { readonly type: 'data'; readonly path: readonly string[]; readonly pos: number }
  | { readonly type: 'not'; readonly operand: CesqlNode; readonly pos: number }
  | { readonly type: 'negate'; readonly operand: CesqlNode; readonly pos: number }
  | {
      readonly type: 'binary';
      readonly op: BinaryOperator;
      readonly left: CesqlNode;
      readonly right: CesqlNode;
      readonly pos: number;
      /** Offset of the operator. */
      readonly opPos: number;
    }
  | {
      readonly type: 'like';
      readonly value: CesqlNode;
      readonly pattern: string;
      readonly negated: boolean;
      readonly pos: number;
    }
  | {
      readonly type: 'in';
      readonly value: CesqlNode;
      readonly set: readonly CesqlNode[];
      readonly negated: boolean;
      readonly pos: number;
    }
  | { readonly type: 'exists'; readonly target: CesqlNode; readonly pos: number }
  | {
      readonly type: 'call';
      /** Upper-cased function name. */
      readonly name: string;
      readonly args: readonly CesqlNode[];
      readonly pos: number;
    };

/** Calls `visit` on a node and all its descendants (depth-first, left to right). */
export function walk(node: CesqlNode, visit: (n: CesqlNode) => void): void {
  visit(node);
  switch (node.type) {
    case 'not':
    case 'negate':
      walk(node.operand, visit);
      break;
    case 'binary':
      walk(node.left, visit);
      walk(node.right, visit);
      break;
    case 'like':
      walk(node.value, visit);
      break;
    case 'in':
      walk(node.value, visit);
      for (const s of node.set) walk(s, visit);
      break;
    case 'exists':
      walk(node.target, visit);
      break;
    case 'call':
      for (const a of node.args) walk(a, visit);
      break;
    default:
      break;
  }
}
