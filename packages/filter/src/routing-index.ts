/**
 * Per-broker routing: which Triggers does an event go to?
 *
 * Each Trigger's filter is compiled once. When the filter has a necessary condition on an
 * attribute (see routing-constraints.ts) the Trigger is filed under it: exact values in a hash
 * map, prefixes and suffixes in maps probed once per distinct length. Everything else is a
 * residual list evaluated plainly. Matching costs a few map probes plus the evaluation of the
 * candidates, not one evaluation per Trigger, and returns exactly the keys that plain evaluation
 * of every Trigger would (in the order the Triggers were given).
 */
import type { CloudEvent } from '@tributary/core';
import type { Constraint } from './routing-constraints.js';
import {
  planTriggerFilter,
  routableFromPlan,
  type Matcher,
  type RoutableFilter,
} from './trigger-filter.js';
import type { TriggerFilterOptions, TriggerFilterSpec } from './validate.js';

/** One Trigger of a broker. */
export interface RoutingEntry {
  /** Identifies the Trigger in results (e.g. `namespace/name`). */
  readonly key: string;
  readonly spec: TriggerFilterSpec;
  /** Per-Trigger options (`filterData` from its annotation). */
  readonly options?: TriggerFilterOptions;
  /**
   * `spec` with `options` already compiled (the Trigger's dispatcher filter): used as is instead
   * of compiling the filter once more for the index.
   */
  readonly compiled?: RoutableFilter;
}

/** Counts of how Triggers were filed. */
export interface RoutingIndexStats {
  readonly triggers: number;
  readonly indexed: number;
  readonly residual: number;
}

/** Buckets for one attribute name. */
class AttributeBuckets {
  readonly exact = new Map<string, number[]>();
  readonly prefix = new Map<string, number[]>();
  readonly suffix = new Map<string, number[]>();
  prefixLengths: number[] = [];
  suffixLengths: number[] = [];

  constructor(readonly name: string) {}

  add(c: Constraint, ordinal: number): void {
    const map = this[c.op];
    const list = map.get(c.value);
    if (list === undefined) map.set(c.value, [ordinal]);
    else list.push(ordinal);
    if (c.op === 'prefix' && !this.prefixLengths.includes(c.value.length)) {
      this.prefixLengths = [...this.prefixLengths, c.value.length].sort((a, b) => a - b);
    }
    if (c.op === 'suffix' && !this.suffixLengths.includes(c.value.length)) {
      this.suffixLengths = [...this.suffixLengths, c.value.length].sort((a, b) => a - b);
    }
  }

  /**
   * Candidates for an attribute value, sorted: the exact bucket plus every prefix/suffix bucket
   * that applies. With prefixes or suffixes, results are memoised per value (bounded), so a stream
   * of repeating types costs one hash lookup per bucket.
   */
  candidates(v: string): readonly number[] | undefined {
    if (this.prefixLengths.length === 0 && this.suffixLengths.length === 0)
      return this.exact.get(v);
    const cached = this.memo.get(v);
    if (cached !== undefined) return cached;
    const found: number[] = [...(this.exact.get(v) ?? [])];
    for (const len of this.prefixLengths) {
      if (len > v.length) break;
      found.push(...(this.prefix.get(v.slice(0, len)) ?? []));
    }
    for (const len of this.suffixLengths) {
      if (len > v.length) break;
      found.push(...(this.suffix.get(v.slice(v.length - len)) ?? []));
    }
    found.sort(byNumber);
    if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
    this.memo.set(v, found);
    return found;
  }

  private readonly memo = new Map<string, number[]>();
}

/** Distinct attribute values memoised per bucket before the memo is cleared. */
const MEMO_LIMIT = 16_384;

const byNumber = (a: number, b: number): number => a - b;

/** Routes events to the Triggers of one broker. Immutable once built. */
export class RoutingIndex {
  private readonly keys: string[] = [];
  private readonly matchers: Matcher[] = [];
  /** 1 when finding the Trigger through its condition already means it passes. */
  private readonly sufficient: number[] = [];
  private readonly buckets: AttributeBuckets[] = [];
  private readonly residual: number[] = [];
  private readonly lists: (readonly number[])[] = [];
  private readonly merged: number[] = [];

  /**
   * Compiles every Trigger's filter (but those given `compiled`); throws FilterValidationError for
   * an invalid one.
   */
  constructor(entries: Iterable<RoutingEntry>) {
    for (const entry of entries) {
      const ordinal = this.keys.length;
      const f = entry.compiled ?? routableFromPlan(planTriggerFilter(entry.spec, entry.options));
      this.keys.push(entry.key);
      this.matchers.push(f.match);
      const c = f.constraint;
      this.sufficient.push(f.sufficient ? 1 : 0);
      if (c === undefined) {
        this.residual.push(ordinal);
        continue;
      }
      let b = this.buckets.find((x) => x.name === c.name);
      if (b === undefined) {
        b = new AttributeBuckets(c.name);
        this.buckets.push(b);
      }
      b.add(c, ordinal);
    }
  }

  /** How the Triggers were filed. */
  stats(): RoutingIndexStats {
    return {
      triggers: this.keys.length,
      indexed: this.keys.length - this.residual.length,
      residual: this.residual.length,
    };
  }

  /** Keys of the Triggers whose filter does not `fail` for the event, in the order given. */
  match(event: CloudEvent): string[] {
    const lists = this.lists;
    let n = 0;
    if (this.residual.length > 0) lists[n++] = this.residual;
    const attrs = event.attributes;
    const buckets = this.buckets;
    for (let i = 0; i < buckets.length; i++) {
      const b = buckets[i]!;
      const v = attrs[b.name];
      if (typeof v !== 'string') continue;
      const c = b.candidates(v);
      if (c !== undefined && c.length > 0) lists[n++] = c;
    }
    const out: string[] = [];
    if (n === 0) return out;
    let ordinals: readonly number[] = lists[0]!;
    if (n > 1) {
      const merged = this.merged;
      merged.length = 0;
      for (let k = 0; k < n; k++) {
        const l = lists[k]!;
        for (let i = 0; i < l.length; i++) merged.push(l[i]!);
      }
      merged.sort(byNumber);
      ordinals = merged;
    }
    for (let i = 0; i < ordinals.length; i++) {
      const o = ordinals[i]!;
      if (this.sufficient[o] === 1 || this.matchers[o]!(event) !== 'fail') out.push(this.keys[o]!);
    }
    return out;
  }
}
