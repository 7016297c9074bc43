/**
 * Necessary conditions of a compiled filter, for the routing index: an attribute that must equal
 * a value, start with a prefix or end with a suffix for the filter not to `fail`.
 *
 * A condition is extracted only where it is sound: legacy attributes with a non-empty value,
 * exact/prefix/suffix entries, `all` of those (any failing child fails the whole), top-level
 * entries (AND-ed) and CESQL roots made of `attr = 'literal'`, `attr LIKE 'literal%'` and `AND`.
 * Aliased lookups (`schemaurl`, `dataschema`, `datamediatype`) are never indexed.
 */
import { isPlainAttribute } from './attributes.js';
import type { CesqlNode } from './cesql/ast.js';
import type { DialectNode } from './subscriptions-api.js';
import type { FilterPlan } from './trigger-filter.js';

/** One necessary condition on `event.attributes[name]`. */
export interface Constraint {
  readonly name: string;
  readonly op: 'exact' | 'prefix' | 'suffix';
  readonly value: string;
}

/** Every necessary condition of a plan that the index can use (possibly none). */
export function constraintsOf(plan: FilterPlan): Constraint[] {
  const out: Constraint[] = [];
  if (plan.kind === 'attributes') {
    for (const [name, value] of plan.entries) {
      if (value !== '' && isPlainAttribute(name)) out.push({ name, op: 'exact', value });
    }
  } else {
    for (const child of plan.children) fromDialect(child, out);
  }
  return out;
}

function fromDialect(node: DialectNode, out: Constraint[]): void {
  switch (node.kind) {
    case 'exact':
    case 'prefix':
    case 'suffix':
      for (const [name, value] of node.entries) {
        if (isPlainAttribute(name)) out.push({ name, op: node.kind, value });
      }
      return;
    case 'all':
      for (const c of node.children) fromDialect(c, out);
      return;
    case 'cesql':
      fromCesql(node.compiled.ast, out);
      return;
    default:
      return;
  }
}

/** Conditions under which a CESQL expression can be Boolean true without error. */
function fromCesql(n: CesqlNode, out: Constraint[]): void {
  if (n.type === 'binary' && n.op === 'AND') {
    fromCesql(n.left, out);
    fromCesql(n.right, out);
    return;
  }
  if (n.type === 'binary' && n.op === '=') {
    const [a, b] = n.left.type === 'attribute' ? [n.left, n.right] : [n.right, n.left];
    if (a.type === 'attribute' && b.type === 'literal' && typeof b.value === 'string') {
      out.push({ name: a.name, op: 'exact', value: b.value });
    }
    return;
  }
  if (n.type === 'like' && !n.negated && n.value.type === 'attribute') {
    const p = n.pattern;
    if (p.includes('\\') || p.includes('_')) return;
    const inner = p.replace(/^%/, '').replace(/%$/, '');
    if (inner === '' || inner.includes('%')) return;
    const starts = p.startsWith('%');
    const ends = p.endsWith('%');
    if (!starts && !ends) out.push({ name: n.value.name, op: 'exact', value: inner });
    else if (!starts) out.push({ name: n.value.name, op: 'prefix', value: inner });
    else if (!ends) out.push({ name: n.value.name, op: 'suffix', value: inner });
  }
}

/** The most selective condition: exact before prefix/suffix, `type` before `source` before others. */
export function bestConstraint(cs: readonly Constraint[]): Constraint | undefined {
  let best: Constraint | undefined;
  let bestScore = Infinity;
  for (const c of cs) {
    const score =
      (c.op === 'exact' ? 0 : 10) + (c.name === 'type' ? 0 : c.name === 'source' ? 1 : 2);
    if (score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}

/**
 * True when the plan passes exactly when `c` holds (a single exact/prefix/suffix condition), so
 * that a Trigger found through `c` needs no further evaluation.
 */
export function isSufficient(plan: FilterPlan, c: Constraint): boolean {
  if (plan.kind === 'attributes') {
    return plan.entries.length === 1 && c.op === 'exact' && plan.entries[0]![0] === c.name;
  }
  if (plan.children.length !== 1) return false;
  const only = plan.children[0]!;
  return (
    (only.kind === 'exact' || only.kind === 'prefix' || only.kind === 'suffix') &&
    only.kind === c.op &&
    only.entries.length === 1 &&
    only.entries[0]![0] === c.name
  );
}
