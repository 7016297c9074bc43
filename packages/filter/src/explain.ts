/**
 * `tributary match`: says whether a Trigger's filter lets an event through and which part of the
 * spec decided it, e.g. `filters[0].exact type`, `filter.attributes.source`, `no filter`.
 */
import type { CloudEvent, FilterResult } from '@tributary/core';
import { filterAttribute, matchAttributes } from './attributes.js';
import { formatFilterPath } from './errors.js';
import type { DialectNode } from './subscriptions-api.js';
import { planTriggerFilter } from './trigger-filter.js';
import type { TriggerFilterOptions, TriggerFilterSpec } from './validate.js';

/** An explanation: `result` is what delivery does (`none` counts as `pass`). */
export interface FilterExplanation {
  readonly result: 'pass' | 'fail';
  /** The filter entry that decided, e.g. `filters[1].any[0].prefix type`, or `no filter`. */
  readonly decidedBy: string;
}

interface Step {
  readonly result: FilterResult;
  readonly by: string;
}

/**
 * Evaluates a Trigger's filter on an event the way the dispatcher does and names the entry that
 * decided. Throws FilterValidationError when the spec is invalid.
 */
export function explainFilter(
  spec: TriggerFilterSpec,
  event: CloudEvent,
  options: TriggerFilterOptions = {},
): FilterExplanation {
  const plan = planTriggerFilter(spec, options);
  let step: Step;
  if (plan.kind === 'attributes') {
    const { result, failedKey } = matchAttributes(plan.entries, event);
    step =
      result === 'none'
        ? { result, by: 'no filter' }
        : result === 'fail'
          ? { result, by: `filter.attributes.${failedKey}` }
          : { result, by: 'filter.attributes' };
  } else {
    step = explainAll(plan.children, 'filters', event);
  }
  return {
    result: step.result === 'fail' ? 'fail' : 'pass',
    decidedBy:
      step.result === 'none' && step.by !== 'no filter' ? `${step.by} (no filter)` : step.by,
  };
}

function explainAll(children: readonly DialectNode[], where: string, event: CloudEvent): Step {
  if (children.length === 0) return { result: 'none', by: where };
  let passed: Step | undefined;
  for (const child of children) {
    const s = explainNode(child, event);
    if (s.result === 'fail') return s;
    if (s.result === 'pass') passed ??= s;
  }
  if (passed === undefined) return { result: 'none', by: where };
  return children.length === 1 ? passed : { result: 'pass', by: `${where} (every entry passed)` };
}

function explainNode(node: DialectNode, event: CloudEvent): Step {
  const where = formatFilterPath(node.path);
  switch (node.kind) {
    case 'exact':
    case 'prefix':
    case 'suffix': {
      const result = node.match(event);
      if (result === 'pass')
        return { result, by: `${where} ${node.entries.map(([k]) => k).join(',')}` };
      const failing = node.entries.find(([k, want]) => {
        const got = filterAttribute(event, k);
        if (got === undefined) return true;
        return node.kind === 'exact'
          ? got !== want
          : node.kind === 'prefix'
            ? !got.startsWith(want)
            : !got.endsWith(want);
      });
      const missing = failing !== undefined && filterAttribute(event, failing[0]) === undefined;
      return {
        result,
        by: `${where} ${failing?.[0] ?? ''}${missing ? ' (attribute missing)' : ''}`,
      };
    }
    case 'all':
      return explainAll(node.children, where, event);
    case 'any': {
      let last: Step = { result: 'none', by: where };
      for (const child of node.children) {
        last = explainNode(child, event);
        if (last.result === 'pass') return last;
      }
      return last.result === 'fail'
        ? { result: 'fail', by: `${where} (no entry passed; last: ${last.by})` }
        : last;
    }
    case 'not': {
      if (node.child === null) return { result: 'none', by: where };
      const s = explainNode(node.child, event);
      const result: FilterResult =
        s.result === 'pass' ? 'fail' : s.result === 'fail' ? 'pass' : 'none';
      return { result, by: `${where} (negates ${s.by})` };
    }
    case 'cesql': {
      const { value, errors } = node.compiled.evaluate(event);
      if (errors.length > 0)
        return { result: 'fail', by: `${where} (error: ${errors[0]!.message})` };
      return value === true
        ? { result: 'pass', by: where }
        : { result: 'fail', by: `${where} (value ${JSON.stringify(value)})` };
    }
  }
}
