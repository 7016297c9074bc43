/**
 * The legacy `filter.attributes` of a Trigger (docs/knative-behaviour.md §2.2, docs/decisions.md D1) and the
 * attribute lookup shared with the `exact`, `prefix` and `suffix` dialects.
 */
import { mediaType, type CloudEvent, type Filter, type FilterResult } from '@tributary/core';

/** Spec attributes that are always "present" for filters (value '' when unset). */
export const ALWAYS_PRESENT_ATTRIBUTES: ReadonlySet<string> = new Set([
  'specversion',
  'type',
  'source',
  'subject',
  'id',
  'time',
  'dataschema',
  'schemaurl',
  'datacontenttype',
  'datamediatype',
  'datacontentencoding',
]);

/**
 * The value a filter sees for an attribute, as Knative's broker-filter looks it up: spec attributes
 * are always present ('' when unset; `schemaurl` is an alias of `dataschema`; `datamediatype` is the
 * media type of `datacontenttype` without parameters); an extension is undefined when unset.
 */
export function filterAttribute(event: CloudEvent, name: string): string | undefined {
  const attrs = event.attributes;
  const v = attrs[name];
  if (typeof v === 'string' && name !== 'datamediatype') {
    return name === 'schemaurl' ? (attrs['dataschema'] ?? v) : v;
  }
  if (!ALWAYS_PRESENT_ATTRIBUTES.has(name)) return undefined;
  switch (name) {
    case 'datamediatype':
      return mediaType(event);
    case 'schemaurl':
      return attrs['dataschema'] ?? '';
    case 'dataschema':
      return attrs['schemaurl'] ?? '';
    default:
      return '';
  }
}

/** True when `filterAttribute(event, name)` is exactly `event.attributes[name]` (indexable). */
export function isPlainAttribute(name: string): boolean {
  return name !== 'schemaurl' && name !== 'dataschema' && name !== 'datamediatype';
}

/** The result of the legacy filter and the first key that failed, for explanations. */
export function matchAttributes(
  entries: readonly (readonly [string, string])[],
  event: CloudEvent,
): { result: FilterResult; failedKey?: string } {
  if (entries.length === 0) return { result: 'none' };
  for (const [k, want] of entries) {
    const got = filterAttribute(event, k);
    if (want === '' ? got === undefined || got === '' : got !== want)
      return { result: 'fail', failedKey: k };
  }
  return { result: 'pass' };
}

/**
 * Compiles `filter.attributes`: every entry must hold; a value '' means "present and non-empty";
 * otherwise case-sensitive equality. An absent or empty map yields `none` (no filter).
 */
export function compileAttributesFilter(
  attributes: Readonly<Record<string, string>> | undefined,
): Filter {
  const entries = Object.entries(attributes ?? {});
  if (entries.length === 0) return { match: () => 'none' };
  const names = entries.map(([k]) => k);
  const wants = entries.map(([, v]) => v);
  const n = entries.length;
  const match = (event: CloudEvent): FilterResult => {
    for (let i = 0; i < n; i++) {
      const got = filterAttribute(event, names[i]!);
      const want = wants[i]!;
      if (want === '' ? got === undefined || got === '' : got !== want) return 'fail';
    }
    return 'pass';
  };
  return { match };
}
